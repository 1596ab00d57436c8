/* daemon-punch.c — the core's NAT traversal: for a peer whose chosen
 * endpoint came from the rendezvous server, the decisions of
 * punch-policy.h carried out (punches over the raw sockets of
 * src/net/punch.h, endpoints written into WireGuard), one attempt per
 * interface and peer, looked at every second while any is under way and,
 * while all are through, when the first one's handshake would be stale
 * (WGD_PUNCH_STALE_S: a working tunnel shakes hands again before). */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <arpa/inet.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "clock.h"
#include "daemon-private.h"
#include "handshake.h"
#include "punch-policy.h"
#include "punch.h"

#define PUNCH_TICK_MS 1000

typedef struct {
  DaemonPunch *owner;
  gchar *ifname;
  guint8 wg_key[WGD_KEY_LEN];
  gchar *label;                 /* "peer NAME (KEY)", for the log */
  WgdSockaddr endpoint;
  WgdTraversal traversal;
  WgdPunch *punch;              /* running */
  gint64 last_handshake;        /* the peer's, at the last look */
} Attempt;

struct _DaemonPunch {
  WgdDaemon *daemon;
  WgdPunchSockets *sockets;     /* NULL: no CAP_NET_RAW, no punching */
  GHashTable *attempts;         /* "IFNAME KEY" → Attempt */
  guint tick;
  gboolean tick_fast;           /* tick is the one-second one */
};

static void
attempt_free (Attempt *a)
{
  wgd_punch_free (a->punch);
  g_free (a->ifname);
  g_free (a->label);
  g_free (a);
}

DaemonPunch *
daemon_punch_new (WgdDaemon *d)
{
  DaemonPunch *p = g_new0 (DaemonPunch, 1);
  g_autoptr (GError) error = NULL;

  p->daemon = d;
  p->attempts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) attempt_free);
  p->sockets = wgd_punch_sockets_open (&error);
  /* Said once; a warning only where a rendezvous server is used. */
  if (p->sockets == NULL && d->config->rendezvous_urls == NULL)
    g_info ("no hole punching through NATs: %s", error->message);
  else if (p->sockets == NULL)
    g_warning (_("no hole punching through NATs: %s; peers found through a rendezvous server "
                 "get their endpoints without it, and two peers behind NATs may not get a "
                 "tunnel (give wgdiscoverd CAP_NET_RAW)"), error->message);
  return p;
}

void
daemon_punch_free (DaemonPunch *p)
{
  if (p == NULL)
    return;
  g_clear_handle_id (&p->tick, g_source_remove);
  g_hash_table_unref (p->attempts);
  wgd_punch_sockets_free (p->sockets);
  g_free (p);
}

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static void
on_punched (WgdPunch *punch, const WgdPunchPlan *plan, const GError *error, gpointer user_data)
{
  Attempt *a = user_data;
  g_autofree gchar *to = wgd_sockaddr_to_string (&a->endpoint);
  g_autofree gchar *key = wgd_key_to_base64 (a->wg_key);

  if (error != NULL)
    log_decision (key, "rendezvous", "punch-failed", G_LOG_LEVEL_WARNING,
                  _("%s: %s: cannot punch towards %s: %s"), a->ifname, a->label, to,
                  error->message);
  else
    g_info ("%s: %s: punched towards %s: %s at TTL %u", a->ifname, a->label, to,
            wgd_punch_outcome_to_string (plan->outcome), plan->ttl);
  g_clear_pointer (&a->punch, wgd_punch_free);
}

static void
attempt_punch (Attempt *a, guint16 listen_port)
{
  g_clear_pointer (&a->punch, wgd_punch_free);
  a->punch = wgd_punch_start (a->owner->sockets, listen_port,
                              (const guint8 *) &a->endpoint.in.sin_addr,
                              ntohs (a->endpoint.in.sin_port), WGD_PUNCH_MAX_TTL_DEFAULT,
                              WGD_PUNCH_WAIT_MS_DEFAULT, on_punched, a);
}

/* The keepalive a punched peer gets: the interface's, else ours. */
static guint16
attempt_keepalive (const Interface *iface)
{
  return iface->config->persistent_keepalive != 0 ? iface->config->persistent_keepalive
                                                  : WGD_PUNCH_KEEPALIVE_S;
}

/* Writes the endpoint, toggling the keepalive on so that WireGuard
 * shakes hands without waiting for traffic (handshake.h); or, parking,
 * our loopback port with the keepalive off. */
static gboolean
attempt_write (Attempt *a, const Interface *iface, gboolean park)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) changes = g_array_new (FALSE, TRUE, sizeof (WgdPeerChange));
  WgdSockaddr endpoint = a->endpoint;
  g_autofree gchar *key = NULL, *to = NULL;

  if (park)
    {
      WgdPeerChange c = { .flags = WGD_PEER_SET_ENDPOINT | WGD_PEER_SET_KEEPALIVE };

      endpoint.in.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      endpoint.in.sin_port = htons (iface->listen_port);
      memcpy (c.public_key, a->wg_key, WGD_KEY_LEN);
      c.endpoint = endpoint;
      g_array_append_val (changes, c);
    }
  else
    wgd_handshake_add_changes (changes, a->wg_key, &endpoint, attempt_keepalive (iface));
  if (wgd_device_set_peers (a->ifname, &g_array_index (changes, WgdPeerChange, 0), changes->len,
                            &error))
    return TRUE;
  key = wgd_key_to_base64 (a->wg_key);
  to = wgd_sockaddr_to_string (&endpoint);
  log_decision (key, "rendezvous", "write-failed", G_LOG_LEVEL_WARNING,
                _("%s: %s: cannot set endpoint %s: %s"), a->ifname, a->label, to,
                error->message);
  return FALSE;
}

/* One attempt's next step; FALSE when it is over. */
static gboolean
attempt_step (Attempt *a, const WgdDevice *device)
{
  WgdDaemon *d = a->owner->daemon;
  const Interface *iface = daemon_find_interface (d, a->ifname);
  const WgdPeer *peer = device != NULL ? wgd_device_find_peer (device, a->wg_key) : NULL;
  g_autofree gchar *key = wgd_key_to_base64 (a->wg_key);
  g_autofree gchar *to = wgd_sockaddr_to_string (&a->endpoint);
  gint64 now = now_ms ();
  WgdPeerChange keep = { .flags = WGD_PEER_SET_KEEPALIVE };

  WgdPeerEntry *entry = wgd_peer_table_lookup (d->peers, a->wg_key);

  /* Paused, nothing is written; on resuming, the peer is decided anew.
   * A candidate that expired (the peer's record is gone from the server)
   * is not tried for ever. */
  if (d->paused || iface == NULL || peer == NULL || iface->listen_port == 0 || entry == NULL
      || wgd_punch_policy_candidate (entry, &a->endpoint) == NULL)
    return FALSE;
  a->last_handshake = peer->last_handshake_sec;
  switch (wgd_traversal_step (&a->traversal, now, wgd_clock_now (), peer->last_handshake_sec))
    {
    case WGD_TRAVERSAL_WAIT:
      return TRUE;
    case WGD_TRAVERSAL_PUNCH:
      log_decision (key, "rendezvous", "punch", G_LOG_LEVEL_MESSAGE,
                    _("%s: %s: punching towards %s again (attempt %u)"), a->ifname, a->label,
                    to, a->traversal.attempts);
      attempt_punch (a, iface->listen_port);
      return TRUE;
    case WGD_TRAVERSAL_WRITE:
      if (attempt_write (a, iface, FALSE))
        log_decision (key, "rendezvous", "public address as seen from outside",
                      G_LOG_LEVEL_MESSAGE, _("%s: %s: endpoint -> %s (punched)"), a->ifname,
                      a->label, to);
      return TRUE;
    case WGD_TRAVERSAL_PARK:
      {
        g_autoptr (GDateTime) at = g_date_time_new_from_unix_utc ((gint64) a->traversal.retry_at);
        g_autofree gchar *when = g_date_time_format (at, "%H:%M:%S");

        if (attempt_write (a, iface, TRUE))
          log_decision (key, "rendezvous", "punch-parked", G_LOG_LEVEL_MESSAGE,
                        _("%s: %s: no handshake through %s; WireGuard is silent towards it "
                          "until both NATs have forgotten us, punching again at %s UTC"),
                        a->ifname, a->label, to, when);
        return TRUE;
      }
    case WGD_TRAVERSAL_FINISH:
      log_decision (key, "rendezvous", "punched", G_LOG_LEVEL_MESSAGE,
                    _("%s: %s: handshake through %s, %" PRId64 " ms after the first punch "
                      "(attempt %u)"), a->ifname, a->label, to,
                    (int64_t) (now - a->traversal.started_ms), a->traversal.attempts);
      /* Its NATs must not forget it: the next packet would trap it. */
      if (peer->persistent_keepalive == 0)
        {
          memcpy (keep.public_key, a->wg_key, WGD_KEY_LEN);
          keep.persistent_keepalive = attempt_keepalive (iface);
          wgd_device_set_peers (a->ifname, &keep, 1, NULL);
        }
      return TRUE;
    }
  return TRUE;
}

static gboolean tick_cb (gpointer user_data);

/* Every second while an attempt is under way, else when the first
 * handshake would go stale; none without attempts. */
static void
punch_schedule (DaemonPunch *p)
{
  gboolean fast = FALSE;
  gint64 stale = G_MAXINT64;
  gint64 wall = (gint64) wgd_clock_now ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, p->attempts);
  while (!fast && g_hash_table_iter_next (&iter, NULL, &value))
    {
      const Attempt *a = value;

      fast = a->traversal.phase != WGD_TRAVERSAL_DONE;
      /* No handshake to go stale (the interface was made anew): its
       * own next one is waited for as long. */
      stale = MIN (stale, (a->last_handshake > 0 ? a->last_handshake : wall) + WGD_PUNCH_STALE_S);
    }
  if (p->tick != 0 && fast && p->tick_fast)
    return;
  g_clear_handle_id (&p->tick, g_source_remove);
  p->tick_fast = fast;
  if (g_hash_table_size (p->attempts) == 0)
    return;
  if (fast)
    p->tick = g_timeout_add (PUNCH_TICK_MS, tick_cb, p);
  else
    p->tick = g_timeout_add_seconds ((guint) CLAMP (stale - wall + 1, 1, WGD_PUNCH_STALE_S + 1),
                                     tick_cb, p);
}

static gboolean
tick_cb (gpointer user_data)
{
  DaemonPunch *p = user_data;
  g_autoptr (GHashTable) devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                          (GDestroyNotify) wgd_device_free);
  GHashTableIter iter;
  gpointer value;

  p->tick = 0;
  g_hash_table_iter_init (&iter, p->attempts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Attempt *a = value;
      WgdDevice *device;

      /* One read per interface and tick. */
      if (!g_hash_table_lookup_extended (devices, a->ifname, NULL, (gpointer *) &device))
        {
          device = wgd_device_get (a->ifname, NULL);
          g_hash_table_insert (devices, g_strdup (a->ifname), device);
        }
      if (!attempt_step (a, device))
        g_hash_table_iter_remove (&iter);
    }
  punch_schedule (p);
  return G_SOURCE_REMOVE;
}

gboolean
daemon_punch_take (DaemonPunch *p, const Interface *iface, const WgdPeerEntry *entry,
                   const WgdSockaddr *endpoint, const WgdPeer *current)
{
  g_autofree gchar *id = NULL;
  g_autofree gchar *key = NULL, *to = NULL;
  const WgdCandidate *c;
  Attempt *a;

  if (p == NULL || p->sockets == NULL || iface->listen_port == 0)
    return FALSE;
  key = wgd_key_to_base64 (entry->wg_key);
  id = g_strdup_printf ("%s %s", iface->config->name, key);
  a = g_hash_table_lookup (p->attempts, id);
  c = wgd_punch_policy_candidate (entry, endpoint);
  if (c == NULL)
    {
      g_hash_table_remove (p->attempts, id);
      return FALSE;
    }
  if (a != NULL && wgd_sockaddr_equal (&a->endpoint, endpoint))
    return TRUE;
  if (a == NULL && g_hash_table_size (p->attempts) >= WGD_PUNCH_ATTEMPTS_MAX)
    return FALSE;
  a = g_new0 (Attempt, 1);
  a->owner = p;
  a->ifname = g_strdup (iface->config->name);
  memcpy (a->wg_key, entry->wg_key, WGD_KEY_LEN);
  a->label = g_strdup_printf ("peer %s (%s)", entry->name[0] ? entry->name : "unnamed", key);
  a->endpoint = *endpoint;
  a->last_handshake = current->last_handshake_sec;
  wgd_traversal_start (&a->traversal, now_ms (), current->last_handshake_sec,
                       wgd_punch_policy_hold_ms (c->signed_at, wgd_clock_now ()));
  g_hash_table_replace (p->attempts, g_steal_pointer (&id), a);
  to = wgd_sockaddr_to_string (endpoint);
  log_decision (key, "rendezvous", "punch", G_LOG_LEVEL_MESSAGE,
                _("%s: %s: punching our NAT open towards %s; WireGuard talks to it in %u ms"),
                a->ifname, a->label, to, a->traversal.hold_ms);
  attempt_punch (a, iface->listen_port);
  punch_schedule (p);
  return TRUE;
}
