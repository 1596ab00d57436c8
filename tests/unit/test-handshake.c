/* test-handshake.c — the keepalive toggle (off, on with the endpoint,
 * back to the value the peer is to keep, never a keepalive nobody asked
 * for) and which peers are told of an address move at once. */
#include "config.h"

#include <string.h>

#include "handshake.h"
#include "peer-table.h"

static const guint8 key[WGD_KEY_LEN] = { 7, 7, 7 };

static WgdSockaddr
v4 (const gchar *text)
{
  WgdSockaddr a;

  g_assert_true (wgd_sockaddr_parse (text, &a));
  return a;
}

static const WgdPeerChange *
change_at (GArray *changes, guint i)
{
  const WgdPeerChange *c = &g_array_index (changes, WgdPeerChange, i);

  g_assert_cmpmem (c->public_key, WGD_KEY_LEN, key, WGD_KEY_LEN);
  g_assert_true (c->flags & WGD_PEER_SET_KEEPALIVE);
  g_assert_false (c->flags & ~(WGD_PEER_SET_KEEPALIVE | WGD_PEER_SET_ENDPOINT));
  return c;
}

/* Without a configured keepalive: on for a moment, off at the end. */
static void
test_toggle_none (void)
{
  g_autoptr (GArray) changes = g_array_new (FALSE, TRUE, sizeof (WgdPeerChange));
  WgdSockaddr to = v4 ("10.77.0.2:51820");
  const WgdPeerChange *c;

  wgd_handshake_add_changes (changes, key, &to, 0);
  g_assert_cmpuint (changes->len, ==, 3);
  c = change_at (changes, 0);
  g_assert_cmpuint (c->persistent_keepalive, ==, 0);
  g_assert_false (c->flags & WGD_PEER_SET_ENDPOINT);
  c = change_at (changes, 1);
  g_assert_cmpuint (c->persistent_keepalive, >, 0);
  g_assert_true (c->flags & WGD_PEER_SET_ENDPOINT);
  g_assert_true (wgd_sockaddr_equal (&c->endpoint, &to));
  c = change_at (changes, 2);
  g_assert_cmpuint (c->persistent_keepalive, ==, 0);
  g_assert_false (c->flags & WGD_PEER_SET_ENDPOINT);
}

/* A configured keepalive: off, then on at its value, which stays. */
static void
test_toggle_configured (void)
{
  g_autoptr (GArray) changes = g_array_new (FALSE, TRUE, sizeof (WgdPeerChange));
  const WgdPeerChange *c;

  wgd_handshake_add_changes (changes, key, NULL, 7);
  g_assert_cmpuint (changes->len, ==, 2);
  c = change_at (changes, 0);
  g_assert_cmpuint (c->persistent_keepalive, ==, 0);
  c = change_at (changes, 1);
  g_assert_cmpuint (c->persistent_keepalive, ==, 7);
  /* No endpoint given: the peer's stays. */
  g_assert_false (c->flags & WGD_PEER_SET_ENDPOINT);
}

/* Appended: the toggles of several peers go out in one write. */
static void
test_toggle_appends (void)
{
  g_autoptr (GArray) changes = g_array_new (FALSE, TRUE, sizeof (WgdPeerChange));

  wgd_handshake_add_changes (changes, key, NULL, 0);
  wgd_handshake_add_changes (changes, key, NULL, 25);
  g_assert_cmpuint (changes->len, ==, 5);
  g_assert_cmpuint (change_at (changes, 2)->persistent_keepalive, ==, 0);
  g_assert_cmpuint (change_at (changes, 3)->persistent_keepalive, ==, 0);
  g_assert_cmpuint (change_at (changes, 4)->persistent_keepalive, ==, 25);
}

static void
test_after_move (void)
{
  WgdPeer peer = { .endpoint = v4 ("10.77.0.2:51820") };
  gint64 now = 1000000;

  /* Never shook hands: no session to carry over. */
  g_assert_false (wgd_handshake_wanted_after_move (&peer, now));
  peer.last_handshake_sec = now - 5;
  g_assert_true (wgd_handshake_wanted_after_move (&peer, now));
  peer.last_handshake_sec = now - WGD_HANDSHAKE_FRESH_SECONDS + 1;
  g_assert_true (wgd_handshake_wanted_after_move (&peer, now));
  /* A session this old is over: the peer is found anew by announcements. */
  peer.last_handshake_sec = now - WGD_HANDSHAKE_FRESH_SECONDS;
  g_assert_false (wgd_handshake_wanted_after_move (&peer, now));
  /* No endpoint: nowhere to send it. */
  peer.last_handshake_sec = now - 5;
  memset (&peer.endpoint, 0, sizeof peer.endpoint);
  g_assert_false (wgd_handshake_wanted_after_move (&peer, now));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/handshake/toggle-none", test_toggle_none);
  g_test_add_func ("/handshake/toggle-configured", test_toggle_configured);
  g_test_add_func ("/handshake/toggle-appends", test_toggle_appends);
  g_test_add_func ("/handshake/after-move", test_after_move);
  return g_test_run ();
}
