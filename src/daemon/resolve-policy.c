/* resolve-policy.c — when a configured host name is resolved again (see
 * the header). */
#include "config.h"

#include "resolve-policy.h"

void
wgd_resolve_schedule_init (WgdResolveSchedule *s)
{
  *s = (WgdResolveSchedule) { .due = 0, .last_early = G_MININT64 };
}

gboolean
wgd_resolve_schedule_is_due (const WgdResolveSchedule *s, gint64 now)
{
  return !s->in_flight && s->due <= now;
}

void
wgd_resolve_schedule_started (WgdResolveSchedule *s)
{
  s->in_flight = TRUE;
}

/* A lookup ended: one asked for meanwhile is due at once. */
static gint64
resolve_schedule_ended (WgdResolveSchedule *s, gint64 due, gint64 now)
{
  s->in_flight = FALSE;
  s->due = s->again ? now : due;
  s->again = FALSE;
  return s->due;
}

gint64
wgd_resolve_schedule_answered (WgdResolveSchedule *s, guint32 ttl, gint64 now)
{
  s->failures = 0;
  return resolve_schedule_ended (s, now + CLAMP (ttl, WGD_RESOLVE_TTL_MIN_S,
                                                 WGD_RESOLVE_TTL_MAX_S), now);
}

gint64
wgd_resolve_schedule_failed (WgdResolveSchedule *s, gint64 now, WgdResolveRandomFunc random,
                             gpointer user_data)
{
  guint32 wait = WGD_RESOLVE_RETRY_MAX_S;
  guint32 half;

  if (s->failures < 16)
    wait = MIN ((guint32) WGD_RESOLVE_RETRY_FIRST_S << s->failures, WGD_RESOLVE_RETRY_MAX_S);
  s->failures++;
  half = wait / 2;
  return resolve_schedule_ended (s, now + (wait - half) + random (half + 1, user_data), now);
}

void
wgd_resolve_schedule_network_changed (WgdResolveSchedule *s, gint64 now)
{
  if (s->in_flight)
    s->again = TRUE;
  else
    s->due = MIN (s->due, now);
}

gboolean
wgd_resolve_schedule_stale (WgdResolveSchedule *s, gint64 now)
{
  if (s->last_early > G_MININT64 && now - s->last_early < WGD_RESOLVE_TTL_MIN_S)
    return FALSE;
  if (!s->in_flight && s->due <= now)
    return FALSE;
  s->last_early = now;
  wgd_resolve_schedule_network_changed (s, now);
  return TRUE;
}
