/* test-resolve-policy.c — when a configured host name is resolved again:
 * at its TTL within bounds, after failures with a growing jittered
 * wait, at once on a network change (and again after a lookup that was
 * in flight then), and early for a stale handshake at most once per
 * TTL_MIN. */
#include "config.h"

#include "resolve-policy.h"
#include "test-util.h"

#define NOW 1700000000

static void
test_ttl_bounds (void)
{
  WgdResolveSchedule s;

  wgd_resolve_schedule_init (&s);
  g_assert_true (wgd_resolve_schedule_is_due (&s, NOW));
  wgd_resolve_schedule_started (&s);
  g_assert_false (wgd_resolve_schedule_is_due (&s, NOW));
  g_assert_cmpint (wgd_resolve_schedule_answered (&s, 120, NOW), ==, NOW + 120);
  g_assert_false (wgd_resolve_schedule_is_due (&s, NOW + 119));
  g_assert_true (wgd_resolve_schedule_is_due (&s, NOW + 120));

  wgd_resolve_schedule_started (&s);
  g_assert_cmpint (wgd_resolve_schedule_answered (&s, 0, NOW), ==,
                   NOW + WGD_RESOLVE_TTL_MIN_S);
  wgd_resolve_schedule_started (&s);
  g_assert_cmpint (wgd_resolve_schedule_answered (&s, 86400, NOW), ==,
                   NOW + WGD_RESOLVE_TTL_MAX_S);
}

static void
test_failure_backoff (void)
{
  WgdResolveSchedule s;
  gint64 due;

  wgd_resolve_schedule_init (&s);
  /* 5 s at first: its upper half, [3, 5]. */
  wgd_resolve_schedule_started (&s);
  g_assert_cmpint (wgd_resolve_schedule_failed (&s, NOW, test_random_zero, NULL), ==, NOW + 3);
  wgd_resolve_schedule_started (&s);
  g_assert_cmpint (wgd_resolve_schedule_failed (&s, NOW, test_random_max, NULL), ==, NOW + 10);
  /* Doubling up to the cap, however many failures. */
  for (guint i = 0; i < 40; i++)
    {
      wgd_resolve_schedule_started (&s);
      due = wgd_resolve_schedule_failed (&s, NOW, test_random_max, NULL);
      g_assert_cmpint (due, <=, NOW + WGD_RESOLVE_RETRY_MAX_S);
    }
  g_assert_cmpint (due, ==, NOW + WGD_RESOLVE_RETRY_MAX_S);
  wgd_resolve_schedule_started (&s);
  g_assert_cmpint (wgd_resolve_schedule_failed (&s, NOW, test_random_zero, NULL), ==,
                   NOW + WGD_RESOLVE_RETRY_MAX_S / 2);
  /* An answer starts the count again. */
  wgd_resolve_schedule_started (&s);
  wgd_resolve_schedule_answered (&s, 60, NOW);
  g_assert_cmpuint (s.failures, ==, 0);
  wgd_resolve_schedule_started (&s);
  g_assert_cmpint (wgd_resolve_schedule_failed (&s, NOW, test_random_zero, NULL), ==, NOW + 3);
}

static void
test_network_change (void)
{
  WgdResolveSchedule s;

  wgd_resolve_schedule_init (&s);
  wgd_resolve_schedule_started (&s);
  wgd_resolve_schedule_answered (&s, 600, NOW);
  wgd_resolve_schedule_network_changed (&s, NOW + 10);
  g_assert_true (wgd_resolve_schedule_is_due (&s, NOW + 10));

  /* During a lookup: once more when it answers, whatever its TTL. */
  wgd_resolve_schedule_started (&s);
  wgd_resolve_schedule_network_changed (&s, NOW + 11);
  g_assert_false (wgd_resolve_schedule_is_due (&s, NOW + 11));
  g_assert_cmpint (wgd_resolve_schedule_answered (&s, 600, NOW + 12), ==, NOW + 12);
  wgd_resolve_schedule_started (&s);
  g_assert_cmpint (wgd_resolve_schedule_answered (&s, 600, NOW + 13), ==, NOW + 613);
}

static void
test_stale_handshake (void)
{
  WgdResolveSchedule s;

  wgd_resolve_schedule_init (&s);
  /* Due anyway: nothing brought forward. */
  g_assert_false (wgd_resolve_schedule_stale (&s, NOW));
  wgd_resolve_schedule_started (&s);
  wgd_resolve_schedule_answered (&s, 3600, NOW);
  g_assert_true (wgd_resolve_schedule_stale (&s, NOW + 100));
  g_assert_true (wgd_resolve_schedule_is_due (&s, NOW + 100));
  wgd_resolve_schedule_started (&s);
  wgd_resolve_schedule_answered (&s, 3600, NOW + 101);
  /* Still stale: not again within TTL_MIN of the last early one. */
  g_assert_false (wgd_resolve_schedule_stale (&s, NOW + 100 + WGD_RESOLVE_TTL_MIN_S - 1));
  g_assert_false (wgd_resolve_schedule_is_due (&s, NOW + 100 + WGD_RESOLVE_TTL_MIN_S - 1));
  g_assert_true (wgd_resolve_schedule_stale (&s, NOW + 100 + WGD_RESOLVE_TTL_MIN_S));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/resolve-policy/ttl-bounds", test_ttl_bounds);
  g_test_add_func ("/resolve-policy/failure-backoff", test_failure_backoff);
  g_test_add_func ("/resolve-policy/network-change", test_network_change);
  g_test_add_func ("/resolve-policy/stale-handshake", test_stale_handshake);
  return g_test_run ();
}
