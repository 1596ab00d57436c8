/* test-peer-table.c — the endpoint choice of docs/architecture.md §5: ranking,
 * shared subnets, link-local scope, expiry, WireGuard's own roaming,
 * demotion of a candidate that gets no handshake while a session is
 * wanted, and the deadlines the daemon's timer follows. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <sodium.h>

#include "peer-table.h"
#include "test-util.h"

#define NOW 1700000000

typedef struct {
  WgdKeyPair *id;
  WgdPeerTable *table;
  WgdPrefix local[2];           /* 192.168.1.10/24, 2001:db8:1::10/64 */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->id = test_key_pair (42);
  f->table = wgd_peer_table_new ();
  /* Our own addresses, with their host bits: as the address monitor
   * reports them. */
  memset (f->local, 0, sizeof f->local);
  f->local[0].family = 4;
  f->local[0].length = 24;
  inet_pton (AF_INET, "192.168.1.10", f->local[0].address);
  f->local[1].family = 6;
  f->local[1].length = 64;
  inet_pton (AF_INET6, "2001:db8:1::10", f->local[1].address);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  wgd_key_pair_free (f->id);
  wgd_peer_table_free (f->table);
}

/* An announcement from id with the given "kind:endpoint" list. */
static WgdAnnouncement *
announce (Fixture *f, const gchar *const *endpoints, guint64 timestamp)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();

  wgd_key_pair_wg_public (f->id, ann->wg_key);
  ann->timestamp = timestamp;
  ann->lifetime = 600;
  for (gsize i = 0; endpoints[i] != NULL; i++)
    {
      const gchar *colon = strchr (endpoints[i], ':');
      WgdEndpoint *ep = &ann->endpoints[ann->n_endpoints++];

      g_assert_true (wgd_endpoint_parse (colon + 1, ep, NULL));
      ep->kind = g_str_has_prefix (endpoints[i], "host:")        ? WGD_ENDPOINT_HOST
                 : g_str_has_prefix (endpoints[i], "reflexive:") ? WGD_ENDPOINT_REFLEXIVE
                                                                 : WGD_ENDPOINT_CONFIGURED;
    }
  g_assert_true (wgd_announcement_sign (ann, f->id, NULL));
  return g_steal_pointer (&ann);
}

static gchar *
choose (Fixture *f, WgdPeerEntry *entry, const WgdPeer *device_peer, gint64 now)
{
  WgdSockaddr out;
  const gchar *why = NULL;

  if (!wgd_peer_entry_choose (entry, f->local, G_N_ELEMENTS (f->local), device_peer, now, &out,
                              &why))
    return g_strdup ("keep");
  g_assert_nonnull (why);
  return wgd_sockaddr_to_string (&out);
}

static WgdPeerEntry *
update (Fixture *f, const gchar *const *endpoints, WgdCandidateSource source, guint32 scope)
{
  g_autoptr (WgdAnnouncement) ann = announce (f, endpoints, NOW);

  return wgd_peer_table_update (f->table, ann, WGD_BINDING_DERIVED, source, scope, NOW);
}

static void
test_ranking (Fixture *f, gconstpointer data)
{
  WgdPeerEntry *e;
  g_autofree gchar *c1 = NULL, *c2 = NULL, *c3 = NULL, *c4 = NULL;

  e = update (f, (const gchar *[]) { "configured:198.51.100.1:1", NULL }, WGD_SOURCE_CONFIG, 0);
  c1 = choose (f, e, NULL, NOW);
  g_assert_cmpstr (c1, ==, "198.51.100.1:1");

  e = update (f, (const gchar *[]) { "reflexive:203.0.113.9:2", "host:10.9.9.9:3", NULL },
              WGD_SOURCE_MDNS, 0);
  c2 = choose (f, e, NULL, NOW);
  g_assert_cmpstr (c2, ==, "10.9.9.9:3");

  /* A LAN address on our own subnet beats any other LAN address. */
  e = update (f, (const gchar *[]) { "reflexive:203.0.113.9:2", "host:10.9.9.9:3",
                                     "host:192.168.1.77:4", NULL }, WGD_SOURCE_MDNS, 0);
  c3 = choose (f, e, NULL, NOW);
  g_assert_cmpstr (c3, ==, "192.168.1.77:4");

  /* The same source's new announcement replaces its candidates. */
  e = update (f, (const gchar *[]) { "reflexive:203.0.113.9:2", NULL }, WGD_SOURCE_MDNS, 0);
  c4 = choose (f, e, NULL, NOW);
  g_assert_cmpstr (c4, ==, "203.0.113.9:2");
  g_assert_cmpuint (e->candidates->len, ==, 2);
  g_assert_true (wgd_peer_table_lookup (f->table, e->wg_key) == e);
}

/* A LAN address heard over mDNS beats one of the same rank from the
 * rendezvous server, even when the server's is the more recent. */
static void
test_lan_beats_rendezvous (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) ann = announce (f, (const gchar *[]) { "host:10.8.8.8:5", NULL },
                                              NOW + 10);
  WgdPeerEntry *e;
  g_autofree gchar *c1 = NULL, *c2 = NULL;

  e = update (f, (const gchar *[]) { "host:10.9.9.9:3", NULL }, WGD_SOURCE_MDNS, 0);
  e = wgd_peer_table_update (f->table, ann, WGD_BINDING_DERIVED, WGD_SOURCE_RENDEZVOUS, 0,
                             NOW + 10);
  g_assert_cmpuint (e->candidates->len, ==, 2);
  c1 = choose (f, e, NULL, NOW + 10);
  g_assert_cmpstr (c1, ==, "10.9.9.9:3");
  /* Alone, the server's is taken. */
  wgd_peer_table_expire (f->table, NOW + 10000);
  e = wgd_peer_table_update (f->table, ann, WGD_BINDING_DERIVED, WGD_SOURCE_RENDEZVOUS, 0,
                             NOW + 10);
  c2 = choose (f, e, NULL, NOW + 10);
  g_assert_cmpstr (c2, ==, "10.8.8.8:5");
}

static void
test_link_local (Fixture *f, gconstpointer data)
{
  WgdPeerEntry *e;
  g_autoptr (WgdPeer) device = NULL;
  g_autofree gchar *c1 = NULL, *c2 = NULL, *roamed = NULL;

  /* Heard on no interface: a link-local address cannot be used. */
  e = update (f, (const gchar *[]) { "host:[fe80::1]:5", NULL }, WGD_SOURCE_RENDEZVOUS, 0);
  g_assert_cmpuint (e->candidates->len, ==, 0);
  c1 = choose (f, e, NULL, NOW);
  g_assert_cmpstr (c1, ==, "keep");

  /* Heard on interface 3: scoped there, and on-link. */
  e = update (f, (const gchar *[]) { "host:10.9.9.9:3", "host:[fe80::1]:5", NULL },
              WGD_SOURCE_MDNS, 3);
  c2 = choose (f, e, NULL, NOW);
  g_assert_cmpstr (c2, ==, "[fe80::1%3]:5");

  /* WireGuard roamed there, and wireguard-go shows it without a scope:
   * followed with the scope it was heard with. */
  device = wgd_peer_new ();
  g_assert_true (wgd_sockaddr_parse ("[fe80::1]:5", &device->endpoint));
  device->last_handshake_sec = NOW;
  g_assert_true (wgd_peer_entry_adopt_roamed (e, device, NOW));
  roamed = wgd_sockaddr_to_string (&e->applied_endpoint);
  g_assert_cmpstr (roamed, ==, "[fe80::1%3]:5");
}

static void
test_no_change_when_current (Fixture *f, gconstpointer data)
{
  WgdPeerEntry *e = update (f, (const gchar *[]) { "host:192.168.1.77:4", NULL },
                            WGD_SOURCE_MDNS, 0);
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  g_autofree gchar *c = NULL;

  g_assert_true (wgd_sockaddr_parse ("192.168.1.77:4", &device->endpoint));
  /* Not set by us, no session: written once more, to be on trial. */
  c = choose (f, e, device, NOW);
  g_assert_cmpstr (c, ==, "192.168.1.77:4");
  wgd_peer_entry_applied (e, &device->endpoint, device, NOW);
  g_clear_pointer (&c, g_free);
  c = choose (f, e, device, NOW + 1);
  g_assert_cmpstr (c, ==, "keep");
}

static void
test_expiry (Fixture *f, gconstpointer data)
{
  WgdPeerEntry *e = update (f, (const gchar *[]) { "host:192.168.1.77:4", NULL },
                            WGD_SOURCE_MDNS, 0);
  g_autofree gchar *before = choose (f, e, NULL, NOW + 599);
  g_autofree gchar *after = choose (f, e, NULL, NOW + 600);

  g_assert_cmpstr (before, ==, "192.168.1.77:4");
  g_assert_cmpstr (after, ==, "keep");
  g_assert_cmpuint (wgd_peer_table_expire (f->table, NOW + 600), ==, 1);
  g_assert_cmpuint (e->candidates->len, ==, 0);
  g_assert_cmpuint (wgd_peer_table_expire (f->table, NOW + 600), ==, 0);
  /* The peer itself stays. */
  g_assert_true (wgd_peer_table_lookup (f->table, e->wg_key) == e);
}

static void
test_roaming_respected (Fixture *f, gconstpointer data)
{
  WgdPeerEntry *e = update (f, (const gchar *[]) { "host:192.168.1.77:4", NULL },
                            WGD_SOURCE_MDNS, 0);
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  g_autofree gchar *fresh = NULL;
  g_autofree gchar *stale = NULL;

  /* WireGuard moved the peer to where its packets came from, and the
   * handshake there is fresh (and newer than the peer's record): leave
   * it. */
  g_assert_true (wgd_sockaddr_parse ("198.51.100.7:9999", &device->endpoint));
  device->last_handshake_sec = NOW + 10;
  fresh = choose (f, e, device, NOW + 30);
  g_assert_cmpstr (fresh, ==, "keep");

  /* Once that handshake is old, the announcement counts again. */
  stale = choose (f, e, device, NOW + 10 + WGD_HANDSHAKE_FRESH_SECONDS);
  g_assert_cmpstr (stale, ==, "192.168.1.77:4");
}

static void
test_better_candidate_replaces_working_one (Fixture *f, gconstpointer data)
{
  WgdPeerEntry *e = update (f, (const gchar *[]) { "reflexive:203.0.113.9:2", NULL },
                            WGD_SOURCE_RENDEZVOUS, 0);
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  g_autofree gchar *c = NULL;
  WgdSockaddr applied;

  g_assert_true (wgd_sockaddr_parse ("203.0.113.9:2", &applied));
  device->endpoint = applied;
  wgd_peer_entry_applied (e, &applied, device, NOW - 60);
  device->last_handshake_sec = NOW - 10;
  /* Working, but the peer turned up on our LAN: that is better. */
  update (f, (const gchar *[]) { "host:192.168.1.77:4", NULL }, WGD_SOURCE_MDNS, 0);
  c = choose (f, e, device, NOW);
  g_assert_cmpstr (c, ==, "192.168.1.77:4");
}

/* The first of two LAN candidates chosen and applied at NOW, with tx
 * bytes counted before; *applied is what was set. */
static WgdPeerEntry *
trial_start (Fixture *f, WgdPeer *device, WgdSockaddr *applied)
{
  WgdPeerEntry *e = update (f, (const gchar *[]) { "host:192.168.1.77:4",
                                                   "host:192.168.1.78:4", NULL },
                            WGD_SOURCE_MDNS, 0);
  g_autofree gchar *first = choose (f, e, device, NOW);

  g_assert_cmpstr (first, ==, "192.168.1.77:4");
  g_assert_true (wgd_sockaddr_parse (first, applied));
  device->endpoint = *applied;
  device->tx_bytes = 1000;
  device->rx_bytes = 500;
  wgd_peer_entry_applied (e, applied, device, NOW);
  return e;
}

/* A black-holed path: handshakes are sent (and counted), none comes
 * back. Demoted at the trial's end, not before; the next candidate is
 * tried, and the first again once the demotion runs out. */
static void
test_demotion (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  g_autofree gchar *second = NULL;
  g_autofree gchar *back = NULL;
  WgdSockaddr applied;
  WgdPeerEntry *e = trial_start (f, device, &applied);

  device->tx_bytes = 1148;      /* one handshake initiation */
  g_assert_false (wgd_peer_entry_check_trial (e, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS - 1));
  g_assert_true (e->trial_open);
  device->tx_bytes = 1296;
  g_assert_true (wgd_peer_entry_check_trial (e, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS));
  g_assert_false (e->trial_open);
  g_assert_false (wgd_peer_entry_check_trial (e, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS + 1));
  second = choose (f, e, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS);
  g_assert_cmpstr (second, ==, "192.168.1.78:4");
  g_assert_true (wgd_sockaddr_parse (second, &applied));
  device->endpoint = applied;
  wgd_peer_entry_applied (e, &applied, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS);

  back = choose (f, e, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS + WGD_CANDIDATE_DEMOTE_SECONDS);
  g_assert_cmpstr (back, ==, "192.168.1.77:4");
}

/* Sending fails locally (a firewall's output rule, no route): WireGuard
 * counts nothing sent. A session is still wanted when it keeps one alive
 * (persistent keepalive) or a handshake was asked for: demoted all the
 * same. */
static void
test_demotion_without_tx (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  WgdSockaddr applied;
  WgdPeerEntry *e = trial_start (f, device, &applied);

  g_assert_false (wgd_peer_entry_check_trial (e, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS));
  device->persistent_keepalive = 25;
  g_assert_true (wgd_peer_entry_check_trial (e, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS));

  device->persistent_keepalive = 0;
  wgd_peer_entry_applied (e, &applied, device, NOW + 100);
  g_assert_false (e->applied_handshake);
  e->applied_handshake = TRUE;
  g_assert_false (wgd_peer_entry_check_trial (e, device, NOW + 100 + WGD_CANDIDATE_TRIAL_SECONDS - 1));
  /* The candidate is still demoted from before: nothing to demote again,
   * but the trial is over. */
  g_assert_false (wgd_peer_entry_check_trial (e, device, NOW + 100 + WGD_CANDIDATE_TRIAL_SECONDS));
  g_assert_false (e->trial_open);
}

/* A peer nobody talks to is never demoted: its trial stays open, with
 * no deadline of its own after its end, and is judged once a session is
 * wanted. */
static void
test_idle_not_demoted (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  WgdSockaddr applied;
  WgdPeerEntry *e = trial_start (f, device, &applied);
  gint64 later = NOW + 10 * WGD_CANDIDATE_TRIAL_SECONDS;

  g_assert_cmpint (wgd_peer_entry_next_deadline (e, device, NOW), ==,
                   NOW + WGD_CANDIDATE_TRIAL_SECONDS);
  g_assert_false (wgd_peer_entry_check_trial (e, device, later));
  g_assert_true (e->trial_open);
  g_assert_cmpint (wgd_peer_entry_next_deadline (e, device, later), ==, NOW + 600);
  device->tx_bytes = 2000;
  g_assert_true (wgd_peer_entry_check_trial (e, device, later));
}

/* A handshake since the endpoint was set, or data received, proves the
 * path and ends the trial: later silence demotes nothing. */
static void
test_trial_passed (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  WgdSockaddr applied;
  WgdPeerEntry *e = trial_start (f, device, &applied);

  device->last_handshake_sec = NOW - 1;
  device->tx_bytes = 5000;
  g_assert_true (wgd_peer_entry_check_trial (e, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS));
  wgd_peer_entry_applied (e, &applied, device, NOW + 400);
  device->last_handshake_sec = NOW + 403;
  g_assert_false (wgd_peer_entry_check_trial (e, device, NOW + 404));
  g_assert_false (e->trial_open);
  device->tx_bytes = 9000;
  g_assert_false (wgd_peer_entry_check_trial (e, device, NOW + 400 + WGD_CANDIDATE_TRIAL_SECONDS));

  /* Data received on a session that still holds proves the way back. */
  device->last_handshake_sec = NOW + 940;
  wgd_peer_entry_applied (e, &applied, device, NOW + 1000);
  device->rx_bytes += 32;
  device->tx_bytes += 32;
  g_assert_false (wgd_peer_entry_check_trial (e, device, NOW + 1000 + WGD_CANDIDATE_TRIAL_SECONDS));
  g_assert_false (e->trial_open);
  /* Without a session, what came can only be the peer's handshake
   * initiations, which say nothing of the way back. */
  wgd_peer_entry_applied (e, &applied, device, NOW + 2000);
  device->rx_bytes += 148;
  device->tx_bytes += 92;
  g_assert_true (wgd_peer_entry_check_trial (e, device, NOW + 2000 + WGD_CANDIDATE_TRIAL_SECONDS));
}

/* WireGuard roams with a session: the entry follows and keeps it while
 * the session holds; once it is stale, the announced endpoint is
 * written again, even where roaming left the device, to be on trial. */
static void
test_roamed_adopted (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  WgdSockaddr applied;
  WgdSockaddr roamed;
  WgdPeerEntry *e = trial_start (f, device, &applied);
  g_autofree gchar *fresh = NULL;
  g_autofree gchar *stale = NULL;
  g_autofree gchar *again = NULL;

  device->last_handshake_sec = NOW;
  wgd_peer_entry_check_trial (e, device, NOW + 1);
  /* Where we set it: nothing to follow. */
  g_assert_false (wgd_peer_entry_adopt_roamed (e, device, NOW + 1));
  g_assert_false (e->applied_roamed);

  g_assert_true (wgd_sockaddr_parse ("198.51.100.7:9", &roamed));
  device->endpoint = roamed;
  device->rx_bytes += 64;
  g_assert_true (wgd_peer_entry_adopt_roamed (e, device, NOW + 20));
  g_assert_true (e->applied_roamed);
  g_assert_false (e->trial_open);
  g_assert_true (wgd_sockaddr_equal (&e->applied_endpoint, &roamed));
  g_assert_cmpint (e->applied_at, ==, NOW + 20);
  g_assert_false (wgd_peer_entry_adopt_roamed (e, device, NOW + 21));
  fresh = choose (f, e, device, NOW + 21);
  g_assert_cmpstr (fresh, ==, "keep");
  g_assert_cmpint (wgd_peer_entry_next_deadline (e, device, NOW + 21), ==,
                   NOW + WGD_HANDSHAKE_FRESH_SECONDS);

  stale = choose (f, e, device, NOW + WGD_HANDSHAKE_FRESH_SECONDS);
  g_assert_cmpstr (stale, ==, "192.168.1.77:4");
  /* Roamed back to the announced endpoint, and stale there too. */
  device->endpoint = applied;
  again = choose (f, e, device, NOW + WGD_HANDSHAKE_FRESH_SECONDS);
  g_assert_cmpstr (again, ==, "192.168.1.77:4");
  /* No session at all: the peer's initiations are not followed. */
  device->last_handshake_sec = 0;
  device->endpoint = roamed;
  g_assert_false (wgd_peer_entry_adopt_roamed (e, device, NOW + 300));
}

/* The peer left the address WireGuard roamed to: a record signed after
 * the last handshake that names none of its addresses there wins over
 * roaming. One that names the host (a NAT's public address, another
 * port) does not. */
static void
test_roamed_disowned (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  g_autoptr (WgdAnnouncement) moved = NULL;
  g_autoptr (WgdAnnouncement) natted = NULL;
  WgdSockaddr applied;
  WgdPeerEntry *e = trial_start (f, device, &applied);
  g_autofree gchar *kept = NULL;
  g_autofree gchar *left = NULL;
  g_autofree gchar *nat = NULL;

  g_assert_true (wgd_sockaddr_parse ("192.168.1.99:4", &device->endpoint));
  device->last_handshake_sec = NOW + 5;
  g_assert_true (wgd_peer_entry_adopt_roamed (e, device, NOW + 10));
  kept = choose (f, e, device, NOW + 10);
  g_assert_cmpstr (kept, ==, "keep");

  moved = announce (f, (const gchar *[]) { "host:192.168.1.50:4", NULL }, NOW + 20);
  wgd_peer_table_update (f->table, moved, WGD_BINDING_DERIVED, WGD_SOURCE_MDNS, 0, NOW + 21);
  left = choose (f, e, device, NOW + 21);
  g_assert_cmpstr (left, ==, "192.168.1.50:4");
  /* Nor is such an endpoint followed in the first place. */
  device->endpoint.in.sin_port = htons (5);
  g_assert_false (wgd_peer_entry_adopt_roamed (e, device, NOW + 22));

  natted = announce (f, (const gchar *[]) { "host:192.168.1.50:4", "reflexive:192.168.1.99:7",
                                            NULL }, NOW + 30);
  wgd_peer_table_update (f->table, natted, WGD_BINDING_DERIVED, WGD_SOURCE_MDNS, 0, NOW + 31);
  g_assert_true (wgd_peer_entry_adopt_roamed (e, device, NOW + 31));
  nat = choose (f, e, device, NOW + 31);
  g_assert_cmpstr (nat, ==, "keep");
}

/* WireGuard roamed, with a session, to the candidate we would write
 * anyway: taken as ours, so that its session going stale costs nothing
 * (no deadline, nothing written again). Roamed to another one, it is
 * followed while the session holds and the best written again after. */
static void
test_roamed_settled (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  WgdPeerEntry *e = update (f, (const gchar *[]) { "host:192.168.1.77:4",
                                                   "host:192.168.1.78:4", NULL },
                            WGD_SOURCE_MDNS, 0);
  gint64 expires = NOW + 600;
  g_autofree gchar *kept = NULL;
  g_autofree gchar *written = NULL;

  g_assert_true (wgd_sockaddr_parse ("192.168.1.77:4", &device->endpoint));
  /* No session yet: nothing to adopt or settle. */
  g_assert_false (wgd_peer_entry_settle_roamed (e, f->local, G_N_ELEMENTS (f->local), device,
                                                NOW));
  device->last_handshake_sec = NOW;
  device->rx_bytes = 92;
  g_assert_true (wgd_peer_entry_adopt_roamed (e, device, NOW));
  g_assert_true (e->applied_roamed);
  g_assert_true (wgd_peer_entry_settle_roamed (e, f->local, G_N_ELEMENTS (f->local), device,
                                               NOW));
  g_assert_false (e->applied_roamed);
  g_assert_false (e->trial_open);
  g_assert_false (wgd_peer_entry_settle_roamed (e, f->local, G_N_ELEMENTS (f->local), device,
                                                NOW + 1));
  g_assert_cmpint (wgd_peer_entry_next_deadline (e, device, NOW + 1), ==, expires);
  kept = choose (f, e, device, NOW + WGD_HANDSHAKE_FRESH_SECONDS);
  g_assert_cmpstr (kept, ==, "keep");

  /* Roamed to the other candidate: not the one we would write. */
  g_assert_true (wgd_sockaddr_parse ("192.168.1.78:4", &device->endpoint));
  device->last_handshake_sec = NOW + 10;
  g_assert_true (wgd_peer_entry_adopt_roamed (e, device, NOW + 10));
  g_assert_false (wgd_peer_entry_settle_roamed (e, f->local, G_N_ELEMENTS (f->local), device,
                                                NOW + 10));
  g_assert_true (e->applied_roamed);
  g_assert_cmpint (wgd_peer_entry_next_deadline (e, device, NOW + 11), ==,
                   NOW + 10 + WGD_HANDSHAKE_FRESH_SECONDS);
  written = choose (f, e, device, NOW + 10 + WGD_HANDSHAKE_FRESH_SECONDS);
  g_assert_cmpstr (written, ==, "192.168.1.77:4");
}

/* What the daemon's timer is set for: the earliest of a trial's end,
 * a candidate's expiry or end of demotion, and the staleness of a
 * handshake WireGuard roamed with. */
static void
test_next_deadline (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  WgdSockaddr applied;
  WgdSockaddr roamed;
  WgdPeerEntry *e = trial_start (f, device, &applied);
  gint64 expires = NOW + 600;   /* update () announces at NOW, for 600 s */

  device->last_handshake_sec = NOW;
  wgd_peer_entry_check_trial (e, device, NOW + 1);
  g_assert_false (e->trial_open);
  g_assert_cmpint (wgd_peer_entry_next_deadline (e, device, NOW + 1), ==, expires);
  g_assert_cmpint (wgd_peer_entry_next_deadline (e, device, expires), ==, G_MAXINT64);

  g_array_index (e->candidates, WgdCandidate, 1).demoted_until = NOW + 30;
  g_assert_cmpint (wgd_peer_entry_next_deadline (e, device, NOW + 1), ==, NOW + 30);

  g_assert_true (wgd_sockaddr_parse ("198.51.100.7:9", &roamed));
  device->endpoint = roamed;
  device->last_handshake_sec = NOW + 5;
  g_assert_cmpint (wgd_peer_entry_next_deadline (e, device, NOW + 31), ==,
                   NOW + 5 + WGD_HANDSHAKE_FRESH_SECONDS);
  g_assert_cmpint (wgd_peer_entry_next_deadline (e, NULL, NOW + 31), ==, expires);
}

/* Entries are keyed by their own WireGuard key (no copy per entry): a
 * key in any other buffer finds its entry, one byte off finds none, and
 * an update of a known peer keeps its entry. */
static void
test_many_peers_looked_up (Fixture *f, gconstpointer data)
{
  const gchar *const eps[] = { "host:192.168.1.20:51820", NULL };
  WgdPeerEntry *entries[64];
  guint8 key[WGD_KEY_LEN];
  g_autoptr (GPtrArray) peers = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    {
      g_autoptr (WgdAnnouncement) ann = announce (f, eps, NOW);

      ann->wg_key[0] = (guint8) i;
      entries[i] = wgd_peer_table_update (f->table, ann, WGD_BINDING_DERIVED, WGD_SOURCE_MDNS,
                                          0, NOW);
      g_assert_nonnull (entries[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    {
      g_autoptr (WgdAnnouncement) again = announce (f, eps, NOW + 1);

      memcpy (key, entries[i]->wg_key, WGD_KEY_LEN);
      g_assert_true (wgd_peer_table_lookup (f->table, key) == entries[i]);
      key[WGD_KEY_LEN - 1] ^= 1;
      g_assert_null (wgd_peer_table_lookup (f->table, key));
      again->wg_key[0] = (guint8) i;
      g_assert_true (wgd_peer_table_update (f->table, again, WGD_BINDING_DERIVED,
                                            WGD_SOURCE_MDNS, 0, NOW + 1) == entries[i]);
      g_assert_cmpuint (entries[i]->candidates->len, ==, 1);
    }
  peers = wgd_peer_table_get_peers (f->table);
  g_assert_cmpuint (peers->len, ==, G_N_ELEMENTS (entries));
}

static void
addresses_parse (const gchar *const *texts, WgdSockaddr *out, gsize *n)
{
  for (*n = 0; texts[*n] != NULL; (*n)++)
    g_assert_true (wgd_sockaddr_parse (texts[*n], &out[*n]));
}

/* A peer configured by host name, running no wgdiscover: its entry
 * holds only what the name resolved to (A and AAAA), IPv4 first; the
 * family that gets no handshake is demoted and stays so when the name
 * is resolved again to the same addresses at its TTL; a LAN candidate
 * heard later wins over both; a DNS change replaces them. */
static void
test_configured (Fixture *f, gconstpointer data)
{
  const gchar *const both[] = { "[2001:db8:9::1]:51820", "198.51.100.1:51820", NULL };
  const gchar *const moved[] = { "198.51.100.2:51820", NULL };
  g_autoptr (WgdPeer) device = wgd_peer_new ();
  WgdSockaddr addrs[4];
  gsize n;
  guint8 key[WGD_KEY_LEN];
  WgdPeerEntry *e;
  g_autofree gchar *first = NULL, *second = NULL, *again = NULL, *lan = NULL, *dns = NULL;

  wgd_key_pair_wg_public (f->id, key);
  addresses_parse (both, addrs, &n);
  e = wgd_peer_table_set_configured (f->table, key, addrs, n, NOW);
  g_assert_true (wgd_peer_table_lookup (f->table, key) == e);
  g_assert_cmpint (e->binding, ==, WGD_BINDING_NONE);
  g_assert_cmpstr (e->name, ==, "");
  g_assert_cmpuint (e->candidates->len, ==, 2);
  first = choose (f, e, NULL, NOW);
  g_assert_cmpstr (first, ==, "198.51.100.1:51820");

  g_assert_true (wgd_sockaddr_parse (first, &addrs[3]));
  device->endpoint = addrs[3];
  wgd_peer_entry_applied (e, &addrs[3], device, NOW);
  e->applied_handshake = TRUE;
  g_assert_true (wgd_peer_entry_check_trial (e, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS));
  second = choose (f, e, device, NOW + WGD_CANDIDATE_TRIAL_SECONDS);
  g_assert_cmpstr (second, ==, "[2001:db8:9::1]:51820");

  /* The TTL ran out, the name says the same: IPv4 stays demoted. */
  addresses_parse (both, addrs, &n);
  g_assert_true (wgd_peer_table_set_configured (f->table, key, addrs, n, NOW + 30) == e);
  g_assert_cmpuint (e->candidates->len, ==, 2);
  again = choose (f, e, device, NOW + 30);
  g_assert_cmpstr (again, ==, "[2001:db8:9::1]:51820");

  /* wgdiscover started there too: its LAN address wins, and the
   * configured ones stay behind it. */
  g_assert_true (update (f, (const gchar *[]) { "host:192.168.1.77:51820", NULL },
                         WGD_SOURCE_MDNS, 0) == e);
  g_assert_cmpint (e->binding, ==, WGD_BINDING_DERIVED);
  g_assert_cmpuint (e->candidates->len, ==, 3);
  lan = choose (f, e, device, NOW + 31);
  g_assert_cmpstr (lan, ==, "192.168.1.77:51820");

  /* The name moved: its old addresses go, the mDNS one stays. */
  addresses_parse (moved, addrs, &n);
  wgd_peer_table_set_configured (f->table, key, addrs, n, NOW + 60);
  g_assert_cmpuint (e->candidates->len, ==, 2);
  g_assert_true (update (f, (const gchar *[]) { NULL }, WGD_SOURCE_MDNS, 0) == e);
  dns = choose (f, e, device, NOW + 61);
  g_assert_cmpstr (dns, ==, "198.51.100.2:51820");
  g_assert_cmpint (wgd_peer_entry_next_deadline (e, NULL, NOW + 61), ==, G_MAXINT64);

  /* Its endpoint gone from the configuration: a peer that announced
   * itself once is kept; one only configured is forgotten. */
  wgd_peer_table_set_configured (f->table, key, NULL, 0, NOW + 90);
  g_assert_false (wgd_peer_table_drop_configured (f->table, key));
  g_assert_true (wgd_peer_table_lookup (f->table, key) == e);
  {
    guint8 other[WGD_KEY_LEN];

    memset (other, 0x42, sizeof other);
    g_assert_false (wgd_peer_table_drop_configured (f->table, other));
    wgd_peer_table_set_configured (f->table, other, addrs, n, NOW + 90);
    g_assert_false (wgd_peer_table_drop_configured (f->table, other));
    wgd_peer_table_set_configured (f->table, other, NULL, 0, NOW + 91);
    g_assert_true (wgd_peer_table_drop_configured (f->table, other));
    g_assert_null (wgd_peer_table_lookup (f->table, other));
  }
}

/* The source names are shown on D-Bus: each one distinct, and read
 * back as itself. */
static void
test_source_names (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  WgdCandidateSource back;

  for (WgdCandidateSource s = WGD_SOURCE_MDNS; s < WGD_SOURCE_COUNT; s++)
    {
      const gchar *name = wgd_candidate_source_to_string (s);

      g_assert_nonnull (name);
      g_assert_cmpstr (name, !=, "unknown");
      g_assert_true (g_hash_table_add (seen, (gpointer) name));
      g_assert_true (wgd_candidate_source_from_string (name, &back));
      g_assert_cmpint (back, ==, s);
    }
  g_assert_cmpstr (wgd_candidate_source_to_string (WGD_SOURCE_MDNS), ==, "mdns");
  g_assert_cmpstr (wgd_candidate_source_to_string (WGD_SOURCE_RENDEZVOUS), ==, "rendezvous");
  g_assert_false (wgd_candidate_source_from_string ("MDNS", &back));
  g_assert_false (wgd_candidate_source_from_string (NULL, &back));
}

#define ADD(path, func) \
  g_test_add ("/peer-table/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  ADD ("ranking", test_ranking);
  ADD ("lan-beats-rendezvous", test_lan_beats_rendezvous);
  ADD ("link-local", test_link_local);
  ADD ("no-change-when-current", test_no_change_when_current);
  ADD ("expiry", test_expiry);
  ADD ("roaming-respected", test_roaming_respected);
  ADD ("better-candidate-replaces-working-one", test_better_candidate_replaces_working_one);
  ADD ("demotion", test_demotion);
  ADD ("demotion-without-tx", test_demotion_without_tx);
  ADD ("idle-not-demoted", test_idle_not_demoted);
  ADD ("trial-passed", test_trial_passed);
  ADD ("roamed-adopted", test_roamed_adopted);
  ADD ("roamed-disowned", test_roamed_disowned);
  ADD ("roamed-settled", test_roamed_settled);
  ADD ("next-deadline", test_next_deadline);
  ADD ("many-peers-looked-up", test_many_peers_looked_up);
  ADD ("configured", test_configured);
  g_test_add_func ("/peer-table/source-names", test_source_names);
  return g_test_run ();
}
