/* mdns.h — wgdiscoverd's side of mDNS/DNS-SD (docs/architecture.md §3, §4), through
 * avahi-daemon: publish our signed record as a _wireguard._udp service
 * and hand every record other hosts publish to a callback.
 *
 * The connection survives avahi-daemon restarts: a lost daemon is waited
 * for (AVAHI_CLIENT_NO_FAIL), and on its return the service is published
 * and browsing starts again. A daemon that is there but does not answer
 * (stopped) is noticed by a liveness check: nothing waits on it, and once
 * it answers again the services followed are asked for what was missed.
 *
 * Only a service's TXT record is looked up: the signed record is all
 * there is to know. Every lookup has a short deadline; lookups,
 * services watched for new TXT records and the rest are bounded so that
 * avahi-daemon's limit of objects per client is never reached, and no
 * service is dropped for want of room: it waits its turn. */
#pragma once

#include <glib.h>

#include "txt.h"

#define WGD_MDNS_SERVICE_TYPE "_wireguard._udp"

typedef struct _WgdMdns WgdMdns;

/* What a record makes of its service, in increasing claim on a place
 * among the services watched for new TXT records: a peer's service
 * displaces a stranger's, which displaces a refused one. */
typedef enum {
  WGD_MDNS_IGNORE,              /* refused (or our own): watched only while there is room */
  WGD_MDNS_FOLLOW_IF_ROOM,      /* valid, nobody's here yet: it may become one */
  WGD_MDNS_FOLLOW,              /* a peer of ours: follow its TXT updates */
} WgdMdnsInterest;

/* Where a TXT record was heard. mDNS does not say who sent it, and the
 * address a host name resolves to is whatever its announcer claims, so
 * that is all there is: the service (instance) name as announced, with
 * control characters escaped for logs, and the interface. */
typedef struct {
  const gchar *service;
  guint32 ifindex;
  const gchar *ifname;
} WgdMdnsOrigin;

/* A record heard in a service's TXT, with the WireGuard key its pub=
 * names (NULL: none; unchecked, see wgd_txt_check_hint). */
typedef WgdMdnsInterest (*WgdMdnsRecordFunc) (const guint8 *record, gsize len,
                                              const guint8 *hint, const WgdMdnsOrigin *origin,
                                              gpointer user_data);
/* A TXT that is not a record at all (for counting and logging). */
typedef void (*WgdMdnsBadTxtFunc) (const GError *error, const WgdMdnsOrigin *origin,
                                   gpointer user_data);

/* Services announced on the LAN that gave no TXT record within their
 * lookup's deadline, count of them in the window_s seconds after the
 * first (a flood of names that never answer shows there). */
typedef void (*WgdMdnsUnansweredFunc) (guint count, guint window_s, gpointer user_data);

WgdMdns *wgd_mdns_new (WgdMdnsRecordFunc on_record, WgdMdnsBadTxtFunc on_bad_txt,
                       WgdMdnsUnansweredFunc on_unanswered, gpointer user_data, GError **error);
void wgd_mdns_free (WgdMdns *mdns);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdMdns, wgd_mdns_free)

/* Publishes (or updates in place) our service: name, port, record (and
 * its WireGuard key, for pub=), and in mesh mode the mesh's subtype (see
 * wgd_mdns_mesh_subtype; NULL for none). Takes effect once avahi-daemon
 * is there and answers. */
void wgd_mdns_publish (WgdMdns *mdns, const gchar *name, guint16 port, const gchar *subtype,
                       const guint8 *record, gsize len, const guint8 wg_key[WGD_KEY_LEN]);
/* Withdraws our service (before exiting). */
void wgd_mdns_withdraw (WgdMdns *mdns);
/* Asks the LAN afresh, as after a silence of avahi-daemon: the names
 * of the type browsed for, and every service followed for its TXT
 * record, at once and twice more within seconds. Returns how many
 * services are asked (0 while avahi-daemon does not answer: it is
 * done once it does). */
guint wgd_mdns_ask_again (WgdMdns *mdns);
/* Browses for every _wireguard._udp service, or only for those of one
 * mesh's subtype, or not at all. */
void wgd_mdns_set_browsing (WgdMdns *mdns, gboolean browse, const gchar *subtype);
/* "_m<first 8 hex digits of the CA key>._sub._wireguard._udp" (docs/record-format.md §8.1). */
gchar *wgd_mdns_mesh_subtype (const guint8 ca_key[32]);
/* Whether our service is registered with avahi-daemon right now. */
gboolean wgd_mdns_is_published (WgdMdns *mdns);
