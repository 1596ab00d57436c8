/* resolver.h — asynchronous DNS lookups of host names with the TTL of
 * every address, through c-ares on the GLib main loop
 * (docs/architecture.md §1): what re-resolves peers' host-name endpoints
 * when their records expire. */
#pragma once

#include <gio/gio.h>

#define WGD_RESOLVER_ERROR (wgd_resolver_error_quark ())

typedef enum {
  WGD_RESOLVER_ERROR_INVALID_NAME,   /* not a host name; nothing was sent */
  WGD_RESOLVER_ERROR_NOT_FOUND,      /* the name does not exist (NXDOMAIN) */
  WGD_RESOLVER_ERROR_NO_DATA,        /* the name exists but has no A or AAAA record */
  WGD_RESOLVER_ERROR_TIMEOUT,        /* no server answered in time */
  WGD_RESOLVER_ERROR_SERVER_FAILED,  /* servers failed, refused or were unreachable */
  WGD_RESOLVER_ERROR_FAILED,         /* anything else: memory, configuration */
} WgdResolverErrorCode;

GQuark wgd_resolver_error_quark (void);

/* The TTL of an address that no DNS record gave: from /etc/hosts, or
 * a literal. */
#define WGD_RESOLVER_TTL_NONE 0

typedef struct {
  GInetAddress *address;
  GSocketFamily family;         /* G_SOCKET_FAMILY_IPV4 or _IPV6 */
  guint32 ttl;                  /* seconds; for a CNAME chain the smallest along it */
} WgdResolverAddress;

typedef struct _WgdResolver WgdResolver;
typedef struct _WgdResolverLookup WgdResolverLookup;

/* addresses (WgdResolverAddress, both families, in no particular order,
 * never empty) is the caller's only for the call (g_array_ref to keep
 * it); on failure it is NULL and error says what failed for which name.
 * The lookup's handle is gone when this is called. */
typedef void (*WgdResolverFunc) (WgdResolver *resolver, GArray *addresses, const GError *error,
                                 gpointer user_data);

/* A resolver with the servers and options of resolv_conf (NULL:
 * /etc/resolv.conf, where a missing file means a server on 127.0.0.1 as
 * for the C library; a path given must be readable), answering on the
 * main loop of the thread-default context. Names are looked up as they
 * are written: /etc/hosts first, then DNS, never with resolv.conf's
 * search domains appended. */
WgdResolver *wgd_resolver_new (const gchar *resolv_conf, GError **error);
/* Calls no callback of a lookup still pending. */
void wgd_resolver_free (WgdResolver *resolver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdResolver, wgd_resolver_free)

/* Starts looking up host's A and AAAA records; func is called once,
 * later, from the main loop (never from within this call). An IP
 * literal is answered as itself (TTL WGD_RESOLVER_TTL_NONE) without DNS;
 * a non-ASCII name is looked up in its IDNA (punycode) form. */
WgdResolverLookup *wgd_resolver_lookup (WgdResolver *resolver, const gchar *host,
                                        WgdResolverFunc func, gpointer user_data);
/* Stops a lookup whose callback has not been called: it never will be.
 * (The query itself may still run to its end inside c-ares.) */
void wgd_resolver_cancel (WgdResolver *resolver, WgdResolverLookup *lookup);

/* Reads resolv.conf again, for a changed network: lookups from now on
 * use its servers, and those pending are sent again to them (an answer
 * from the old servers may never come). On error the old configuration
 * stays and nothing pending is lost. */
gboolean wgd_resolver_reload (WgdResolver *resolver, GError **error);
