/* listener.h — the rendezvous server's own accept loop: it listens,
 * does the TLS handshake (with a deadline) and hands each connection to
 * libsoup with soup_server_accept_iostream().
 *
 * libsoup 3.2's own listener (Debian 12) never frees the GSocket of a
 * connection it accepts (fixed upstream in 3.4, b545d5f0): a server
 * answering one request per connection grows by one socket object per
 * request. Accepting here also bounds the handshake, which libsoup does
 * not, and keeps each connection's socket at hand for the watches'
 * send-queue checks (libsoup knows no socket of a stream handed to it). */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

typedef struct _RdvListener RdvListener;

/* certificate NULL: plain HTTP. */
RdvListener *rdv_listener_new (SoupServer *soup, GTlsCertificate *certificate);
void rdv_listener_free (RdvListener *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvListener, rdv_listener_free)

/* host "::" listens on every address of both families. */
gboolean rdv_listener_listen (RdvListener *l, const gchar *host, guint16 port, GError **error);

/* The socket of the connection a request came over, NULL if it is gone. */
GSocket *rdv_listener_lookup_socket (RdvListener *l, SoupServerMessage *msg);
