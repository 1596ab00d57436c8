/* rendezvous-policy.c — the rendezvous client's decisions: backoff,
 * Retry-After, the address filter, the lookup schedule, following a
 * mesh (see the header). */
#include "config.h"

#include "rendezvous-policy.h"

#include <string.h>

guint64
wgd_rdv_backoff_next (WgdRdvBackoff *backoff, WgdRdvRandomFunc random, gpointer user_data)
{
  guint64 ceiling = WGD_RDV_BACKOFF_BASE_MS;

  for (guint i = 0; i < backoff->failures && ceiling < WGD_RDV_BACKOFF_CAP_MS; i++)
    ceiling *= 2;
  ceiling = MIN (ceiling, (guint64) WGD_RDV_BACKOFF_CAP_MS);
  if (backoff->failures < G_MAXUINT)
    backoff->failures++;
  return WGD_RDV_BACKOFF_FLOOR_MS + random ((guint32) ceiling + 1, user_data);
}

void
wgd_rdv_backoff_reset (WgdRdvBackoff *backoff)
{
  backoff->failures = 0;
}

gboolean
wgd_rdv_parse_retry_after (const gchar *value, guint *seconds)
{
  guint64 n = 0;

  if (value == NULL || *value == '\0' || strlen (value) > 10)
    return FALSE;
  for (const gchar *p = value; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      n = n * 10 + (guint64) (*p - '0');
    }
  *seconds = (guint) MIN (n, (guint64) WGD_RDV_RETRY_AFTER_MAX_S);
  return TRUE;
}

guint64
wgd_rdv_wait_after_429 (WgdRdvBackoff *backoff, const gchar *retry_after,
                        WgdRdvRandomFunc random, gpointer user_data)
{
  guint64 backoff_ms = wgd_rdv_backoff_next (backoff, random, user_data);
  guint seconds;

  if (!wgd_rdv_parse_retry_after (retry_after, &seconds))
    return backoff_ms;
  return MAX ((guint64) seconds * 1000, backoff_ms);
}

/* An IPv4 prefix in host order. */
typedef struct {
  guint32 network;
  guint bits;
} Prefix4;

static const Prefix4 private4[] = {
  { 0x00000000, 8 },            /* this network */
  { 0x0a000000, 8 },            /* RFC 1918 */
  { 0x64400000, 10 },           /* CGNAT, RFC 6598 */
  { 0x7f000000, 8 },            /* loopback */
  { 0xa9fe0000, 16 },           /* link-local */
  { 0xac100000, 12 },           /* RFC 1918 */
  { 0xc0a80000, 16 },           /* RFC 1918 */
  { 0xe0000000, 4 },            /* multicast */
  { 0xf0000000, 4 },            /* reserved, broadcast */
};

static gboolean
ipv4_is_private (const guint8 *a)
{
  guint32 v = ((guint32) a[0] << 24) | ((guint32) a[1] << 16) | ((guint32) a[2] << 8) | a[3];

  for (gsize i = 0; i < G_N_ELEMENTS (private4); i++)
    if ((v >> (32 - private4[i].bits)) == (private4[i].network >> (32 - private4[i].bits)))
      return TRUE;
  return FALSE;
}

gboolean
wgd_rdv_address_is_private (guint8 family, const guint8 *address)
{
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 zero[16] = { 0 };

  if (family == 4)
    return ipv4_is_private (address);
  if (family != 6)
    return TRUE;
  if (memcmp (address, mapped, sizeof mapped) == 0)
    return ipv4_is_private (address + 12);
  if (memcmp (address, zero, 15) == 0)          /* :: and ::1 */
    return address[15] <= 1;
  return (address[0] & 0xfe) == 0xfc            /* ULA fc00::/7 */
         || (address[0] == 0xfe && (address[1] & 0xc0) == 0x80)  /* link-local fe80::/10 */
         || (address[0] == 0xfe && (address[1] & 0xc0) == 0xc0)  /* site-local fec0::/10 */
         || address[0] == 0xff;                 /* multicast */
}

void
wgd_rdv_filter_endpoints (WgdAnnouncement *ann, gboolean allow_private)
{
  gsize kept = 0;

  if (allow_private)
    return;
  for (gsize i = 0; i < ann->n_endpoints; i++)
    if (!wgd_rdv_address_is_private (ann->endpoints[i].family, ann->endpoints[i].address))
      ann->endpoints[kept++] = ann->endpoints[i];
  ann->n_endpoints = kept;
}

typedef struct {
  gint64 next_at;               /* 0: not yet decided; G_MAXINT64: a lookup is running */
  gboolean wanted;              /* in this round */
  WgdRdvBackoff backoff;
} Lookup;

struct _WgdRdvSchedule {
  GHashTable *lookups;          /* GBytes key → Lookup */
};

WgdRdvSchedule *
wgd_rdv_schedule_new (void)
{
  WgdRdvSchedule *schedule = g_new0 (WgdRdvSchedule, 1);

  schedule->lookups = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                             (GDestroyNotify) g_bytes_unref, g_free);
  return schedule;
}

void
wgd_rdv_schedule_free (WgdRdvSchedule *schedule)
{
  if (schedule == NULL)
    return;
  g_hash_table_unref (schedule->lookups);
  g_free (schedule);
}

void
wgd_rdv_schedule_begin_round (WgdRdvSchedule *schedule)
{
  GHashTableIter iter;
  Lookup *lookup;

  g_hash_table_iter_init (&iter, schedule->lookups);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &lookup))
    lookup->wanted = FALSE;
}

void
wgd_rdv_schedule_want (WgdRdvSchedule *schedule, const guint8 key[WGD_KEY_LEN],
                       WgdRendezvousUse use, gboolean on_lan, gint64 now_ms)
{
  g_autoptr (GBytes) k = g_bytes_new (key, WGD_KEY_LEN);
  Lookup *lookup;

  switch (use)
    {
    case WGD_RENDEZVOUS_NEVER:
      return;
    case WGD_RENDEZVOUS_FALLBACK:
      /* Found on the LAN: its grace starts afresh once it is gone. */
      if (on_lan)
        return;
      break;
    case WGD_RENDEZVOUS_ALWAYS:
      break;
    }
  lookup = g_hash_table_lookup (schedule->lookups, k);
  if (lookup == NULL)
    {
      if (g_hash_table_size (schedule->lookups) >= WGD_RDV_LOOKUPS_MAX)
        return;
      lookup = g_new0 (Lookup, 1);
      lookup->next_at = use == WGD_RENDEZVOUS_ALWAYS ? now_ms : now_ms + WGD_RDV_LAN_GRACE_MS;
      g_hash_table_insert (schedule->lookups, g_steal_pointer (&k), lookup);
    }
  lookup->wanted = TRUE;
}

void
wgd_rdv_schedule_end_round (WgdRdvSchedule *schedule)
{
  GHashTableIter iter;
  Lookup *lookup;

  g_hash_table_iter_init (&iter, schedule->lookups);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &lookup))
    if (!lookup->wanted && lookup->next_at != G_MAXINT64)
      g_hash_table_iter_remove (&iter);
}

GPtrArray *
wgd_rdv_schedule_take_due (WgdRdvSchedule *schedule, gint64 now_ms)
{
  GPtrArray *due = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GHashTableIter iter;
  GBytes *key;
  Lookup *lookup;

  g_hash_table_iter_init (&iter, schedule->lookups);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &lookup))
    if (lookup->wanted && lookup->next_at <= now_ms)
      {
        lookup->next_at = G_MAXINT64;
        g_ptr_array_add (due, g_bytes_ref (key));
      }
  return due;
}

gint64
wgd_rdv_schedule_next_due (WgdRdvSchedule *schedule)
{
  GHashTableIter iter;
  Lookup *lookup;
  gint64 next = G_MAXINT64;

  g_hash_table_iter_init (&iter, schedule->lookups);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &lookup))
    if (lookup->wanted)
      next = MIN (next, lookup->next_at);
  return next;
}

void
wgd_rdv_schedule_done (WgdRdvSchedule *schedule, const guint8 key[WGD_KEY_LEN],
                       WgdRdvLookupOutcome outcome, gint64 now_ms, WgdRdvRandomFunc random,
                       gpointer user_data)
{
  g_autoptr (GBytes) k = g_bytes_new (key, WGD_KEY_LEN);
  Lookup *lookup = g_hash_table_lookup (schedule->lookups, k);
  guint64 wait = 0;

  if (lookup == NULL)
    return;
  if (!lookup->wanted)
    {
      g_hash_table_remove (schedule->lookups, k);
      return;
    }
  switch (outcome)
    {
    case WGD_RDV_LOOKUP_FOUND:
      wgd_rdv_backoff_reset (&lookup->backoff);
      wait = WGD_RDV_LOOKUP_INTERVAL_MS;
      break;
    case WGD_RDV_LOOKUP_MISSING:
      wait = wgd_rdv_backoff_next (&lookup->backoff, random, user_data);
      wait = MIN (wait, (guint64) WGD_RDV_LOOKUP_INTERVAL_MS);
      break;
    case WGD_RDV_LOOKUP_FAILED:
      wait = wgd_rdv_backoff_next (&lookup->backoff, random, user_data);
      break;
    }
  lookup->next_at = now_ms + (gint64) wait;
}

guint
wgd_rdv_schedule_size (WgdRdvSchedule *schedule)
{
  return g_hash_table_size (schedule->lookups);
}

static const gchar *const state_names[WGD_RDV_STATE_COUNT] = {
  [WGD_RDV_DISABLED] = "disabled",
  [WGD_RDV_CONNECTING] = "connecting",
  [WGD_RDV_CONNECTED] = "connected",
  [WGD_RDV_BACKING_OFF] = "backing-off",
};

const gchar *
wgd_rdv_state_to_string (WgdRdvState state)
{
  g_return_val_if_fail (state < WGD_RDV_STATE_COUNT, "unknown");
  return state_names[state];
}

gboolean
wgd_rdv_state_from_string (const gchar *text, WgdRdvState *state)
{
  for (guint i = 0; i < WGD_RDV_STATE_COUNT; i++)
    if (g_strcmp0 (text, state_names[i]) == 0)
      {
        *state = (WgdRdvState) i;
        return TRUE;
      }
  return FALSE;
}

static const gchar *const mesh_state_names[WGD_RDV_MESH_STATE_COUNT] = {
  [WGD_RDV_MESH_CONNECTING] = "connecting",
  [WGD_RDV_MESH_WATCHED] = "watched",
  [WGD_RDV_MESH_POLLED] = "polled",
};

const gchar *
wgd_rdv_mesh_state_to_string (WgdRdvMeshState state)
{
  g_return_val_if_fail (state < WGD_RDV_MESH_STATE_COUNT, "unknown");
  return mesh_state_names[state];
}

gboolean
wgd_rdv_mesh_state_from_string (const gchar *text, WgdRdvMeshState *state)
{
  for (guint i = 0; i < WGD_RDV_MESH_STATE_COUNT; i++)
    if (g_strcmp0 (text, mesh_state_names[i]) == 0)
      {
        *state = (WgdRdvMeshState) i;
        return TRUE;
      }
  return FALSE;
}

void
wgd_rdv_follow_init (WgdRdvFollow *follow, gint64 now_ms)
{
  memset (follow, 0, sizeof *follow);
  follow->state = WGD_RDV_MESH_CONNECTING;
  follow->watch_at = now_ms;
  follow->list_at = G_MAXINT64;
}

gboolean
wgd_rdv_follow_take_watch (WgdRdvFollow *follow, gint64 now_ms)
{
  if (follow->opening || follow->state == WGD_RDV_MESH_WATCHED || now_ms < follow->watch_at)
    return FALSE;
  follow->opening = TRUE;
  return TRUE;
}

gboolean
wgd_rdv_follow_take_list (WgdRdvFollow *follow, gint64 now_ms)
{
  if (follow->listing || now_ms < follow->list_at)
    return FALSE;
  follow->listing = TRUE;
  follow->list_started_at = now_ms;
  return TRUE;
}

void
wgd_rdv_follow_watch_opened (WgdRdvFollow *follow, gint64 now_ms)
{
  follow->opening = FALSE;
  follow->state = WGD_RDV_MESH_WATCHED;
  follow->opened_at = now_ms;
  follow->heard_at = now_ms;
  /* What was PUT before the watch opened is not pushed: list it once. */
  follow->list_at = now_ms;
  wgd_rdv_backoff_reset (&follow->list_backoff);
}

/* The watch is gone: poll at once unless a poll is planned already. */
static void
follow_poll (WgdRdvFollow *follow, guint64 wait, gint64 now_ms)
{
  follow->state = WGD_RDV_MESH_POLLED;
  follow->watch_at = now_ms + (gint64) wait;
  if (follow->list_at == G_MAXINT64)
    follow->list_at = now_ms;
}

void
wgd_rdv_follow_watch_failed (WgdRdvFollow *follow, const gchar *retry_after, gint64 now_ms,
                             WgdRdvRandomFunc random, gpointer user_data)
{
  guint64 wait = retry_after != NULL
    ? wgd_rdv_wait_after_429 (&follow->watch_backoff, retry_after, random, user_data)
    : wgd_rdv_backoff_next (&follow->watch_backoff, random, user_data);

  follow->opening = FALSE;
  follow_poll (follow, wait, now_ms);
}

void
wgd_rdv_follow_watch_closed (WgdRdvFollow *follow, gint64 now_ms, WgdRdvRandomFunc random,
                             gpointer user_data)
{
  if (follow->state != WGD_RDV_MESH_WATCHED)
    return;
  /* A watch that opens and drops at once (a proxy that cuts WebSockets),
   * or that brought nothing until it was found silent (one that swallows
   * them), backs off further each time; one the server kept answering
   * on for a while starts afresh. */
  if (follow->heard_at - follow->opened_at >= WGD_RDV_WATCH_STABLE_MS)
    wgd_rdv_backoff_reset (&follow->watch_backoff);
  follow_poll (follow, wgd_rdv_backoff_next (&follow->watch_backoff, random, user_data), now_ms);
}

void
wgd_rdv_follow_heard (WgdRdvFollow *follow, gint64 now_ms)
{
  follow->heard_at = now_ms;
}

gboolean
wgd_rdv_follow_is_silent (const WgdRdvFollow *follow, gint64 now_ms)
{
  return follow->state == WGD_RDV_MESH_WATCHED
         && now_ms - follow->heard_at > WGD_RDV_WATCH_SILENCE_MS;
}

void
wgd_rdv_follow_list_done (WgdRdvFollow *follow, gboolean ok, gint64 now_ms,
                          WgdRdvRandomFunc random, gpointer user_data)
{
  const guint32 half = WGD_RDV_POLL_INTERVAL_MS / 2;

  follow->listing = FALSE;
  if (!ok)
    {
      follow->list_at = now_ms + (gint64) wgd_rdv_backoff_next (&follow->list_backoff, random,
                                                                user_data);
      return;
    }
  wgd_rdv_backoff_reset (&follow->list_backoff);
  if (follow->state != WGD_RDV_MESH_WATCHED)
    follow->list_at = now_ms + half + random (half + 1, user_data);
  /* Watched: the listing after the watch opened was all there is to do;
   * one started before it opened may have missed a record, so again. */
  else if (follow->list_started_at >= follow->opened_at)
    follow->list_at = G_MAXINT64;
  else
    follow->list_at = now_ms;
}

gint64
wgd_rdv_follow_next_due (const WgdRdvFollow *follow, gint64 may_send_at)
{
  gint64 send = G_MAXINT64;
  gint64 silent = G_MAXINT64;

  if (!follow->opening && follow->state != WGD_RDV_MESH_WATCHED)
    send = follow->watch_at;
  if (!follow->listing)
    send = MIN (send, follow->list_at);
  if (send != G_MAXINT64)
    send = MAX (send, may_send_at);
  /* Silent once more than the silence has passed since it was heard. */
  if (follow->state == WGD_RDV_MESH_WATCHED)
    silent = follow->heard_at + WGD_RDV_WATCH_SILENCE_MS + 1;
  return MIN (send, silent);
}
