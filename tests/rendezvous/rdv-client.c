/* rdv-client.c — a client of the rendezvous server's mesh routes for the
 * tests (test-mesh-routes.sh), and the reference for the daemon's: signs
 * a membership proof (membership.h) with an identity and its mesh
 * certificate and lists or watches the mesh, PUTs records, or holds a
 * WebSocket open without reading it. Times are CLOCK_MONOTONIC in
 * microseconds, the same clock in every process of the machine, so that
 * a PUT's answer and a watcher's receipt can be compared.
 *
 *   rdv-client --url URL --identity FILE --cert FILE proof|list|watch|hold
 *   rdv-client --url URL put FILE
 *
 * proof prints the Authorization header's value for --method, --host
 * (else the URL's) and --path (else the command's); list prints the
 * status and the body; watch prints "open T", then "T JSON" for each
 * message, and "closed T CODE" at the end; hold opens a WebSocket with
 * a tiny receive buffer, never reads or answers a ping, and prints
 * "closed T" when the server closes it; put prints "STATUS T SENT",
 * T when the answer came and SENT when the request went.
 * --header TEXT sends TEXT as the Authorization header instead of a new
 * proof ("" sends none). */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <libsoup/soup.h>
#include <sodium.h>

#include "base64.h"
#include "clock.h"
#include "membership.h"

static gchar *opt_url, *opt_identity, *opt_cert, *opt_mesh, *opt_method, *opt_host, *opt_path;
static gchar *opt_header;
static gint64 opt_timestamp;
static gint opt_count = -1, opt_timeout = 10;

static const GOptionEntry entries[] = {
  { "url", 0, 0, G_OPTION_ARG_STRING, &opt_url, "The server's URL", "URL" },
  { "identity", 0, 0, G_OPTION_ARG_FILENAME, &opt_identity, "The identity file", "FILE" },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_cert, "Its mesh certificate", "FILE" },
  { "mesh", 0, 0, G_OPTION_ARG_STRING, &opt_mesh, "The mesh key (else the certificate's CA)",
    "KEY" },
  { "method", 0, 0, G_OPTION_ARG_STRING, &opt_method, "proof: the method signed", "METHOD" },
  { "host", 0, 0, G_OPTION_ARG_STRING, &opt_host, "proof: the host signed", "HOST" },
  { "path", 0, 0, G_OPTION_ARG_STRING, &opt_path, "The path signed and requested", "PATH" },
  { "timestamp", 0, 0, G_OPTION_ARG_INT64, &opt_timestamp, "The proof's time", "SECONDS" },
  { "header", 0, 0, G_OPTION_ARG_STRING, &opt_header, "Send this Authorization", "TEXT" },
  { "count", 0, 0, G_OPTION_ARG_INT, &opt_count, "watch: stop after N messages", "N" },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout, "Give up after SECONDS", "SECONDS" },
  { NULL }
};

static G_GNUC_NORETURN void
die (const gchar *what, const gchar *why)
{
  g_printerr ("rdv-client: %s: %s\n", what, why);
  exit (1);
}

static void
mesh_key (guint8 key[WGD_KEY_LEN])
{
  gsize len;

  if (opt_mesh == NULL)
    die ("--mesh", "needed (or --cert)");
  if (!wgd_key_from_base64 (opt_mesh, key, NULL)
      && (!wgd_base64url_decode (opt_mesh, strlen (opt_mesh), key, WGD_KEY_LEN, &len, NULL)
          || len != WGD_KEY_LEN))
    die ("--mesh", "not a key");
}

static void
load_certificate (WgdCertificate *cert)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  guint8 raw[WGD_CERTIFICATE_MAX];
  gsize len;

  if (!g_file_get_contents (opt_cert, &text, NULL, &error))
    die (opt_cert, error->message);
  g_strstrip (text);
  if (!wgd_base64url_decode (text, strlen (text), raw, sizeof raw, &len, &error)
      || !wgd_certificate_decode (cert, raw, len, &error))
    die (opt_cert, error->message);
}

/* The Authorization header's value for method and path, or NULL. */
static gchar *
authorization (const gchar *method, const gchar *path)
{
  g_autoptr (WgdKeyPair) identity = NULL;
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *host = NULL;
  gchar *header;
  WgdMembershipRequest request;

  if (opt_header != NULL)
    return opt_header[0] ? g_strdup (opt_header) : NULL;
  if (opt_identity == NULL || opt_cert == NULL)
    die ("proof", "--identity and --cert are needed");
  identity = wgd_key_pair_load (opt_identity, &error);
  if (identity == NULL)
    die (opt_identity, error->message);
  load_certificate (cert);
  host = opt_host ? g_strdup (opt_host) : wgd_membership_host_from_url (opt_url, &error);
  if (host == NULL)
    die ("--url", error->message);
  request.method = opt_method ? opt_method : method;
  request.host = host;
  request.path = path;
  header = wgd_membership_authorization (identity, cert, &request,
                                         opt_timestamp ? (guint64) opt_timestamp
                                                       : wgd_clock_now (), &error);
  if (header == NULL)
    die ("proof", error->message);
  return header;
}

static gchar *
mesh_path (const gchar *what)
{
  guint8 key[WGD_KEY_LEN];

  if (opt_path != NULL)
    return g_strdup (opt_path);
  if (opt_mesh == NULL && opt_cert != NULL)
    {
      g_autoptr (WgdCertificate) cert = wgd_certificate_new ();

      load_certificate (cert);
      opt_mesh = wgd_key_to_base64 (cert->ca_key);
    }
  mesh_key (key);
  return wgd_membership_mesh_path (key, what);
}

static SoupMessage *
message_new (const gchar *method, const gchar *path, const gchar *auth)
{
  g_autofree gchar *url = g_strconcat (opt_url, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  if (msg == NULL)
    die ("--url", "not a URL");
  if (auth != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  return msg;
}

static int
cmd_list (SoupSession *session)
{
  g_autofree gchar *path = mesh_path ("announcements");
  g_autofree gchar *auth = authorization ("GET", path);
  g_autoptr (SoupMessage) msg = message_new ("GET", path, auth);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read (session, msg, NULL, &error);
  gsize len;
  const gchar *data;

  if (body == NULL)
    die ("list", error->message);
  data = g_bytes_get_data (body, &len);
  g_print ("%u\n%.*s", soup_message_get_status (msg), (int) len, data);
  return 0;
}

static int
cmd_put (SoupSession *session, const gchar *file)
{
  g_autoptr (SoupMessage) msg = message_new ("PUT", "/v1/announcements", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  gchar *data;
  gsize len;
  gint64 sent;

  if (!g_file_get_contents (file, &data, &len, &error))
    die (file, error->message);
  soup_message_set_request_body_from_bytes (msg, "application/octet-stream",
                                            g_bytes_new_take (data, len));
  sent = g_get_monotonic_time ();
  body = soup_session_send_and_read (session, msg, NULL, &error);
  if (body == NULL)
    die ("put", error->message);
  g_print ("%u %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", soup_message_get_status (msg),
           g_get_monotonic_time (), sent);
  return soup_message_get_status (msg) == 200 ? 0 : 1;
}

typedef struct {
  GMainLoop *loop;
  SoupWebsocketConnection *conn;
  gint received;
  int status;
} Watch;

static void
on_message (SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
  Watch *w = user_data;
  gsize len;
  const gchar *data = g_bytes_get_data (message, &len);

  g_print ("%" G_GINT64_FORMAT " %.*s\n", g_get_monotonic_time (), (int) len, data);
  if (++w->received == opt_count)
    g_main_loop_quit (w->loop);
}

static void
on_closed (SoupWebsocketConnection *conn, gpointer user_data)
{
  Watch *w = user_data;

  g_print ("closed %" G_GINT64_FORMAT " %u\n", g_get_monotonic_time (),
           soup_websocket_connection_get_close_code (conn));
  g_main_loop_quit (w->loop);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Watch *w = user_data;
  g_autoptr (GError) error = NULL;

  w->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (w->conn == NULL)
    {
      g_print ("refused %s\n", error->message);
      w->status = 1;
      g_main_loop_quit (w->loop);
      return;
    }
  g_print ("open %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  g_signal_connect (w->conn, "message", G_CALLBACK (on_message), w);
  g_signal_connect (w->conn, "closed", G_CALLBACK (on_closed), w);
}

static gboolean
on_timeout (gpointer user_data)
{
  Watch *w = user_data;

  g_print ("timeout %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  w->status = 2;
  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

static int
cmd_watch (SoupSession *session)
{
  g_autofree gchar *path = mesh_path ("watch");
  g_autofree gchar *auth = authorization ("GET", path);
  g_autoptr (SoupMessage) msg = message_new ("GET", path, auth);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Watch w = { loop, NULL, 0, 0 };

  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_connected, &w);
  g_timeout_add_seconds (opt_timeout, on_timeout, &w);
  g_main_loop_run (loop);
  g_print ("status %u\n", soup_message_get_status (msg));
  if (w.conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (w.conn, &w);
      g_object_unref (w.conn);
    }
  return w.status;
}

/* A WebSocket by hand, so that it can be one that does nothing. */
static int
cmd_hold (void)
{
  g_autofree gchar *path = mesh_path ("watch");
  g_autofree gchar *auth = authorization ("GET", path);
  g_autoptr (GUri) uri = g_uri_parse (opt_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autofree gchar *request = NULL;
  GString *answer = g_string_new (NULL);
  gint64 start;
  struct pollfd pfd;
  gchar c;

  if (uri == NULL || (inet = g_inet_address_new_from_string (g_uri_get_host (uri))) == NULL)
    die ("--url", "hold needs http://ADDRESS:PORT");
  address = g_inet_socket_address_new (inet, (guint16) g_uri_get_port (uri));
  sock = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, &error);
  if (sock == NULL || !g_socket_set_option (sock, SOL_SOCKET, SO_RCVBUF, 2048, &error)
      || !g_socket_connect (sock, address, NULL, &error))
    die ("hold", error->message);
  request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n%s%s%s\r\n",
                             path, g_uri_get_host (uri), g_uri_get_port (uri),
                             auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "");
  if (g_socket_send (sock, request, strlen (request), NULL, &error) < 0)
    die ("hold", error->message);
  while (!g_str_has_suffix (answer->str, "\r\n\r\n") && answer->len < 4096
         && g_socket_receive (sock, &c, 1, NULL, NULL) == 1)
    g_string_append_c (answer, c);
  if (!g_str_has_prefix (answer->str, "HTTP/1.1 101"))
    {
      g_print ("refused %.12s\n", answer->str);
      g_string_free (answer, TRUE);
      return 1;
    }
  g_string_free (answer, TRUE);
  start = g_get_monotonic_time ();
  g_print ("open %" G_GINT64_FORMAT "\n", start);
  fflush (stdout);
  pfd.fd = g_socket_get_fd (sock);
  pfd.events = POLLRDHUP;
  if (poll (&pfd, 1, opt_timeout * 1000) <= 0)
    {
      g_print ("timeout %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
      return 2;
    }
  g_print ("closed %" G_GINT64_FORMAT " after %.1f s\n", g_get_monotonic_time (),
           (gdouble) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("proof|list|watch|hold|put FILE");
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupSession) session = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2)
    die ("usage", error ? error->message : "a command is needed");
  if (sodium_init () < 0)
    die ("libsodium", "cannot be initialised");
  if (opt_url == NULL)
    die ("--url", "is needed");
  setvbuf (stdout, NULL, _IOLBF, 0);
  session = soup_session_new_with_options ("timeout", opt_timeout, NULL);
  /* Loopback in a sandbox: no proxy to ask libproxy about. */
  soup_session_set_proxy_resolver (session, NULL);
  if (g_strcmp0 (argv[1], "proof") == 0)
    {
      g_autofree gchar *path = mesh_path ("announcements");
      g_autofree gchar *auth = authorization ("GET", path);

      g_print ("%s\n", auth);
      return 0;
    }
  if (g_strcmp0 (argv[1], "list") == 0)
    return cmd_list (session);
  if (g_strcmp0 (argv[1], "watch") == 0)
    return cmd_watch (session);
  if (g_strcmp0 (argv[1], "hold") == 0)
    return cmd_hold ();
  if (g_strcmp0 (argv[1], "put") == 0 && argc == 3)
    return cmd_put (session, argv[2]);
  die ("usage", "proof, list, watch, hold or put FILE");
}
