/* dbus-peer.c — org.wgdiscover1.Peer: what a peer's announcements said
 * (name, keys and fingerprint, trust, candidates, when last heard) and what the core's
 * last read of WireGuard said of it (endpoint, handshake, transfer).
 * Nothing here reads a device: the values change when the core read
 * one, which it does at every decision and every tick. */
#include "config.h"

#include "base64.h"
#include "clock.h"
#include "dbus-bus.h"
#include "dbus-peer.h"
#include "wgd-api.h"

struct _WgdDbusPeers {
  WgdDaemon *daemon;
  GDBusObjectManagerServer *objects;
  GHashTable *exported;         /* GBytes wg key → WgdApiPeer */
  guint listener;
};

/* (endpoint, source, age in seconds as of now). */
static GVariant *
dbus_peer_candidates (const WgdDaemonPeerInfo *info)
{
  g_auto (GVariantBuilder) b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(sst)"));
  gint64 now = (gint64) wgd_clock_now ();

  for (guint i = 0; i < info->candidates->len; i++)
    {
      const WgdCandidate *c = &g_array_index (info->candidates, WgdCandidate, i);
      g_autofree gchar *endpoint = wgd_sockaddr_to_string (&c->address);

      g_variant_builder_add (&b, "(sst)", endpoint, wgd_candidate_source_to_string (c->source),
                             (guint64) MAX (now - c->last_seen, 0));
    }
  return g_variant_builder_end (&b);
}

static void
dbus_peer_update (WgdDbusPeers *self, WgdApiPeer *skeleton, const guint8 *wg_key)
{
  g_autoptr (WgdDaemonPeerInfo) info = wgd_daemon_get_peer (self->daemon, wg_key);
  g_autofree gchar *wg = NULL;
  g_autofree gchar *signing = NULL;
  g_autofree gchar *interface = NULL;
  g_autofree gchar *endpoint = NULL;

  if (info == NULL)
    return;
  wg = wgd_key_to_base64 (info->wg_key);
  signing = info->trust != WGD_BINDING_NONE ? wgd_key_to_base64 (info->signing_key)
                                            : g_strdup ("");
  interface = info->ifname ? wgd_dbus_path_for_interface (info->ifname) : g_strdup ("/");
  endpoint = info->endpoint.sa.sa_family != AF_UNSPEC ? wgd_sockaddr_to_string (&info->endpoint)
                                                      : g_strdup ("");
  wgd_api_peer_set_name (skeleton, info->name);
  wgd_api_peer_set_wire_guard_key (skeleton, wg);
  wgd_api_peer_set_signing_key (skeleton, signing);
  wgd_api_peer_set_trust (skeleton, wgd_binding_to_string (info->trust));
  wgd_api_peer_set_fingerprint (skeleton, info->fingerprint);
  wgd_api_peer_set_interface (skeleton, interface);
  wgd_api_peer_set_endpoint (skeleton, endpoint);
  wgd_api_peer_set_endpoint_reason (skeleton, info->endpoint_reason);
  wgd_api_peer_set_candidates (skeleton, dbus_peer_candidates (info));
  wgd_api_peer_set_latest_handshake (skeleton, (guint64) MAX (info->latest_handshake, 0));
  wgd_api_peer_set_rx_bytes (skeleton, info->rx_bytes);
  wgd_api_peer_set_tx_bytes (skeleton, info->tx_bytes);
  wgd_api_peer_set_last_seen (skeleton, (guint64) MAX (info->last_seen, 0));
  wgd_api_peer_set_configured_endpoint (skeleton, info->configured_endpoint);
}

static void
dbus_peer_add (WgdDbusPeers *self, const guint8 *wg_key)
{
  g_autofree gchar *path = wgd_dbus_path_for_peer (wg_key);
  g_autoptr (WgdApiObjectSkeleton) object = wgd_api_object_skeleton_new (path);
  g_autoptr (WgdApiPeer) skeleton = wgd_api_peer_skeleton_new ();

  /* Its values before it is exported: InterfacesAdded carries them. */
  dbus_peer_update (self, skeleton, wg_key);
  wgd_api_object_skeleton_set_peer (object, skeleton);
  g_dbus_object_manager_server_export (self->objects, G_DBUS_OBJECT_SKELETON (object));
  g_hash_table_replace (self->exported, g_bytes_new (wg_key, WGD_KEY_LEN),
                        g_steal_pointer (&skeleton));
}

static void
dbus_peer_remove (WgdDbusPeers *self, const guint8 *wg_key)
{
  g_autofree gchar *path = wgd_dbus_path_for_peer (wg_key);
  g_autoptr (GBytes) key = g_bytes_new (wg_key, WGD_KEY_LEN);

  g_dbus_object_manager_server_unexport (self->objects, path);
  g_hash_table_remove (self->exported, key);
}

static void
on_daemon_event (WgdDaemon *daemon, WgdDaemonEvent event, const guint8 *wg_key,
                 const gchar *ifname, gpointer user_data)
{
  WgdDbusPeers *self = user_data;
  g_autoptr (GBytes) key = NULL;
  WgdApiPeer *skeleton;

  switch (event)
    {
    case WGD_DAEMON_PEER_ADDED:
      dbus_peer_add (self, wg_key);
      break;
    case WGD_DAEMON_PEER_CHANGED:
      key = g_bytes_new (wg_key, WGD_KEY_LEN);
      skeleton = g_hash_table_lookup (self->exported, key);
      if (skeleton != NULL)
        dbus_peer_update (self, skeleton, wg_key);
      break;
    case WGD_DAEMON_PEER_REMOVED:
      dbus_peer_remove (self, wg_key);
      break;
    case WGD_DAEMON_INTERFACE_ADDED:
    case WGD_DAEMON_INTERFACE_CHANGED:
    case WGD_DAEMON_INTERFACE_REMOVED:
    case WGD_DAEMON_COUNTERS_CHANGED:
    case WGD_DAEMON_PAUSED_CHANGED:
      break;
    }
}

WgdDbusPeers *
wgd_dbus_peers_new (WgdDaemon *daemon, GDBusObjectManagerServer *objects)
{
  WgdDbusPeers *self = g_new0 (WgdDbusPeers, 1);

  self->daemon = daemon;
  self->objects = g_object_ref (objects);
  self->exported = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                          (GDestroyNotify) g_bytes_unref, g_object_unref);
  self->listener = wgd_daemon_add_listener (daemon, on_daemon_event, self);
  return self;
}

void
wgd_dbus_peers_free (WgdDbusPeers *self)
{
  GHashTableIter iter;
  gpointer key;

  if (self == NULL)
    return;
  wgd_daemon_remove_listener (self->daemon, self->listener);
  g_hash_table_iter_init (&iter, self->exported);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autofree gchar *path = wgd_dbus_path_for_peer (g_bytes_get_data (key, NULL));

      g_dbus_object_manager_server_unexport (self->objects, path);
    }
  g_hash_table_unref (self->exported);
  g_object_unref (self->objects);
  g_free (self);
}
