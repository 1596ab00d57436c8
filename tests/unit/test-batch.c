/* test-batch.c — when a batching job runs: at once when idle, at the
 * gap's end during a burst, one run per gap however many events. */
#include "config.h"

#include "batch.h"
#include "test-util.h"

#define GAP G_USEC_PER_SEC

static void
test_idle_runs_at_once (void)
{
  /* Never ran, or long ago, or exactly a gap ago: no timer. */
  g_assert_cmpint (wgd_batch_wait_us (0, 5 * GAP, GAP), ==, 0);
  g_assert_cmpint (wgd_batch_wait_us (GAP, 300 * GAP, GAP), ==, 0);
  g_assert_cmpint (wgd_batch_wait_us (GAP, 2 * GAP, GAP), ==, 0);
}

static void
test_burst_waits_for_the_gap (void)
{
  g_assert_cmpint (wgd_batch_wait_us (10 * GAP, 10 * GAP, GAP), ==, GAP);
  g_assert_cmpint (wgd_batch_wait_us (10 * GAP, 10 * GAP + 300000, GAP), ==, 700000);
  g_assert_cmpint (wgd_batch_wait_us (10 * GAP, 11 * GAP - 1, GAP), ==, 1);
  /* A last run in the future (never, with a monotonic clock) waits
   * one gap, not longer. */
  g_assert_cmpint (wgd_batch_wait_us (20 * GAP, 10 * GAP, GAP), ==, GAP);
  /* No gap: always at once. */
  g_assert_cmpint (wgd_batch_wait_us (10 * GAP, 10 * GAP, 0), ==, 0);
}

/* A flood of events 1 ms apart for 10 s: a run at the first, then one
 * per gap (the job runs when its wait is over, and events meanwhile
 * only join it). */
static void
test_flood_runs_once_per_gap (void)
{
  gint64 last_run = 0;
  gint64 due = -1;              /* a run is scheduled for then */
  guint runs = 0;

  for (gint64 now = 100 * GAP; now < 110 * GAP; now += 1000)
    {
      if (due >= 0 && now >= due)
        {
          runs++;
          last_run = now;
          due = -1;
        }
      if (due < 0)
        due = now + wgd_batch_wait_us (last_run, now, GAP);
    }
  g_assert_cmpuint (runs, >=, 10);
  g_assert_cmpuint (runs, <=, 11);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/batch/idle-runs-at-once", test_idle_runs_at_once);
  g_test_add_func ("/batch/burst-waits-for-the-gap", test_burst_waits_for_the_gap);
  g_test_add_func ("/batch/flood-runs-once-per-gap", test_flood_runs_once_per_gap);
  return g_test_run ();
}
