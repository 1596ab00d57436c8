/* batch.c — when a batching job runs (batch.h). */
#include "config.h"

#include "batch.h"

gint64
wgd_batch_wait_us (gint64 last_run, gint64 now, gint64 gap)
{
  if (last_run == 0 || now - last_run >= gap)
    return 0;
  /* A clock that went back (it does not: monotonic) waits one gap. */
  return CLAMP (last_run + gap - now, 0, gap);
}
