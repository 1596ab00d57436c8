/* daemon.c — the core of wgdiscoverd: announce ourselves, judge what
 * others announce, keep the peer table, and write endpoints into the
 * WireGuard interfaces. */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <arpa/inet.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <linux/rtnetlink.h>
#include <sodium.h>

#include "address-monitor.h"
#include "base64.h"
#include "batch.h"
#include "clock.h"
#include "daemon-private.h"
#include "daemon.h"
#include "handshake.h"
#include "mdns.h"
#include "mesh.h"
#include "pairing.h"
#include "peer-table.h"
#include "state.h"
#include "txt.h"
#include "wg-device.h"
#include "wgd-error.h"

#define G_LOG_DOMAIN_DAEMON "wgdiscoverd"
/* Our records live this long and are re-signed at half of it. */
#define ANNOUNCE_LIFETIME 600
/* How many (reason, interface, service) triples the rejection log
 * remembers. */
#define LOGGED_REJECTIONS_MAX 4096
/* How long a new link of one of our interfaces' names is read every
 * second, while its creator configures it. */
#define WATCH_SECONDS 30
/* The same after a route through it was added (see on_link). */
#define ROUTE_WATCH_SECONDS 3
/* Records kept for no interface yet (see Heard). */
#define UNPLACED_MAX 1024
/* Rejection lines per window, which opens with the first line logged:
 * service names are the sender's to choose, so a flood of them is
 * summed up at the window's end, not logged. */
#define REJECTION_LINES_PER_WINDOW 20
#define REJECTION_WINDOW_SECONDS 15
/* Records are judged by the interfaces' peers as read at most this long
 * ago: a LAN of a thousand services costs no read of a thousand peers
 * each. */
#define PEER_READ_US G_USEC_PER_SEC
/* Acting on accepted records writes the replay state and reads every
 * interface, both as long as there are peers: records that come in a
 * stream (a thousand peers answering) are acted on in batches, at most
 * one every ACT_GAP_US; a record after a pause, at once. */
#define ACT_GAP_US (100 * 1000)
/* The state files are written at once after a change, then at most
 * once per SAVE_GAP_US while changes keep coming. */
#define SAVE_GAP_US G_USEC_PER_SEC


/* One structured journal entry per decision, with the fields to filter
 * on: the peer's key, where the record came from, and why. */
void
log_decision (const gchar *peer_key, const gchar *source, const gchar *reason,
              GLogLevelFlags level, const gchar *format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  /* g_log_structured, not _array: it adds PRIORITY, which the journal
   * needs to show the level. */
  g_log_structured (G_LOG_DOMAIN_DAEMON, level, "WGD_PEER_KEY", peer_key ? peer_key : "",
                    "WGD_SOURCE", source ? source : "", "WGD_REASON", reason ? reason : "",
                    "MESSAGE", "%s", message);
}

static gboolean
interface_allowed (const WgdDaemon *d, const WgdLocalAddress *a)
{
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);

      /* Never the WireGuard interface itself. */
      if (g_strcmp0 (a->ifname, iface->config->name) == 0)
        return FALSE;
      if (iface->config->allow_interfaces != NULL
          && !g_strv_contains ((const gchar *const *) iface->config->allow_interfaces,
                               a->ifname))
        return FALSE;
      if (iface->config->deny_interfaces != NULL
          && g_strv_contains ((const gchar *const *) iface->config->deny_interfaces, a->ifname))
        return FALSE;
    }
  return a->scope != RT_SCOPE_HOST && g_strcmp0 (a->ifname, "lo") != 0;
}

/* Our LAN addresses, IPv4 first, at most WGD_ENDPOINTS_MAX. */
static void
collect_endpoints (WgdDaemon *d, guint16 port, WgdAnnouncement *ann)
{
  g_autoptr (GArray) all = wgd_address_monitor_get_addresses (d->addresses);

  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < all->len && ann->n_endpoints < WGD_ENDPOINTS_MAX; i++)
      {
        const WgdLocalAddress *a = &g_array_index (all, WgdLocalAddress, i);
        WgdEndpoint *ep;

        if ((pass == 0) != (a->family == 4) || !interface_allowed (d, a))
          continue;
        ep = &ann->endpoints[ann->n_endpoints++];
        ep->kind = WGD_ENDPOINT_HOST;
        ep->family = a->family;
        memcpy (ep->address, a->address, sizeof ep->address);
        ep->port = port;
      }
}

const Interface *
daemon_find_interface (const WgdDaemon *d, const gchar *name)
{
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);

      if (strcmp (iface->config->name, name) == 0)
        return iface;
    }
  return NULL;
}

/* Whether device has a peer that keys (the peers it had) does not. */
static gboolean
device_has_new_peer (const WgdDevice *device, GHashTable *keys)
{
  for (guint p = 0; p < device->peers->len; p++)
    {
      const WgdPeer *peer = g_ptr_array_index (device->peers, p);

      if (!g_hash_table_contains (keys, peer->public_key))
        return TRUE;
    }
  return FALSE;
}

/* What the device says of peer, into seen (its key already there). */
static void
peer_seen_set (PeerSeen *seen, const WgdPeer *peer)
{
  seen->endpoint = peer->endpoint;
  seen->last_handshake = peer->last_handshake_sec;
  seen->rx_bytes = peer->rx_bytes;
  seen->tx_bytes = peer->tx_bytes;
}

static GHashTable *
device_peer_keys (const WgdDevice *device)
{
  GHashTable *keys = g_hash_table_new_full (wgd_key_hash, wgd_key_equal, NULL, g_free);

  for (guint p = 0; p < device->peers->len; p++)
    {
      const WgdPeer *peer = g_ptr_array_index (device->peers, p);
      PeerSeen *seen = g_new0 (PeerSeen, 1);

      memcpy (seen->wg_key, peer->public_key, WGD_KEY_LEN);
      peer_seen_set (seen, peer);
      g_hash_table_insert (keys, seen->wg_key, seen);
    }
  return keys;
}

/* The device has the same peers as keys: their views are updated in
 * place (the read of a thousand peers every second while something
 * happens allocates nothing here, and leaves no holes in the heap
 * between what lives on), and listeners hear of the peers whose view
 * (endpoint, handshake, transfer) changed: only those. */
static void
daemon_update_seen (WgdDaemon *d, GHashTable *keys, const WgdDevice *device)
{
  for (guint p = 0; p < device->peers->len; p++)
    {
      const WgdPeer *peer = g_ptr_array_index (device->peers, p);
      PeerSeen *seen = g_hash_table_lookup (keys, peer->public_key);
      PeerSeen now;

      if (seen == NULL)
        continue;
      /* Copied whole, padding too: the comparison is of bytes. */
      memcpy (&now, seen, sizeof now);
      peer_seen_set (&now, peer);
      if (memcmp (&now, seen, sizeof now) != 0)
        {
          memcpy (seen, &now, sizeof now);
          daemon_schedule_notify_peer (d, seen->wg_key);
        }
    }
}

/* Its client asks again what to look up and follow on the server. */
static void
daemon_rendezvous_wants_changed (WgdDaemon *d)
{
  if (d->rendezvous != NULL)
    wgd_rendezvous_wants_changed (d->rendezvous);
}

/* Takes what a read of the interface found (device, or NULL and error),
 * saying each change once: not there (a typo looks just like an
 * interface still to come), found, gone, a key that is not ours.
 * Returns whether there is something to decide on again: the interface
 * is new, its port changed, or it has peers it did not have before. */
static gboolean
interface_update (WgdDaemon *d, Interface *iface, const WgdBackend *backend,
                  const WgdDevice *device, const GError *error)
{
  const gchar *name = iface->config->name;
  gboolean news;
  gboolean foreign_key;
  gboolean same;

  if (device == NULL)
    {
      if (iface->usable || iface->peer_keys != NULL || !iface->missing_logged)
        daemon_schedule_notify (d, TRUE, FALSE);
      if (iface->usable || iface->peer_keys != NULL)
        daemon_rendezvous_wants_changed (d);
      if (iface->usable)
        g_warning (_("%s: %s; waiting for it to come back"), name, error->message);
      else if (!iface->missing_logged)
        g_warning (_("%s: %s; its peers get their endpoints once it is there"), name,
                   error->message);
      iface->missing_logged = TRUE;
      iface->usable = FALSE;
      g_clear_pointer (&iface->peer_keys, g_hash_table_unref);
      return FALSE;
    }
  news = !iface->usable || iface->listen_port != device->listen_port
         || iface->peer_keys == NULL || device_has_new_peer (device, iface->peer_keys);
  /* Nothing but the peers' view changed: the listeners hear of those
   * peers only. */
  same = !news && iface->has_public_key == device->has_public_key
         && memcmp (iface->public_key, device->public_key, WGD_KEY_LEN) == 0
         && g_hash_table_size (iface->peer_keys) == device->peers->len;
  if (!iface->usable)
    g_message (g_dngettext (GETTEXT_PACKAGE,
                            "%s: WireGuard interface found (%s backend, port %u, %u peer)",
                            "%s: WireGuard interface found (%s backend, port %u, %u peers)",
                            device->peers->len), name,
               backend->name, device->listen_port, device->peers->len);
  iface->usable = TRUE;
  iface->missing_logged = FALSE;
  iface->listen_port = device->listen_port;
  iface->has_public_key = device->has_public_key;
  memcpy (iface->public_key, device->public_key, WGD_KEY_LEN);
  foreign_key = device->has_public_key
                && memcmp (device->public_key, d->wg_public, WGD_KEY_LEN) != 0;
  if (foreign_key && !iface->key_warned && iface->config->advertise)
    g_warning (_("%s: the interface's public key is not derived from this node's identity: "
                 "our record binds the identity to it, and peers accept that only once they "
                 "pin our signing key for it ([Peer] in their configuration; "
                 "'wgdiscoverctl wgkey' gives the derived key instead)"), name);
  iface->key_warned = foreign_key;
  if (same)
    daemon_update_seen (d, iface->peer_keys, device);
  else
    {
      g_clear_pointer (&iface->peer_keys, g_hash_table_unref);
      iface->peer_keys = device_peer_keys (device);
      daemon_schedule_notify (d, TRUE, FALSE);
      daemon_rendezvous_wants_changed (d);
    }
  return news;
}

static void daemon_schedule_redecide (WgdDaemon *d);

/* Reads the interface's device (NULL if it cannot be read, and said so
 * once) and takes note of what changed. */
static WgdDevice *
interface_read (WgdDaemon *d, Interface *iface)
{
  g_autoptr (GError) error = NULL;
  const WgdBackend *backend = wgd_backend_for (iface->config->name, &error);
  WgdDevice *device = backend != NULL ? backend->get (iface->config->name, &error) : NULL;

  if (interface_update (d, iface, backend, device, error))
    daemon_schedule_redecide (d);
  return device;
}

static void daemon_schedule_save (WgdDaemon *d);

/* Our own newest timestamp goes into the replay state, which is saved:
 * a daemon restarted within the same second must not sign a different
 * record with a timestamp its peers have already seen. */
static void
daemon_note_own_record (WgdDaemon *d, const WgdAnnouncement *ann)
{
  g_autoptr (GError) error = NULL;

  wgd_replay_state_accept (d->replay, ann);
  /* At once, not a second later: one small write per record we sign,
   * and no wake-up of its own. */
  if (!wgd_state_save_replay (d->config->state_directory, d->replay, &error))
    g_warning (_("saving state: %s"), error->message);
}

/* A record nobody could accept must not push our timestamps forward:
 * after the clock is set back, we sign with it again, and say so once. */
static guint64
daemon_next_timestamp (WgdDaemon *d)
{
  guint64 now = wgd_clock_now ();
  gboolean jumped;
  guint64 next = wgd_trust_next_own_timestamp (d->last_timestamp, now, &jumped);

  if (jumped)
    g_warning (_("our last record's timestamp lies %" PRIu64 " s ahead of the "
                 "clock, further than any peer accepts: the clock was fast and has been set "
                 "back; signing with the clock's time again"), d->last_timestamp - now);
  d->last_timestamp = next;
  return next;
}

/* The record for the rendezvous server: lan's fields, less the
 * addresses a stranger may not learn, plus the reflexive endpoint.
 * Signed before the LAN's record, so that its timestamp is the older:
 * a peer that gets both keeps the LAN's. */
static void
daemon_publish_rendezvous (WgdDaemon *d, Interface *iface, const WgdAnnouncement *lan)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (GError) error = NULL;

  if (d->rendezvous == NULL || iface->config->rendezvous == WGD_RENDEZVOUS_NEVER)
    return;
  *ann = *lan;
  wgd_rdv_filter_endpoints (ann, d->config->rendezvous_private_addresses);
  if (iface->has_reflexive)
    {
      WgdEndpoint *ep = &ann->endpoints[MIN (ann->n_endpoints, WGD_ENDPOINTS_MAX - 1)];

      ann->n_endpoints = MIN (ann->n_endpoints + 1, WGD_ENDPOINTS_MAX);
      ep->kind = WGD_ENDPOINT_REFLEXIVE;
      ep->family = iface->reflexive_family;
      memcpy (ep->address, iface->reflexive_address, sizeof ep->address);
      ep->port = iface->listen_port;
    }
  ann->timestamp = daemon_next_timestamp (d);
  if (!wgd_announcement_sign (ann, d->identity, &error))
    {
      g_warning (_("%s: cannot sign our announcement: %s"), iface->config->name, error->message);
      return;
    }
  daemon_note_own_record (d, ann);
  wgd_rendezvous_publish (d->rendezvous, iface->config->name, ann->record, ann->record_len);
}

static void
daemon_announce (WgdDaemon *d)
{
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      Interface *iface = &g_array_index (d->interfaces, Interface, i);
      g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
      g_autoptr (GError) error = NULL;

      wgd_device_free (interface_read (d, iface));
      if (d->paused || !iface->config->advertise || !iface->usable || iface->listen_port == 0)
        continue;
      /* The interface's own key: an existing setup keeps its keys, and
       * the record binds our identity to them. A mesh certificate names
       * the derived key (checked at start), so it goes with that. */
      if (iface->has_public_key
          && (iface->mesh_config == NULL || iface->mesh_config->certificate == NULL))
        memcpy (ann->wg_key, iface->public_key, WGD_KEY_LEN);
      else
        memcpy (ann->wg_key, d->wg_public, WGD_KEY_LEN);
      ann->lifetime = ANNOUNCE_LIFETIME;
      g_strlcpy (ann->name, d->node_name, sizeof ann->name);
      collect_endpoints (d, iface->listen_port, ann);
      if (iface->mesh_config != NULL && iface->mesh_config->certificate != NULL)
        {
          ann->has_certificate = TRUE;
          ann->certificate = *iface->mesh_config->certificate;
          ann->has_mesh = TRUE;
          memcpy (ann->mesh_key, iface->mesh_config->ca_key, WGD_KEY_LEN);
        }
      daemon_publish_rendezvous (d, iface, ann);
      ann->timestamp = daemon_next_timestamp (d);
      if (!wgd_announcement_sign (ann, d->identity, &error))
        {
          g_warning (_("%s: cannot sign our announcement: %s"), iface->config->name,
                     error->message);
          continue;
        }
      daemon_note_own_record (d, ann);
      wgd_mdns_publish (d->mdns, d->node_name, iface->listen_port,
                        ann->has_mesh ? iface->subtype : NULL, ann->record, ann->record_len,
                        ann->wg_key);
      /* Re-signing changes nothing the listeners see: only a new port
       * (Advertising) is told. */
      if (iface->announced_port != iface->listen_port)
        daemon_schedule_notify (d, TRUE, FALSE);
      iface->announced_port = iface->listen_port;
    }
}

static void daemon_look (WgdDaemon *d);

/* Re-signing is also when the interfaces are looked at without a reason:
 * a peer added to a running interface without a route to it is
 * announced by neither wireguard-go nor the kernel, and seen then (or
 * with the next record heard), at no wake-up of its own. */
static gboolean
announce_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;

  d->announce_source = 0;
  daemon_look (d);
  daemon_announce (d);
  d->announce_source = g_timeout_add_seconds (ANNOUNCE_LIFETIME / 2, announce_cb, d);
  return G_SOURCE_REMOVE;
}

/* Re-announce soon: address changes come in bursts. */
static void
daemon_schedule_announce (WgdDaemon *d)
{
  if (d->announce_source != 0)
    g_source_remove (d->announce_source);
  d->announce_source = g_timeout_add (200, announce_cb, d);
}

/* Interface name → the certificates of the peers its mesh added. */
static GHashTable *
daemon_get_mesh_members (WgdDaemon *d)
{
  GHashTable *members = wgd_state_mesh_members_new ();

  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);

      if (iface->mesh != NULL)
        g_hash_table_replace (members, g_strdup (iface->config->name),
                              wgd_mesh_get_members (iface->mesh));
    }
  return members;
}

static gboolean
save_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) members = daemon_get_mesh_members (d);

  d->save_source = 0;
  d->saved_at = g_get_monotonic_time ();
  if (!wgd_state_save_replay (d->config->state_directory, d->replay, &error)
      || !wgd_state_save_endpoints (d->config->state_directory, d->endpoints, &error)
      || !wgd_state_save_mesh_members (d->config->state_directory, members, &error))
    g_warning (_("saving state: %s"), error->message);
  return G_SOURCE_REMOVE;
}

static void
daemon_schedule_save (WgdDaemon *d)
{
  if (d->save_source == 0)
    d->save_source = daemon_add_batch (wgd_batch_wait_us (d->saved_at, g_get_monotonic_time (),
                                                          SAVE_GAP_US), save_cb, d);
}

/* The local subnets, for ranking LAN candidates. */
static GArray *
local_subnets (WgdDaemon *d)
{
  g_autoptr (GArray) all = wgd_address_monitor_get_addresses (d->addresses);
  GArray *subnets = g_array_new (FALSE, TRUE, sizeof (WgdPrefix));

  for (guint i = 0; i < all->len; i++)
    {
      const WgdLocalAddress *a = &g_array_index (all, WgdLocalAddress, i);
      WgdPrefix p = { .family = a->family, .length = a->prefix_length };

      memcpy (p.address, a->address, sizeof p.address);
      g_array_append_val (subnets, p);
    }
  return subnets;
}

/* Every interface's device as it is now, NULL where it cannot be read:
 * one read per decision, however many peers it concerns. An interface
 * that appeared, or has new peers, is decided on again soon. */
static GPtrArray *
daemon_read_devices (WgdDaemon *d)
{
  GPtrArray *devices = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_device_free);

  for (guint i = 0; i < d->interfaces->len; i++)
    g_ptr_array_add (devices, interface_read (d, &g_array_index (d->interfaces, Interface, i)));
  d->peers_read_at = g_get_monotonic_time ();
  return devices;
}

/* The interfaces' peers, read now if the last read is older than
 * PEER_READ_US. */
static void
daemon_refresh_peers (WgdDaemon *d)
{
  if (g_get_monotonic_time () - d->peers_read_at >= PEER_READ_US)
    g_ptr_array_unref (daemon_read_devices (d));
}

static gboolean
peer_read_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;

  d->peer_read_source = 0;
  /* New peers have the records kept for them heard again (redecide_cb). */
  g_ptr_array_unref (daemon_read_devices (d));
  return G_SOURCE_REMOVE;
}

/* A record went unplaced, judged by a read of up to PEER_READ_US ago:
 * a peer added since is seen by a read PEER_READ_US after that one. */
static void
daemon_schedule_peer_read (WgdDaemon *d)
{
  gint64 wait_us;

  if (d->peer_read_source != 0)
    return;
  wait_us = d->peers_read_at + PEER_READ_US - g_get_monotonic_time ();
  d->peer_read_source = g_timeout_add ((guint) (CLAMP (wait_us, 0, PEER_READ_US) / 1000),
                                       peer_read_cb, d);
}

/* Whether the interface has wg_key as a peer, at its last read. */
static gboolean
interface_has_peer (const Interface *iface, const guint8 *wg_key)
{
  if (!iface->usable || iface->peer_keys == NULL)
    return FALSE;
  return g_hash_table_contains (iface->peer_keys, wg_key);
}

/* What we wrote is what the interface has now, until its next read. */
static void
interface_note_endpoint (Interface *iface, const guint8 *wg_key, const WgdSockaddr *endpoint)
{
  PeerSeen *seen = iface->peer_keys ? g_hash_table_lookup (iface->peer_keys, wg_key) : NULL;

  if (seen != NULL)
    seen->endpoint = *endpoint;
}

/* The keepalive a peer of iface keeps: the interface's, else the one it
 * has (current: the device's view of it). */
static guint16
interface_keepalive (const Interface *iface, const WgdPeer *current)
{
  return iface->config->persistent_keepalive != 0 ? iface->config->persistent_keepalive
                                                  : current->persistent_keepalive;
}

/* The endpoint of a peer changed, by our write or WireGuard's roaming:
 * it is saved, restored after a restart, and shown. */
static void
daemon_note_endpoint (WgdDaemon *d, WgdPeerEntry *entry, const WgdSockaddr *endpoint)
{
  g_hash_table_replace (d->endpoints, g_bytes_new (entry->wg_key, WGD_KEY_LEN),
                        g_memdup2 (endpoint, sizeof *endpoint));
  daemon_schedule_notify_peer (d, entry->wg_key);
  daemon_schedule_notify (d, FALSE, TRUE);
  daemon_schedule_save (d);
}

/* WireGuard took the peer elsewhere by roaming, and a session holds
 * there: we follow, and say so once. One we know already (restored
 * from the state, or taken before) is followed quietly. */
static void
daemon_adopt_roamed (WgdDaemon *d, Interface *iface, WgdPeerEntry *entry, const gchar *key,
                     const WgdPeer *current, gint64 now)
{
  g_autoptr (GBytes) bytes = g_bytes_new (entry->wg_key, WGD_KEY_LEN);
  const WgdSockaddr *known = g_hash_table_lookup (d->endpoints, bytes);
  g_autofree gchar *from = NULL;
  g_autofree gchar *to = NULL;

  if (!wgd_peer_entry_adopt_roamed (entry, current, now)
      || (known != NULL && wgd_sockaddr_equal (known, &entry->applied_endpoint)))
    return;
  entry->applied_why = "roamed";
  from = known != NULL ? wgd_sockaddr_to_string (known) : g_strdup ("(none)");
  to = wgd_sockaddr_to_string (&entry->applied_endpoint);
  daemon_note_endpoint (d, entry, &entry->applied_endpoint);
  log_decision (key, NULL, entry->applied_why, G_LOG_LEVEL_MESSAGE,
                _("%s: peer %s (%s): endpoint %s -> %s (%s)"), iface->config->name,
                entry->name[0] ? entry->name : "unnamed", key, from, to, entry->applied_why);
}

/* Writes the chosen endpoint of one peer into every interface that has
 * it (endpoint mode: only peers that are already there). devices is
 * daemon_read_devices (). */
static void
daemon_apply_peer (WgdDaemon *d, WgdPeerEntry *entry, GPtrArray *devices)
{
  g_autoptr (GArray) subnets = NULL;
  g_autoptr (GArray) changes = g_array_new (FALSE, TRUE, sizeof (WgdPeerChange));
  g_autofree gchar *key = NULL;
  gint64 now = (gint64) wgd_clock_now ();

  if (d->paused)
    return;
  subnets = local_subnets (d);
  key = wgd_key_to_base64 (entry->wg_key);
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      Interface *iface = &g_array_index (d->interfaces, Interface, i);
      const WgdDevice *device = g_ptr_array_index (devices, i);
      g_autoptr (GError) error = NULL;
      WgdPeer *current;
      WgdSockaddr endpoint;
      const gchar *why = NULL;
      g_autofree gchar *from = NULL;
      g_autofree gchar *to = NULL;

      if (device == NULL)
        continue;
      current = wgd_device_find_peer (device, entry->wg_key);
      if (current == NULL)
        continue;
      wgd_peer_entry_check_trial (entry, current, now);
      if (d->dyndns != NULL)
        {
          wgd_dyndns_note_device_peer (d->dyndns, current);
          daemon_wake_before (d, wgd_dyndns_next_look (d->dyndns, current, now));
        }
      daemon_adopt_roamed (d, iface, entry, key, current, now);
      wgd_peer_entry_settle_roamed (entry, (const WgdPrefix *) subnets->data, subnets->len,
                                    current, now);
      daemon_wake_before (d, wgd_peer_entry_next_deadline (entry, current, now));
      if (!wgd_peer_entry_choose (entry, (const WgdPrefix *) subnets->data, subnets->len,
                                  current, now, &endpoint, &why)
          || daemon_punch_take (d->punch, iface, entry, &endpoint, current))
        continue;
      /* With the endpoint, a handshake at once: the peer's WireGuard
       * learns ours from it before any announcement of ours reaches it. */
      g_array_set_size (changes, 0);
      wgd_handshake_add_changes (changes, entry->wg_key, &endpoint,
                                 interface_keepalive (iface, current));
      from = wgd_sockaddr_to_string (&current->endpoint);
      to = wgd_sockaddr_to_string (&endpoint);
      if (!wgd_device_set_peers (iface->config->name, &g_array_index (changes, WgdPeerChange, 0),
                                 changes->len, &error))
        {
          log_decision (key, NULL, "write-failed", G_LOG_LEVEL_WARNING,
                        _("%s: peer %s (%s): cannot set endpoint %s: %s"), iface->config->name,
                        entry->name, key, to, error->message);
          continue;
        }
      wgd_peer_entry_applied (entry, &endpoint, current, now);
      /* A session was asked for: no answer to it fails the trial. */
      entry->applied_handshake = TRUE;
      entry->applied_why = why;
      daemon_wake_before (d, wgd_peer_entry_next_deadline (entry, current, now));
      interface_note_endpoint (iface, entry->wg_key, &endpoint);
      daemon_note_endpoint (d, entry, &endpoint);
      d->endpoint_changes++;
      log_decision (key, NULL, why, G_LOG_LEVEL_MESSAGE,
                    _("%s: peer %s (%s): endpoint %s -> %s (%s)"), iface->config->name,
                    entry->name[0] ? entry->name : "unnamed", key, from, to, why);
    }
}

static gboolean
is_power_of_ten (guint n)
{
  while (n != 0 && n % 10 == 0)
    n /= 10;
  return n == 1;
}

static void
daemon_count_rejection (WgdDaemon *d, WgdReason why)
{
  d->rejected++;
  if (why < WGD_REASON_COUNT)
    d->rejected_by_reason[why]++;
  daemon_schedule_notify (d, FALSE, TRUE);
}

static gboolean
log_window_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;

  d->log_window_source = 0;
  if (d->unlogged > 0)
    log_decision (NULL, "mdns", "flood", G_LOG_LEVEL_WARNING,
                  g_dngettext (GETTEXT_PACKAGE,
                               "%u more rejected announcement was not logged: too many at once",
                               "%u more rejected announcements were not logged: too many at once",
                               d->unlogged),
                  d->unlogged);
  d->unlogged = 0;
  d->log_budget = REJECTION_LINES_PER_WINDOW;
  return G_SOURCE_REMOVE;
}

/* Logs a rejection once per service, interface and reason, then counts;
 * within REJECTION_LINES_PER_WINDOW, the rest is summed up at the
 * window's end. Not
 * per address: mDNS does not tell who sent a record, and the address a
 * host name resolves to is the announcer's to choose, so it would let
 * one host blame, and use up the lines of, another. */
static void
daemon_log_rejection (WgdDaemon *d, const gchar *source, const gchar *peer_key,
                      const gchar *ifname, WgdReason why, const gchar *detail,
                      const gchar *service)
{
  const gchar *reason = wgd_reason_to_string (why);
  g_autofree gchar *id = g_strdup_printf ("%s %s %s", reason, ifname, service);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (d->logged, id));

  daemon_count_rejection (d, why);
  if (n < G_MAXUINT)
    n++;
  /* The first is logged and repeats summed up at 10, 100, 1000, …: a
   * flood shows, briefly. Past the budget, they are only counted. */
  if (is_power_of_ten (n) && d->log_budget == 0)
    d->unlogged++;
  else if (is_power_of_ten (n))
    {
      d->log_budget--;
      if (d->log_window_source == 0)
        d->log_window_source = g_timeout_add_seconds (REJECTION_WINDOW_SECONDS, log_window_cb, d);
      if (n == 1)
        log_decision (peer_key, source, reason, G_LOG_LEVEL_WARNING,
                      /* Translators: the third %s is the reason, a fixed English word
                         (bad-signature, expired, …) that stays as it is, as does the
                         detail after it: both are for searching the logs. */
                      _("rejected announcement '%s' on %s: %s: %s (repeats are not logged)"),
                      service, ifname, reason, detail);
      else
        log_decision (peer_key, source, reason, G_LOG_LEVEL_WARNING,
                      /* Translators: the last %s is the reason, a fixed English word
                         (bad-signature, expired, …) that stays as it is. */
                      g_dngettext (GETTEXT_PACKAGE,
                                   "%u announcement of '%s' on %s rejected so far: %s",
                                   "%u announcements of '%s' on %s rejected so far: %s", n),
                      n, service, ifname, reason);
    }
  /* Bounded: past that many, start over (and log anew). */
  if (g_hash_table_size (d->logged) >= LOGGED_REJECTIONS_MAX)
    g_hash_table_remove_all (d->logged);
  g_hash_table_replace (d->logged, g_steal_pointer (&id), GUINT_TO_POINTER (n));
}

/* Mesh mode: a peer certified by the interface's mesh CA is added with
 * its certificate's addresses (docs/trust-model.md §4) to each interface
 * whose mesh admitted it (see daemon_wants); its endpoint follows as in
 * endpoint mode. Returns whether a device changed. */
static gboolean
daemon_admit_mesh_peer (WgdDaemon *d, const WgdAnnouncement *ann, GPtrArray *devices,
                        const gboolean *admitted)
{
  g_autofree gchar *key = wgd_key_to_base64 (ann->wg_key);
  const gchar *name = ann->name[0] ? ann->name : "unnamed";
  gboolean changed = FALSE;

  if (d->paused)
    return FALSE;
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      Interface *iface = &g_array_index (d->interfaces, Interface, i);
      const WgdDevice *device = g_ptr_array_index (devices, i);
      g_autoptr (GError) error = NULL;
      g_autofree gchar *why = NULL;
      g_autoptr (GString) ips = g_string_new (NULL);
      WgdPeerChange change;
      WgdMeshAction action;

      if (!admitted[i])
        continue;
      action = wgd_mesh_plan_admit (iface->mesh, &ann->certificate, device, &change, &why);
      if (action == WGD_MESH_NOTHING)
        continue;
      if (action == WGD_MESH_REFUSE)
        {
          log_decision (key, "mdns", "address-conflict", G_LOG_LEVEL_WARNING,
                        _("%s: not adding peer %s (%s): %s"), iface->config->name, name, key, why);
          continue;
        }
      for (gsize p = 0; p < change.n_allowed_ips; p++)
        {
          g_autofree gchar *prefix = wgd_prefix_to_string (&change.allowed_ips[p]);

          g_string_append_printf (ips, "%s%s", p ? "," : "", prefix);
        }
      if (!wgd_device_set_peers (iface->config->name, &change, 1, &error))
        {
          log_decision (key, "mdns", "write-failed", G_LOG_LEVEL_WARNING,
                        _("%s: cannot add peer %s (%s): %s"), iface->config->name, name, key,
                        error->message);
          continue;
        }
      wgd_mesh_add_member (iface->mesh, &ann->certificate);
      daemon_wake_before (d, (gint64) MIN (ann->certificate.not_after, (guint64) G_MAXINT64 - 1)
                               + 1);
      changed = TRUE;
      daemon_schedule_save (d);
      log_decision (key, "mdns", "certified", G_LOG_LEVEL_MESSAGE,
                    action == WGD_MESH_ADD
                    /* Translators: allowed-ips is WireGuard's word (wg set … allowed-ips). */
                    ? _("%s: added peer %s (%s) with allowed-ips %s (certificate serial %"
                        PRIu64 ")")
                    : _("%s: updated peer %s (%s) with allowed-ips %s (certificate serial %"
                        PRIu64 ")"),
                    iface->config->name, name, key, ips->str, ann->certificate.serial);
    }
  return changed;
}

/* Whether a record claims a place in the interface's mesh: it names
 * the mesh, or carries a certificate of its CA. */
static gboolean
interface_claimed (const Interface *iface, const WgdAnnouncement *ann)
{
  const guint8 *ca = iface->mesh_config->ca_key;

  return (ann->has_mesh && memcmp (ann->mesh_key, ca, WGD_KEY_LEN) == 0)
         || (ann->has_certificate && memcmp (ann->certificate.ca_key, ca, WGD_KEY_LEN) == 0);
}

/* Whether an accepted record concerns us: its key is a peer of one of
 * our interfaces (at their last read), or a mesh one of them is in
 * admits it (admitted[i] says which; freshness and replay were judged
 * already, this is the binding). A claim on a mesh that the mesh refuses is logged here, and
 * *refused set. A stranger's record, however valid, leaves no state
 * behind, so a LAN full of them costs nothing. */
static gboolean
daemon_wants (WgdDaemon *d, const WgdAnnouncement *ann,
              const gchar *source, const gchar *ifname, const gchar *service,
              gboolean *admitted, gboolean *refused)
{
  gboolean wanted = FALSE;

  *refused = FALSE;
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);
      WgdTrustContext ctx = { .mode = WGD_MODE_MESH, .now = wgd_clock_now () };
      WgdVerdict v;

      if (!iface->usable || iface->peer_keys == NULL)
        continue;
      if (interface_has_peer (iface, ann->wg_key))
        wanted = TRUE;
      if (iface->mesh == NULL || !interface_claimed (iface, ann))
        continue;
      memcpy (ctx.mesh_key, iface->mesh_config->ca_key, WGD_KEY_LEN);
      wgd_trust_check (d->store, NULL, &ctx, ann, &v);
      admitted[i] = v.accepted;
      if (v.accepted)
        wanted = TRUE;
      else
        {
          g_autofree gchar *key = wgd_key_to_base64 (ann->wg_key);

          daemon_log_rejection (d, source, key, ifname, v.reason, v.detail, service);
          *refused = TRUE;
        }
    }
  return wanted;
}

/* Mesh mode: peers we added whose certificate expired or was revoked go. */
static void
daemon_expire_mesh_peers (WgdDaemon *d)
{
  guint64 now = wgd_clock_now ();

  for (guint i = 0; i < d->interfaces->len; i++)
    {
      Interface *iface = &g_array_index (d->interfaces, Interface, i);
      g_autoptr (WgdDevice) device = NULL;
      g_autoptr (GArray) removals = NULL;

      if (iface->mesh == NULL || !iface->usable
          || (device = wgd_device_get (iface->config->name, NULL)) == NULL)
        continue;
      removals = wgd_mesh_plan_removals (iface->mesh, d->store, device, now);
      for (guint r = 0; r < removals->len; r++)
        {
          const WgdMeshRemoval *rm = &g_array_index (removals, WgdMeshRemoval, r);
          WgdPeerChange change = { .flags = WGD_PEER_REMOVE };
          g_autofree gchar *key = wgd_key_to_base64 (rm->wg_key);
          const gchar *reason = wgd_reason_to_string (rm->reason);
          g_autoptr (GError) error = NULL;

          if (rm->gone)
            {
              g_info ("%s: peer %s (%s) was removed by someone else; no longer ours to manage",
                      iface->config->name, rm->name, key);
              wgd_mesh_remove_member (iface->mesh, rm->wg_key);
              continue;
            }
          memcpy (change.public_key, rm->wg_key, WGD_KEY_LEN);
          if (!wgd_device_set_peers (iface->config->name, &change, 1, &error))
            {
              log_decision (key, NULL, "write-failed", G_LOG_LEVEL_WARNING,
                            _("%s: cannot remove peer %s (%s): %s"), iface->config->name, rm->name,
                            key, error->message);
              continue;
            }
          wgd_mesh_remove_member (iface->mesh, rm->wg_key);
          log_decision (key, NULL, reason, G_LOG_LEVEL_MESSAGE,
                        /* Translators: the last %s is a fixed English word, expired or
                           revoked, the reason logged with it; it stays as it is. */
                        _("%s: removed peer %s (%s): its certificate is %s"), iface->config->name,
                        rm->name, key, reason);
        }
      if (removals->len > 0)
        daemon_schedule_save (d);
    }
}

/* A record of a key that is no peer of any interface yet, as it was
 * heard: valid, or not checked because its pub= named no peer; decided
 * on again when an interface appears or gains peers, so that they need
 * not wait for the next announcement. At most UNPLACED_MAX are kept
 * (as many as mdns.c watches services), each the newest of its
 * service. */
typedef struct {
  guint8 record[WGD_RECORD_MAX];
  gsize len;
  gboolean has_hint;
  guint8 hint[WGD_KEY_LEN];     /* its pub= */
  gchar *service;
  guint32 ifindex;
  gchar *ifname;
} Heard;

static void
heard_free (Heard *heard)
{
  g_free (heard->service);
  g_free (heard->ifname);
  g_free (heard);
}

static gchar *
unplaced_key (const WgdMdnsOrigin *origin)
{
  return g_strdup_printf ("%u %s", origin->ifindex, origin->service);
}

/* A service whose record was taken: an older one kept for it would only
 * be refused as replayed when heard again. */
static void
daemon_forget_unplaced (WgdDaemon *d, const WgdMdnsOrigin *origin)
{
  g_autofree gchar *key = unplaced_key (origin);

  g_hash_table_remove (d->unplaced, key);
}

static void
daemon_keep_unplaced (WgdDaemon *d, const guint8 *record, gsize len, const guint8 *hint,
                      const WgdMdnsOrigin *origin)
{
  Heard *heard;
  GHashTableIter iter;

  if (len > WGD_RECORD_MAX)
    return;
  if (g_hash_table_size (d->unplaced) >= UNPLACED_MAX)
    {
      g_hash_table_iter_init (&iter, d->unplaced);
      if (g_hash_table_iter_next (&iter, NULL, NULL))
        g_hash_table_iter_remove (&iter);
    }
  heard = g_new0 (Heard, 1);
  memcpy (heard->record, record, len);
  heard->len = len;
  heard->has_hint = hint != NULL;
  if (hint != NULL)
    memcpy (heard->hint, hint, WGD_KEY_LEN);
  heard->service = g_strdup (origin->service);
  heard->ifindex = origin->ifindex;
  heard->ifname = g_strdup (origin->ifname);
  g_hash_table_replace (d->unplaced, unplaced_key (origin), heard);
}

/* An accepted record waiting to be acted on: its peer's endpoint (and,
 * in mesh mode, the peer itself) goes into WireGuard only once the
 * record's timestamp is on disk. */
typedef struct {
  WgdAnnouncement *ann;
  gboolean *admitted;           /* per interface: its mesh admitted the record */
} Action;

static void
action_free (Action *action)
{
  wgd_announcement_free (action->ann);
  g_free (action->admitted);
  g_free (action);
}

/* Saves the replay state now, then acts on every record accepted since
 * the last time: many records accepted at once cost one write. If the
 * state cannot be written (a full or read-only disk), acting anyway is
 * no worse than waiting: the state on disk is then stale for every key,
 * not only for these records. */
static void
daemon_act (WgdDaemon *d)
{
  g_autoptr (GPtrArray) actions = g_steal_pointer (&d->actions);
  g_autoptr (GHashTable) applied = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                          (GDestroyNotify) g_bytes_unref, NULL);
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GError) error = NULL;

  d->actions = g_ptr_array_new_with_free_func ((GDestroyNotify) action_free);
  if (d->act_source != 0)
    g_source_remove (d->act_source);
  d->act_source = 0;
  if (actions->len == 0)
    return;
  d->acted_at = g_get_monotonic_time ();
  if (!wgd_state_save_replay (d->config->state_directory, d->replay, &error))
    g_warning (g_dngettext (GETTEXT_PACKAGE,
                            "saving the replay state before acting on %u record: %s",
                            "saving the replay state before acting on %u records: %s",
                            actions->len), actions->len,
               error->message);
  devices = daemon_read_devices (d);
  for (guint i = 0; i < actions->len; i++)
    {
      const Action *action = g_ptr_array_index (actions, i);

      if (daemon_admit_mesh_peer (d, action->ann, devices, action->admitted))
        {
          g_ptr_array_unref (devices);
          devices = daemon_read_devices (d);
        }
    }
  for (guint i = 0; i < actions->len; i++)
    {
      const Action *action = g_ptr_array_index (actions, i);
      g_autoptr (GBytes) key = g_bytes_new (action->ann->wg_key, WGD_KEY_LEN);
      WgdPeerEntry *entry = wgd_peer_table_lookup (d->peers, action->ann->wg_key);

      /* Heard twice (IPv4 and IPv6): one peer, applied once. */
      if (entry == NULL || g_hash_table_contains (applied, key))
        continue;
      g_hash_table_add (applied, g_steal_pointer (&key));
      daemon_apply_peer (d, entry, devices);
    }
  /* The replay state is saved; what acting changed schedules its save. */
}

static gboolean
act_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;

  d->act_source = 0;
  daemon_act (d);
  return G_SOURCE_REMOVE;
}

/* Queues an accepted record (ann is taken) to be acted on in the main
 * loop's next round, or ACT_GAP_US after the last batch: the records of
 * one burst are one batch. At default priority, not idle: a LAN busy
 * enough never leaves the loop idle. */
static void
daemon_queue_action (WgdDaemon *d, WgdAnnouncement *ann, const gboolean *admitted)
{
  Action *action = g_new0 (Action, 1);

  action->ann = ann;
  action->admitted = g_memdup2 (admitted, sizeof (gboolean) * d->interfaces->len);
  g_ptr_array_add (d->actions, action);
  if (d->act_source == 0)
    d->act_source = daemon_add_batch (wgd_batch_wait_us (d->acted_at, g_get_monotonic_time (),
                                                         ACT_GAP_US), act_cb, d);
}

/* At default priority, not idle: a LAN busy enough never leaves the
 * loop idle. */
guint
daemon_add_batch (gint64 wait_us, GSourceFunc func, gpointer data)
{
  if (wait_us == 0)
    return g_idle_add_full (G_PRIORITY_DEFAULT, func, data, NULL);
  return g_timeout_add ((guint) (wait_us / 1000) + 1, func, data);
}

gboolean
daemon_is_endpoint_peer (const WgdDaemon *d, const guint8 *wg_key)
{
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);

      if (iface->config->mode == WGD_MODE_ENDPOINT && iface->usable && iface->peer_keys != NULL
          && g_hash_table_contains (iface->peer_keys, wg_key))
        return TRUE;
    }
  return FALSE;
}

/* A valid record whose only fault is that nothing binds its keys (no
 * certificate either), for a peer of an endpoint-mode interface that no
 * one speaks for yet (no pin, no accepted record): the peer is pending
 * (docs/trust-model.md, Pairing) and nothing else changes. Returns
 * whether it was taken as such; if not, it stays a no-binding
 * rejection, and v's detail says why when a decision refused it. */
static gboolean
daemon_offer_pending (WgdDaemon *d, const WgdAnnouncement *ann, const WgdMdnsOrigin *origin,
                      WgdVerdict *v)
{
  g_autofree gchar *key = NULL;
  const WgdPendingPeer *peer;

  if (ann->has_certificate || !daemon_is_endpoint_peer (d, ann->wg_key)
      || wgd_trust_store_has_pin (d->store, ann->wg_key)
      || wgd_peer_table_lookup (d->peers, ann->wg_key) != NULL)
    return FALSE;
  key = wgd_key_to_base64 (ann->wg_key);
  switch (wgd_pairing_offer (d->pairing, ann, origin->service, origin->ifindex, origin->ifname,
                             (gint64) wgd_clock_now ()))
    {
    case WGD_PAIRING_REJECTED:
      g_strlcpy (v->detail, "this signing key was rejected for this WireGuard key (RejectPeer)",
                 sizeof v->detail);
      return FALSE;
    case WGD_PAIRING_FULL:
      if (!d->pending_full_logged)
        log_decision (key, "mdns", "pending-full", G_LOG_LEVEL_WARNING,
                      _("peer %s (%s) cannot be pending: %u peers are pending already, as many "
                        "as wgdiscoverd keeps; approve or reject some"),
                      ann->name[0] ? ann->name : "unnamed", key, WGD_PAIRING_PENDING_MAX);
      d->pending_full_logged = TRUE;
      return FALSE;
    case WGD_PAIRING_STALE:
      return TRUE;
    case WGD_PAIRING_REFRESHED:
      daemon_schedule_notify (d, TRUE, FALSE);
      daemon_wake_before (d, (gint64) wgd_pairing_lookup (d->pairing, ann->wg_key)->expires);
      return TRUE;
    case WGD_PAIRING_ADDED:
    case WGD_PAIRING_REPLACED:
      break;
    }
  peer = wgd_pairing_lookup (d->pairing, ann->wg_key);
  daemon_wake_before (d, (gint64) peer->expires);
  log_decision (key, "mdns", "pending", G_LOG_LEVEL_MESSAGE,
                /* Translators: ApprovePeer and RejectPeer are D-Bus methods. */
                _("peer %s (%s) is pending: its signing key's fingerprint is %s; approve it only "
                  "if its own node shows the same (ApprovePeer), else reject it (RejectPeer)"),
                ann->name[0] ? ann->name : "unnamed", key, peer->fingerprint);
  daemon_schedule_notify (d, TRUE, FALSE);
  return TRUE;
}

/* Whether a record whose pub= names hint may concern us, judged
 * without checking a signature or reading a device: hint is a peer of
 * an interface (at their last read) or our own key, or the record
 * claims a place in the mesh of a mesh-mode interface (which admits
 * certified strangers), or it cannot be decoded (to be refused as such). */
static gboolean
daemon_may_want (WgdDaemon *d, const guint8 *hint, const guint8 *record, gsize len)
{
  g_autoptr (WgdAnnouncement) ann = NULL;
  gboolean meshes = FALSE;

  if (memcmp (hint, d->wg_public, WGD_KEY_LEN) == 0)
    return TRUE;
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);

      if (interface_has_peer (iface, hint)
          || (iface->has_public_key && memcmp (hint, iface->public_key, WGD_KEY_LEN) == 0))
        return TRUE;
      meshes |= iface->mesh != NULL;
    }
  if (!meshes)
    return FALSE;
  ann = wgd_announcement_new ();
  if (!wgd_announcement_decode (ann, record, len, NULL))
    return TRUE;
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);

      if (iface->mesh != NULL && interface_claimed (iface, ann))
        return TRUE;
    }
  return FALSE;
}

/* A record for no peer here, valid or not checked (unchecked: its
 * pub= names no peer): counted once, kept in case its key becomes a
 * peer, and followed while there is room. */
static WgdMdnsInterest
daemon_take_stranger (WgdDaemon *d, const guint8 *record, gsize len, const guint8 *hint,
                      const WgdMdnsOrigin *origin, WgdCandidateSource source, gboolean kept,
                      const gchar *name, const gchar *key)
{
  if (!kept)
    {
      g_debug ("not a peer here: %s (%s), service '%s' on %s", name, key, origin->service,
               origin->ifname);
      d->strangers++;
      daemon_schedule_notify (d, FALSE, TRUE);
    }
  if (source == WGD_SOURCE_MDNS)
    {
      daemon_keep_unplaced (d, record, len, hint, origin);
      daemon_schedule_peer_read (d);
    }
  return WGD_MDNS_FOLLOW_IF_ROOM;
}

/* Judges a record heard on the LAN (with its pub=, NULL if none) or
 * fetched from the rendezvous server (source), or, again (kept is
 * TRUE), one kept for no interface: what was counted and logged when it
 * came is not counted again, and one that aged out meanwhile goes
 * quietly. A pub= that names no peer is taken at its word: the record
 * is a stranger's, and no signature is checked. */
static WgdMdnsInterest
daemon_take_record (WgdDaemon *d, const guint8 *record, gsize len, const guint8 *hint,
                    const WgdMdnsOrigin *origin, WgdCandidateSource source, gboolean kept)
{
  const gchar *source_name = wgd_candidate_source_to_string (source);
  g_autoptr (WgdAnnouncement) ann = NULL;
  g_autofree gboolean *admitted = NULL;
  WgdVerdict v;
  WgdTrustContext ctx = { .mode = WGD_MODE_ENDPOINT, .now = wgd_clock_now () };
  g_autofree gchar *key = NULL;
  WgdPeerEntry *entry;
  gboolean wanted, refused;

  if (hint != NULL && !daemon_may_want (d, hint, record, len))
    {
      key = wgd_key_to_base64 (hint);
      return daemon_take_stranger (d, record, len, hint, origin, source, kept, "unchecked", key);
    }
  ann = wgd_announcement_new ();
  admitted = g_new0 (gboolean, d->interfaces->len);
  wgd_trust_check_record (d->store, d->replay, &ctx, record, len, ann, &v);
  if (hint != NULL)
    wgd_txt_check_hint (hint, ann, &v);
  key = wgd_key_to_base64 (ann->wg_key);
  /* Our own record, heard back (another interface, a previous run):
   * signed by us (no-binding comes after the signature is checked), and
   * for a key of our own binding nobody needs to accept here. */
  if ((v.accepted || v.reason == WGD_REASON_NO_BINDING)
      && memcmp (ann->signing_key, d->identity->public_key, WGD_KEY_LEN) == 0)
    return WGD_MDNS_IGNORE;
  if (!v.accepted && v.reason == WGD_REASON_NO_BINDING && daemon_offer_pending (d, ann, origin, &v))
    {
      /* Not accepted, so counted as refused, but without a warning:
       * the line that it is pending says what to do. */
      if (!kept)
        daemon_count_rejection (d, v.reason);
      return WGD_MDNS_FOLLOW;
    }
  /* The server keeps a record older than the one the LAN gave us (ours
   * for it is signed first): nothing to say. */
  if (!v.accepted && source == WGD_SOURCE_RENDEZVOUS && v.reason == WGD_REASON_REPLAYED)
    return WGD_MDNS_IGNORE;
  if (!v.accepted)
    {
      if (!kept)
        daemon_log_rejection (d, source_name, key, origin->ifname, v.reason, v.detail,
                              origin->service);
      return WGD_MDNS_IGNORE;
    }
  daemon_refresh_peers (d);
  wanted = daemon_wants (d, ann, source_name, origin->ifname, origin->service, admitted,
                         &refused);
  if (!wanted && refused)
    return WGD_MDNS_FOLLOW_IF_ROOM;
  if (!wanted)
    return daemon_take_stranger (d, record, len, hint, origin, source, kept,
                                 ann->name[0] ? ann->name : "unnamed", key);
  /* Already known, too: its signature verified now if the replay state
   * was read back from disk, which spares it the next time. */
  wgd_replay_state_accept (d->replay, ann);
  daemon_forget_unplaced (d, origin);
  /* Someone speaks for the key now: it waits for nobody. */
  wgd_pending_peer_free (wgd_pairing_steal (d->pairing, ann->wg_key));
  entry = wgd_peer_table_lookup (d->peers, ann->wg_key);
  /* Heard again (another protocol or interface): the announcement was
   * accepted and counted once, and nothing the listeners see changes
   * (no signal on D-Bus, no wake-up of the bus's thread). After a
   * restart the table is empty and the record still news to it. */
  if (v.already_known && entry != NULL)
    return WGD_MDNS_FOLLOW;
  d->accepted++;
  daemon_schedule_notify_peer (d, ann->wg_key);
  daemon_schedule_notify (d, FALSE, TRUE);
  if (entry == NULL)
    log_decision (key, source_name, wgd_binding_to_string (v.binding), G_LOG_LEVEL_MESSAGE,
                  /* Translators: the binding (derived, certificate, pinned) stays in
                     English, as in the logs' fields. */
                  _("found peer %s (%s) in service '%s' on %s, binding %s"),
                  ann->name[0] ? ann->name : "unnamed", key, origin->service, origin->ifname,
                  wgd_binding_to_string (v.binding));
  wgd_peer_table_update (d->peers, ann, v.binding, source, origin->ifindex,
                         (gint64) ctx.now);
  /* Found on the LAN (or its LAN endpoints gone): Rendezvous=fallback. */
  if (source == WGD_SOURCE_MDNS)
    daemon_rendezvous_wants_changed (d);
  daemon_queue_action (d, g_steal_pointer (&ann), admitted);
  return WGD_MDNS_FOLLOW;
}

/* Pending peers go when their record expires or their key is no
 * longer a peer of an endpoint-mode interface. */
static void
daemon_expire_pending (WgdDaemon *d)
{
  g_autoptr (GPtrArray) pending = NULL;
  g_autoptr (GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  guint expired = wgd_pairing_expire (d->pairing, wgd_clock_now ());

  pending = wgd_pairing_get_pending (d->pairing);
  for (guint i = 0; i < pending->len; i++)
    {
      const WgdPendingPeer *peer = g_ptr_array_index (pending, i);

      if (!daemon_is_endpoint_peer (d, peer->wg_key))
        g_ptr_array_add (gone, g_memdup2 (peer->wg_key, WGD_KEY_LEN));
    }
  for (guint i = 0; i < gone->len; i++)
    wgd_pending_peer_free (wgd_pairing_steal (d->pairing, g_ptr_array_index (gone, i)));
  if (pending->len - gone->len < WGD_PAIRING_PENDING_MAX)
    d->pending_full_logged = FALSE;
  if (expired > 0 || gone->len > 0)
    daemon_schedule_notify (d, TRUE, FALSE);
}

/* Takes a pending peer's record (taken out of the pending ones) again,
 * through the normal path: after an approval, or a reload that pinned
 * its key. */
static void
daemon_take_pending_record (WgdDaemon *d, const WgdPendingPeer *peer)
{
  WgdMdnsOrigin origin = { .service = peer->service, .ifindex = peer->ifindex,
                           .ifname = peer->ifname };

  daemon_take_record (d, peer->record, peer->record_len, NULL, &origin, WGD_SOURCE_MDNS, TRUE);
  daemon_schedule_notify (d, TRUE, TRUE);
}

static void
approval_pin (const guint8 wg_key[WGD_KEY_LEN], const guint8 signing_key[WGD_KEY_LEN],
              gpointer user_data)
{
  WgdTrustStore *store = user_data;

  /* A pin of the configuration is the administrator's word too, and
   * the later one. */
  if (!wgd_trust_store_has_pin (store, wg_key))
    wgd_trust_store_add_pin (store, wg_key, signing_key);
}

/* A new trust store from the configuration, with the approvals' pins. */
static WgdTrustStore *
daemon_trust_store_new (WgdDaemon *d, const WgdConfig *config)
{
  WgdTrustStore *store = wgd_config_trust_store_new (config);

  wgd_pairing_foreach_approval (d->pairing, approval_pin, store);
  return store;
}

static WgdMdnsInterest
on_record (const guint8 *record, gsize len, const guint8 *hint, const WgdMdnsOrigin *origin,
           gpointer user_data)
{
  return daemon_take_record (user_data, record, len, hint, origin, WGD_SOURCE_MDNS, FALSE);
}

static void
on_rendezvous_record (const guint8 *record, gsize len, gpointer user_data)
{
  WgdDaemon *d = user_data;
  WgdMdnsOrigin origin = { .service = wgd_rendezvous_get_url (d->rendezvous),
                           .ifname = "rendezvous" };

  daemon_take_record (d, record, len, NULL, &origin, WGD_SOURCE_RENDEZVOUS, FALSE);
}

/* Whether the server's records gave the peer an endpoint. */
static gboolean
on_rendezvous_usable (const guint8 key[WGD_KEY_LEN], gpointer user_data)
{
  WgdDaemon *d = user_data;
  WgdPeerEntry *entry = wgd_peer_table_lookup (d->peers, key);

  for (guint c = 0; entry != NULL && c < entry->candidates->len; c++)
    if (g_array_index (entry->candidates, WgdCandidate, c).source == WGD_SOURCE_RENDEZVOUS)
      return TRUE;
  return FALSE;
}

static void
on_rendezvous_reflexive (const gchar *ifname, guint8 family, const guint8 address[16],
                         gpointer user_data)
{
  WgdDaemon *d = user_data;
  Interface *iface = (Interface *) daemon_find_interface (d, ifname);
  g_autoptr (GInetAddress) inet = NULL;
  g_autofree gchar *text = NULL;

  if (iface == NULL
      || (iface->has_reflexive && iface->reflexive_family == family
          && memcmp (iface->reflexive_address, address, 16) == 0))
    return;
  iface->has_reflexive = TRUE;
  iface->reflexive_family = family;
  memcpy (iface->reflexive_address, address, 16);
  inet = g_inet_address_new_from_bytes (address, family == 4 ? G_SOCKET_FAMILY_IPV4
                                                             : G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (inet);
  log_decision (NULL, "rendezvous", "reflexive", G_LOG_LEVEL_MESSAGE,
                _("%s: the rendezvous server sees us at %s: announcing it with port %u"),
                ifname, text, iface->listen_port);
  daemon_schedule_announce (d);
}

/* Which peers the rendezvous client looks up: those of endpoint-mode
 * interfaces that use it, with whether mDNS has them now. */
static void
on_rendezvous_want (WgdRdvSchedule *schedule, gint64 now_ms, gpointer user_data)
{
  WgdDaemon *d = user_data;

  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);
      GHashTableIter iter;
      const guint8 *k;

      if (iface->config->mode != WGD_MODE_ENDPOINT || !iface->usable
          || iface->peer_keys == NULL || iface->config->rendezvous == WGD_RENDEZVOUS_NEVER)
        continue;
      g_hash_table_iter_init (&iter, iface->peer_keys);
      while (g_hash_table_iter_next (&iter, (gpointer *) &k, NULL))
        {
          WgdPeerEntry *entry = wgd_peer_table_lookup (d->peers, k);
          gboolean on_lan = FALSE;

          for (guint c = 0; entry != NULL && c < entry->candidates->len; c++)
            on_lan |= g_array_index (entry->candidates, WgdCandidate, c).source
                      == WGD_SOURCE_MDNS;
          wgd_rdv_schedule_want (schedule, k, iface->config->rendezvous, on_lan, now_ms);
        }
    }
}

/* Which meshes the rendezvous client follows: those of mesh-mode
 * interfaces that use it and hold a certificate (the proof of
 * membership is made with it). */
static void
on_rendezvous_meshes (WgdRendezvous *rdv, gpointer user_data)
{
  WgdDaemon *d = user_data;

  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);

      if (iface->mesh_config != NULL && iface->mesh_config->certificate != NULL
          && iface->config->rendezvous != WGD_RENDEZVOUS_NEVER)
        wgd_rendezvous_follow_mesh (rdv, iface->config->name, iface->mesh_config->ca_key,
                                    d->identity, iface->mesh_config->certificate);
    }
}

static void
on_rendezvous_state (gpointer user_data)
{
  daemon_schedule_notify (user_data, FALSE, TRUE);
}

static const WgdRendezvousCallbacks rendezvous_callbacks = {
  .record = on_rendezvous_record,
  .usable = on_rendezvous_usable,
  .reflexive = on_rendezvous_reflexive,
  .want = on_rendezvous_want,
  .meshes = on_rendezvous_meshes,
  .state_changed = on_rendezvous_state,
};

/* The client follows RendezvousURL=: none without it, a new one when it changes. */
static void
daemon_setup_rendezvous (WgdDaemon *d, const WgdConfig *old)
{
  if (old != NULL && (old->rendezvous_urls == NULL) == (d->config->rendezvous_urls == NULL)
      && (old->rendezvous_urls == NULL
          || g_strv_equal ((const gchar *const *) old->rendezvous_urls,
                           (const gchar *const *) d->config->rendezvous_urls)))
    return;
  g_clear_pointer (&d->rendezvous, wgd_rendezvous_free);
  if (d->config->rendezvous_urls != NULL)
    d->rendezvous = wgd_rendezvous_new ((const gchar *const *) d->config->rendezvous_urls,
                                        &rendezvous_callbacks, d);
  daemon_schedule_notify (d, FALSE, TRUE);
}

static void
on_unanswered (guint count, guint window_s, gpointer user_data)
{
  log_decision (NULL, "mdns", "no-answer", G_LOG_LEVEL_WARNING,
                g_dngettext (GETTEXT_PACKAGE,
                             "%u service announced on the LAN did not answer in the last %d s",
                             "%u services announced on the LAN did not answer in the last %d s",
                             count),
                count, (int) window_s);
}

static void
on_bad_txt (const GError *error, const WgdMdnsOrigin *origin, gpointer user_data)
{
  WgdDaemon *d = user_data;

  daemon_log_rejection (d, "mdns", NULL, origin->ifname,
                        g_error_matches (error, WGD_ERROR, WGD_ERROR_TOO_LARGE)
                        ? WGD_REASON_TOO_LARGE : WGD_REASON_MALFORMED,
                        error->message, origin->service);
}

/* After our addresses moved, every peer we have a session with gets a
 * packet from where we are now, so that its WireGuard roams to us at
 * once; the re-signed record follows for everyone else. */
static gboolean
shake_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;
  gint64 now = (gint64) wgd_clock_now ();

  d->shake_source = 0;
  for (guint i = 0; i < d->interfaces->len && !d->paused; i++)
    {
      Interface *iface = &g_array_index (d->interfaces, Interface, i);
      g_autoptr (WgdDevice) device = NULL;
      g_autoptr (GArray) changes = g_array_new (FALSE, TRUE, sizeof (WgdPeerChange));
      g_autoptr (GError) error = NULL;
      guint told = 0;

      if (!iface->usable || (device = wgd_device_get (iface->config->name, NULL)) == NULL)
        continue;
      for (guint j = 0; j < device->peers->len; j++)
        {
          const WgdPeer *peer = g_ptr_array_index (device->peers, j);

          if (!wgd_handshake_wanted_after_move (peer, now))
            continue;
          /* Its endpoint written again, unchanged: that makes WireGuard
           * forget the source address it sent from, which may be gone
           * (wireguard-go only does so itself when the route's interface
           * changes, device/sticky_linux.go). */
          wgd_handshake_add_changes (changes, peer->public_key, &peer->endpoint,
                                     interface_keepalive (iface, peer));
          told++;
        }
      if (told == 0)
        continue;
      if (wgd_device_set_peers (iface->config->name, &g_array_index (changes, WgdPeerChange, 0),
                                changes->len, &error))
        g_info ("%s: our addresses changed: %u peers with a session told at once",
                iface->config->name, told);
      else
        g_warning (_("%s: cannot tell the peers that our addresses changed: %s"),
                   iface->config->name, error->message);
    }
  return G_SOURCE_REMOVE;
}

/* Names may resolve to other addresses from the new network (a VPN's
 * DNS, a split horizon), and resolv.conf may have changed with it. */
static gboolean
network_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;

  d->network_source = 0;
  wgd_dyndns_network_changed (d->dyndns);
  return G_SOURCE_REMOVE;
}

static void
on_address (WgdAddressMonitor *monitor, WgdAddressEvent event, const WgdLocalAddress *address,
            gpointer user_data)
{
  WgdDaemon *d = user_data;

  daemon_schedule_announce (d);
  /* A burst of changes read at once is told once, from where it ends. */
  if (d->dyndns != NULL && d->network_source == 0)
    d->network_source = g_idle_add (network_cb, d);
  if (event == WGD_ADDRESS_ADDED && d->shake_source == 0)
    d->shake_source = g_idle_add (shake_cb, d);
}

/* The earliest moment something must happen for a pending peer or a
 * mesh member: a record's or a certificate's expiry. */
static gint64
daemon_next_expiry (WgdDaemon *d, gint64 now)
{
  g_autoptr (GPtrArray) pending = wgd_pairing_get_pending (d->pairing);
  gint64 next = G_MAXINT64;

  for (guint i = 0; i < pending->len; i++)
    {
      const WgdPendingPeer *peer = g_ptr_array_index (pending, i);

      if ((gint64) peer->expires > now)
        next = MIN (next, (gint64) peer->expires);
    }
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);
      g_autoptr (GPtrArray) members = NULL;

      if (iface->mesh == NULL)
        continue;
      members = wgd_mesh_get_members (iface->mesh);
      for (guint m = 0; m < members->len; m++)
        {
          const WgdCertificate *cert = g_ptr_array_index (members, m);

          /* Expired once the clock is past not_after. */
          if ((gint64) cert->not_after >= now && cert->not_after < (guint64) G_MAXINT64)
            next = MIN (next, (gint64) cert->not_after + 1);
        }
    }
  return next;
}

/* Everything that is due: expiry, trials, the interfaces' view; then
 * the timer is set for what is due next. */
static void
daemon_look (WgdDaemon *d)
{
  g_autoptr (GPtrArray) peers = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  gint64 now = (gint64) wgd_clock_now ();

  if (wgd_peer_table_expire (d->peers, now) > 0)
    {
      daemon_schedule_notify (d, TRUE, FALSE);
      daemon_rendezvous_wants_changed (d);
    }
  daemon_expire_mesh_peers (d);
  daemon_expire_pending (d);
  peers = wgd_peer_table_get_peers (d->peers);
  devices = daemon_read_devices (d);
  for (guint i = 0; i < peers->len; i++)
    daemon_apply_peer (d, g_ptr_array_index (peers, i), devices);
  daemon_wake_before (d, daemon_next_expiry (d, now));
}

static gboolean
wake_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;

  d->wake_source = 0;
  daemon_look (d);
  return G_SOURCE_REMOVE;
}

void
daemon_wake_before (WgdDaemon *d, gint64 when)
{
  gint64 now;

  if (when == G_MAXINT64 || (d->wake_source != 0 && d->wake_at <= when))
    return;
  g_clear_handle_id (&d->wake_source, g_source_remove);
  now = (gint64) wgd_clock_now ();
  d->wake_at = when;
  /* The clock has whole seconds: waiting when - now from somewhere in
   * the second now wakes at most a second late, never early. */
  d->wake_source = g_timeout_add ((guint) CLAMP (when - now, 0, G_MAXUINT / 1000) * 1000,
                                  wake_cb, d);
}

/* Known peers get their last endpoint at once, before the LAN answers,
 * unless they already have one. */
static void
daemon_restore_endpoints (WgdDaemon *d)
{
  if (d->paused)
    return;
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      Interface *iface = &g_array_index (d->interfaces, Interface, i);
      g_autoptr (WgdDevice) device = NULL;
      g_autoptr (GArray) changes = g_array_new (FALSE, TRUE, sizeof (WgdPeerChange));
      g_autoptr (GError) error = NULL;

      if (!iface->usable || (device = wgd_device_get (iface->config->name, NULL)) == NULL)
        continue;
      for (guint p = 0; p < device->peers->len; p++)
        {
          const WgdPeer *peer = g_ptr_array_index (device->peers, p);
          g_autoptr (GBytes) key = g_bytes_new (peer->public_key, WGD_KEY_LEN);
          const WgdSockaddr *saved = g_hash_table_lookup (d->endpoints, key);
          WgdPeerChange c = { .flags = WGD_PEER_SET_ENDPOINT };

          if (saved == NULL || peer->endpoint.sa.sa_family != AF_UNSPEC)
            continue;
          memcpy (c.public_key, peer->public_key, WGD_KEY_LEN);
          c.endpoint = *saved;
          g_array_append_val (changes, c);
        }
      if (changes->len == 0)
        continue;
      if (wgd_device_set_peers (iface->config->name, &g_array_index (changes, WgdPeerChange, 0),
                                changes->len, &error))
        g_message (g_dngettext (GETTEXT_PACKAGE,
                                "%s: restored the last known endpoint of %u peer",
                                "%s: restored the last known endpoints of %u peers",
                                changes->len), iface->config->name,
                   changes->len);
      else
        g_warning (_("%s: restoring endpoints: %s"), iface->config->name, error->message);
    }
}

/* The records kept for no interface are heard again: those whose key is
 * now a peer are taken (and queued to be acted on), the rest kept. */
static void
daemon_hear_unplaced (WgdDaemon *d)
{
  g_autoptr (GHashTable) unplaced = g_steal_pointer (&d->unplaced);
  GHashTableIter iter;
  gpointer value;

  d->unplaced = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) heard_free);
  g_hash_table_iter_init (&iter, unplaced);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const Heard *heard = value;
      WgdMdnsOrigin origin = { .service = heard->service, .ifindex = heard->ifindex,
                               .ifname = heard->ifname };

      daemon_take_record (d, heard->record, heard->len, heard->has_hint ? heard->hint : NULL,
                          &origin, WGD_SOURCE_MDNS, TRUE);
    }
}

/* An interface appeared, or has new peers: they get the endpoints known
 * for them (saved ones first, then those of the peer table), and our
 * record is published for an interface whose port it does not carry. */
static gboolean
redecide_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;
  g_autoptr (GPtrArray) peers = NULL;
  g_autoptr (GPtrArray) devices = NULL;

  d->redecide_source = 0;
  daemon_restore_endpoints (d);
  daemon_hear_unplaced (d);
  peers = wgd_peer_table_get_peers (d->peers);
  devices = daemon_read_devices (d);
  for (guint i = 0; i < peers->len; i++)
    daemon_apply_peer (d, g_ptr_array_index (peers, i), devices);
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);

      if (iface->config->advertise && iface->usable && iface->listen_port != 0
          && iface->listen_port != iface->announced_port)
        daemon_schedule_announce (d);
    }
  return G_SOURCE_REMOVE;
}

static void
daemon_schedule_redecide (WgdDaemon *d)
{
  if (d->redecide_source == 0)
    d->redecide_source = g_idle_add_full (G_PRIORITY_DEFAULT, redecide_cb, d, NULL);
}

static gboolean
watch_cb (gpointer user_data)
{
  WgdDaemon *d = user_data;

  g_ptr_array_unref (daemon_read_devices (d));
  if (--d->watch_left > 0)
    return G_SOURCE_CONTINUE;
  d->watch_source = 0;
  return G_SOURCE_REMOVE;
}

/* A link of one of our interfaces' names came or went, or a route
 * through it was added. Whoever creates a WireGuard interface (wg-quick,
 * NetworkManager, networkd) configures its key, port and peers just
 * after, and nothing tells us when that is done: the interfaces are read
 * every second for WATCH_SECONDS. A new route is how wg-quick and
 * NetworkManager follow a new peer (its allowed-ips): decide again now
 * (a peer removed and added again between two reads has the same key,
 * and no endpoint), and read for a few seconds, in case the peer comes
 * after its route. */
static void
on_link (WgdAddressMonitor *monitor, WgdLinkEvent event, guint32 ifindex, const gchar *ifname,
         gpointer user_data)
{
  WgdDaemon *d = user_data;
  guint seconds = WATCH_SECONDS;

  if (daemon_find_interface (d, ifname) == NULL)
    return;
  switch (event)
    {
    case WGD_LINK_ADDED:
    case WGD_LINK_REMOVED:
      break;
    case WGD_LINK_ROUTED:
      seconds = ROUTE_WATCH_SECONDS;
      daemon_schedule_redecide (d);
      break;
    }
  g_ptr_array_unref (daemon_read_devices (d));
  d->watch_left = MAX (d->watch_left, seconds);
  if (d->watch_source == 0)
    d->watch_source = g_timeout_add_seconds (1, watch_cb, d);
}

static void
interface_clear (gpointer data)
{
  Interface *iface = data;

  g_clear_pointer (&iface->mesh, wgd_mesh_free);
  g_clear_pointer (&iface->subtype, g_free);
  g_clear_pointer (&iface->peer_keys, g_hash_table_unref);
}

/* Whether every mesh's certificate of config is ours: a configuration
 * that fails this is refused before anything changes. */
static gboolean
daemon_check_meshes (WgdDaemon *d, const WgdConfig *config, GError **error)
{
  for (guint i = 0; i < config->interfaces->len; i++)
    {
      const WgdInterfaceConfig *ic = g_ptr_array_index (config->interfaces, i);
      const WgdMeshConfig *mc;
      const WgdCertificate *cert;

      if (ic->mode != WGD_MODE_MESH)
        continue;
      mc = wgd_config_find_mesh (config, ic->mesh);
      cert = mc->certificate;
      if (cert != NULL
          && (memcmp (cert->signing_key, d->identity->public_key, WGD_KEY_LEN) != 0
              || memcmp (cert->wg_key, d->wg_public, WGD_KEY_LEN) != 0))
        {
          g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                       /* Translators: [Mesh %s] and Certificate are a group and a key of
                          the configuration file; they stay as they are. */
                       _("[Mesh %s] Certificate: %s was issued for another node's keys, not for "
                         "this identity (see 'wgdiscoverctl signkey' and 'wgpubkey')"),
                       mc->name, mc->certificate_file);
          return FALSE;
        }
    }
  return TRUE;
}

/* A mesh-mode interface: its mesh and the peers we added before (whose
 * certificates, if of another CA, are removed at the next expiry). */
static void
interface_setup_mesh (Interface *iface, const WgdConfig *config, GHashTable *members)
{
  const WgdCertificate *cert;
  GPtrArray *known = g_hash_table_lookup (members, iface->config->name);

  iface->mesh_config = wgd_config_find_mesh (config, iface->config->mesh);
  iface->mesh = wgd_mesh_new (iface->mesh_config->ca_key);
  iface->subtype = wgd_mdns_mesh_subtype (iface->mesh_config->ca_key);
  cert = iface->mesh_config->certificate;
  if (cert == NULL)
    g_warning (_("%s: [Mesh %s] has no Certificate=: this node adds certified peers, but they "
                 "will not add it"), iface->config->name, iface->mesh_config->name);
  else if (wgd_clock_now () > cert->not_after)
    g_warning (_("%s: our certificate %s has expired; other members will not add this node"),
               iface->config->name, iface->mesh_config->certificate_file);
  for (guint i = 0; known != NULL && i < known->len; i++)
    wgd_mesh_add_member (iface->mesh, g_ptr_array_index (known, i));
}

/* The interfaces of config, the meshes' members taken from members
 * (interface name → certificates). */
static GArray *
daemon_build_interfaces (const WgdConfig *config, GPtrArray *managed, GHashTable *members)
{
  GArray *interfaces = g_array_new (FALSE, TRUE, sizeof (Interface));

  g_array_set_clear_func (interfaces, interface_clear);
  for (guint i = 0; i < config->interfaces->len; i++)
    {
      Interface iface = { .config = g_ptr_array_index (config->interfaces, i) };

      if (iface.config->mode == WGD_MODE_MESH)
        interface_setup_mesh (&iface, config, members);
      g_array_append_val (interfaces, iface);
    }
  for (guint i = 0; i < managed->len; i++)
    {
      Interface iface = { .config = g_ptr_array_index (managed, i) };

      g_array_append_val (interfaces, iface);
    }
  return interfaces;
}

/* Every service, or only one mesh's when every browsing interface is in
 * that mesh. */
static void
daemon_setup_browsing (WgdDaemon *d)
{
  const gchar *subtype = NULL;
  gboolean browse = FALSE, one_mesh = TRUE;

  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);

      if (!iface->config->browse)
        continue;
      if (iface->subtype == NULL || (subtype != NULL && strcmp (subtype, iface->subtype) != 0))
        one_mesh = FALSE;
      subtype = iface->subtype;
      browse = TRUE;
    }
  wgd_mdns_set_browsing (d->mdns, browse, one_mesh ? subtype : NULL);
}

/* A configured endpoint's addresses changed (dyndns.c): they are the
 * peer's candidates of source config from now on. */
static void
on_dyndns (const guint8 wg_key[WGD_KEY_LEN], const gchar *name, const WgdSockaddr *addresses,
           gsize n_addresses, gpointer user_data)
{
  WgdDaemon *d = user_data;
  WgdPeerEntry *entry = wgd_peer_table_set_configured (d->peers, wg_key, addresses, n_addresses,
                                                       (gint64) wgd_clock_now ());
  g_autoptr (GPtrArray) devices = NULL;

  /* No longer configured, and never heard of otherwise: forgotten, as
   * if it had never been (its WireGuard peer keeps what it has). */
  if (n_addresses == 0 && wgd_peer_table_drop_configured (d->peers, wg_key))
    {
      daemon_schedule_notify_peer (d, wg_key);
      return;
    }
  devices = daemon_read_devices (d);

  /* A peer that announces itself has the name it signs. */
  if (entry->name[0] == '\0' && name != NULL)
    g_strlcpy (entry->name, name, sizeof entry->name);

  daemon_apply_peer (d, entry, devices);
  daemon_schedule_notify_peer (d, wg_key);
}

/* The endpoints the configuration gives by name or address ([Peer NAME]
 * Endpoint=) and those the managers' files give by name, kept resolved
 * by dyndns.c. The resolver is made for the
 * first one only: without any, the daemon sends no DNS query. */
static void
daemon_setup_dyndns (WgdDaemon *d)
{
  g_autoptr (GPtrArray) peers = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_dyndns_peer_free);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < d->config->endpoints->len; i++)
    {
      const WgdPeerEndpoint *p = g_ptr_array_index (d->config->endpoints, i);
      g_autofree gchar *origin = g_strdup_printf (_("[Peer %s] Endpoint="), p->name);

      g_ptr_array_add (peers, wgd_dyndns_peer_new (p->wg_key, p->name, p->endpoint, origin));
    }
  daemon_ifconf_add_peers (d->ifconf, peers);
  if (d->dyndns == NULL && peers->len == 0)
    return;
  if (d->resolver == NULL)
    {
      d->resolver = wgd_resolver_new (NULL, &error);
      if (d->resolver == NULL)
        {
          g_warning (_("endpoints given by name are not resolved: %s"), error->message);
          return;
        }
      d->dyndns = wgd_dyndns_new (d->resolver, on_dyndns, d);
    }
  wgd_dyndns_set_peers (d->dyndns, g_steal_pointer (&peers));
}

WgdDaemon *
wgd_daemon_new (WgdConfig *config, const gchar *ifconf_file, GError **error)
{
  g_autoptr (WgdDaemon) d = g_new0 (WgdDaemon, 1);
  g_autofree gchar *warning = NULL;
  g_autoptr (GHashTable) members = NULL;
  gboolean created = FALSE;

  d->config = config;
  d->actions = g_ptr_array_new_with_free_func ((GDestroyNotify) action_free);
  d->unplaced = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) heard_free);
  d->logged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  d->log_budget = REJECTION_LINES_PER_WINDOW;
  d->listeners = g_array_new (FALSE, FALSE, sizeof (Listener));
  d->listed_interfaces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  d->listed_peers = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                           (GDestroyNotify) g_bytes_unref, NULL);
  d->dirty_peers = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                          (GDestroyNotify) g_bytes_unref, NULL);
  d->peers = wgd_peer_table_new ();
  d->pairing = wgd_pairing_new ();
  d->node_name = g_strdup (g_get_host_name ());
  if (strlen (d->node_name) > WGD_NAME_MAX)
    d->node_name[WGD_NAME_MAX] = '\0';

  d->identity = wgd_state_load_identity (config->state_directory, &created, error);
  if (d->identity == NULL)
    return NULL;
  /* A decision forgotten would let a rejected key ask again, or drop a
   * paired peer: a file that cannot be read stops the start. */
  if (!wgd_state_load_approvals (config->state_directory, d->pairing, error))
    return NULL;
  d->store = daemon_trust_store_new (d, config);
  wgd_key_pair_wg_public (d->identity, d->wg_public);
  {
    g_autofree gchar *pub = wgd_key_to_base64 (d->wg_public);

    g_message (created ? _("created a new identity; WireGuard public key %s")
                       : _("loaded the identity; WireGuard public key %s"),
               pub);
  }
  d->replay = wgd_state_load_replay (config->state_directory, &warning);
  if (warning != NULL)
    g_warning ("%s", warning);
  wgd_replay_state_lookup (d->replay, d->identity->public_key, &d->last_timestamp);
  g_clear_pointer (&warning, g_free);
  d->endpoints = wgd_state_load_endpoints (config->state_directory, &warning);
  if (warning != NULL)
    g_warning ("%s", warning);
  g_clear_pointer (&warning, g_free);

  members = wgd_state_load_mesh_members (config->state_directory, &warning);
  if (warning != NULL)
    g_warning ("%s", warning);
  g_clear_pointer (&warning, g_free);
  if (!daemon_check_meshes (d, config, error))
    return NULL;
  d->ifconf = daemon_ifconf_new (d, "/", ifconf_file);
  daemon_ifconf_read (d->ifconf, config);
  d->managed = daemon_ifconf_get_managed (d->ifconf);
  d->interfaces = daemon_build_interfaces (config, d->managed, members);
  for (guint i = 0; i < d->interfaces->len; i++)
    wgd_device_free (interface_read (d, &g_array_index (d->interfaces, Interface, i)));
  daemon_restore_endpoints (d);
  /* A revocation list just read takes effect now, not at the next wake-up. */
  daemon_expire_mesh_peers (d);

  d->addresses = wgd_address_monitor_new (on_address, d, error);
  if (d->addresses == NULL)
    return NULL;
  if (!wgd_address_monitor_set_link_func (d->addresses, on_link, error))
    return NULL;
  d->mdns = wgd_mdns_new (on_record, on_bad_txt, on_unanswered, d, error);
  if (d->mdns == NULL)
    return NULL;
  daemon_setup_browsing (d);
  d->punch = daemon_punch_new (d);
  daemon_setup_rendezvous (d, NULL);
  daemon_setup_dyndns (d);
  daemon_announce (d);
  d->announce_source = g_timeout_add_seconds (ANNOUNCE_LIFETIME / 2, announce_cb, d);
  daemon_wake_before (d, daemon_next_expiry (d, (gint64) wgd_clock_now ()));
  return g_steal_pointer (&d);
}

/* A pending peer whose key the configuration now pins is pending no
 * longer: its record is taken as any pinned one. */
static void
daemon_retake_pinned_pending (WgdDaemon *d)
{
  g_autoptr (GPtrArray) pending = wgd_pairing_get_pending (d->pairing);
  g_autoptr (GPtrArray) pinned = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < pending->len; i++)
    {
      const WgdPendingPeer *peer = g_ptr_array_index (pending, i);

      if (wgd_trust_store_has_pin (d->store, peer->wg_key))
        g_ptr_array_add (pinned, g_memdup2 (peer->wg_key, WGD_KEY_LEN));
    }
  for (guint i = 0; i < pinned->len; i++)
    {
      g_autoptr (WgdPendingPeer) peer = wgd_pairing_steal (d->pairing,
                                                           g_ptr_array_index (pinned, i));

      daemon_take_pending_record (d, peer);
    }
}

/* Applies config (checked; the running one when only the interfaces
 * the managers' files add changed), which nothing can fail now. */
static void
daemon_apply_config (WgdDaemon *d, WgdConfig *config)
{
  g_autoptr (GHashTable) members = NULL;
  g_autoptr (GPtrArray) managed = daemon_ifconf_get_managed (d->ifconf);
  GArray *interfaces;
  gboolean advertising = FALSE;

  /* What was accepted is acted on under the interfaces it was judged
   * for. */
  daemon_act (d);
  members = daemon_get_mesh_members (d);
  interfaces = daemon_build_interfaces (config, managed, members);
  /* What is known of an interface that stays is kept, so that it is not
   * announced as found again. */
  for (guint i = 0; i < interfaces->len; i++)
    {
      Interface *iface = &g_array_index (interfaces, Interface, i);
      const Interface *old = daemon_find_interface (d, iface->config->name);

      if (old != NULL)
        {
          iface->usable = old->usable;
          iface->listen_port = old->listen_port;
          iface->announced_port = old->announced_port;
          iface->missing_logged = old->missing_logged;
          iface->key_warned = old->key_warned;
          iface->has_reflexive = old->has_reflexive;
          iface->reflexive_family = old->reflexive_family;
          memcpy (iface->reflexive_address, old->reflexive_address,
                  sizeof iface->reflexive_address);
          if (old->peer_keys != NULL)
            iface->peer_keys = g_hash_table_ref (old->peer_keys);
        }
    }
  g_array_unref (d->interfaces);
  d->interfaces = interfaces;
  /* Only now are the old ones no interface's. */
  g_ptr_array_unref (d->managed);
  d->managed = g_steal_pointer (&managed);
  wgd_trust_store_free (d->store);
  d->store = daemon_trust_store_new (d, config);
  {
    const WgdConfig *old = d->config;

    d->config = config;
    daemon_setup_rendezvous (d, old);
  }
  daemon_rendezvous_wants_changed (d);
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      Interface *iface = &g_array_index (d->interfaces, Interface, i);

      wgd_device_free (interface_read (d, iface));
      advertising |= iface->config->advertise && iface->usable;
    }
  daemon_expire_mesh_peers (d);
  daemon_retake_pinned_pending (d);
  daemon_expire_pending (d);
  daemon_setup_browsing (d);
  daemon_setup_dyndns (d);
  daemon_schedule_notify (d, TRUE, FALSE);
  /* A new record, published in place: no withdrawal, no probing. */
  if (advertising)
    daemon_announce (d);
  else
    wgd_mdns_withdraw (d->mdns);
  daemon_schedule_save (d);
}


gboolean
wgd_daemon_reload (WgdDaemon *d, WgdConfig *config, GError **error)
{
  if (g_strcmp0 (config->state_directory, d->config->state_directory) != 0)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   _("StateDirectory= cannot change while running (%s, was %s): restart "
                     "wgdiscoverd for that"), config->state_directory, d->config->state_directory);
      return FALSE;
    }
  if (!daemon_check_meshes (d, config, error))
    return FALSE;
  daemon_ifconf_read (d->ifconf, config);
  daemon_apply_config (d, config);
  return TRUE;
}

/* What the files of the other managers say changed: their peers'
 * endpoints at once, their interfaces as a reload does. */
void
daemon_ifconf_changed (WgdDaemon *d)
{
  if (daemon_ifconf_read (d->ifconf, d->config))
    daemon_apply_config (d, d->config);
  else
    daemon_setup_dyndns (d);
}

void
wgd_daemon_rescan (WgdDaemon *d)
{
  guint asked;

  g_ptr_array_unref (daemon_read_devices (d));
  asked = wgd_mdns_ask_again (d->mdns);
  daemon_schedule_redecide (d);
  g_message (g_dngettext (GETTEXT_PACKAGE,
                          "rescan: interfaces read again; asking the LAN again (%u service "
                          "followed)",
                          "rescan: interfaces read again; asking the LAN again (%u services "
                          "followed)", asked), asked);
}

void
wgd_daemon_set_paused (WgdDaemon *d, gboolean paused)
{
  if (d->paused == !!paused)
    return;
  d->paused = !!paused;
  d->paused_changed = TRUE;
  daemon_schedule_notify (d, TRUE, FALSE);
  if (paused)
    {
      wgd_mdns_withdraw (d->mdns);
      for (guint i = 0; i < d->interfaces->len; i++)
        g_array_index (d->interfaces, Interface, i).announced_port = 0;
      g_message (_("paused: our announcements are withdrawn, and no endpoint is written "
                   "until resumed"));
      return;
    }
  g_message (_("resumed: announcing again and deciding every peer's endpoint again"));
  daemon_announce (d);
  daemon_schedule_redecide (d);
}

gboolean
wgd_daemon_is_paused (WgdDaemon *d)
{
  return d->paused;
}

void
wgd_daemon_stop (WgdDaemon *d)
{
  if (d->mdns != NULL)
    wgd_mdns_withdraw (d->mdns);
  if (d->save_source != 0)
    {
      g_source_remove (d->save_source);
      save_cb (d);
    }
}

void
wgd_daemon_free (WgdDaemon *d)
{
  if (d == NULL)
    return;
  if (d->announce_source != 0)
    g_source_remove (d->announce_source);
  g_clear_handle_id (&d->wake_source, g_source_remove);
  g_clear_handle_id (&d->log_window_source, g_source_remove);
  g_clear_handle_id (&d->shake_source, g_source_remove);
  g_clear_handle_id (&d->network_source, g_source_remove);
  if (d->save_source != 0)
    g_source_remove (d->save_source);
  if (d->redecide_source != 0)
    g_source_remove (d->redecide_source);
  if (d->act_source != 0)
    g_source_remove (d->act_source);
  if (d->peer_read_source != 0)
    g_source_remove (d->peer_read_source);
  if (d->notify_source != 0)
    g_source_remove (d->notify_source);
  g_clear_pointer (&d->listeners, g_array_unref);
  g_clear_pointer (&d->listed_interfaces, g_hash_table_unref);
  g_clear_pointer (&d->listed_peers, g_hash_table_unref);
  g_clear_pointer (&d->dirty_peers, g_hash_table_unref);
  g_clear_pointer (&d->actions, g_ptr_array_unref);
  g_clear_pointer (&d->unplaced, g_hash_table_unref);
  if (d->watch_source != 0)
    g_source_remove (d->watch_source);
  wgd_rendezvous_free (d->rendezvous);
  wgd_dyndns_free (d->dyndns);
  wgd_resolver_free (d->resolver);
  daemon_punch_free (d->punch);
  daemon_ifconf_free (d->ifconf);
  wgd_mdns_free (d->mdns);
  wgd_address_monitor_free (d->addresses);
  g_clear_pointer (&d->endpoints, g_hash_table_unref);
  wgd_replay_state_free (d->replay);
  wgd_key_pair_free (d->identity);
  wgd_trust_store_free (d->store);
  wgd_peer_table_free (d->peers);
  wgd_pairing_free (d->pairing);
  g_hash_table_unref (d->logged);
  g_clear_pointer (&d->interfaces, g_array_unref);
  g_clear_pointer (&d->managed, g_ptr_array_unref);
  g_free (d->node_name);
  g_free (d);
}

gchar *
wgd_daemon_status (WgdDaemon *d)
{
  g_autoptr (GPtrArray) peers = wgd_peer_table_get_peers (d->peers);

  g_autofree gchar *rendezvous = d->rendezvous != NULL ? wgd_rendezvous_describe (d->rendezvous)
                                                       : g_strdup ("disabled");
  g_autofree gchar *names = d->dyndns != NULL ? wgd_dyndns_summarize (d->dyndns) : NULL;

  return g_strdup_printf ("%u peers known, %u announcements accepted, %u for no peer here, "
                          "%u rejected, %u endpoint changes, rendezvous %s%s%s", peers->len,
                          d->accepted, d->strangers, d->rejected, d->endpoint_changes,
                          rendezvous, names != NULL ? "; " : "", names != NULL ? names : "");
}

gboolean
wgd_daemon_is_ready (WgdDaemon *d)
{
  if (d->paused)
    return TRUE;
  for (guint i = 0; i < d->interfaces->len; i++)
    {
      const Interface *iface = &g_array_index (d->interfaces, Interface, i);

      if (iface->config->advertise && iface->usable && !wgd_mdns_is_published (d->mdns))
        return FALSE;
    }
  return TRUE;
}

/* --- Pairing ------------------------------------------------------------ */

/* Whether (wg_key, signing_key) may be decided on: pending, with that
 * signing key, and room for the decision. */
static gboolean
daemon_check_decision (WgdDaemon *d, const guint8 *wg_key, const guint8 *signing_key,
                       WgdDecision decision, GError **error)
{
  const WgdPendingPeer *peer = wgd_pairing_lookup (d->pairing, wg_key);
  g_autofree gchar *key = wgd_key_to_base64 (wg_key);

  if (peer == NULL || peer->expires <= wgd_clock_now ()
      || !daemon_is_endpoint_peer (d, wg_key))
    {
      g_set_error (error, WGD_PAIRING_ERROR, WGD_PAIRING_ERROR_NOT_PENDING,
                   _("no peer with WireGuard key %s is pending"), key);
      return FALSE;
    }
  if (sodium_memcmp (peer->signing_key, signing_key, WGD_KEY_LEN) != 0)
    {
      g_set_error (error, WGD_PAIRING_ERROR, WGD_PAIRING_ERROR_KEY_CHANGED,
                   _("peer %s is pending with another signing key (fingerprint %s): compare "
                     "the fingerprint again"), key, peer->fingerprint);
      return FALSE;
    }
  if (wgd_pairing_is_full (d->pairing, wg_key, decision))
    {
      g_set_error (error, WGD_PAIRING_ERROR, WGD_PAIRING_ERROR_FULL,
                   _("%u pairing decisions are saved, as many as wgdiscoverd keeps"),
                   WGD_PAIRING_DECISIONS_MAX);
      return FALSE;
    }
  return TRUE;
}

/* Checks, saves, then records the decision: a decision that cannot be
 * saved is not made. An approved peer's record is taken at once. */
static gboolean
daemon_decide (WgdDaemon *d, const guint8 *wg_key, const guint8 *signing_key,
               WgdDecision decision, GError **error)
{
  g_autofree gchar *key = wgd_key_to_base64 (wg_key);
  g_autoptr (WgdPendingPeer) peer = NULL;
  const gchar *name;

  if (!daemon_check_decision (d, wg_key, signing_key, decision, error)
      || !wgd_state_save_approvals (d->config->state_directory, d->pairing, wg_key, signing_key,
                                    decision, error))
    return FALSE;
  peer = wgd_pairing_steal (d->pairing, wg_key);
  name = peer->name[0] ? peer->name : "unnamed";
  wgd_pairing_decide (d->pairing, wg_key, signing_key, decision);
  daemon_schedule_notify (d, TRUE, FALSE);
  if (decision == WGD_DECISION_APPROVE)
    {
      wgd_trust_store_add_pin (d->store, wg_key, signing_key);
      log_decision (key, "pairing", "approved", G_LOG_LEVEL_MESSAGE,
                    _("approved peer %s (%s): the signing key with fingerprint %s is pinned "
                      "for it"), name, key, peer->fingerprint);
      daemon_take_pending_record (d, peer);
    }
  else
    log_decision (key, "pairing", "rejected", G_LOG_LEVEL_MESSAGE,
                  _("rejected peer %s (%s): records of the signing key with fingerprint %s "
                    "are refused for it"), name, key, peer->fingerprint);
  return TRUE;
}

gboolean
wgd_daemon_approve_peer (WgdDaemon *d, const guint8 wg_key[WGD_KEY_LEN],
                         const guint8 signing_key[WGD_KEY_LEN], GError **error)
{
  return daemon_decide (d, wg_key, signing_key, WGD_DECISION_APPROVE, error);
}

gboolean
wgd_daemon_reject_peer (WgdDaemon *d, const guint8 wg_key[WGD_KEY_LEN],
                        const guint8 signing_key[WGD_KEY_LEN], GError **error)
{
  return daemon_decide (d, wg_key, signing_key, WGD_DECISION_REJECT, error);
}
