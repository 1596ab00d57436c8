/* test-punch-policy.c — when wgdiscoverd punches and lets WireGuard
 * talk: which candidates are punched for, the hold (longer for a peer
 * that has just started), the try, parking
 * until the next slot at least the NAT timeout away, retries, success
 * in every phase, starting over when the tunnel goes stale, the phase
 * names. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include "punch-policy.h"
#include "rendezvous-policy.h"
#include "test-util.h"

static WgdSockaddr
v4 (const gchar *text)
{
  WgdSockaddr a;

  g_assert_true (wgd_sockaddr_parse (text, &a));
  return a;
}

static void
add_candidate (WgdPeerEntry *entry, WgdCandidateSource source, WgdEndpointKind kind,
               const gchar *text)
{
  WgdCandidate c = { .source = source, .kind = kind, .address = v4 (text), .expires = 1000 };

  g_array_append_val (entry->candidates, c);
}

static void
test_wants (void)
{
  WgdPeerEntry entry = { .candidates = g_array_new (FALSE, TRUE, sizeof (WgdCandidate)) };
  WgdSockaddr a;

  add_candidate (&entry, WGD_SOURCE_RENDEZVOUS, WGD_ENDPOINT_REFLEXIVE, "203.0.113.1:51820");
  add_candidate (&entry, WGD_SOURCE_RENDEZVOUS, WGD_ENDPOINT_REFLEXIVE, "10.77.1.1:51820");
  add_candidate (&entry, WGD_SOURCE_RENDEZVOUS, WGD_ENDPOINT_HOST, "100.64.3.4:51820");
  add_candidate (&entry, WGD_SOURCE_RENDEZVOUS, WGD_ENDPOINT_HOST, "192.0.2.7:51820");
  add_candidate (&entry, WGD_SOURCE_MDNS, WGD_ENDPOINT_HOST, "198.51.100.9:51820");
  add_candidate (&entry, WGD_SOURCE_RENDEZVOUS, WGD_ENDPOINT_HOST, "[2001:db8::1]:51820");
  /* The reflexive address of a NAT, and a public address, from the server. */
  a = v4 ("203.0.113.1:51820");
  g_assert_nonnull (wgd_punch_policy_candidate (&entry, &a));
  a = v4 ("192.0.2.7:51820");
  g_assert_nonnull (wgd_punch_policy_candidate (&entry, &a));
  /* Private and shared (CGNAT) addresses: no NAT of ours stands for them. */
  a = v4 ("10.77.1.1:51820");
  g_assert_null (wgd_punch_policy_candidate (&entry, &a));
  a = v4 ("100.64.3.4:51820");
  g_assert_null (wgd_punch_policy_candidate (&entry, &a));
  /* Heard on the LAN, not from the server. */
  a = v4 ("198.51.100.9:51820");
  g_assert_null (wgd_punch_policy_candidate (&entry, &a));
  /* IPv6: no NAT to punch. */
  a = v4 ("[2001:db8::1]:51820");
  g_assert_null (wgd_punch_policy_candidate (&entry, &a));
  /* No candidate at all with that address or port. */
  a = v4 ("203.0.113.1:51821");
  g_assert_null (wgd_punch_policy_candidate (&entry, &a));
  g_array_unref (entry.candidates);
}

static void
test_hold (void)
{
  /* A peer running for a while: the usual hold. */
  g_assert_cmpuint (wgd_punch_policy_hold_ms (1000, 2000), ==, WGD_PUNCH_HOLD_MS);
  g_assert_cmpuint (wgd_punch_policy_hold_ms (1000, 1006), ==, WGD_PUNCH_HOLD_MS);
  /* Signed 1 s ago: it asks for us in about 5 s (grace, plus a second
   * for its clock's resolution), then the usual hold. */
  g_assert_cmpuint (wgd_punch_policy_hold_ms (1000, 1001),
                    ==, WGD_RDV_LAN_GRACE_MS + WGD_PUNCH_HOLD_MS);
  g_assert_cmpuint (wgd_punch_policy_hold_ms (1000, 1005), ==, 1000 + WGD_PUNCH_HOLD_MS);
  /* Never beyond the cap, also for a clock far ahead of ours. */
  g_assert_cmpuint (wgd_punch_policy_hold_ms (1000, 1000), <=, WGD_PUNCH_HOLD_MAX_MS);
  g_assert_cmpuint (wgd_punch_policy_hold_ms (G_MAXUINT32, 1000), ==, WGD_PUNCH_HOLD_MAX_MS);
  for (guint64 w = 990; w < 1020; w++)
    {
      guint hold = wgd_punch_policy_hold_ms (1000, w);

      g_assert_cmpuint (hold, >=, WGD_PUNCH_HOLD_MS);
      g_assert_cmpuint (hold, <=, WGD_PUNCH_HOLD_MAX_MS);
    }
}

static void
test_slot (void)
{
  /* At least the silence away, on a whole slot. */
  g_assert_cmpuint (wgd_traversal_next_slot (0), ==, 60);
  g_assert_cmpuint (wgd_traversal_next_slot (25), ==, 60);
  g_assert_cmpuint (wgd_traversal_next_slot (26), ==, 120);
  g_assert_cmpuint (wgd_traversal_next_slot (1764633605), ==, 1764633660);
  for (guint64 w = 1000; w < 1200; w++)
    {
      guint64 s = wgd_traversal_next_slot (w);

      g_assert_cmpuint (s % WGD_PUNCH_SLOT_S, ==, 0);
      g_assert_cmpuint (s, >=, w + WGD_PUNCH_SILENCE_S);
      g_assert_cmpuint (s, <, w + WGD_PUNCH_SILENCE_S + WGD_PUNCH_SLOT_S);
    }
}

static void
test_first_try (void)
{
  WgdTraversal t;

  wgd_traversal_start (&t, 5000, 0, WGD_PUNCH_HOLD_MS);
  g_assert_cmpint (t.phase, ==, WGD_TRAVERSAL_HOLDING);
  g_assert_cmpint (wgd_traversal_step (&t, 5000 + WGD_PUNCH_HOLD_MS - 1, 100, 0), ==,
                   WGD_TRAVERSAL_WAIT);
  g_assert_cmpint (wgd_traversal_step (&t, 5000 + WGD_PUNCH_HOLD_MS, 103, 0), ==,
                   WGD_TRAVERSAL_WRITE);
  g_assert_cmpint (t.phase, ==, WGD_TRAVERSAL_TRYING);
  g_assert_cmpint (wgd_traversal_step (&t, 9000, 104, 0), ==, WGD_TRAVERSAL_WAIT);
  g_assert_cmpint (wgd_traversal_step (&t, 9100, 104, 104), ==, WGD_TRAVERSAL_FINISH);
  g_assert_cmpint (t.phase, ==, WGD_TRAVERSAL_DONE);
  g_assert_cmpuint (t.attempts, ==, 1);
  /* Through: watched, nothing to do while handshakes come. */
  g_assert_cmpint (wgd_traversal_step (&t, 99000, 300, 250), ==, WGD_TRAVERSAL_WAIT);
}

static void
test_stale (void)
{
  WgdTraversal t;

  wgd_traversal_start (&t, 0, 0, WGD_PUNCH_HOLD_MS);
  g_assert_cmpint (wgd_traversal_step (&t, 1000, 101, 101), ==, WGD_TRAVERSAL_FINISH);
  g_assert_cmpint (wgd_traversal_step (&t, 50000, 150, 101), ==, WGD_TRAVERSAL_WAIT);
  g_assert_cmpint (wgd_traversal_step (&t, 99000, 101 + WGD_PUNCH_STALE_S - 1, 101), ==,
                   WGD_TRAVERSAL_WAIT);
  /* The tunnel broke (the peer restarted behind its NAT): start over. */
  g_assert_cmpint (wgd_traversal_step (&t, 200000, 101 + WGD_PUNCH_STALE_S, 101), ==,
                   WGD_TRAVERSAL_PUNCH);
  g_assert_cmpint (t.phase, ==, WGD_TRAVERSAL_HOLDING);
  g_assert_cmpuint (t.attempts, ==, 1);
  g_assert_cmpint (wgd_traversal_step (&t, 200000 + WGD_PUNCH_HOLD_MS, 304, 101), ==,
                   WGD_TRAVERSAL_WRITE);
  /* Only a newer handshake counts. */
  g_assert_cmpint (wgd_traversal_step (&t, 204000, 305, 101), ==, WGD_TRAVERSAL_WAIT);
  g_assert_cmpint (wgd_traversal_step (&t, 205000, 306, 306), ==, WGD_TRAVERSAL_FINISH);
}

static void
test_handshake_while_holding (void)
{
  WgdTraversal t;

  /* An old handshake does not count; the far side's, arriving through
   * our open NAT while we hold, does. */
  wgd_traversal_start (&t, 0, 50, WGD_PUNCH_HOLD_MS);
  g_assert_cmpint (wgd_traversal_step (&t, 1000, 100, 50), ==, WGD_TRAVERSAL_WAIT);
  g_assert_cmpint (wgd_traversal_step (&t, 2000, 101, 101), ==, WGD_TRAVERSAL_FINISH);
}

static void
test_park_and_retry (void)
{
  WgdTraversal t;
  gint64 ms = 0;

  /* A first attempt held longer, for a peer that has just started. */
  wgd_traversal_start (&t, ms, 0, 7000);
  ms += WGD_PUNCH_HOLD_MS;
  g_assert_cmpint (wgd_traversal_step (&t, ms, 999, 0), ==, WGD_TRAVERSAL_WAIT);
  ms += 4000;
  g_assert_cmpint (wgd_traversal_step (&t, ms, 1003, 0), ==, WGD_TRAVERSAL_WRITE);
  ms += WGD_PUNCH_TRY_MS - 1;
  g_assert_cmpint (wgd_traversal_step (&t, ms, 1012, 0), ==, WGD_TRAVERSAL_WAIT);
  ms += 1;
  g_assert_cmpint (wgd_traversal_step (&t, ms, 1013, 0), ==, WGD_TRAVERSAL_PARK);
  g_assert_cmpint (t.phase, ==, WGD_TRAVERSAL_PARKED);
  g_assert_cmpuint (t.retry_at, ==, 1080);
  /* Silent until the slot, on the wall clock. */
  g_assert_cmpint (wgd_traversal_step (&t, ms + 60000, 1079, 0), ==, WGD_TRAVERSAL_WAIT);
  ms += 67000;
  g_assert_cmpint (wgd_traversal_step (&t, ms, 1080, 0), ==, WGD_TRAVERSAL_PUNCH);
  g_assert_cmpint (t.phase, ==, WGD_TRAVERSAL_HOLDING);
  g_assert_cmpuint (t.attempts, ==, 2);
  /* Retries hold the usual time: both sides punch on the slot. */
  g_assert_cmpint (wgd_traversal_step (&t, ms + WGD_PUNCH_HOLD_MS - 1, 1082, 0), ==,
                   WGD_TRAVERSAL_WAIT);
  ms += WGD_PUNCH_HOLD_MS;
  g_assert_cmpint (wgd_traversal_step (&t, ms, 1083, 0), ==, WGD_TRAVERSAL_WRITE);
  g_assert_cmpint (wgd_traversal_step (&t, ms + 200, 1083, 1083), ==, WGD_TRAVERSAL_FINISH);
}

/* Two sides failing at different times inside one slot retry in the
 * same slot, as long as both are silent the whole NAT timeout. */
static void
test_sides_meet (void)
{
  for (guint64 fail_a = 1000; fail_a < 1060; fail_a++)
    for (guint64 fail_b = fail_a; fail_b < fail_a + 5; fail_b++)
      {
        guint64 a = wgd_traversal_next_slot (fail_a), b = wgd_traversal_next_slot (fail_b);

        /* The later one's slot; the earlier tries the slot before alone
         * at most once, and then both meet. */
        g_assert_true (a == b || a + WGD_PUNCH_SLOT_S == b);
      }
  /* A failed try ends well before the next slot: the NATs forget. */
  g_assert_cmpint (WGD_PUNCH_SLOT_S * 1000 - WGD_PUNCH_HOLD_MS - WGD_PUNCH_TRY_MS, >=,
                   WGD_PUNCH_SILENCE_S * 1000);
}

static void
test_phase_names (void)
{
  for (guint i = 0; i < WGD_TRAVERSAL_PHASE_COUNT; i++)
    {
      WgdTraversalPhase back;

      g_assert_true (wgd_traversal_phase_from_string (wgd_traversal_phase_to_string (i), &back));
      g_assert_cmpuint (back, ==, i);
    }
  g_assert_false (wgd_traversal_phase_from_string ("punching", &(WgdTraversalPhase) { 0 }));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/punch-policy/wants", test_wants);
  g_test_add_func ("/punch-policy/hold", test_hold);
  g_test_add_func ("/punch-policy/slot", test_slot);
  g_test_add_func ("/punch-policy/first-try", test_first_try);
  g_test_add_func ("/punch-policy/handshake-while-holding", test_handshake_while_holding);
  g_test_add_func ("/punch-policy/stale", test_stale);
  g_test_add_func ("/punch-policy/park-and-retry", test_park_and_retry);
  g_test_add_func ("/punch-policy/sides-meet", test_sides_meet);
  g_test_add_func ("/punch-policy/phase-names", test_phase_names);
  return g_test_run ();
}
