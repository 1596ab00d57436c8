/* redis-sentinel.c — asking Redis Sentinel where the primary is (see the
 * header): SENTINEL get-master-addr-by-name, one Sentinel after the
 * other, synchronously and bounded by the caller's timeout, as the
 * store's own commands are. The answer is hostile like any input: it
 * must be an address (Sentinel reports addresses, never names) and a
 * port, or that Sentinel is passed over. */
#include "config.h"

#define G_LOG_DOMAIN "wgdiscover-rendezvous"

#include <string.h>
#include <gio/gio.h>
#include <hiredis/hiredis.h>

#include "redis-sentinel.h"
#include "wgd-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (redisContext, redisFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (redisReply, freeReplyObject)

/* The primary's address from one Sentinel's answer, or why not. */
static gboolean
sentinel_answer_parse (const redisReply *reply, gchar **host, guint16 *port, gchar **why)
{
  g_autoptr (GInetAddress) inet = NULL;
  guint64 n;

  if (reply->type == REDIS_REPLY_NIL)
    {
      *why = g_strdup ("does not know that name");
      return FALSE;
    }
  if (reply->type == REDIS_REPLY_ERROR)
    {
      *why = g_strdup_printf ("answered: %.200s", reply->str);
      return FALSE;
    }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
      || reply->element[0]->type != REDIS_REPLY_STRING
      || reply->element[1]->type != REDIS_REPLY_STRING)
    {
      *why = g_strdup ("answered something other than an address and a port");
      return FALSE;
    }
  if (strlen (reply->element[0]->str) != reply->element[0]->len
      || (inet = g_inet_address_new_from_string (reply->element[0]->str)) == NULL)
    {
      *why = g_strdup ("gave a primary address that is not an IP address");
      return FALSE;
    }
  if (!g_ascii_string_to_unsigned (reply->element[1]->str, 10, 1, 65535, &n, NULL))
    {
      *why = g_strdup ("gave a port that is not a number from 1 to 65535");
      return FALSE;
    }
  *host = g_inet_address_to_string (inet);
  *port = (guint16) n;
  return TRUE;
}

static gboolean
sentinel_ask (const RdvStoreHost *sentinel, const gchar *name, guint timeout_ms, gchar **host,
              guint16 *port, gchar **why)
{
  struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
  g_autoptr (redisContext) c = redisConnectWithTimeout (sentinel->host, sentinel->port, tv);
  g_autoptr (redisReply) reply = NULL;
  const char *argv[] = { "SENTINEL", "get-master-addr-by-name", name };

  if (c == NULL || c->err != 0)
    {
      *why = g_strdup (c != NULL ? c->errstr : "no memory for a connection");
      return FALSE;
    }
  if (redisSetTimeout (c, tv) != REDIS_OK)
    {
      *why = g_strdup (c->errstr);
      return FALSE;
    }
  reply = redisCommandArgv (c, G_N_ELEMENTS (argv), argv, NULL);
  if (reply == NULL)
    {
      *why = g_strdup (c->errstr[0] ? c->errstr : "no answer");
      return FALSE;
    }
  return sentinel_answer_parse (reply, host, port, why);
}

RdvStoreLocation *
rdv_redis_locate_primary (const RdvStoreLocation *where, guint timeout_ms, GError **error)
{
  g_autoptr (GString) failures = NULL;

  if (where->kind != RDV_STORE_KIND_REDIS_SENTINEL)
    return rdv_store_location_copy (where);
  failures = g_string_new (NULL);
  for (guint i = 0; i < where->n_sentinels; i++)
    {
      const RdvStoreHost *sentinel = &where->sentinels[i];
      g_autoptr (RdvStoreLocation) primary = rdv_store_location_new ();
      g_autofree gchar *why = NULL;

      if (sentinel_ask (sentinel, where->primary_name, timeout_ms, &primary->host,
                        &primary->port, &why))
        {
          primary->kind = RDV_STORE_KIND_REDIS_TCP;
          primary->db = where->db;
          return g_steal_pointer (&primary);
        }
      g_string_append_printf (failures, "%sSentinel %s:%u %s", i > 0 ? "; " : "",
                              sentinel->host, sentinel->port, why);
    }
  g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "no Sentinel gave the primary '%s': %s",
               where->primary_name, failures->str);
  return NULL;
}

gboolean
rdv_redis_error_is_readonly (const gchar *message)
{
  /* Redis 7 keeps the error code of a command a script ran. */
  return message != NULL
         && (g_str_has_prefix (message, "READONLY ") || strstr (message, " READONLY ") != NULL);
}
