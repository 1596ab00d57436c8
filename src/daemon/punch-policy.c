/* punch-policy.c — the decisions of punch-policy.h. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include "punch-policy.h"
#include "rendezvous-policy.h"

const WgdCandidate *
wgd_punch_policy_candidate (const WgdPeerEntry *entry, const WgdSockaddr *endpoint)
{
  if (endpoint->sa.sa_family != AF_INET || endpoint->in.sin_port == 0)
    return NULL;
  for (guint i = 0; i < entry->candidates->len; i++)
    {
      const WgdCandidate *c = &g_array_index (entry->candidates, WgdCandidate, i);

      if (c->source == WGD_SOURCE_RENDEZVOUS && wgd_sockaddr_equal (&c->address, endpoint)
          && !wgd_rdv_address_is_private (4, (const guint8 *) &endpoint->in.sin_addr))
        return c;
    }
  return NULL;
}

guint
wgd_punch_policy_hold_ms (guint64 signed_at, guint64 wall)
{
  /* Its first lookup of us: about the grace after it signed; its clock
   * counts in whole seconds, so one more. */
  guint64 asks_at_ms = signed_at * 1000 + WGD_RDV_LAN_GRACE_MS + 1000;
  guint64 now_ms = wall * 1000;

  if (asks_at_ms <= now_ms)
    return WGD_PUNCH_HOLD_MS;
  return (guint) MIN (asks_at_ms - now_ms + WGD_PUNCH_HOLD_MS, WGD_PUNCH_HOLD_MAX_MS);
}

void
wgd_traversal_start (WgdTraversal *t, gint64 now_ms, gint64 last_handshake, guint hold_ms)
{
  memset (t, 0, sizeof *t);
  t->phase = WGD_TRAVERSAL_HOLDING;
  t->phase_ms = now_ms;
  t->started_ms = now_ms;
  t->handshake_before = last_handshake;
  t->hold_ms = hold_ms;
  t->attempts = 1;
}

guint64
wgd_traversal_next_slot (guint64 wall)
{
  guint64 earliest = wall + WGD_PUNCH_SILENCE_S;

  return (earliest + WGD_PUNCH_SLOT_S - 1) / WGD_PUNCH_SLOT_S * WGD_PUNCH_SLOT_S;
}

static void
enter (WgdTraversal *t, WgdTraversalPhase phase, gint64 now_ms)
{
  t->phase = phase;
  t->phase_ms = now_ms;
}

WgdTraversalAction
wgd_traversal_step (WgdTraversal *t, gint64 now_ms, guint64 wall, gint64 last_handshake)
{
  if (t->phase == WGD_TRAVERSAL_DONE)
    {
      if (last_handshake <= 0 || (guint64) last_handshake + WGD_PUNCH_STALE_S > wall)
        return WGD_TRAVERSAL_WAIT;
      wgd_traversal_start (t, now_ms, last_handshake, WGD_PUNCH_HOLD_MS);
      return WGD_TRAVERSAL_PUNCH;
    }
  /* Whatever we were doing: WireGuard got through. */
  if (last_handshake > t->handshake_before)
    {
      enter (t, WGD_TRAVERSAL_DONE, now_ms);
      return WGD_TRAVERSAL_FINISH;
    }
  switch (t->phase)
    {
    case WGD_TRAVERSAL_HOLDING:
      if (now_ms - t->phase_ms < t->hold_ms)
        return WGD_TRAVERSAL_WAIT;
      enter (t, WGD_TRAVERSAL_TRYING, now_ms);
      return WGD_TRAVERSAL_WRITE;
    case WGD_TRAVERSAL_TRYING:
      if (now_ms - t->phase_ms < WGD_PUNCH_TRY_MS)
        return WGD_TRAVERSAL_WAIT;
      enter (t, WGD_TRAVERSAL_PARKED, now_ms);
      t->retry_at = wgd_traversal_next_slot (wall);
      return WGD_TRAVERSAL_PARK;
    case WGD_TRAVERSAL_PARKED:
      if (wall < t->retry_at)
        return WGD_TRAVERSAL_WAIT;
      enter (t, WGD_TRAVERSAL_HOLDING, now_ms);
      t->hold_ms = WGD_PUNCH_HOLD_MS;
      if (t->attempts < G_MAXUINT)
        t->attempts++;
      return WGD_TRAVERSAL_PUNCH;
    case WGD_TRAVERSAL_DONE:
    case WGD_TRAVERSAL_PHASE_COUNT:
      break;
    }
  return WGD_TRAVERSAL_WAIT;
}

/* The names are stable: they are logged. */
static const gchar *const phase_names[WGD_TRAVERSAL_PHASE_COUNT] = {
  [WGD_TRAVERSAL_HOLDING] = "holding",
  [WGD_TRAVERSAL_TRYING] = "trying",
  [WGD_TRAVERSAL_PARKED] = "parked",
  [WGD_TRAVERSAL_DONE] = "done",
};

const gchar *
wgd_traversal_phase_to_string (WgdTraversalPhase phase)
{
  g_return_val_if_fail (phase < WGD_TRAVERSAL_PHASE_COUNT, "unknown");
  return phase_names[phase];
}

gboolean
wgd_traversal_phase_from_string (const gchar *text, WgdTraversalPhase *phase)
{
  for (guint i = 0; i < WGD_TRAVERSAL_PHASE_COUNT; i++)
    if (g_strcmp0 (text, phase_names[i]) == 0)
      {
        *phase = (WgdTraversalPhase) i;
        return TRUE;
      }
  return FALSE;
}
