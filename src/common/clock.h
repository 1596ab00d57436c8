/* clock.h — the one wall clock of wgdiscover: every decision that
 * depends on the time of day (freshness, expiry, our own timestamps)
 * asks here, and pure code takes the time as an input instead. */
#pragma once

#include <glib.h>

/* Seconds since the epoch; 0 for a clock set before it. */
guint64 wgd_clock_now (void);
