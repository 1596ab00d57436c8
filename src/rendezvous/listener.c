/* listener.c — accepting connections for the rendezvous server
 * (listener.h says why not libsoup's own listener). */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "listener.h"

#define LOG_DOMAIN "wgdiscover-rendezvous"
/* A client that has not finished its TLS handshake by then is dropped:
 * a handshake cannot be held open to pin a connection. */
#define HANDSHAKE_SECONDS 10

struct _RdvListener {
  SoupServer *soup;
  GTlsCertificate *certificate;
  GSocketService *service;
  /* Live connections by remote address ("192.0.2.7:40123"): Conn. */
  GHashTable *connections;
  GPtrArray *handshakes;        /* Handshake, pending */
};

typedef struct {
  RdvListener *listener;
  gchar *remote;
  GSocketConnection *connection;        /* weak */
} Conn;

typedef struct {
  RdvListener *listener;        /* NULL once the listener is gone */
  GTlsConnection *tls;
  GCancellable *cancellable;
  GSocketAddress *local;
  GSocketAddress *remote;
  guint deadline;
} Handshake;

/* The connection is finalized: libsoup is done with it. */
static void
on_connection_gone (gpointer data, GObject *where_it_was)
{
  Conn *c = data;

  c->connection = NULL;
  g_hash_table_remove (c->listener->connections, c->remote);
}

static void
conn_free (gpointer data)
{
  Conn *c = data;

  if (c->connection != NULL)
    g_object_weak_unref (G_OBJECT (c->connection), on_connection_gone, c);
  g_free (c->remote);
  g_free (c);
}

static void
handshake_free (Handshake *h)
{
  g_clear_handle_id (&h->deadline, g_source_remove);
  g_clear_object (&h->tls);
  g_clear_object (&h->cancellable);
  g_clear_object (&h->local);
  g_clear_object (&h->remote);
  g_free (h);
}

static void
listener_hand_over (RdvListener *l, GIOStream *stream, GSocketAddress *local,
                    GSocketAddress *remote)
{
  g_autoptr (GError) error = NULL;

  if (!soup_server_accept_iostream (l->soup, stream, local, remote, &error))
    g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "a connection: %s",
                      error->message);
}

static gboolean
on_handshake_deadline (gpointer user_data)
{
  Handshake *h = user_data;

  h->deadline = 0;
  g_cancellable_cancel (h->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_handshake_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Handshake *h = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error);

  if (h->listener != NULL)
    {
      g_ptr_array_remove_fast (h->listener->handshakes, h);
      if (ok)
        listener_hand_over (h->listener, G_IO_STREAM (h->tls), h->local, h->remote);
      else
        g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "MESSAGE", "TLS handshake: %s",
                          error->message);
    }
  /* A failed handshake's socket closes with its last reference; a
   * blocking close could wait on the client. */
  handshake_free (h);
}

static void
listener_start_tls (RdvListener *l, GSocketConnection *connection, GSocketAddress *local,
                    GSocketAddress *remote)
{
  /* ALPN: HTTP/1 only; libsoup's HTTP/2 server is not used. */
  const gchar *protocols[] = { "http/1.1", "http/1.0", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GIOStream) tls = g_tls_server_connection_new (G_IO_STREAM (connection),
                                                           l->certificate, &error);
  Handshake *h;

  if (tls == NULL)
    {
      g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "TLS: %s", error->message);
      return;
    }
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (tls), protocols);
  h = g_new0 (Handshake, 1);
  h->listener = l;
  h->tls = G_TLS_CONNECTION (g_steal_pointer (&tls));
  h->cancellable = g_cancellable_new ();
  h->local = g_object_ref (local);
  h->remote = g_object_ref (remote);
  h->deadline = g_timeout_add_seconds (HANDSHAKE_SECONDS, on_handshake_deadline, h);
  g_ptr_array_add (l->handshakes, h);
  g_tls_connection_handshake_async (h->tls, G_PRIORITY_DEFAULT, h->cancellable,
                                    on_handshake_done, h);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
             gpointer user_data)
{
  RdvListener *l = user_data;
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr (GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr (GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  Conn *c;

  /* A client already gone: nothing to serve. */
  if (local == NULL || remote == NULL)
    return TRUE;
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  c = g_new0 (Conn, 1);
  c->listener = l;
  c->remote = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (remote));
  c->connection = connection;
  g_object_weak_ref (G_OBJECT (connection), on_connection_gone, c);
  g_hash_table_replace (l->connections, c->remote, c);
  if (l->certificate != NULL)
    listener_start_tls (l, connection, local, remote);
  else
    listener_hand_over (l, G_IO_STREAM (connection), local, remote);
  return TRUE;
}

RdvListener *
rdv_listener_new (SoupServer *soup, GTlsCertificate *certificate)
{
  RdvListener *l = g_new0 (RdvListener, 1);

  l->soup = soup;
  l->certificate = certificate != NULL ? g_object_ref (certificate) : NULL;
  l->service = g_socket_service_new ();
  l->connections = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, conn_free);
  l->handshakes = g_ptr_array_new ();
  g_signal_connect (l->service, "incoming", G_CALLBACK (on_incoming), l);
  return l;
}

void
rdv_listener_free (RdvListener *l)
{
  if (l == NULL)
    return;
  g_socket_service_stop (l->service);
  g_socket_listener_close (G_SOCKET_LISTENER (l->service));
  g_signal_handlers_disconnect_by_data (l->service, l);
  g_clear_object (&l->service);
  /* Pending handshakes finish on their own, without a listener. */
  for (guint i = 0; i < l->handshakes->len; i++)
    {
      Handshake *h = g_ptr_array_index (l->handshakes, i);

      h->listener = NULL;
      g_cancellable_cancel (h->cancellable);
    }
  g_ptr_array_free (l->handshakes, TRUE);
  g_hash_table_destroy (l->connections);
  g_clear_object (&l->certificate);
  g_free (l);
}

gboolean
rdv_listener_listen (RdvListener *l, const gchar *host, guint16 port, GError **error)
{
  g_autoptr (GSocketAddress) address = NULL;

  if (g_strcmp0 (host, "::") == 0)
    {
      if (!g_socket_listener_add_inet_port (G_SOCKET_LISTENER (l->service), port, NULL, error))
        return FALSE;
    }
  else
    {
      address = g_inet_socket_address_new_from_string (host, port);
      if (address == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' is not an address",
                       host);
          return FALSE;
        }
      if (!g_socket_listener_add_address (G_SOCKET_LISTENER (l->service), address,
                                          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL,
                                          error))
        return FALSE;
    }
  g_socket_service_start (l->service);
  return TRUE;
}

GSocket *
rdv_listener_lookup_socket (RdvListener *l, SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  g_autofree gchar *key = NULL;
  Conn *c;

  if (remote == NULL)
    return NULL;
  key = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (remote));
  c = g_hash_table_lookup (l->connections, key);
  return c != NULL && c->connection != NULL ? g_socket_connection_get_socket (c->connection)
    : NULL;
}
