/* store-redis.c — the shared store: one Redis server (or its primary)
 * behind several rendezvous servers.
 *
 * Keys, under the prefix "wgdiscover:rdv:":
 *   r:HEX(wg key)       a hash: signing (32 bytes), mesh (hex, "" without
 *                       one), derived ("0"/"1"), ts, exp, record (bytes)
 *   s:HEX(signing key)  a hash: ts, digest (32 bytes), exp (the latest
 *                       expiry of the records it signed)
 *   m:HEX(mesh key)     a sorted set: member HEX(wg key), score its expiry
 *   all                 the same over every record, for the global count
 *   rl:SOURCE           a hash: a source's request bucket (take_script)
 *   ws:all, ws:SOURCE   sorted sets: the watch slots of the fleet and of
 *                       a source (claim_script)
 * so that get, get_signer, count and list_mesh are one round trip each.
 * Every key expires in Redis (EXPIREAT) when the last record it speaks
 * for does: nothing needs a purge job. The members of the sorted sets
 * do not expire on their own; put_if_newer and list_mesh drop the
 * expired ones of their mesh, purge_expired those of "all", and each
 * set goes with its last member. Every read still compares the expiry
 * with the caller's now, so a key Redis has not deleted yet is never
 * served after its record expired.
 *
 * Newest-wins and the caps on records are one Lua script, which Redis
 * runs atomically: two servers racing PUTs of one key, or of two keys at
 * a cap, are ordered by Redis, and the second is decided on what the
 * first wrote.
 *
 * Synchronous on purpose: the store interface is synchronous (the
 * SQLite store is), and one round trip to a Redis on the same network
 * costs about 0.1 ms, less than the signature check before it. What
 * must not happen is a dead Redis stalling the main loop: every connect
 * and command has a 500 ms timeout, and after a failure no call tries
 * Redis again for a second (each fails at once), so a dead Redis costs
 * the loop at most one timeout a second. Only a connection Redis closed
 * (a restart) is replaced at once, which costs no wait. hiredis's
 * asynchronous GLib adapter is for pub/sub, where a subscription waits
 * for messages.
 *
 * Durability is Redis's: with appendonly yes and appendfsync always
 * Redis writes the script's effects to its append-only file and fsyncs
 * it before it answers, so a record answered 200 survives a restart or
 * a crash of Redis (README.md, "Rendezvous on Redis"). */
#include "config.h"

#define G_LOG_DOMAIN "wgdiscover-rendezvous"

#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <hiredis/hiredis.h>
#include <sodium.h>

#include "push-message.h"
#include "redis-sentinel.h"
#include "store.h"
#include "wgd-error.h"

#define TIMEOUT_MS 500
#define BACKOFF_US G_USEC_PER_SEC
#define KEY_PREFIX "wgdiscover:rdv:"
#define ARGS_MAX 24
#define HEX_LEN (WGD_KEY_LEN * 2)

/* KEYS: the record, the signer, "all" and, with a mesh, its set.
 * ARGV: wg key (hex), signing key, mesh (hex or ""), derived, timestamp,
 * expiry, record, digest, now, the prefix of mesh sets, the mesh's push
 * channel ("" without a mesh), MaxRecords=, MaxRecordsPerMesh=. The
 * rules are those of store-sqlite.c's put_decide and put_fits, the caps
 * counted here so that servers racing at a cap cannot pass it together.
 * A stored record is published in the same script, so that every
 * record stored is published and only those (push-message.h). */
static const gchar put_script[] =
  "local ts, exp, now = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[9])\n"
  "local s = redis.call('HMGET', KEYS[2], 'ts', 'digest', 'exp')\n"
  "if s[1] then\n"
  "  local held = tonumber(s[1])\n"
  "  if ts < held or (ts == held and s[2] ~= ARGV[8]) then return 'stale' end\n"
  "  if ts == held then return 'known' end\n"
  "end\n"
  "local r = redis.call('HMGET', KEYS[1], 'ts', 'derived', 'exp', 'mesh')\n"
  "local held = r[1] and tonumber(r[3]) > now\n"
  "if held then\n"
  "  if r[2] == '1' and ARGV[4] ~= '1' then return 'held' end\n"
  "  if tonumber(r[1]) >= ts then return 'stale' end\n"
  "end\n"
  "if not (held and r[4] == ARGV[3]) then\n"
  "  local after = '(' .. ARGV[9]\n"
  "  if KEYS[4] and redis.call('ZCOUNT', KEYS[4], after, '+inf') >= tonumber(ARGV[13]) then\n"
  "    return 'mesh-full'\n"
  "  end\n"
  "  if not held and redis.call('ZCOUNT', KEYS[3], after, '+inf') >= tonumber(ARGV[12]) then\n"
  "    return 'server-full'\n"
  "  end\n"
  "end\n"
  "if r[4] and r[4] ~= '' and r[4] ~= ARGV[3] then\n"
  "  redis.call('ZREM', ARGV[10] .. r[4], ARGV[1])\n"
  "end\n"
  "redis.call('DEL', KEYS[1])\n"
  "redis.call('HSET', KEYS[1], 'signing', ARGV[2], 'mesh', ARGV[3], 'derived', ARGV[4],\n"
  "           'ts', ARGV[5], 'exp', ARGV[6], 'record', ARGV[7])\n"
  "redis.call('EXPIREAT', KEYS[1], ARGV[6])\n"
  "local sexp = exp\n"
  "if s[3] and tonumber(s[3]) > sexp then sexp = tonumber(s[3]) end\n"
  "redis.call('HSET', KEYS[2], 'ts', ARGV[5], 'digest', ARGV[8], 'exp', string.format('%d', sexp))\n"
  "redis.call('EXPIREAT', KEYS[2], string.format('%d', sexp))\n"
  "for i = 3, #KEYS do\n"
  "  redis.call('ZADD', KEYS[i], ARGV[6], ARGV[1])\n"
  "  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[9])\n"
  "  local top = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')\n"
  "  if top[2] then redis.call('EXPIREAT', KEYS[i], top[2]) end\n"
  "end\n"
  "if ARGV[11] ~= '' then\n"
  "  redis.call('PUBLISH', ARGV[11], ARGV[1] .. ' ' .. ARGV[5] .. ' ' .. ARGV[6] .. ' ' .. ARGV[7])\n"
  "end\n"
  "return 'stored'\n";

/* KEYS: a source's bucket. ARGV: tokens a second, the burst, the
 * bucket's lifetime in ms (a full bucket is as good as none). The token
 * bucket of rate-limit.c, on Redis's clock so that the servers' clocks
 * do not matter. */
static const gchar take_script[] =
  "local t = redis.call('TIME')\n"
  "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
  "local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
  "local b = redis.call('HMGET', KEYS[1], 'tokens', 'us')\n"
  "local tokens, last = burst, now\n"
  "if b[1] then\n"
  "  tokens, last = tonumber(b[1]), tonumber(b[2])\n"
  "  if now > last then\n"
  "    tokens = math.min(burst, tokens + rate * (now - last) / 1000000)\n"
  "    last = now\n"
  "  end\n"
  "end\n"
  "local ok = 0\n"
  "if tokens >= 1 then tokens = tokens - 1; ok = 1 end\n"
  "redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),\n"
  "           'us', string.format('%d', last))\n"
  "redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
  "if ok == 1 then return {1, 0} end\n"
  "if rate <= 0 then return {0, 3600} end\n"
  "return {0, math.max(1, math.ceil((1 - tokens) / rate))}\n";

/* The watch slots, on Redis's clock in ms: sorted sets of members
 * SERVERID:SLOT scored by the end of their lease, "ws:all" and
 * "ws:SOURCE" (a source is an address, never "all"). Each set expires
 * with its latest lease. */
#define WATCH_SCRIPT_HEAD \
  "local t = redis.call('TIME')\n" \
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n" \
  "local function expire_at_last (key)\n" \
  "  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')\n" \
  "  if top[2] then redis.call('PEXPIREAT', key, top[2]) end\n" \
  "end\n"

/* KEYS: "ws:all", the source's set. ARGV: MaxWebSockets=,
 * MaxWebSocketsPerSource=, the lease in ms, the member. Expired leases
 * are dropped before the count. */
static const gchar claim_script[] =
  WATCH_SCRIPT_HEAD
  "for i = 1, 2 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end\n"
  "if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1])\n"
  "   or redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end\n"
  "local exp = string.format('%d', now + tonumber(ARGV[3]))\n"
  "for i = 1, 2 do\n"
  "  redis.call('ZADD', KEYS[i], exp, ARGV[4])\n"
  "  expire_at_last (KEYS[i])\n"
  "end\n"
  "return 1\n";

/* KEYS: "ws:all". ARGV: the lease in ms, the prefix of the sources'
 * sets, the server's id, "SLOT SOURCE SLOT SOURCE ...": every slot
 * this server holds, one argument however many. A slot whose lease
 * ran out meanwhile (Redis away) is added again: its watch is open. */
static const gchar refresh_script[] =
  WATCH_SCRIPT_HEAD
  "local exp = string.format('%d', now + tonumber(ARGV[1]))\n"
  "local sets = { [KEYS[1]] = true }\n"
  "for slot, source in string.gmatch(ARGV[4], '(%S+) (%S+)') do\n"
  "  local member = ARGV[3] .. ':' .. slot\n"
  "  redis.call('ZADD', KEYS[1], exp, member)\n"
  "  redis.call('ZADD', ARGV[2] .. source, exp, member)\n"
  "  sets[ARGV[2] .. source] = true\n"
  "end\n"
  "for key in pairs(sets) do expire_at_last (key) end\n"
  "return 1\n";

/* KEYS: "ws:all". ARGV: as refresh's but the lease: the slots given
 * back. */
static const gchar release_script[] =
  "for slot, source in string.gmatch(ARGV[3], '(%S+) (%S+)') do\n"
  "  local member = ARGV[2] .. ':' .. slot\n"
  "  redis.call('ZREM', KEYS[1], member)\n"
  "  redis.call('ZREM', ARGV[1] .. source, member)\n"
  "end\n"
  "return 1\n";

/* KEYS: the mesh's set. ARGV: now, limit, the prefix of records, the
 * mesh (hex). The set holds at most the mesh's cap of unexpired
 * members (the put script checks it), so reading it whole is
 * bounded; sorted by key as the SQLite store lists. */
static const gchar list_script[] =
  "local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
  "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])\n"
  "local members = redis.call('ZRANGE', KEYS[1], 0, -1)\n"
  "table.sort(members)\n"
  "local out = {}\n"
  "for _, w in ipairs(members) do\n"
  "  if #out >= limit then break end\n"
  "  local r = redis.call('HMGET', ARGV[3] .. w, 'signing', 'mesh', 'derived', 'ts', 'exp',\n"
  "                       'record')\n"
  "  if r[1] and r[2] == ARGV[4] and tonumber(r[5]) > now then\n"
  "    out[#out + 1] = { w, r[1], r[2], r[3], r[4], r[5], r[6] }\n"
  "  end\n"
  "end\n"
  "return out\n";

typedef struct {
  const gchar *text;
  gchar *sha1;
} Script;

typedef struct {
  RdvStore parent;
  RdvStoreLocation *where;
  gchar *name;                  /* the location, for messages */
  gchar *primary;               /* behind Sentinel: HOST:PORT of the primary last reached */
  gchar *password;
  redisContext *c;              /* NULL: not connected */
  gint64 retry_at;              /* monotonic: no attempt before */
  gchar *last_error;            /* why the last attempt failed; NULL: it did not */
  Script put;
  Script list;
  Script take;
  Script claim;
  Script refresh;
  Script release;
  gchar server_id[17];          /* random per start: names this server's watch slots */
  guint64 last_slot;
  GHashTable *slots;            /* slot id → source: the watches this server holds */
} RedisStore;

/* A command's arguments, binary-safe; they point into the caller's data. */
typedef struct {
  const char *argv[ARGS_MAX];
  size_t len[ARGS_MAX];
  int n;
} Args;

static void
args_add (Args *a, const void *data, gsize len)
{
  g_assert (a->n < ARGS_MAX);
  a->argv[a->n] = data;
  a->len[a->n] = len;
  a->n++;
}

static void
args_add_str (Args *a, const gchar *text)
{
  args_add (a, text, strlen (text));
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (redisReply, freeReplyObject)

static gchar *
key_hex (const guint8 key[WGD_KEY_LEN])
{
  gchar *hex = g_malloc (HEX_LEN + 1);

  sodium_bin2hex (hex, HEX_LEN + 1, key, WGD_KEY_LEN);
  return hex;
}

static gchar *
key_name (const gchar *kind, const guint8 key[WGD_KEY_LEN])
{
  g_autofree gchar *hex = key_hex (key);

  return g_strconcat (KEY_PREFIX, kind, hex, NULL);
}

static gboolean G_GNUC_PRINTF (3, 4)
store_error (RedisStore *s, GError **error, const gchar *format, ...)
{
  g_autofree gchar *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "Redis at %s: %s", s->name, what);
  g_free (s->last_error);
  s->last_error = g_steal_pointer (&what);
  return FALSE;
}

/* After a failure: no connection, and no new attempt for a while. */
static void
redis_drop (RedisStore *s)
{
  g_clear_pointer (&s->c, redisFree);
  s->retry_at = g_get_monotonic_time () + BACKOFF_US;
}

/* One command on the connection, which must be up; NULL (and the
 * connection dropped) when Redis did not answer in time or went away.
 * An error reply is a reply. *closed says whether Redis had closed the
 * connection (a restart, a failover, its timeout for idle clients),
 * which a new connection may cure at once, unlike a Redis that does not
 * answer. */
static redisReply *
redis_send (RedisStore *s, Args *a, gboolean *closed, GError **error)
{
  redisReply *reply = redisCommandArgv (s->c, a->n, a->argv, a->len);
  int saved = errno;

  if (reply == NULL)
    {
      if (closed != NULL)
        *closed = s->c->err == REDIS_ERR_EOF
                  || (s->c->err == REDIS_ERR_IO && (saved == EPIPE || saved == ECONNRESET));
      store_error (s, error, "%s", s->c->errstr[0] ? s->c->errstr : "no answer");
      redis_drop (s);
    }
  return reply;
}

static gboolean
redis_call_ok (RedisStore *s, Args *a, const gchar *what, GError **error)
{
  g_autoptr (redisReply) reply = redis_send (s, a, NULL, error);

  if (reply == NULL)
    return FALSE;
  if (reply->type == REDIS_REPLY_ERROR)
    return store_error (s, error, "%s: %s", what, reply->str);
  return TRUE;
}

/* Redis should fsync every write before it answers; say so at start
 * when it does not (CONFIG may be disabled: then nothing is said). */
static void
redis_check_durability (RedisStore *s)
{
  Args a = { 0 };
  g_autoptr (redisReply) reply = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *aof = NULL, *fsync = NULL;

  args_add_str (&a, "CONFIG");
  args_add_str (&a, "GET");
  args_add_str (&a, "append*");
  reply = redis_send (s, &a, NULL, &error);
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    return;
  for (size_t i = 0; i + 1 < reply->elements; i += 2)
    {
      const gchar *k = reply->element[i]->str;
      const gchar *v = reply->element[i + 1]->str;

      if (g_strcmp0 (k, "appendonly") == 0)
        aof = v;
      else if (g_strcmp0 (k, "appendfsync") == 0)
        fsync = v;
    }
  if (aof != NULL && fsync != NULL && (g_strcmp0 (aof, "yes") != 0
                                        || g_strcmp0 (fsync, "always") != 0))
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                      "Redis at %s has appendonly %s and appendfsync %s: records answered "
                      "200 may be lost when it stops; configure appendonly yes and "
                      "appendfsync always", s->name, aof, fsync);
}

/* Behind Sentinel: whether the server reached is the primary (Sentinel's
 * answer may be older than a failover), and say where it is when that
 * changed. */
static gboolean
redis_check_primary (RedisStore *s, const RdvStoreLocation *at, GError **error)
{
  Args a = { 0 };
  g_autoptr (redisReply) reply = NULL;
  g_autofree gchar *where = NULL;

  args_add_str (&a, "ROLE");
  reply = redis_send (s, &a, NULL, error);
  if (reply == NULL)
    return FALSE;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0
      || reply->element[0]->type != REDIS_REPLY_STRING)
    return store_error (s, error, "%s:%u answered ROLE with something else than a role",
                        at->host, at->port);
  if (g_strcmp0 (reply->element[0]->str, "master") != 0)
    return store_error (s, error, "%s:%u, which Sentinel named, is a %.20s, not the primary",
                        at->host, at->port, reply->element[0]->str);
  where = g_strdup_printf ("%s:%u", at->host, at->port);
  if (g_strcmp0 (where, s->primary) != 0)
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                        "Redis at %s: the primary is %s", s->name, where);
      g_free (s->primary);
      s->primary = g_steal_pointer (&where);
    }
  return TRUE;
}

static gboolean
redis_connect (RedisStore *s, GError **error)
{
  struct timeval tv = { 0, TIMEOUT_MS * 1000 };
  g_autofree gchar *db = g_strdup_printf ("%u", s->where->db);
  g_autoptr (RdvStoreLocation) at = NULL;
  g_autoptr (GError) local = NULL;
  Args a = { 0 };

  at = rdv_redis_locate_primary (s->where, TIMEOUT_MS, &local);
  if (at == NULL)
    {
      s->retry_at = g_get_monotonic_time () + BACKOFF_US;
      return store_error (s, error, "%s", local->message);
    }
  if (at->kind == RDV_STORE_KIND_REDIS_UNIX)
    s->c = redisConnectUnixWithTimeout (at->socket_path, tv);
  else
    s->c = redisConnectWithTimeout (at->host, at->port, tv);
  if (s->c == NULL)
    {
      s->retry_at = g_get_monotonic_time () + BACKOFF_US;
      return store_error (s, error, "no memory for a connection");
    }
  if (s->c->err != 0)
    {
      store_error (s, error, "%s", s->c->errstr);
      redis_drop (s);
      return FALSE;
    }
  if (redisSetTimeout (s->c, tv) != REDIS_OK
      || (at->kind == RDV_STORE_KIND_REDIS_TCP && redisEnableKeepAlive (s->c) != REDIS_OK))
    {
      store_error (s, error, "%s", s->c->errstr);
      redis_drop (s);
      return FALSE;
    }
  if (s->password != NULL)
    {
      args_add_str (&a, "AUTH");
      args_add_str (&a, s->password);
      /* Redis's answer never repeats the password. */
      if (!redis_call_ok (s, &a, "AUTH", error))
        goto fail;
    }
  a.n = 0;
  args_add_str (&a, "SELECT");
  args_add_str (&a, db);
  if (!redis_call_ok (s, &a, "SELECT", error))
    goto fail;
  if (s->where->kind == RDV_STORE_KIND_REDIS_SENTINEL && !redis_check_primary (s, at, error))
    goto fail;
  return TRUE;

fail:
  redis_drop (s);
  return FALSE;
}

/* Connected, or an error at once while the back-off runs. */
static gboolean
redis_ready (RedisStore *s, GError **error)
{
  gint64 now = g_get_monotonic_time ();

  if (s->c != NULL)
    return TRUE;
  if (now < s->retry_at)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "Redis at %s: %s; the next attempt in %"
                   G_GINT64_FORMAT " ms", s->name, s->last_error ? s->last_error : "failed",
                   (s->retry_at - now + 999) / 1000);
      return FALSE;
    }
  if (!redis_connect (s, error))
    return FALSE;
  if (s->last_error != NULL)
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                      "Redis at %s: connected again", s->name);
  g_clear_pointer (&s->last_error, g_free);
  return TRUE;
}

/* A command, connecting first if need be; on a connection Redis had
 * closed, once more on a new one (no wait: the new connection fails at
 * once if Redis is gone). A script run twice so is decided twice, the
 * second time on what the first wrote, as a client's retry would be. */
static redisReply *
redis_call (RedisStore *s, Args *a, GError **error)
{
  gboolean closed = FALSE;
  redisReply *reply;

  if (!redis_ready (s, error))
    return NULL;
  reply = redis_send (s, a, &closed, error);
  if (reply == NULL && closed)
    {
      g_clear_error (error);
      s->retry_at = 0;
      if (!redis_ready (s, error))
        return NULL;
      reply = redis_send (s, a, NULL, error);
    }
  /* The primary became a replica (a failover, Sentinel moved it): the
   * next connect asks Sentinel again. */
  if (reply != NULL && reply->type == REDIS_REPLY_ERROR && rdv_redis_error_is_readonly (reply->str))
    redis_drop (s);
  return reply;
}

static redisReply *
redis_command (RedisStore *s, Args *a, const gchar *what, GError **error)
{
  redisReply *reply = redis_call (s, a, error);

  if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
    {
      store_error (s, error, "%s: %s", what, reply->str);
      g_clear_pointer (&reply, freeReplyObject);
    }
  return reply;
}

/* EVALSHA, and EVAL (which caches the script) when Redis does not know
 * it: after a restart, or on a Redis another server has not used yet.
 * keys_args starts with the keys, nkeys of them. */
static redisReply *
redis_script (RedisStore *s, const Script *script, guint nkeys, const Args *keys_args,
              const gchar *what, GError **error)
{
  g_autofree gchar *n = g_strdup_printf ("%u", nkeys);
  Args a = { 0 };
  redisReply *reply;

  args_add_str (&a, "EVALSHA");
  args_add_str (&a, script->sha1);
  args_add_str (&a, n);
  for (int i = 0; i < keys_args->n; i++)
    args_add (&a, keys_args->argv[i], keys_args->len[i]);
  reply = redis_call (s, &a, error);
  if (reply != NULL && reply->type == REDIS_REPLY_ERROR && g_str_has_prefix (reply->str, "NOSCRIPT"))
    {
      g_clear_pointer (&reply, freeReplyObject);
      a.argv[0] = "EVAL";
      a.len[0] = strlen ("EVAL");
      a.argv[1] = script->text;
      a.len[1] = strlen (script->text);
      reply = redis_call (s, &a, error);
    }
  if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
    {
      store_error (s, error, "%s: %s", what, reply->str);
      g_clear_pointer (&reply, freeReplyObject);
    }
  return reply;
}

static gboolean
reply_is_text (const redisReply *r)
{
  return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS;
}

static gboolean
reply_u64 (const redisReply *r, guint64 *out)
{
  return r->type == REDIS_REPLY_STRING
         && g_ascii_string_to_unsigned (r->str, 10, 0, G_MAXUINT64, out, NULL);
}

static gboolean
reply_key (const redisReply *r, guint8 out[WGD_KEY_LEN])
{
  if (r->type != REDIS_REPLY_STRING || r->len != WGD_KEY_LEN)
    return FALSE;
  memcpy (out, r->str, WGD_KEY_LEN);
  return TRUE;
}

static gboolean
reply_hex_key (const redisReply *r, guint8 out[WGD_KEY_LEN])
{
  size_t len = 0;

  return r->type == REDIS_REPLY_STRING && r->len == HEX_LEN
         && sodium_hex2bin (out, WGD_KEY_LEN, r->str, r->len, NULL, &len, NULL) == 0
         && len == WGD_KEY_LEN;
}

/* signing, mesh, derived, ts, exp, record: the fields of a record's
 * hash in this order, from element first of r; NULL when they are not
 * what this version writes. */
static RdvStoredRecord *
record_from_fields (const redisReply *r, size_t first, const guint8 wg_key[WGD_KEY_LEN])
{
  g_autoptr (RdvStoredRecord) rec = rdv_stored_record_new ();
  redisReply *const *f = r->element + first;

  if (r->elements < first + 6 || !reply_key (f[0], rec->signing_key)
      || f[1]->type != REDIS_REPLY_STRING || f[2]->type != REDIS_REPLY_STRING
      || !reply_u64 (f[3], &rec->timestamp) || !reply_u64 (f[4], &rec->expires)
      || f[5]->type != REDIS_REPLY_STRING)
    return NULL;
  memcpy (rec->wg_key, wg_key, WGD_KEY_LEN);
  rec->has_mesh = f[1]->len > 0;
  if (rec->has_mesh && !reply_hex_key (f[1], rec->mesh_key))
    return NULL;
  rec->derived = g_strcmp0 (f[2]->str, "1") == 0;
  rec->record = g_bytes_new (f[5]->str, f[5]->len);
  return g_steal_pointer (&rec);
}

static gboolean
redis_put_if_newer (RdvStore *store, const RdvStoredRecord *r, const RdvStoreCaps *caps,
                    guint64 now, RdvPutResult *result, GError **error)
{
  RedisStore *s = (RedisStore *) store;
  g_autofree gchar *record_key = key_name ("r:", r->wg_key);
  g_autofree gchar *signer_key = key_name ("s:", r->signing_key);
  g_autofree gchar *mesh_key = r->has_mesh ? key_name ("m:", r->mesh_key) : NULL;
  g_autofree gchar *wg_hex = key_hex (r->wg_key);
  g_autofree gchar *mesh_hex = r->has_mesh ? key_hex (r->mesh_key) : g_strdup ("");
  g_autofree gchar *ts = g_strdup_printf ("%" G_GUINT64_FORMAT, r->timestamp);
  g_autofree gchar *exp = g_strdup_printf ("%" G_GUINT64_FORMAT, r->expires);
  g_autofree gchar *now_text = g_strdup_printf ("%" G_GUINT64_FORMAT, now);
  g_autofree gchar *max_records = g_strdup_printf ("%" G_GUINT64_FORMAT, caps->max_records);
  g_autofree gchar *max_per_mesh = g_strdup_printf ("%" G_GUINT64_FORMAT, caps->max_per_mesh);
  g_autofree gchar *channel = r->has_mesh ? rdv_push_channel (s->where->db, r->mesh_key)
                                          : g_strdup ("");
  g_autoptr (redisReply) reply = NULL;
  guint8 digest[WGD_KEY_LEN];
  gsize len;
  const guint8 *data = g_bytes_get_data (r->record, &len);
  Args a = { 0 };

  rdv_record_digest (r->record, digest);
  args_add_str (&a, record_key);
  args_add_str (&a, signer_key);
  args_add_str (&a, KEY_PREFIX "all");
  if (mesh_key != NULL)
    args_add_str (&a, mesh_key);
  args_add_str (&a, wg_hex);
  args_add (&a, r->signing_key, WGD_KEY_LEN);
  args_add_str (&a, mesh_hex);
  args_add_str (&a, r->derived ? "1" : "0");
  args_add_str (&a, ts);
  args_add_str (&a, exp);
  args_add (&a, data, len);
  args_add (&a, digest, WGD_KEY_LEN);
  args_add_str (&a, now_text);
  args_add_str (&a, KEY_PREFIX "m:");
  args_add_str (&a, channel);
  args_add_str (&a, max_records);
  args_add_str (&a, max_per_mesh);
  reply = redis_script (s, &s->put, mesh_key ? 4 : 3, &a, "storing a record", error);
  if (reply == NULL)
    return FALSE;
  if (reply_is_text (reply) && g_strcmp0 (reply->str, "stored") == 0)
    *result = RDV_PUT_STORED;
  else if (reply_is_text (reply) && g_strcmp0 (reply->str, "known") == 0)
    *result = RDV_PUT_ALREADY_KNOWN;
  else if (reply_is_text (reply) && g_strcmp0 (reply->str, "stale") == 0)
    *result = RDV_PUT_STALE;
  else if (reply_is_text (reply) && g_strcmp0 (reply->str, "held") == 0)
    *result = RDV_PUT_KEY_HELD;
  else if (reply_is_text (reply) && g_strcmp0 (reply->str, "server-full") == 0)
    *result = RDV_PUT_SERVER_FULL;
  else if (reply_is_text (reply) && g_strcmp0 (reply->str, "mesh-full") == 0)
    *result = RDV_PUT_MESH_FULL;
  else
    return store_error (s, error, "storing a record: an answer of type %d", reply->type);
  return TRUE;
}

/* In the order record_from_fields reads them. */
static const gchar *const record_fields[] = { "signing", "mesh", "derived", "ts", "exp",
                                              "record" };

static gboolean
redis_get (RdvStore *store, const guint8 wg_key[WGD_KEY_LEN], guint64 now,
           RdvStoredRecord **out, GError **error)
{
  RedisStore *s = (RedisStore *) store;
  g_autofree gchar *key = key_name ("r:", wg_key);
  g_autoptr (redisReply) reply = NULL;
  g_autoptr (RdvStoredRecord) r = NULL;
  Args a = { 0 };

  *out = NULL;
  args_add_str (&a, "HMGET");
  args_add_str (&a, key);
  for (guint i = 0; i < G_N_ELEMENTS (record_fields); i++)
    args_add_str (&a, record_fields[i]);
  reply = redis_command (s, &a, "reading a record", error);
  if (reply == NULL)
    return FALSE;
  if (reply->type != REDIS_REPLY_ARRAY)
    return store_error (s, error, "reading a record: an answer of type %d", reply->type);
  r = record_from_fields (reply, 0, wg_key);
  if (r != NULL && r->expires > now)
    *out = g_steal_pointer (&r);
  return TRUE;
}

static gboolean
redis_get_signer (RdvStore *store, const guint8 signing_key[WGD_KEY_LEN], gboolean *found,
                  guint64 *timestamp, guint8 digest[WGD_KEY_LEN], GError **error)
{
  RedisStore *s = (RedisStore *) store;
  g_autofree gchar *key = key_name ("s:", signing_key);
  g_autoptr (redisReply) reply = NULL;
  Args a = { 0 };

  args_add_str (&a, "HMGET");
  args_add_str (&a, key);
  args_add_str (&a, "ts");
  args_add_str (&a, "digest");
  reply = redis_command (s, &a, "reading a signing key", error);
  if (reply == NULL)
    return FALSE;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
    return store_error (s, error, "reading a signing key: an answer of type %d", reply->type);
  *found = reply_u64 (reply->element[0], timestamp);
  if (*found && !reply_key (reply->element[1], digest))
    memset (digest, 0, WGD_KEY_LEN);
  return TRUE;
}

static gboolean
redis_list_mesh (RdvStore *store, const guint8 mesh_key[WGD_KEY_LEN], guint64 now,
                 guint limit, GPtrArray **out, GError **error)
{
  RedisStore *s = (RedisStore *) store;
  g_autofree gchar *key = key_name ("m:", mesh_key);
  g_autofree gchar *mesh_hex = key_hex (mesh_key);
  g_autofree gchar *now_text = g_strdup_printf ("%" G_GUINT64_FORMAT, now);
  g_autofree gchar *limit_text = g_strdup_printf ("%u", limit);
  g_autoptr (redisReply) reply = NULL;
  g_autoptr (GPtrArray) list =
    g_ptr_array_new_with_free_func ((GDestroyNotify) rdv_stored_record_free);
  Args a = { 0 };

  args_add_str (&a, key);
  args_add_str (&a, now_text);
  args_add_str (&a, limit_text);
  args_add_str (&a, KEY_PREFIX "r:");
  args_add_str (&a, mesh_hex);
  reply = redis_script (s, &s->list, 1, &a, "listing a mesh", error);
  if (reply == NULL)
    return FALSE;
  if (reply->type != REDIS_REPLY_ARRAY)
    return store_error (s, error, "listing a mesh: an answer of type %d", reply->type);
  for (size_t i = 0; i < reply->elements && list->len < limit; i++)
    {
      const redisReply *row = reply->element[i];
      guint8 wg_key[WGD_KEY_LEN];
      RdvStoredRecord *r;

      if (row->type != REDIS_REPLY_ARRAY || row->elements != 7
          || !reply_hex_key (row->element[0], wg_key))
        continue;
      r = record_from_fields (row, 1, wg_key);
      if (r != NULL)
        g_ptr_array_add (list, r);
    }
  *out = g_steal_pointer (&list);
  return TRUE;
}

static gboolean
redis_count (RdvStore *store, const guint8 *mesh_key, guint64 now, guint64 *out,
             GError **error)
{
  RedisStore *s = (RedisStore *) store;
  g_autofree gchar *key = mesh_key ? key_name ("m:", mesh_key) : g_strdup (KEY_PREFIX "all");
  g_autofree gchar *after = g_strdup_printf ("(%" G_GUINT64_FORMAT, now);
  g_autoptr (redisReply) reply = NULL;
  Args a = { 0 };

  args_add_str (&a, "ZCOUNT");
  args_add_str (&a, key);
  args_add_str (&a, after);
  args_add_str (&a, "+inf");
  reply = redis_command (s, &a, "counting records", error);
  if (reply == NULL)
    return FALSE;
  if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 0)
    return store_error (s, error, "counting records: an answer of type %d", reply->type);
  *out = (guint64) reply->integer;
  return TRUE;
}

/* Redis deletes the records itself; this only trims "all" of their
 * members, so that the set does not grow with every key ever seen while
 * new records keep it alive. */
static gboolean
redis_purge_expired (RdvStore *store, guint64 now, guint64 *removed, GError **error)
{
  RedisStore *s = (RedisStore *) store;
  g_autofree gchar *now_text = g_strdup_printf ("%" G_GUINT64_FORMAT, now);
  g_autoptr (redisReply) reply = NULL;
  Args a = { 0 };

  args_add_str (&a, "ZREMRANGEBYSCORE");
  args_add_str (&a, KEY_PREFIX "all");
  args_add_str (&a, "-inf");
  args_add_str (&a, now_text);
  reply = redis_command (s, &a, "trimming the set of records", error);
  if (reply == NULL)
    return FALSE;
  if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 0)
    return store_error (s, error, "trimming the set of records: an answer of type %d",
                        reply->type);
  *removed = (guint64) reply->integer;
  return TRUE;
}

static gboolean
redis_take_token (RdvStore *store, const gchar *source, gdouble rate, gdouble burst,
                  gboolean *taken, guint *retry_after, GError **error)
{
  RedisStore *s = (RedisStore *) store;
  g_autofree gchar *key = g_strconcat (KEY_PREFIX "rl:", source, NULL);
  gchar rate_text[G_ASCII_DTOSTR_BUF_SIZE], burst_text[G_ASCII_DTOSTR_BUF_SIZE];
  /* Long enough to fill up again; with no rate at all an hour, as the
   * local bucket's Retry-After. */
  g_autofree gchar *life = g_strdup_printf ("%" G_GINT64_FORMAT,
                                            rate > 0 ? (gint64) (burst / rate * 1000) + 1000
                                                     : 3600 * 1000);
  g_autoptr (redisReply) reply = NULL;
  Args a = { 0 };

  args_add_str (&a, key);
  args_add_str (&a, g_ascii_dtostr (rate_text, sizeof rate_text, rate));
  args_add_str (&a, g_ascii_dtostr (burst_text, sizeof burst_text, burst));
  args_add_str (&a, life);
  reply = redis_script (s, &s->take, 1, &a, "counting a request", error);
  if (reply == NULL)
    return FALSE;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
      || reply->element[0]->type != REDIS_REPLY_INTEGER
      || reply->element[1]->type != REDIS_REPLY_INTEGER || reply->element[1]->integer < 0
      || reply->element[1]->integer > 3600)
    return store_error (s, error, "counting a request: an answer of type %d", reply->type);
  *taken = reply->element[0]->integer == 1;
  *retry_after = (guint) reply->element[1]->integer;
  return TRUE;
}

/* "SLOT SOURCE ..." of the slot only, or with 0 of every slot held. */
static gchar *
slots_text (RedisStore *s, guint64 only)
{
  GString *text = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, s->slots);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (only == 0 || *(guint64 *) key == only)
      g_string_append_printf (text, "%s%" G_GUINT64_FORMAT " %s", text->len ? " " : "",
                              *(guint64 *) key, (const gchar *) value);
  return g_string_free (text, FALSE);
}

static gboolean
redis_claim_watch (RdvStore *store, const gchar *source, guint max, guint max_per_source,
                   guint lease, gboolean *claimed, guint64 *slot, GError **error)
{
  RedisStore *s = (RedisStore *) store;
  g_autofree gchar *key = g_strconcat (KEY_PREFIX "ws:", source, NULL);
  g_autofree gchar *max_text = g_strdup_printf ("%u", max);
  g_autofree gchar *per_source = g_strdup_printf ("%u", max_per_source);
  g_autofree gchar *lease_ms = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) lease * 1000);
  g_autofree gchar *member = NULL;
  g_autoptr (redisReply) reply = NULL;
  guint64 id = ++s->last_slot;
  Args a = { 0 };

  *claimed = FALSE;
  *slot = id;
  member = g_strdup_printf ("%s:%" G_GUINT64_FORMAT, s->server_id, id);
  g_hash_table_insert (s->slots, g_memdup2 (&id, sizeof id), g_strdup (source));
  args_add_str (&a, KEY_PREFIX "ws:all");
  args_add_str (&a, key);
  args_add_str (&a, max_text);
  args_add_str (&a, per_source);
  args_add_str (&a, lease_ms);
  args_add_str (&a, member);
  reply = redis_script (s, &s->claim, 2, &a, "claiming a watch", error);
  if (reply == NULL)
    return FALSE;
  if (reply->type != REDIS_REPLY_INTEGER)
    return store_error (s, error, "claiming a watch: an answer of type %d", reply->type);
  *claimed = reply->integer == 1;
  if (!*claimed)
    {
      g_hash_table_remove (s->slots, &id);
      *slot = 0;
    }
  return TRUE;
}

static gboolean
redis_refresh_watches (RdvStore *store, guint lease, GError **error)
{
  RedisStore *s = (RedisStore *) store;
  g_autofree gchar *lease_ms = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) lease * 1000);
  g_autofree gchar *held = NULL;
  g_autoptr (redisReply) reply = NULL;
  Args a = { 0 };

  if (g_hash_table_size (s->slots) == 0)
    return TRUE;
  held = slots_text (s, 0);
  args_add_str (&a, KEY_PREFIX "ws:all");
  args_add_str (&a, lease_ms);
  args_add_str (&a, KEY_PREFIX "ws:");
  args_add_str (&a, s->server_id);
  args_add_str (&a, held);
  reply = redis_script (s, &s->refresh, 1, &a, "renewing the watches' leases", error);
  return reply != NULL;
}

/* The slot (0: every slot held) given back. */
static void
slots_release (RedisStore *s, guint64 slot)
{
  g_autofree gchar *held = slots_text (s, slot);
  g_autoptr (redisReply) reply = NULL;
  g_autoptr (GError) error = NULL;
  Args a = { 0 };

  if (slot == 0)
    g_hash_table_remove_all (s->slots);
  else
    g_hash_table_remove (s->slots, &slot);
  if (held[0] == '\0')
    return;
  args_add_str (&a, KEY_PREFIX "ws:all");
  args_add_str (&a, KEY_PREFIX "ws:");
  args_add_str (&a, s->server_id);
  args_add_str (&a, held);
  reply = redis_script (s, &s->release, 1, &a, "giving back watches", &error);
}

static void
redis_release_watch (RdvStore *store, guint64 slot)
{
  slots_release ((RedisStore *) store, slot);
}

static void
redis_close (RdvStore *store)
{
  RedisStore *s = (RedisStore *) store;

  /* The watches close with the server: their slots are free at once,
   * not only when their leases end. */
  if (s->c != NULL && g_hash_table_size (s->slots) > 0)
    slots_release (s, 0);
  g_hash_table_unref (s->slots);
  g_clear_pointer (&s->c, redisFree);
  rdv_store_location_free (s->where);
  g_free (s->name);
  g_free (s->primary);
  g_free (s->last_error);
  if (s->password != NULL)
    sodium_memzero (s->password, strlen (s->password));
  g_free (s->password);
  g_free (s->put.sha1);
  g_free (s->list.sha1);
  g_free (s->take.sha1);
  g_free (s->claim.sha1);
  g_free (s->refresh.sha1);
  g_free (s->release.sha1);
  g_free (s);
}

static const RdvStoreClass redis_class = {
  .put_if_newer = redis_put_if_newer,
  .get = redis_get,
  .get_signer = redis_get_signer,
  .list_mesh = redis_list_mesh,
  .count = redis_count,
  .purge_expired = redis_purge_expired,
  .take_token = redis_take_token,
  .claim_watch = redis_claim_watch,
  .refresh_watches = redis_refresh_watches,
  .release_watch = redis_release_watch,
  .close = redis_close,
};

RdvStore *
rdv_store_redis_open (const RdvStoreLocation *where, const gchar *password, GError **error)
{
  g_autoptr (RdvStore) store = NULL;
  RedisStore *s = g_new0 (RedisStore, 1);
  guint8 id[8];

  g_return_val_if_fail (where->kind == RDV_STORE_KIND_REDIS_TCP
                        || where->kind == RDV_STORE_KIND_REDIS_UNIX
                        || where->kind == RDV_STORE_KIND_REDIS_SENTINEL, NULL);
  s->parent.klass = &redis_class;
  s->slots = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  store = &s->parent;
  s->where = rdv_store_location_copy (where);
  s->name = rdv_store_location_to_string (where);
  s->password = g_strdup (password);
  s->put.text = put_script;
  s->put.sha1 = g_compute_checksum_for_string (G_CHECKSUM_SHA1, put_script, -1);
  s->list.text = list_script;
  s->list.sha1 = g_compute_checksum_for_string (G_CHECKSUM_SHA1, list_script, -1);
  s->take.text = take_script;
  s->take.sha1 = g_compute_checksum_for_string (G_CHECKSUM_SHA1, take_script, -1);
  s->claim.text = claim_script;
  s->claim.sha1 = g_compute_checksum_for_string (G_CHECKSUM_SHA1, claim_script, -1);
  s->refresh.text = refresh_script;
  s->refresh.sha1 = g_compute_checksum_for_string (G_CHECKSUM_SHA1, refresh_script, -1);
  s->release.text = release_script;
  s->release.sha1 = g_compute_checksum_for_string (G_CHECKSUM_SHA1, release_script, -1);
  randombytes_buf (id, sizeof id);
  sodium_bin2hex (s->server_id, sizeof s->server_id, id, sizeof id);
  /* A Redis that is not there at start is a mistake to say now, not a
   * failure to meet at the first request. */
  if (!redis_connect (s, error))
    return NULL;
  redis_check_durability (s);
  return g_steal_pointer (&store);
}
