/* daemon-listen.c — listening to the core (daemon.h): the listeners,
 * what they were told of, the one round of events per main-loop
 * iteration, and the accessors through which they read the state. */
#include "config.h"

#include <string.h>

#include "batch.h"
#include "clock.h"
#include "daemon-private.h"

/* Counters alone (a LAN full of strangers moves them at every record)
 * are told at most this often; any other change at once, with them. */
#define COUNTERS_GAP_US (G_USEC_PER_SEC / 2)

static void
daemon_emit (WgdDaemon *d, WgdDaemonEvent event, const guint8 *wg_key, const gchar *ifname)
{
  for (guint i = 0; i < d->listeners->len; i++)
    {
      const Listener *l = &g_array_index (d->listeners, Listener, i);

      l->func (d, event, wg_key, ifname, l->user_data);
    }
}

/* The first configured interface that could be read and has the peer,
 * with what it said of it; NULL if none. */
static const Interface *
daemon_find_peer_interface (const WgdDaemon *d, GBytes *key, const PeerSeen **seen)
{
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);
      const PeerSeen *s;

      if (!iface->usable || iface->peer_keys == NULL)
        continue;
      s = g_hash_table_lookup (iface->peer_keys, g_bytes_get_data (key, NULL));
      if (s != NULL)
        {
          if (seen != NULL)
            *seen = s;
          return iface;
        }
    }
  return NULL;
}

/* A peer is known while its announcement was taken (it is in the peer
 * table) and it is a peer of an interface we could read: a peer removed
 * from WireGuard is gone from the listeners' view, and back when it is
 * added again. */
static gboolean
daemon_peer_is_known (const WgdDaemon *d, const WgdPeerEntry *entry)
{
  g_autoptr (GBytes) key = g_bytes_new (entry->wg_key, WGD_KEY_LEN);

  return daemon_find_peer_interface (d, key, NULL) != NULL;
}

static void
daemon_notify_interfaces (WgdDaemon *d)
{
  g_autoptr (GHashTable) now = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer name;

  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);
      const gchar *ifname = iface->config->name;

      g_hash_table_add (now, (gpointer) ifname);
      if (g_hash_table_add (d->listed_interfaces, g_strdup (ifname)))
        daemon_emit (d, WGD_DAEMON_INTERFACE_ADDED, NULL, ifname);
      else
        daemon_emit (d, WGD_DAEMON_INTERFACE_CHANGED, NULL, ifname);
    }
  g_hash_table_iter_init (&iter, d->listed_interfaces);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (!g_hash_table_contains (now, name))
      {
        g_ptr_array_add (gone, g_strdup (name));
        g_hash_table_iter_remove (&iter);
      }
  for (guint i = 0; i < gone->len; i++)
    daemon_emit (d, WGD_DAEMON_INTERFACE_REMOVED, NULL, g_ptr_array_index (gone, i));
}

/* Tells of a peer (key is taken) that is known now. */
static void
daemon_notify_peer (WgdDaemon *d, GBytes *key)
{
  const guint8 *wg_key = g_bytes_get_data (key, NULL);

  if (g_hash_table_add (d->listed_peers, key))
    daemon_emit (d, WGD_DAEMON_PEER_ADDED, wg_key, NULL);
  else
    daemon_emit (d, WGD_DAEMON_PEER_CHANGED, wg_key, NULL);
}

/* The peers known: those of the peer table, and the pending ones, each
 * while it is a peer of an interface. */
static void
daemon_notify_peers (WgdDaemon *d)
{
  g_autoptr (GPtrArray) peers = wgd_peer_table_get_peers (d->peers);
  g_autoptr (GPtrArray) pending = wgd_pairing_get_pending (d->pairing);
  g_autoptr (GHashTable) now = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                      (GDestroyNotify) g_bytes_unref, NULL);
  g_autoptr (GPtrArray) gone = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < peers->len; i++)
    {
      const WgdPeerEntry *entry = g_ptr_array_index (peers, i);
      GBytes *k;

      if (!daemon_peer_is_known (d, entry))
        continue;
      k = g_bytes_new (entry->wg_key, WGD_KEY_LEN);
      g_hash_table_add (now, g_bytes_ref (k));
      daemon_notify_peer (d, k);
    }
  for (guint i = 0; i < pending->len; i++)
    {
      const WgdPendingPeer *peer = g_ptr_array_index (pending, i);
      GBytes *k;

      if (!daemon_is_endpoint_peer (d, peer->wg_key))
        continue;
      k = g_bytes_new (peer->wg_key, WGD_KEY_LEN);
      g_hash_table_add (now, g_bytes_ref (k));
      daemon_notify_peer (d, k);
    }
  g_hash_table_iter_init (&iter, d->listed_peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (now, key))
      {
        g_ptr_array_add (gone, g_bytes_ref (key));
        g_hash_table_iter_remove (&iter);
      }
  for (guint i = 0; i < gone->len; i++)
    daemon_emit (d, WGD_DAEMON_PEER_REMOVED,
                 g_bytes_get_data (g_ptr_array_index (gone, i), NULL), NULL);
}

/* Whether the peer is to be listed now (see daemon_notify_peers). */
static gboolean
daemon_peer_is_listed_now (WgdDaemon *d, const guint8 *wg_key)
{
  const WgdPeerEntry *entry = wgd_peer_table_lookup (d->peers, wg_key);

  if (entry != NULL)
    return daemon_peer_is_known (d, entry);
  return wgd_pairing_lookup (d->pairing, wg_key) != NULL && daemon_is_endpoint_peer (d, wg_key);
}

/* Only the peers marked by daemon_schedule_notify_peer. */
static void
daemon_notify_dirty_peers (WgdDaemon *d)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, d->dirty_peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const guint8 *wg_key = g_bytes_get_data (key, NULL);

      if (daemon_peer_is_listed_now (d, wg_key))
        daemon_notify_peer (d, g_bytes_ref (key));
      else if (g_hash_table_remove (d->listed_peers, key))
        daemon_emit (d, WGD_DAEMON_PEER_REMOVED, wg_key, NULL);
    }
}

static gboolean
notify_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;

  d->notify_source = 0;
  d->notify_delayed = FALSE;
  if (d->state_changed)
    {
      /* Interfaces first: a peer's object names its interface's. */
      daemon_notify_interfaces (d);
      daemon_notify_peers (d);
    }
  else
    daemon_notify_dirty_peers (d);
  if (d->paused_changed)
    daemon_emit (d, WGD_DAEMON_PAUSED_CHANGED, NULL, NULL);
  if (d->counters_changed || d->state_changed || g_hash_table_size (d->dirty_peers) > 0)
    {
      d->counted_at = g_get_monotonic_time ();
      daemon_emit (d, WGD_DAEMON_COUNTERS_CHANGED, NULL, NULL);
    }
  g_hash_table_remove_all (d->dirty_peers);
  d->state_changed = FALSE;
  d->counters_changed = FALSE;
  d->paused_changed = FALSE;
  return G_SOURCE_REMOVE;
}

void
daemon_schedule_notify (WgdDaemon *d, gboolean state, gboolean counters)
{
  gint64 wait_us;

  d->state_changed |= state;
  d->counters_changed |= counters;
  if (d->notify_source != 0 && !d->notify_delayed)
    return;
  wait_us = wgd_batch_wait_us (d->counted_at, g_get_monotonic_time (), COUNTERS_GAP_US);
  if (!d->state_changed && g_hash_table_size (d->dirty_peers) == 0 && !d->paused_changed
      && wait_us > 0)
    {
      if (d->notify_source == 0)
        d->notify_source = daemon_add_batch (wait_us, notify_cb, d);
      d->notify_delayed = TRUE;
      return;
    }
  g_clear_handle_id (&d->notify_source, g_source_remove);
  d->notify_delayed = FALSE;
  d->notify_source = daemon_add_batch (0, notify_cb, d);
}

void
daemon_schedule_notify_peer (WgdDaemon *d, const guint8 *wg_key)
{
  g_hash_table_add (d->dirty_peers, g_bytes_new (wg_key, WGD_KEY_LEN));
  daemon_schedule_notify (d, FALSE, FALSE);
}


guint
wgd_daemon_add_listener (WgdDaemon *d, WgdDaemonListenFunc func, gpointer user_data)
{
  Listener l = { .id = ++d->next_listener_id, .func = func, .user_data = user_data };
  GHashTableIter iter;
  gpointer key;

  g_array_append_val (d->listeners, l);
  /* In the configuration's order, as the Manager lists them. */
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const gchar *name = g_array_index (d->interfaces, Interface, i).config->name;

      if (g_hash_table_contains (d->listed_interfaces, name))
        func (d, WGD_DAEMON_INTERFACE_ADDED, NULL, name, user_data);
    }
  g_hash_table_iter_init (&iter, d->listed_peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    func (d, WGD_DAEMON_PEER_ADDED, g_bytes_get_data (key, NULL), NULL, user_data);
  return l.id;
}

void
wgd_daemon_remove_listener (WgdDaemon *d, guint id)
{
  for (guint i = 0; i < d->listeners->len; i++)
    if (g_array_index (d->listeners, Listener, i).id == id)
      {
        g_array_remove_index (d->listeners, i);
        return;
      }
}

/* --- Reading the core --------------------------------------------------- */

void
wgd_daemon_interface_info_free (WgdDaemonInterfaceInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info);
}

void
wgd_daemon_peer_info_free (WgdDaemonPeerInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->ifname);
  g_free (info->configured_endpoint);
  g_clear_pointer (&info->candidates, g_array_unref);
  g_free (info);
}

void
wgd_daemon_get_identity (WgdDaemon *d, guint8 signing_key[WGD_KEY_LEN],
                         guint8 wg_key[WGD_KEY_LEN])
{
  memcpy (signing_key, d->identity->public_key, WGD_KEY_LEN);
  memcpy (wg_key, d->wg_public, WGD_KEY_LEN);
}

void
wgd_daemon_get_counters (WgdDaemon *d, WgdDaemonCounters *counters)
{
  memset (counters, 0, sizeof *counters);
  counters->accepted = d->accepted;
  counters->ignored = d->strangers;
  memcpy (counters->rejected, d->rejected_by_reason, sizeof counters->rejected);
  counters->endpoint_changes = d->endpoint_changes;
}

void
wgd_daemon_get_rendezvous (WgdDaemon *d, const gchar **state, const gchar **error,
                           guint64 *retry_at)
{
  if (d->rendezvous == NULL)
    {
      *state = wgd_rdv_state_to_string (WGD_RDV_DISABLED);
      *error = "";
      *retry_at = 0;
      return;
    }
  *state = wgd_rdv_state_to_string (wgd_rendezvous_get_state (d->rendezvous));
  *error = wgd_rendezvous_get_error (d->rendezvous);
  *retry_at = wgd_rendezvous_get_retry_at (d->rendezvous);
}

const gchar *
wgd_daemon_get_rendezvous_mesh (WgdDaemon *d, const gchar *name)
{
  WgdRdvMeshState state;

  if (d->rendezvous == NULL || !wgd_rendezvous_get_mesh_state (d->rendezvous, name, &state))
    return NULL;
  return wgd_rdv_mesh_state_to_string (state);
}

GStrv
wgd_daemon_get_interface_names (WgdDaemon *d)
{
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();

  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const gchar *name = g_array_index (d->interfaces, Interface, i).config->name;

      if (g_hash_table_contains (d->listed_interfaces, name))
        g_strv_builder_add (names, name);
    }
  return g_strv_builder_end (names);
}

WgdDaemonInterfaceInfo *
wgd_daemon_get_interface (WgdDaemon *d, const gchar *name)
{
  const Interface *iface = daemon_find_interface (d, name);
  WgdDaemonInterfaceInfo *info;

  if (iface == NULL || !g_hash_table_contains (d->listed_interfaces, name))
    return NULL;
  info = g_new0 (WgdDaemonInterfaceInfo, 1);
  info->name = g_strdup (name);
  info->mode = iface->config->mode;
  info->listen_port = iface->listen_port;
  info->present = iface->usable;
  info->advertising = !d->paused && iface->config->advertise && iface->usable
                      && iface->listen_port != 0 && iface->announced_port == iface->listen_port;
  return info;
}

GPtrArray *
wgd_daemon_get_peer_keys (WgdDaemon *d)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, d->listed_peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, g_bytes_ref (key));
  return keys;
}

void
wgd_daemon_count_peers_by_trust (WgdDaemon *d, guint count[WGD_BINDING_COUNT])
{
  GHashTableIter iter;
  gpointer key;

  memset (count, 0, sizeof (guint) * WGD_BINDING_COUNT);
  g_hash_table_iter_init (&iter, d->listed_peers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const guint8 *wg_key = g_bytes_get_data (key, NULL);
      const WgdPeerEntry *entry = wgd_peer_table_lookup (d->peers, wg_key);

      /* As wgd_daemon_get_peer: a listed peer is in the table or pending. */
      if (entry != NULL && entry->binding < WGD_BINDING_COUNT)
        count[entry->binding]++;
      else if (entry == NULL && wgd_pairing_lookup (d->pairing, wg_key) != NULL)
        count[WGD_BINDING_PENDING]++;
    }
}

WgdDaemonPeerInfo *
wgd_daemon_get_peer (WgdDaemon *d, const guint8 wg_key[WGD_KEY_LEN])
{
  g_autoptr (GBytes) key = g_bytes_new (wg_key, WGD_KEY_LEN);
  const WgdPeerEntry *entry = wgd_peer_table_lookup (d->peers, wg_key);
  const WgdPendingPeer *pending = entry ? NULL : wgd_pairing_lookup (d->pairing, wg_key);
  const PeerSeen *seen = NULL;
  const Interface *iface;
  const WgdSockaddr *saved;
  gint64 now = (gint64) wgd_clock_now ();
  WgdDaemonPeerInfo *info;

  if ((entry == NULL && pending == NULL) || !g_hash_table_contains (d->listed_peers, key))
    return NULL;
  info = g_new0 (WgdDaemonPeerInfo, 1);
  memcpy (info->wg_key, wg_key, WGD_KEY_LEN);
  info->endpoint_reason = "";
  info->candidates = g_array_new (FALSE, FALSE, sizeof (WgdCandidate));
  if (entry != NULL)
    {
      memcpy (info->signing_key, entry->signing_key, WGD_KEY_LEN);
      info->name = g_strdup (entry->name);
      info->trust = entry->binding;
      info->last_seen = entry->last_heard;
      for (guint i = 0; i < entry->candidates->len; i++)
        {
          const WgdCandidate *c = &g_array_index (entry->candidates, WgdCandidate, i);

          if (c->expires > now)
            g_array_append_val (info->candidates, *c);
        }
    }
  else
    {
      /* Its record's endpoints are no candidates: nothing pending is
       * used. */
      memcpy (info->signing_key, pending->signing_key, WGD_KEY_LEN);
      info->name = g_strdup (pending->name);
      info->trust = WGD_BINDING_PENDING;
      info->last_seen = pending->heard;
    }
  if (info->trust != WGD_BINDING_NONE)
    wgd_key_fingerprint (info->signing_key, info->fingerprint);
  info->configured_endpoint = d->dyndns != NULL ? wgd_dyndns_describe (d->dyndns, wg_key) : NULL;
  if (info->configured_endpoint == NULL)
    info->configured_endpoint = g_strdup ("");
  iface = daemon_find_peer_interface (d, key, &seen);
  if (iface == NULL)
    return info;
  info->ifname = g_strdup (iface->config->name);
  info->endpoint = seen->endpoint;
  info->latest_handshake = seen->last_handshake;
  info->rx_bytes = seen->rx_bytes;
  info->tx_bytes = seen->tx_bytes;
  saved = g_hash_table_lookup (d->endpoints, key);
  if (seen->endpoint.sa.sa_family == AF_UNSPEC)
    return info;
  if (entry != NULL && entry->applied && entry->applied_why != NULL
           && wgd_sockaddr_equal (&seen->endpoint, &entry->applied_endpoint))
    info->endpoint_reason = entry->applied_why;
  else if (saved != NULL && wgd_sockaddr_equal (&seen->endpoint, saved))
    info->endpoint_reason = "restored";
  return info;
}
