/* server.h — wgdiscover-rendezvous's HTTP server (docs/rendezvous.md):
 * the routes on a SoupServer, with the store, the policy, the rate limit
 * and the counters it uses. The decisions are elsewhere (accept.h,
 * route.h, rate-limit.h); this is the thin I/O around them. */
#pragma once

#include <glib.h>

#include "rdv-config.h"
#include "store.h"

typedef struct _RdvServer RdvServer;

/* Takes the store; fails on a certificate that does not load. */
RdvServer *rdv_server_new (const RdvConfig *config, RdvStore *store, GError **error);
void rdv_server_free (RdvServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvServer, rdv_server_free)

/* Listens as the configuration says: TLS with a certificate, plain HTTP
 * only on loopback or with AllowPlainHTTP=true. */
gboolean rdv_server_listen (RdvServer *server, GError **error);
