/* watch.c — the watches' bookkeeping and pushes.
 *
 * A slow reader is told apart by the bytes its socket has not yet sent
 * (SIOCOUTQ). The send buffer is set small, so libsoup's own queue,
 * which has no bound, stays empty while the kernel still takes data: a
 * watcher whose socket holds more than SLOW_BYTES is dropped instead of
 * pushed to. */
#include "config.h"

#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "base64.h"
#include "rate-limit.h"
#include "record-json.h"
#include "watch.h"

#define LOG_DOMAIN "wgdiscover-rendezvous"
#define SEND_BUFFER_BYTES (64 * 1024)
#define SLOW_BYTES (32 * 1024)
/* A client has nothing to say but pongs and its close. */
#define CLIENT_PAYLOAD_MAX 125

typedef struct {
  RdvWatchers *owner;
  SoupWebsocketConnection *conn;
  GSocket *socket;
  guint8 mesh_key[WGD_KEY_LEN];
  gchar *source;
  guint64 slot;                 /* in the shared store; 0: none */
  gint64 last_heard_us;
  gboolean dropped;
} Watcher;

struct _RdvWatchers {
  RdvWatchLimits limits;
  RdvMetrics *metrics;
  RdvStore *slots;              /* NULL: the caps are this server's own */
  GHashTable *watchers;         /* conn → Watcher */
  GHashTable *per_source;       /* source → count */
  GHashTable *per_mesh;         /* GBytes of the mesh key → count */
  RdvWatchedFunc watched_func;
  gpointer watched_data;
  guint idle_source;
};

static void
watcher_free (Watcher *watcher)
{
  g_signal_handlers_disconnect_by_data (watcher->conn, watcher);
  g_object_unref (watcher->conn);
  g_clear_object (&watcher->socket);
  g_free (watcher->source);
  g_free (watcher);
}

static void
watchers_update_gauge (RdvWatchers *w)
{
  rdv_metrics_set_websockets (w->metrics, g_hash_table_size (w->watchers));
}

static void
source_release (RdvWatchers *w, const gchar *source)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (w->per_source, source));

  if (n <= 1)
    g_hash_table_remove (w->per_source, source);
  else
    g_hash_table_insert (w->per_source, g_strdup (source), GUINT_TO_POINTER (n - 1));
}

/* Closes the watch: a close frame if it still fits, then the socket
 * shut down, so that nothing more is queued for it. It stays counted
 * until libsoup reports it closed. */
static void
watcher_drop (Watcher *watcher, RdvDrop why, gushort code, const gchar *reason)
{
  g_autofree gchar *mesh = NULL;

  if (watcher->dropped)
    return;
  watcher->dropped = TRUE;
  rdv_metrics_count_drop (watcher->owner->metrics, why);
  mesh = wgd_key_to_base64 (watcher->mesh_key);
  g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_INFO, "WGD_RDV_DROP", rdv_drop_to_string (why),
                    "WGD_RDV_SOURCE", watcher->source,
                    "MESSAGE", "watch of mesh %s from %s closed (%s)", mesh, watcher->source,
                    rdv_drop_to_string (why));
  /* What a slow reader did not take would stay queued behind its FIN
   * for minutes: it gets a reset instead, and the buffer is freed. */
  if (why == RDV_DROP_SLOW && watcher->socket != NULL)
    {
      struct linger abort_on_close = { 1, 0 };

      setsockopt (g_socket_get_fd (watcher->socket), SOL_SOCKET, SO_LINGER, &abort_on_close,
                  sizeof abort_on_close);
    }
  if (soup_websocket_connection_get_state (watcher->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (watcher->conn, code, reason);
  if (watcher->socket != NULL)
    g_socket_shutdown (watcher->socket, TRUE, TRUE, NULL);
}

/* Counts the mesh's watches up (+1) or down (-1), telling watched_func
 * when the mesh gets its first or loses its last. */
static void
mesh_count (RdvWatchers *w, const guint8 mesh_key[WGD_KEY_LEN], gint delta)
{
  g_autoptr (GBytes) key = g_bytes_new (mesh_key, WGD_KEY_LEN);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (w->per_mesh, key));

  if (delta < 0 && n <= 1)
    g_hash_table_remove (w->per_mesh, key);
  else
    g_hash_table_insert (w->per_mesh, g_bytes_ref (key), GUINT_TO_POINTER (n + delta));
  if (w->watched_func != NULL && ((delta > 0 && n == 0) || (delta < 0 && n <= 1)))
    w->watched_func (mesh_key, delta > 0, w->watched_data);
}

static void
on_closed (SoupWebsocketConnection *conn, gpointer user_data)
{
  Watcher *watcher = user_data;
  RdvWatchers *w = watcher->owner;

  source_release (w, watcher->source);
  if (w->slots != NULL)
    rdv_store_release_watch (w->slots, watcher->slot);
  mesh_count (w, watcher->mesh_key, -1);
  g_hash_table_remove (w->watchers, conn);
  watchers_update_gauge (w);
}

static void
on_pong (SoupWebsocketConnection *conn, GBytes *message, gpointer user_data)
{
  Watcher *watcher = user_data;

  watcher->last_heard_us = g_get_monotonic_time ();
}

static void
on_message (SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
  watcher_drop (user_data, RDV_DROP_MESSAGE, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                "a watch takes no messages");
}

static gboolean
on_idle_check (gpointer user_data)
{
  RdvWatchers *w = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 limit = (gint64) w->limits.timeout * G_USEC_PER_SEC;
  GHashTableIter iter;
  Watcher *watcher;

  g_hash_table_iter_init (&iter, w->watchers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &watcher))
    if (!watcher->dropped && now - watcher->last_heard_us > limit)
      watcher_drop (watcher, RDV_DROP_IDLE, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                    "no pong within WebSocketTimeout=");
  return G_SOURCE_CONTINUE;
}

RdvWatchers *
rdv_watchers_new (const RdvWatchLimits *limits, RdvMetrics *metrics, RdvStore *slots)
{
  RdvWatchers *w = g_new0 (RdvWatchers, 1);

  w->limits = *limits;
  w->metrics = metrics;
  w->slots = slots;
  w->watchers = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) watcher_free);
  w->per_source = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  w->per_mesh = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                       (GDestroyNotify) g_bytes_unref, NULL);
  w->idle_source = g_timeout_add_seconds (1, on_idle_check, w);
  return w;
}

void
rdv_watchers_free (RdvWatchers *w)
{
  if (w == NULL)
    return;
  g_clear_handle_id (&w->idle_source, g_source_remove);
  g_hash_table_unref (w->watchers);
  g_hash_table_unref (w->per_source);
  g_hash_table_unref (w->per_mesh);
  g_free (w);
}

void
rdv_watchers_set_watched_func (RdvWatchers *w, RdvWatchedFunc func, gpointer user_data)
{
  w->watched_func = func;
  w->watched_data = user_data;
}

gboolean
rdv_watchers_has_room (const RdvWatchers *w, const gchar *source)
{
  return g_hash_table_size (w->watchers) < w->limits.max
    && GPOINTER_TO_UINT (g_hash_table_lookup (w->per_source, source)) < w->limits.max_per_source;
}

void
rdv_watchers_add (RdvWatchers *w, SoupWebsocketConnection *conn, GSocket *socket,
                  const guint8 mesh_key[WGD_KEY_LEN], const gchar *source, guint64 slot)
{
  Watcher *watcher;

  if (!rdv_watchers_has_room (w, source))
    {
      if (w->slots != NULL)
        rdv_store_release_watch (w->slots, slot);
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR,
                                       "too many watches");
      return;
    }
  watcher = g_new0 (Watcher, 1);
  watcher->owner = w;
  watcher->conn = g_object_ref (conn);
  watcher->socket = socket ? g_object_ref (socket) : NULL;
  memcpy (watcher->mesh_key, mesh_key, WGD_KEY_LEN);
  watcher->source = g_strdup (source);
  watcher->slot = slot;
  watcher->last_heard_us = g_get_monotonic_time ();
  if (socket != NULL)
    g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, SEND_BUFFER_BYTES, NULL);
  soup_websocket_connection_set_keepalive_interval (conn, w->limits.keepalive);
  soup_websocket_connection_set_max_incoming_payload_size (conn, CLIENT_PAYLOAD_MAX);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), watcher);
  g_signal_connect (conn, "pong", G_CALLBACK (on_pong), watcher);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), watcher);
  g_hash_table_insert (w->watchers, conn, watcher);
  g_hash_table_insert (w->per_source, g_strdup (source),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (w->per_source,
                                                                                source)) + 1));
  mesh_count (w, mesh_key, +1);
  watchers_update_gauge (w);
}

static gboolean
watcher_is_slow (const Watcher *watcher)
{
  int queued = 0;

  return watcher->socket != NULL
    && ioctl (g_socket_get_fd (watcher->socket), SIOCOUTQ, &queued) == 0
    && queued > SLOW_BYTES;
}

void
rdv_watchers_push (RdvWatchers *w, const RdvStoredRecord *r, gint64 arrival_us)
{
  g_autofree gchar *text = NULL;
  GHashTableIter iter;
  Watcher *watcher;

  if (!r->has_mesh)
    return;
  g_hash_table_iter_init (&iter, w->watchers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &watcher))
    {
      if (watcher->dropped || memcmp (watcher->mesh_key, r->mesh_key, WGD_KEY_LEN) != 0
          || soup_websocket_connection_get_state (watcher->conn) != SOUP_WEBSOCKET_STATE_OPEN)
        continue;
      if (watcher_is_slow (watcher))
        {
          watcher_drop (watcher, RDV_DROP_SLOW, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                        "too slow to read");
          continue;
        }
      if (text == NULL)
        text = rdv_record_json_to_string (r);
      soup_websocket_connection_send_text (watcher->conn, text);
      rdv_metrics_observe_push (w->metrics,
                                (gdouble) (g_get_monotonic_time () - arrival_us) / G_USEC_PER_SEC);
    }
}

guint
rdv_watchers_count (const RdvWatchers *w)
{
  return g_hash_table_size (w->watchers);
}
