/* punch.h — opening our own NATs towards a peer before WireGuard talks.
 *
 * Two hosts behind separate port-preserving NATs, each sending WireGuard
 * handshakes to the other's public address, can block each other: the
 * first handshake to reach the far NAT, before that NAT has a mapping
 * for its own host, becomes a connection to the NAT itself, and the NAT
 * then maps its host's packets for that peer to another port, which the
 * other side never expects. A UDP datagram sent first from WireGuard's
 * listen port with a TTL that passes our NATs but dies before the far
 * one makes our NATs' mappings without touching the far NAT; when both
 * sides have done so, the handshakes pass (docs/architecture.md).
 *
 * The TTL is found by a plan: send TTL 1, 2, … and listen for the ICMP
 * "time exceeded" each hop returns. A hop with a private address
 * (RFC 1918, shared 100.64/10, link-local, loopback) is still inside
 * (a NAT's inside, a carrier-grade NAT's inside); the first hop with
 * another address lies past our last NAT, so the datagram that died
 * there has made every mapping: stop. A hop that does not answer stops
 * the plan once TTL 2 was sent (one NAT, the common case); an answer
 * from the peer's address itself, or a "destination unreachable" from
 * anywhere, means the datagram went too far: stop. IPv4 only (NAT is an
 * IPv4 matter).
 *
 * The plan and the packet formats are pure (punch.c); punch-socket.c
 * is the thin part that sends and listens on the main loop (raw
 * sockets: CAP_NET_RAW). */
#pragma once

#include <glib.h>

#define WGD_PUNCH_MAX_TTL_DEFAULT 6
/* Without answers, the plan goes no further than this. */
#define WGD_PUNCH_TTL_BLIND 2
/* How long a punch waits for each hop's answer. */
#define WGD_PUNCH_WAIT_MS_DEFAULT 100
#define WGD_PUNCH_PAYLOAD "wgdiscover-punch"

typedef enum {
  WGD_PUNCH_RUNNING,
  WGD_PUNCH_PASSED,      /* a hop past our NATs answered */
  WGD_PUNCH_BLIND,       /* stopped for lack of answers */
  WGD_PUNCH_OVERSHOT,    /* the peer's side answered */
  WGD_PUNCH_EXHAUSTED,   /* only private hops up to max_ttl */
  WGD_PUNCH_OUTCOME_COUNT,
} WgdPunchOutcome;

typedef struct {
  guint8 max_ttl;
  guint8 ttl;            /* the last TTL handed out, 0 before the first */
  WgdPunchOutcome outcome;
} WgdPunchPlan;

/* What an ICMP message says about one of our datagrams. */
typedef enum {
  WGD_PUNCH_ICMP_NOT_OURS,
  WGD_PUNCH_ICMP_TIME_EXCEEDED,
  WGD_PUNCH_ICMP_UNREACHABLE,
} WgdPunchIcmp;

void wgd_punch_plan_init (WgdPunchPlan *plan, guint8 max_ttl);
/* The TTL of the next datagram, or 0 when the plan has ended. */
guint8 wgd_punch_plan_next (WgdPunchPlan *plan);
/* What came back for the last TTL: kind and the address it came from
 * (ignored for NOT_OURS, which means silence). */
void wgd_punch_plan_answer (WgdPunchPlan *plan, WgdPunchIcmp kind, const guint8 from[4],
                            const guint8 peer[4]);

gboolean wgd_punch_address_is_private (const guint8 address[4]);

/* The UDP header and payload a raw IPPROTO_UDP socket sends (the kernel
 * writes the IP header), with the checksum over the IPv4 pseudo-header.
 * Returns the length written, 0 if cap is too small. */
gsize wgd_punch_udp_build (guint8 *out, gsize cap, const guint8 src[4], guint16 src_port,
                           const guint8 dst[4], guint16 dst_port, const guint8 *payload,
                           gsize payload_len);

/* Reads an IPv4 packet as a raw ICMP socket returns it (IP header
 * first): whether it is an ICMP error about a UDP datagram from
 * src_port to dst:dst_port, and from whom (from_out). */
WgdPunchIcmp wgd_punch_icmp_parse (const guint8 *packet, gsize len, guint16 src_port,
                                   const guint8 dst[4], guint16 dst_port, guint8 from_out[4]);

const gchar *wgd_punch_outcome_to_string (WgdPunchOutcome outcome);

/* --- I/O (punch-socket.c) ---------------------------------------------------
 * The raw sockets (needs CAP_NET_RAW), opened once, and punches run
 * over them on the GLib main loop: one datagram per TTL, each followed
 * by up to wait_ms for its ICMP answer. Any number of punches share the
 * sockets; each ICMP message is shown to all of them. */
typedef struct _WgdPunchSockets WgdPunchSockets;
typedef struct _WgdPunch WgdPunch;

/* error is NULL when the plan ran to its end; plan says how it ended. */
typedef void (*WgdPunchDoneFunc) (WgdPunch *punch, const WgdPunchPlan *plan,
                                  const GError *error, gpointer user_data);

WgdPunchSockets *wgd_punch_sockets_open (GError **error);
/* Only once every punch on them is freed. */
void wgd_punch_sockets_free (WgdPunchSockets *sockets);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdPunchSockets, wgd_punch_sockets_free)

/* Starts a punch from src_port to dst:dst_port; done is called once, from
 * the main loop, and may free the punch. */
WgdPunch *wgd_punch_start (WgdPunchSockets *sockets, guint16 src_port, const guint8 dst[4],
                           guint16 dst_port, guint8 max_ttl, guint wait_ms,
                           WgdPunchDoneFunc done, gpointer user_data);
/* Stops a punch still running (done is then never called) and frees it. */
void wgd_punch_free (WgdPunch *punch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdPunch, wgd_punch_free)
