/* rate-limit.h — requests per source per second: a token bucket per
 * source in a table of bounded size. Pure: the time is an input
 * (microseconds of a monotonic clock). */
#pragma once

#include <glib.h>

typedef struct _RdvRateLimit RdvRateLimit;

/* rate tokens a second, at most burst saved up, at most max_sources
 * buckets (the least recently used one goes when a new source comes). */
RdvRateLimit *rdv_rate_limit_new (gdouble rate, gdouble burst, guint max_sources);
void rdv_rate_limit_free (RdvRateLimit *rl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvRateLimit, rdv_rate_limit_free)

/* Takes a token for source; when none is left, FALSE and the whole
 * seconds until one is (at least 1). */
gboolean rdv_rate_limit_take (RdvRateLimit *rl, const gchar *source, gint64 now_us,
                              guint *retry_after);
guint rdv_rate_limit_size (const RdvRateLimit *rl);

/* The bucket's name for an address: IPv6 sources by their /64, which one
 * host usually has whole. */
gchar *rdv_rate_limit_source (const gchar *address);
