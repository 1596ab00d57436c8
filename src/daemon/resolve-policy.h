/* resolve-policy.h — when wgdiscoverd resolves a configured host-name
 * endpoint again: pure, the time (clock seconds) and randomness passed
 * in by the caller, as in rendezvous-policy.h.
 *
 * - An answer holds for its DNS TTL, bounded to [TTL_MIN, TTL_MAX]: a
 *   TTL of 0 would cost a query at every look, one of a day would miss
 *   the move a dynamic-DNS name exists for.
 * - A failure (no such name, no answer, a server failure) keeps the last
 *   addresses and retries after RETRY_FIRST, doubling up to RETRY_MAX,
 *   each wait drawn in its upper half so that the hosts of an office do
 *   not query in step.
 * - A change of the machine's network (an address, the default route)
 *   resolves at once: the DNS server, and its answer, may differ there.
 *   A lookup in flight then is repeated once it answers, since it may
 *   have gone out on the old network.
 * - A handshake gone stale while traffic is sent resolves at once, at
 *   most once per TTL_MIN: the name may have moved before its TTL ran
 *   out, and a dead peer must not cost a query at every look. */
#pragma once

#include <glib.h>

#define WGD_RESOLVE_TTL_MIN_S 30
#define WGD_RESOLVE_TTL_MAX_S 3600
#define WGD_RESOLVE_RETRY_FIRST_S 5
#define WGD_RESOLVE_RETRY_MAX_S 300

/* A uniform random number in [0, upper). */
typedef guint32 (*WgdResolveRandomFunc) (guint32 upper, gpointer user_data);

typedef struct {
  gint64 due;                   /* when to resolve next */
  gint64 last_early;            /* the last time a stale handshake brought it forward */
  guint failures;               /* in a row, since the last answer */
  gboolean in_flight;
  gboolean again;               /* resolve once more when the one in flight ends */
} WgdResolveSchedule;

/* A name not resolved yet: due at once. */
void wgd_resolve_schedule_init (WgdResolveSchedule *s);
/* Whether a lookup should start now (none in flight, and due). */
gboolean wgd_resolve_schedule_is_due (const WgdResolveSchedule *s, gint64 now);
void wgd_resolve_schedule_started (WgdResolveSchedule *s);
/* An answer with ttl (the least over its records); returns when it
 * is due again. */
gint64 wgd_resolve_schedule_answered (WgdResolveSchedule *s, guint32 ttl, gint64 now);
/* The lookup failed; returns when it is due again. */
gint64 wgd_resolve_schedule_failed (WgdResolveSchedule *s, gint64 now,
                                    WgdResolveRandomFunc random, gpointer user_data);
void wgd_resolve_schedule_network_changed (WgdResolveSchedule *s, gint64 now);
/* The peer's handshake went stale while traffic was sent: TRUE if that
 * brought the lookup forward to now. */
gboolean wgd_resolve_schedule_stale (WgdResolveSchedule *s, gint64 now);
