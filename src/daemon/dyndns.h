/* dyndns.h — endpoints configured by host name, kept resolved (README.md,
 * "Dynamic DNS endpoints"; docs/dynamic-dns.md): the configured-endpoint
 * source of the core. It is handed the peers whose endpoint the
 * configuration gives ([Peer NAME] Endpoint=), resolves each name through the resolver
 * when resolve-policy says so, and hands the core the addresses
 * whenever they change. A name that stops resolving keeps its last
 * addresses: the core is told nothing then. */
#pragma once

#include <glib.h>

#include "endpoint-host.h"
#include "keys.h"
#include "resolve-policy.h"
#include "resolver.h"
#include "wg-device.h"

/* What the configuration says of one peer. */
typedef struct {
  guint8 wg_key[WGD_KEY_LEN];
  gchar *name;                  /* [Peer NAME]'s; NULL if none */
  WgdHostEndpoint *endpoint;
  gchar *origin;                /* where it was configured, for the log */
} WgdDyndnsPeer;

WgdDyndnsPeer *wgd_dyndns_peer_new (const guint8 wg_key[WGD_KEY_LEN], const gchar *name,
                                    const WgdHostEndpoint *endpoint, const gchar *origin);
void wgd_dyndns_peer_free (WgdDyndnsPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDyndnsPeer, wgd_dyndns_peer_free)

/* The addresses of wg_key's configured endpoint now (none: the peer is
 * no longer configured so); name is the configuration's for the peer,
 * NULL if it gives none. */
typedef void (*WgdDyndnsFunc) (const guint8 wg_key[WGD_KEY_LEN], const gchar *name,
                               const WgdSockaddr *addresses, gsize n_addresses,
                               gpointer user_data);

typedef struct _WgdDyndns WgdDyndns;

/* resolver is borrowed and must outlive it. */
WgdDyndns *wgd_dyndns_new (WgdResolver *resolver, WgdDyndnsFunc func, gpointer user_data);
void wgd_dyndns_free (WgdDyndns *dyndns);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDyndns, wgd_dyndns_free)

/* The peers configured now (WgdDyndnsPeer, taken over): a peer whose
 * endpoint is unchanged keeps its addresses and schedule; a new one is
 * resolved at once (an address at once without DNS); one gone is
 * handed to func with no addresses. */
void wgd_dyndns_set_peers (WgdDyndns *dyndns, GPtrArray *peers);
/* The machine's network changed: every name is resolved again now. */
void wgd_dyndns_network_changed (WgdDyndns *dyndns);
/* What the device says of a peer at a read: a handshake gone stale
 * (or none) while traffic was sent since the last read resolves its
 * name early (at most once per WGD_RESOLVE_TTL_MIN_S). */
void wgd_dyndns_note_device_peer (WgdDyndns *dyndns, const WgdPeer *peer);
/* When the device should be read again for a configured peer (clock
 * seconds; G_MAXINT64: nothing due), so that a handshake going stale is
 * seen: when a fresh one goes stale, and, while it is stale and traffic
 * is sent, every WGD_RESOLVE_TTL_MIN_S. A tunnel already idle when it
 * went stale costs no wake-up: it is looked at again at the next event
 * or lookup. */
gint64 wgd_dyndns_next_look (WgdDyndns *dyndns, const WgdPeer *peer, gint64 now);
/* "home.example.org:51820 (198.51.100.7, 2001:db8::7; TTL 60 s)" for a
 * configured peer, NULL for others. */
gchar *wgd_dyndns_describe (WgdDyndns *dyndns, const guint8 wg_key[WGD_KEY_LEN]);
/* For STATUS=: "names: home.example.org:51820 (198.51.100.7; TTL 60 s),
 * …" for the first few host names in name order, and how many more;
 * NULL without any. */
gchar *wgd_dyndns_summarize (WgdDyndns *dyndns);
