/* batch.h — when a job that batches events (saving the state, telling
 * the listeners, acting on records) runs: pure, the times passed in.
 *
 * At once when it last ran at least a gap ago: one event on an idle
 * daemon costs one run and no wake-up of its own. Else when the gap has
 * passed: a burst (a flood of records) costs one run per gap, whatever
 * its size. */
#pragma once

#include <glib.h>

/* Microseconds to wait before the job runs, from now; 0 for at once.
 * last_run is when it last ran (0: never), now and last_run monotonic
 * microseconds, gap at least 0. */
gint64 wgd_batch_wait_us (gint64 last_run, gint64 now, gint64 gap);
