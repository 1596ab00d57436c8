/* push-redis.c — the subscribing connection of push across servers.
 *
 * hiredis's asynchronous API with its GLib adapter (hiredis 0.14.1,
 * Debian 12's, adapters/glib.h: redis_source_new() makes a GSource that
 * polls the connection's descriptor; it is attached, destroyed and
 * unreferenced by us). Two traps are avoided:
 *
 * - When hiredis frees a context (Redis went away, or the connect
 *   failed), it calls the adapter's cleanup and the disconnect (or
 *   connect) callback from inside the source's dispatch, which may then
 *   still call redisAsyncHandleRead on the freed context. So the callback clears
 *   the source's pending events, and the source itself is destroyed
 *   only later, from the reconnect timer, never inside its dispatch.
 * - hiredis keeps one callback per channel and counts the SUBSCRIBEs
 *   pending for it; a watch opening and closing quickly would pipeline
 *   SUBSCRIBE, UNSUBSCRIBE and SUBSCRIBE of one channel, and leave the
 *   channel's state to that bookkeeping. Instead each channel has at
 *   most one request in flight: its answer says where the channel is,
 *   and the next request, if still needed, goes then.
 *
 * After a lost connection a new one is made after a back-off (100 ms
 * doubling up to 5 s, each with jitter: a fleet does not come back at
 * once), and every wanted channel is subscribed again.
 *
 * A Redis that stops answering without closing the connection (stopped,
 * its host frozen, the network a black hole) is noticed by one timer:
 * while an answer is awaited (the connection, AUTH, a channel's request)
 * it drops the connection after 5 s without one, and while a channel is
 * held and nothing is awaited it probes after 5 s of silence. The probe
 * is a SUBSCRIBE of a channel already held, not a PING: hiredis 0.14.1
 * queues a PING's callback in subscribed mode where no reply ever takes
 * it (the pong, an array, is routed by its second element like a
 * channel's message; that names no channel, so it goes to the callback
 * of the reply before it, or nowhere), so each PING would keep one
 * callback until the connection ends; a repeated SUBSCRIBE is answered
 * through the channel's own callback, in this hiredis and in later
 * ones. With no channel held and nothing awaited the timer stops, so a
 * server without watchers does not wake. */
#include "config.h"

#define G_LOG_DOMAIN "wgdiscover-rendezvous"

#include <string.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/glib.h>

#include "push-message.h"
#include "push-redis.h"
#include "redis-sentinel.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define SILENCE_MS 5000
/* Each Sentinel's answer, as the store's commands (store-redis.c). */
#define SENTINEL_TIMEOUT_MS 500

typedef struct {
  gboolean want;                /* a watcher of the mesh is here */
  gboolean have;                /* Redis confirmed the subscription */
  gboolean busy;                /* a (un)subscribe is in flight */
  gboolean catch_up;            /* on_resumed once the subscription holds */
} Channel;

struct _RdvPushRedis {
  RdvStoreLocation *where;
  gchar *name;
  gchar *password;
  RdvPushRecordFunc on_record;
  RdvPushResumedFunc on_resumed;
  gpointer user_data;
  GHashTable *channels;         /* channel name → Channel */
  redisAsyncContext *ac;        /* NULL: not connected */
  GSource *source;              /* the adapter's, while ac is */
  GSource *dead_source;         /* the one of a context hiredis freed */
  gboolean ready;               /* connected (and authenticated) */
  gboolean ever_ready;
  gboolean resuming;            /* say so at the first subscription again */
  gboolean closing;
  guint backoff_ms;
  guint retry_id;
  guint in_flight;              /* channels with a request in flight */
  gint64 heard_at;              /* Redis's last answer, or when a wait began */
  guint silence_id;             /* the timer on silence (see the top) */
};

static void push_connect (RdvPushRedis *p);
static void push_watch (RdvPushRedis *p);

static void
channel_send (RdvPushRedis *p, const gchar *name, Channel *ch);

static void
on_channel_reply (redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
  RdvPushRedis *p = privdata;
  redisReply *reply = reply_ptr;
  const redisReply *kind, *chan;
  Channel *ch;
  guint8 mesh[WGD_KEY_LEN];

  if (reply == NULL || p->closing)
    return;
  /* Any answer shows that Redis is there: the back-off starts afresh. */
  p->heard_at = g_get_monotonic_time ();
  p->backoff_ms = BACKOFF_FIRST_MS;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
    return;
  kind = reply->element[0];
  chan = reply->element[1];
  if (kind->type != REDIS_REPLY_STRING || chan->type != REDIS_REPLY_STRING)
    return;
  ch = g_hash_table_lookup (p->channels, chan->str);
  if (g_strcmp0 (kind->str, "message") == 0)
    {
      g_autoptr (RdvStoredRecord) r = NULL;
      g_autoptr (GError) error = NULL;

      if (ch == NULL || !ch->want || reply->element[2]->type != REDIS_REPLY_STRING
          || !rdv_push_channel_parse (p->where->db, chan->str, chan->len, mesh))
        return;
      r = rdv_push_message_decode (mesh, (const guint8 *) reply->element[2]->str,
                                   reply->element[2]->len, &error);
      if (r == NULL)
        g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "Redis at %s: %s",
                          p->name, error->message);
      else
        p->on_record (r, p->user_data);
      return;
    }
  if (ch == NULL)
    return;
  if (ch->busy)
    p->in_flight--;
  ch->busy = FALSE;
  ch->have = g_strcmp0 (kind->str, "subscribe") == 0;
  if (ch->have && p->resuming)
    {
      p->resuming = FALSE;
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE",
                        "Redis at %s: subscribed again; watches of %u meshes catch up",
                        p->name, g_hash_table_size (p->channels));
    }
  if (ch->have && ch->catch_up && ch->want
      && rdv_push_channel_parse (p->where->db, chan->str, chan->len, mesh))
    {
      ch->catch_up = FALSE;
      p->on_resumed (mesh, p->user_data);
    }
  channel_send (p, chan->str, ch);
}

/* An answer is awaited: the connection or AUTH, or a channel's. */
static gboolean
push_waiting (const RdvPushRedis *p)
{
  return p->ac != NULL && (!p->ready || p->in_flight > 0);
}

/* Sends the channel's one request (command): it is busy until answered. */
static void
channel_request (RdvPushRedis *p, const gchar *name, Channel *ch, const char *command)
{
  const char *argv[2] = { command, name };

  /* A wait beginning now is not late for the answers before it. */
  if (!push_waiting (p))
    p->heard_at = g_get_monotonic_time ();
  if (redisAsyncCommandArgv (p->ac, on_channel_reply, p, 2, argv, NULL) != REDIS_OK)
    return;
  ch->busy = TRUE;
  p->in_flight++;
  push_watch (p);
}

/* The request that brings the channel where it is wanted, unless one is
 * in flight; a channel neither wanted nor held is forgotten. */
static void
channel_send (RdvPushRedis *p, const gchar *name, Channel *ch)
{
  if (ch->busy)
    return;
  if (!ch->want && !ch->have)
    {
      g_hash_table_remove (p->channels, name);
      return;
    }
  if (ch->want == ch->have || !p->ready)
    return;
  channel_request (p, name, ch, ch->want ? "SUBSCRIBE" : "UNSUBSCRIBE");
}

static void
channels_send_all (RdvPushRedis *p)
{
  GHashTableIter iter;
  gpointer name, value;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  /* channel_send may remove entries: not while iterating. */
  g_hash_table_iter_init (&iter, p->channels);
  while (g_hash_table_iter_next (&iter, &name, &value))
    g_ptr_array_add (names, g_strdup (name));
  for (guint i = 0; i < names->len; i++)
    {
      Channel *ch = g_hash_table_lookup (p->channels, names->pdata[i]);

      if (ch != NULL)
        channel_send (p, names->pdata[i], ch);
    }
}

static void
push_ready (RdvPushRedis *p)
{
  GHashTableIter iter;
  Channel *ch;

  /* Said once Redis confirms a subscription: a Redis that takes the
   * connection and then does not answer (stopped) is not back. */
  p->resuming = p->ever_ready && g_hash_table_size (p->channels) > 0;
  p->ready = TRUE;
  p->in_flight = 0;
  /* Whatever was published while no subscription held is lost: every
   * wanted mesh catches up once subscribed again. Before the first
   * connection no watch was open long enough to miss anything. */
  g_hash_table_iter_init (&iter, p->channels);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &ch))
    {
      ch->have = FALSE;
      ch->busy = FALSE;
      ch->catch_up = p->ever_ready;
    }
  p->ever_ready = TRUE;
  channels_send_all (p);
}

static gboolean
on_retry (gpointer user_data)
{
  RdvPushRedis *p = user_data;

  p->retry_id = 0;
  push_connect (p);
  return G_SOURCE_REMOVE;
}

/* The next attempt after the back-off, with jitter (half to all of it),
 * which then doubles. */
static void
schedule_retry (RdvPushRedis *p)
{
  guint delay = p->backoff_ms / 2 + g_random_int_range (0, (gint32) p->backoff_ms / 2 + 1);

  p->backoff_ms = MIN (p->backoff_ms * 2, BACKOFF_MAX_MS);
  p->retry_id = g_timeout_add (delay, on_retry, p);
}

static void
bury_dead_source (RdvPushRedis *p)
{
  if (p->dead_source == NULL)
    return;
  g_source_destroy (p->dead_source);
  g_clear_pointer (&p->dead_source, g_source_unref);
}

/* Frees the context; never from inside its source's dispatch. */
static void
push_close (RdvPushRedis *p)
{
  redisAsyncContext *ac = g_steal_pointer (&p->ac);

  p->ready = FALSE;
  g_clear_handle_id (&p->silence_id, g_source_remove);
  if (ac != NULL)
    redisAsyncFree (ac);
  /* hiredis calls no disconnect callback for a context still connecting,
   * and push_lost ignores one that is no longer p->ac: the source is ours. */
  if (p->source != NULL)
    p->dead_source = g_steal_pointer (&p->source);
  bury_dead_source (p);
}

/* A held channel with nothing in flight: subscribing it again is the
 * probe (see the top). */
static void
push_probe (RdvPushRedis *p)
{
  GHashTableIter iter;
  gpointer name;
  Channel *ch;

  g_hash_table_iter_init (&iter, p->channels);
  while (g_hash_table_iter_next (&iter, &name, (gpointer *) &ch))
    if (ch->have && ch->want && !ch->busy)
      {
        channel_request (p, name, ch, "SUBSCRIBE");
        return;
      }
}

static gboolean
on_silence (gpointer user_data)
{
  RdvPushRedis *p = user_data;
  gint64 quiet_ms = (g_get_monotonic_time () - p->heard_at) / 1000;

  p->silence_id = 0;
  if (quiet_ms < SILENCE_MS)
    {
      /* Heard since the timer was set: not silent for long enough yet. */
      p->silence_id = g_timeout_add ((guint) (SILENCE_MS - quiet_ms), on_silence, p);
      return G_SOURCE_REMOVE;
    }
  if (!push_waiting (p))
    {
      /* Without a channel held the timer stops here: there is nothing
       * to lose until a watch comes. */
      push_probe (p);
      return G_SOURCE_REMOVE;
    }
  push_close (p);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                    "Redis at %s: the subscription is lost (no answer in %d s); again within %u ms",
                    p->name, SILENCE_MS / 1000, p->backoff_ms);
  schedule_retry (p);
  return G_SOURCE_REMOVE;
}

/* Sets the timer on silence unless it runs; it stops by itself once
 * there is nothing to watch. */
static void
push_watch (RdvPushRedis *p)
{
  if (p->silence_id == 0)
    p->silence_id = g_timeout_add (SILENCE_MS, on_silence, p);
}

/* hiredis frees the context after this returns (see the top). */
static void
push_lost (RdvPushRedis *p, const redisAsyncContext *ac)
{
  if (p->ac != ac)
    return;
  ((RedisSource *) p->source)->poll_fd.revents = 0;
  p->dead_source = g_steal_pointer (&p->source);
  p->ac = NULL;
  p->ready = FALSE;
  g_clear_handle_id (&p->silence_id, g_source_remove);
  if (p->closing)
    return;
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                    "Redis at %s: the subscription is lost (%s); again within %u ms", p->name,
                    ac->errstr[0] ? ac->errstr : "closed", p->backoff_ms);
  schedule_retry (p);
}

static void
on_auth (redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
  RdvPushRedis *p = privdata;
  redisReply *reply = reply_ptr;

  if (reply == NULL || p->closing)
    return;
  p->heard_at = g_get_monotonic_time ();
  if (reply->type == REDIS_REPLY_ERROR)
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                        "Redis at %s: AUTH for the subscription: %s", p->name, reply->str);
      redisAsyncDisconnect (ac);
      return;
    }
  p->backoff_ms = BACKOFF_FIRST_MS;
  push_ready (p);
}

static void
on_connect (const redisAsyncContext *ac, int status)
{
  RdvPushRedis *p = ac->data;

  if (status != REDIS_OK)
    {
      push_lost (p, ac);
      return;
    }
  if (p->where->kind != RDV_STORE_KIND_REDIS_UNIX)
    redisEnableKeepAlive ((redisContext *) &ac->c);
  if (p->password != NULL)
    {
      const char *argv[2] = { "AUTH", p->password };

      redisAsyncCommandArgv ((redisAsyncContext *) ac, on_auth, p, 2, argv, NULL);
      return;
    }
  push_ready (p);
}

static void
on_disconnect (const redisAsyncContext *ac, int status)
{
  push_lost (ac->data, ac);
}

static void
push_connect (RdvPushRedis *p)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RdvStoreLocation) at = NULL;

  bury_dead_source (p);
  /* Behind Sentinel, asked anew at each connect: after a failover the
   * old primary is gone and the retry finds the new one. A replica
   * would do as well, since what the primary publishes reaches them. */
  at = rdv_redis_locate_primary (p->where, SENTINEL_TIMEOUT_MS, &error);
  if (at == NULL)
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                        "Redis at %s: no subscription (%s); again within %u ms", p->name,
                        error->message, p->backoff_ms);
      schedule_retry (p);
      return;
    }
  if (at->kind == RDV_STORE_KIND_REDIS_UNIX)
    p->ac = redisAsyncConnectUnix (at->socket_path);
  else
    p->ac = redisAsyncConnect (at->host, at->port);
  if (p->ac == NULL || p->ac->err != 0)
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                        "Redis at %s: no subscription (%s); again within %u ms", p->name,
                        p->ac ? p->ac->errstr : "no memory", p->backoff_ms);
      g_clear_pointer (&p->ac, redisAsyncFree);
      schedule_retry (p);
      return;
    }
  p->ac->data = p;
  p->source = redis_source_new (p->ac);
  g_source_attach (p->source, NULL);
  redisAsyncSetConnectCallback (p->ac, on_connect);
  redisAsyncSetDisconnectCallback (p->ac, on_disconnect);
  /* The connection and AUTH are awaited like any answer. */
  p->heard_at = g_get_monotonic_time ();
  push_watch (p);
}

RdvPushRedis *
rdv_push_redis_new (const RdvStoreLocation *where, const gchar *password,
                    RdvPushRecordFunc on_record, RdvPushResumedFunc on_resumed,
                    gpointer user_data)
{
  RdvPushRedis *p = g_new0 (RdvPushRedis, 1);

  p->where = rdv_store_location_copy (where);
  p->name = rdv_store_location_to_string (where);
  p->password = g_strdup (password);
  p->on_record = on_record;
  p->on_resumed = on_resumed;
  p->user_data = user_data;
  p->channels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  p->backoff_ms = BACKOFF_FIRST_MS;
  push_connect (p);
  return p;
}

void
rdv_push_redis_free (RdvPushRedis *p)
{
  if (p == NULL)
    return;
  p->closing = TRUE;
  g_clear_handle_id (&p->retry_id, g_source_remove);
  push_close (p);
  g_hash_table_unref (p->channels);
  rdv_store_location_free (p->where);
  g_free (p->name);
  if (p->password != NULL)
    memset (p->password, 0, strlen (p->password));
  g_free (p->password);
  g_free (p);
}

void
rdv_push_redis_want (RdvPushRedis *p, const guint8 mesh_key[WGD_KEY_LEN], gboolean want)
{
  g_autofree gchar *name = rdv_push_channel (p->where->db, mesh_key);
  Channel *ch = g_hash_table_lookup (p->channels, name);

  if (ch == NULL)
    {
      if (!want)
        return;
      ch = g_new0 (Channel, 1);
      g_hash_table_insert (p->channels, g_strdup (name), ch);
    }
  ch->want = want;
  if (!want)
    ch->catch_up = FALSE;
  channel_send (p, name, ch);
}
