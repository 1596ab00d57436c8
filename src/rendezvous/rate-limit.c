/* rate-limit.c — token buckets per source address. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <gio/gio.h>

#include "rate-limit.h"

typedef struct {
  gdouble tokens;
  gint64 updated_us;
} Bucket;

struct _RdvRateLimit {
  gdouble rate;
  gdouble burst;
  guint max_sources;
  GHashTable *buckets;          /* source → Bucket */
};

RdvRateLimit *
rdv_rate_limit_new (gdouble rate, gdouble burst, guint max_sources)
{
  RdvRateLimit *rl = g_new0 (RdvRateLimit, 1);

  rl->rate = rate;
  rl->burst = MAX (burst, 1.0);
  rl->max_sources = MAX (max_sources, 1);
  rl->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return rl;
}

void
rdv_rate_limit_free (RdvRateLimit *rl)
{
  if (rl == NULL)
    return;
  g_hash_table_unref (rl->buckets);
  g_free (rl);
}

guint
rdv_rate_limit_size (const RdvRateLimit *rl)
{
  return g_hash_table_size (rl->buckets);
}

/* The table is full: drop the bucket used longest ago. A linear scan,
 * but only when a new source arrives at a full table; a full bucket
 * could go as well, it is as good as none. */
static void
evict_oldest (RdvRateLimit *rl)
{
  GHashTableIter iter;
  gpointer key, value;
  gpointer oldest = NULL;
  gint64 oldest_us = G_MAXINT64;

  g_hash_table_iter_init (&iter, rl->buckets);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const Bucket *b = value;

      if (b->updated_us < oldest_us)
        {
          oldest_us = b->updated_us;
          oldest = key;
        }
    }
  if (oldest != NULL)
    g_hash_table_remove (rl->buckets, oldest);
}

gboolean
rdv_rate_limit_take (RdvRateLimit *rl, const gchar *source, gint64 now_us, guint *retry_after)
{
  Bucket *b = g_hash_table_lookup (rl->buckets, source);

  if (b == NULL)
    {
      if (g_hash_table_size (rl->buckets) >= rl->max_sources)
        evict_oldest (rl);
      b = g_new (Bucket, 1);
      b->tokens = rl->burst;
      b->updated_us = now_us;
      g_hash_table_insert (rl->buckets, g_strdup (source), b);
    }
  else if (now_us > b->updated_us)
    {
      b->tokens = MIN (rl->burst, b->tokens + rl->rate * (gdouble) (now_us - b->updated_us) / 1e6);
      b->updated_us = now_us;
    }
  if (b->tokens >= 1.0)
    {
      b->tokens -= 1.0;
      return TRUE;
    }
  *retry_after = rl->rate > 0 ? (guint) MAX (1.0, ceil ((1.0 - b->tokens) / rl->rate)) : 3600;
  return FALSE;
}

gchar *
rdv_rate_limit_source (const gchar *address)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);
  guint8 bytes[16] = { 0 };
  g_autoptr (GInetAddress) prefix = NULL;
  g_autofree gchar *text = NULL;

  if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6
      || g_inet_address_get_is_loopback (inet))
    return g_strdup (address);
  memcpy (bytes, g_inet_address_to_bytes (inet), 8);
  prefix = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (prefix);
  return g_strdup_printf ("%s/64", text);
}
