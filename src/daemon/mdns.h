/* mdns.h — wgdiscoverd's side of mDNS/DNS-SD (docs/architecture.md §3, §4), through
 * avahi-daemon: publish our signed record as a _wireguard._udp service
 * and hand every record other hosts publish to a callback.
 *
 * The connection survives avahi-daemon restarts: a lost daemon is waited
 * for (AVAHI_CLIENT_NO_FAIL), and on its return the service is published
 * and browsing starts again.
 * Resolvers are a limited resource in avahi-daemon, so at most
 * WGD_MDNS_RESOLVERS_MAX run at once and the rest wait their turn (at
 * most WGD_MDNS_PENDING_MAX of them, each service once); a resolver is
 * kept to follow TXT updates only for a service the callback wants
 * followed, and a service of a peer of ours displaces one that is merely
 * valid when the bound is reached. */
#pragma once

#include <glib.h>

#include "txt.h"

#define WGD_MDNS_SERVICE_TYPE "_wireguard._udp"
#define WGD_MDNS_RESOLVERS_MAX 8
#define WGD_MDNS_KEPT_MAX 1024
/* avahi-daemon's own cache holds at most 4096 records per interface. */
#define WGD_MDNS_PENDING_MAX 4096

typedef struct _WgdMdns WgdMdns;

/* What a record makes of its service. */
typedef enum {
  WGD_MDNS_IGNORE,              /* refused: nothing to follow */
  WGD_MDNS_FOLLOW,              /* a peer of ours: follow its TXT updates */
  WGD_MDNS_FOLLOW_IF_ROOM,      /* valid, nobody's here yet: it may become one */
} WgdMdnsInterest;

/* A record heard on interface ifindex from the service name. */
typedef WgdMdnsInterest (*WgdMdnsRecordFunc) (const guint8 *record, gsize len, guint32 ifindex,
                                              const gchar *service, const gchar *address,
                                              gpointer user_data);
/* A TXT that is not a record at all (for counting and logging). */
typedef void (*WgdMdnsBadTxtFunc) (const GError *error, const gchar *service,
                                   const gchar *address, gpointer user_data);

WgdMdns *wgd_mdns_new (WgdMdnsRecordFunc on_record, WgdMdnsBadTxtFunc on_bad_txt,
                       gpointer user_data, GError **error);
void wgd_mdns_free (WgdMdns *mdns);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdMdns, wgd_mdns_free)

/* Publishes (or updates in place) our service: name, port, record, and
 * in mesh mode the mesh's subtype (see wgd_mdns_mesh_subtype; NULL for
 * none). Takes effect once avahi-daemon is there. */
void wgd_mdns_publish (WgdMdns *mdns, const gchar *name, guint16 port, const gchar *subtype,
                       const guint8 *record, gsize len);
/* Withdraws our service (before exiting). */
void wgd_mdns_withdraw (WgdMdns *mdns);
/* Browses for every _wireguard._udp service, or only for those of one
 * mesh's subtype, or not at all. */
void wgd_mdns_set_browsing (WgdMdns *mdns, gboolean browse, const gchar *subtype);
/* "_m<first 8 hex digits of the CA key>._sub._wireguard._udp" (docs/record-format.md §8.1). */
gchar *wgd_mdns_mesh_subtype (const guint8 ca_key[32]);
/* Whether our service is registered with avahi-daemon right now. */
gboolean wgd_mdns_is_published (WgdMdns *mdns);
