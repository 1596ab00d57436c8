/* rendezvous-policy.c — the rendezvous client's decisions: backoff,
 * Retry-After, the address filter, the lookup schedule (see the header). */
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
