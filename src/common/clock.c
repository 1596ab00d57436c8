/* clock.c — the wall clock (see clock.h). */
#include "config.h"

#include "clock.h"

guint64
wgd_clock_now (void)
{
  return (guint64) MAX (g_get_real_time () / G_USEC_PER_SEC, 0);
}
