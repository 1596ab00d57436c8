/* endpoint-host.h — a WireGuard endpoint as configuration files write it
 * (wg(8) Endpoint=): "HOST:PORT" or "[HOST]:PORT", HOST an IPv4 or IPv6
 * address or a DNS host name. Host names are what the daemon re-resolves
 * (docs/dynamic-dns.md); addresses are kept as given. */
#pragma once

#include <glib.h>

/* The longest text wgd_host_endpoint_parse reads: a 253-character name,
 * brackets, colon and port, with room to spare. */
#define WGD_HOST_ENDPOINT_TEXT_MAX 300

typedef struct {
  gchar *host;        /* without brackets; an IPv6 address keeps its %SCOPE */
  guint16 port;       /* 1 to 65535 */
  gboolean literal;   /* an IP address: needs no DNS */
} WgdHostEndpoint;

/* Splits as wg(8) does: after "[...]" if the text starts with '[', else
 * at the last ':', so that an IPv6 address without brackets still parses
 * ("fe80::1:51820" is fe80::1 port 51820). The port is decimal, 1 to
 * 65535 (no service names); a host name is RFC 1123 labels, at most 253
 * characters, one trailing dot allowed, its last label not all digits
 * (getaddrinfo would read "1.2.3" as an IPv4 address). An IPv6 scope id
 * ("[fe80::1%eth0]:51820") is accepted as wg(8) accepts it (getaddrinfo
 * reads it); whether the interface exists is checked where it is used. */
WgdHostEndpoint *wgd_host_endpoint_parse (const gchar *text, GError **error);
/* "host:port", or "[v6]:port" for a host with a ':'. */
gchar *wgd_host_endpoint_to_string (const WgdHostEndpoint *endpoint);
void wgd_host_endpoint_free (WgdHostEndpoint *endpoint);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdHostEndpoint, wgd_host_endpoint_free)
