/* rendezvous-mesh.c — the I/O of following a mesh (see the header): at
 * most one watch open or being opened and one listing in flight. A
 * listing is read into a buffer of its cap and no further, so that a
 * server cannot make the daemon hold more. */
#include "config.h"

#include "rendezvous-mesh.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "clock.h"
#include "membership.h"
#include "rendezvous-answer.h"
#include "wgd-error.h"

#define G_LOG_DOMAIN_RDV "wgdiscoverd"

struct _WgdRdvMesh {
  SoupSession *session;
  gchar *ifname;
  guint8 mesh_key[WGD_KEY_LEN];
  const WgdKeyPair *identity;
  WgdCertificate certificate;
  WgdRdvMeshCallbacks callbacks;
  gpointer user_data;
  WgdRdvFollow follow;
  WgdRdvMeshState logged;       /* the state last logged */
  GCancellable *cancellable;
  SoupWebsocketConnection *conn; /* the open watch */
  gchar *watch_url;             /* the server of the watch open or being opened */
};

static const gchar *
mesh_url (WgdRdvMesh *m)
{
  return m->callbacks.url (m->user_data);
}

static gint64
mesh_now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

/* Logs a change of state (why: what made the watch fail, or NULL). */
static void
mesh_note_state (WgdRdvMesh *m, const gchar *why)
{
  if (m->follow.state == m->logged)
    return;
  m->logged = m->follow.state;
  switch (m->follow.state)
    {
    case WGD_RDV_MESH_WATCHED:
      g_log_structured (G_LOG_DOMAIN_RDV, G_LOG_LEVEL_MESSAGE, "WGD_SOURCE", "rendezvous",
                        "WGD_REASON", "watched", "MESSAGE",
                        _("%s: watching the mesh on the rendezvous server %s"), m->ifname,
                        m->watch_url);
      break;
    case WGD_RDV_MESH_POLLED:
      g_log_structured (G_LOG_DOMAIN_RDV, G_LOG_LEVEL_WARNING, "WGD_SOURCE", "rendezvous",
                        "WGD_REASON", "polled", "MESSAGE",
                        _("%s: cannot watch the mesh on the rendezvous server %s (%s); polling "
                          "its listing until a watch can be held"), m->ifname, mesh_url (m),
                        why != NULL ? why : "-");
      break;
    case WGD_RDV_MESH_CONNECTING:
    case WGD_RDV_MESH_STATE_COUNT:
      break;
    }
  if (m->callbacks.state_changed != NULL)
    m->callbacks.state_changed (m->user_data);
}

/* A GET of the mesh route what, with a proof made now for it. */
static SoupMessage *
mesh_message_new (WgdRdvMesh *m, const gchar *what, GError **error)
{
  const gchar *url = mesh_url (m);
  g_autofree gchar *route = wgd_membership_mesh_path (m->mesh_key, what);
  g_autofree gchar *uri = g_strconcat (url, route, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  g_autofree gchar *auth = NULL;
  /* As the proof binds it: the host of the server it goes to. */
  g_autofree gchar *host = wgd_membership_host_from_url (url, NULL);
  WgdMembershipRequest request = { .method = "GET", .host = host };

  if (msg == NULL || host == NULL)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, _("'%s' is not a URL of a server"),
                   url);
      return NULL;
    }
  /* The path as sent, any path of RendezvousURL= included. */
  request.path = g_uri_get_path (soup_message_get_uri (msg));
  auth = wgd_membership_authorization (m->identity, &m->certificate, &request, wgd_clock_now (),
                                       error);
  if (auth == NULL)
    return NULL;
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  return g_steal_pointer (&msg);
}

static void
mesh_list_finish (WgdRdvMesh *m, SoupMessage *msg, GBytes *body, const GError *error)
{
  gboolean refused;
  gboolean ok = FALSE;

  if (m->callbacks.answered (msg, body, error, &refused, m->user_data))
    {
      gsize len;
      const gchar *data = g_bytes_get_data (body, &len);
      g_autoptr (GError) bad = NULL;
      g_autoptr (GPtrArray) records = NULL;

      if (refused)
        {
          g_autofree gchar *code = wgd_rdv_answer_parse_error_code (data, len);

          g_log_structured (G_LOG_DOMAIN_RDV, G_LOG_LEVEL_WARNING, "WGD_SOURCE", "rendezvous",
                            "WGD_REASON", "list-refused", "MESSAGE",
                            _("%s: the rendezvous server %s refused to list the mesh: %u %s"),
                            m->ifname, mesh_url (m), soup_message_get_status (msg),
                            code != NULL ? code : "-");
        }
      else if ((records = wgd_rdv_answer_parse_listing (data, len, m->mesh_key, &bad)) == NULL)
        g_log_structured (G_LOG_DOMAIN_RDV, G_LOG_LEVEL_WARNING, "WGD_SOURCE", "rendezvous",
                          "WGD_REASON", "bad-answer", "MESSAGE",
                          _("%s: a bad listing of the mesh from the rendezvous server %s: %s"),
                          m->ifname, mesh_url (m), bad->message);
      else
        {
          ok = TRUE;
          g_debug ("rendezvous: %s: the mesh lists %u records", m->ifname, records->len);
          for (guint i = 0; i < records->len; i++)
            {
              GBytes *record = g_ptr_array_index (records, i);

              m->callbacks.record (g_bytes_get_data (record, NULL), g_bytes_get_size (record),
                                   m->user_data);
            }
        }
    }
  wgd_rdv_follow_list_done (&m->follow, ok, mesh_now_ms (), m->callbacks.random, NULL);
  m->callbacks.rescheduled (m->user_data);
}

/* A request of the follower's: a callback may run after the follower is
 * freed (its cancellable cancelled), and then touches nothing of it. */
typedef struct {
  WgdRdvMesh *mesh;
  GCancellable *cancellable;
  SoupMessage *msg;
  guint8 *buffer;               /* a listing's: WGD_RDV_LISTING_MAX + 1 bytes */
} MeshCall;

static MeshCall *
mesh_call_new (WgdRdvMesh *m, SoupMessage *msg)
{
  MeshCall *call = g_new0 (MeshCall, 1);

  call->mesh = m;
  call->cancellable = g_object_ref (m->cancellable);
  call->msg = g_object_ref (msg);
  return call;
}

static void
mesh_call_free (MeshCall *call)
{
  g_object_unref (call->cancellable);
  g_object_unref (call->msg);
  g_free (call->buffer);
  g_free (call);
}

static void
list_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MeshCall *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  gsize n = 0;

  g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n, &error);
  if (g_cancellable_is_cancelled (call->cancellable))
    {
      mesh_call_free (call);
      return;
    }
  if (error == NULL && n > WGD_RDV_LISTING_MAX)
    g_set_error (&error, WGD_ERROR, WGD_ERROR_INVALID, _("the answer is larger than %u bytes"),
                 (guint) WGD_RDV_LISTING_MAX);
  if (error == NULL)
    body = g_bytes_new (call->buffer, n);
  mesh_list_finish (call->mesh, call->msg, body, error);
  mesh_call_free (call);
}

static void
list_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MeshCall *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) stream = soup_session_send_finish (SOUP_SESSION (source), result,
                                                              &error);

  if (g_cancellable_is_cancelled (call->cancellable) || stream == NULL)
    {
      if (!g_cancellable_is_cancelled (call->cancellable))
        mesh_list_finish (call->mesh, call->msg, NULL, error);
      mesh_call_free (call);
      return;
    }
  call->buffer = g_malloc (WGD_RDV_LISTING_MAX + 1);
  g_input_stream_read_all_async (stream, call->buffer, WGD_RDV_LISTING_MAX + 1,
                                 G_PRIORITY_DEFAULT, call->cancellable, list_read, call);
}

static void
mesh_list (WgdRdvMesh *m)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupMessage) msg = mesh_message_new (m, "announcements", &error);

  if (msg == NULL)
    {
      g_warning (_("%s: cannot list the mesh: %s"), m->ifname, error->message);
      wgd_rdv_follow_list_done (&m->follow, FALSE, mesh_now_ms (), m->callbacks.random, NULL);
      return;
    }
  /* As the client's other requests: one connection each. */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Connection", "close");
  soup_session_send_async (m->session, msg, G_PRIORITY_DEFAULT, m->cancellable, list_sent,
                           mesh_call_new (m, msg));
}

static gboolean
unref_later (gpointer object)
{
  g_object_unref (object);
  return G_SOURCE_REMOVE;
}

/* Lets go of the watch: closed (with code, unless it is closed
 * already), and freed at once or, from one of its signals (later),
 * once libsoup is done with it. */
static void
mesh_release_watch (WgdRdvMesh *m, gushort code, gboolean later)
{
  SoupWebsocketConnection *conn = g_steal_pointer (&m->conn);

  if (conn == NULL)
    return;
  g_signal_handlers_disconnect_by_data (conn, m);
  if (soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn, code, NULL);
  if (later)
    g_idle_add (unref_later, conn);
  else
    g_object_unref (conn);
}

/* The watch is over: closed by the server (why), dead, or garbage. */
static void
mesh_watch_over (WgdRdvMesh *m, gushort code, const gchar *why)
{
  mesh_release_watch (m, code, TRUE);
  wgd_rdv_follow_watch_closed (&m->follow, mesh_now_ms (), m->callbacks.random, NULL);
  mesh_note_state (m, why);
  m->callbacks.watch_lost (why, NULL, m->user_data);
  m->callbacks.rescheduled (m->user_data);
}

static void
on_watch_message (SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
  WgdRdvMesh *m = user_data;
  gsize len;
  const gchar *data = g_bytes_get_data (message, &len);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) record = NULL;

  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    record = wgd_rdv_answer_parse_pushed (data, len, m->mesh_key, &error);
  else
    g_set_error_literal (&error, WGD_ERROR, WGD_ERROR_INVALID, _("a binary message"));
  if (record == NULL)
    {
      g_autofree gchar *why = g_strdup_printf (_("a bad message: %s"), error->message);

      /* A server that sends garbage is broken or hostile: the watch goes,
       * and the backoff spaces the next. */
      g_log_structured (G_LOG_DOMAIN_RDV, G_LOG_LEVEL_WARNING, "WGD_SOURCE", "rendezvous",
                        "WGD_REASON", "bad-answer", "MESSAGE",
                        _("%s: the rendezvous server %s sent %s"), m->ifname, m->watch_url, why);
      mesh_watch_over (m, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, why);
      return;
    }
  wgd_rdv_follow_heard (&m->follow, mesh_now_ms ());
  m->callbacks.record (g_bytes_get_data (record, NULL), g_bytes_get_size (record), m->user_data);
}

static void
on_watch_pong (SoupWebsocketConnection *conn, GBytes *message, gpointer user_data)
{
  WgdRdvMesh *m = user_data;

  wgd_rdv_follow_heard (&m->follow, mesh_now_ms ());
}

static void
on_watch_closed (SoupWebsocketConnection *conn, gpointer user_data)
{
  WgdRdvMesh *m = user_data;
  gushort code = soup_websocket_connection_get_close_code (conn);
  g_autofree gchar *why = code != 0
    ? g_strdup_printf (_("the server closed the watch (%u)"), code)
    : g_strdup (_("the watch's connection was lost"));

  mesh_watch_over (m, 0, why);
}

static void
watch_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MeshCall *call = user_data;
  WgdRdvMesh *m = call->mesh;
  SoupMessage *msg = call->msg;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *conn = soup_session_websocket_connect_finish (SOUP_SESSION (source),
                                                                        result, &error);
  g_autofree gchar *why = NULL;
  const gchar *retry_after = NULL;
  guint status;

  if (g_cancellable_is_cancelled (call->cancellable))
    {
      g_clear_object (&conn);
      mesh_call_free (call);
      return;
    }
  if (conn == NULL)
    {
      status = soup_message_get_status (msg);
      if (status == 429 || status == 503)
        retry_after = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Retry-After");
      why = status >= 100 && status != SOUP_STATUS_SWITCHING_PROTOCOLS
            ? g_strdup_printf (_("refused with %u"), status) : g_strdup (error->message);
      g_debug ("rendezvous: %s: watch failed: %s", m->ifname, why);
      wgd_rdv_follow_watch_failed (&m->follow, retry_after, mesh_now_ms (), m->callbacks.random,
                                   NULL);
      mesh_note_state (m, why);
      /* No connection or a 5xx is the server's fault: another may do;
       * a 4xx (a 429 included) would be the same anywhere. */
      if (status < 100 || status >= 500)
        m->callbacks.watch_lost (why, status == 503 ? retry_after : NULL, m->user_data);
      m->callbacks.rescheduled (m->user_data);
      mesh_call_free (call);
      return;
    }
  mesh_call_free (call);
  m->conn = conn;
  soup_websocket_connection_set_max_incoming_payload_size (conn, WGD_RDV_ANSWER_MAX);
  soup_websocket_connection_set_keepalive_interval (conn, WGD_RDV_WATCH_PING_S);
  g_signal_connect (conn, "message", G_CALLBACK (on_watch_message), m);
  g_signal_connect (conn, "pong", G_CALLBACK (on_watch_pong), m);
  g_signal_connect (conn, "closed", G_CALLBACK (on_watch_closed), m);
  wgd_rdv_follow_watch_opened (&m->follow, mesh_now_ms ());
  mesh_note_state (m, NULL);
  /* The listing that follows a new watch, at once. */
  wgd_rdv_mesh_tick (m, mesh_now_ms ());
  m->callbacks.rescheduled (m->user_data);
}

static void
mesh_watch (WgdRdvMesh *m)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupMessage) msg = mesh_message_new (m, "watch", &error);

  if (msg == NULL)
    {
      wgd_rdv_follow_watch_failed (&m->follow, NULL, mesh_now_ms (), m->callbacks.random, NULL);
      mesh_note_state (m, error->message);
      return;
    }
  g_free (m->watch_url);
  m->watch_url = g_strdup (mesh_url (m));
  soup_session_websocket_connect_async (m->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        m->cancellable, watch_connected, mesh_call_new (m, msg));
}

WgdRdvMesh *
wgd_rdv_mesh_new (SoupSession *session, const gchar *ifname,
                  const guint8 mesh_key[WGD_KEY_LEN], const WgdKeyPair *identity,
                  const WgdCertificate *certificate, const WgdRdvMeshCallbacks *callbacks,
                  gpointer user_data)
{
  WgdRdvMesh *m = g_new0 (WgdRdvMesh, 1);

  m->session = g_object_ref (session);
  m->ifname = g_strdup (ifname);
  memcpy (m->mesh_key, mesh_key, WGD_KEY_LEN);
  m->identity = identity;
  m->certificate = *certificate;
  m->callbacks = *callbacks;
  m->user_data = user_data;
  wgd_rdv_follow_init (&m->follow, mesh_now_ms ());
  m->logged = m->follow.state;
  m->cancellable = g_cancellable_new ();
  return m;
}

void
wgd_rdv_mesh_free (WgdRdvMesh *m)
{
  if (m == NULL)
    return;
  g_cancellable_cancel (m->cancellable);
  g_object_unref (m->cancellable);
  mesh_release_watch (m, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, FALSE);
  g_object_unref (m->session);
  g_free (m->watch_url);
  g_free (m->ifname);
  g_free (m);
}

gboolean
wgd_rdv_mesh_is_for (const WgdRdvMesh *m, const guint8 mesh_key[WGD_KEY_LEN],
                     const WgdKeyPair *identity, const WgdCertificate *certificate)
{
  return m->identity == identity && memcmp (m->mesh_key, mesh_key, WGD_KEY_LEN) == 0
         && m->certificate.raw_len == certificate->raw_len
         && memcmp (m->certificate.raw, certificate->raw, certificate->raw_len) == 0;
}

void
wgd_rdv_mesh_tick (WgdRdvMesh *m, gint64 now_ms)
{
  if (wgd_rdv_follow_is_silent (&m->follow, now_ms))
    {
      g_autofree gchar *why = g_strdup_printf (_("nothing heard on the watch for %d s"),
                                               WGD_RDV_WATCH_SILENCE_MS / 1000);

      mesh_watch_over (m, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, why);
    }
  /* A server that asked us to wait (429) or is down is left alone. */
  if (!m->callbacks.may_send (m->user_data))
    return;
  if (wgd_rdv_follow_take_watch (&m->follow, now_ms))
    mesh_watch (m);
  if (wgd_rdv_follow_take_list (&m->follow, now_ms))
    mesh_list (m);
}

gint64
wgd_rdv_mesh_next_due (const WgdRdvMesh *m, gint64 may_send_at)
{
  return wgd_rdv_follow_next_due (&m->follow, may_send_at);
}

WgdRdvMeshState
wgd_rdv_mesh_get_state (const WgdRdvMesh *m)
{
  return m->follow.state;
}

const gchar *
wgd_rdv_mesh_get_ifname (const WgdRdvMesh *m)
{
  return m->ifname;
}
