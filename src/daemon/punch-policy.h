/* punch-policy.h — when wgdiscoverd punches its NATs open towards a peer
 * (src/net/punch.h) and when it lets WireGuard talk to it: pure, the
 * times passed in (docs/architecture.md, "Through NATs").
 *
 * What the lab measured (tests/lan/test-wan-lab.sh) decides it. A
 * WireGuard packet that reaches the far NAT before the far side has
 * punched becomes, at that NAT, a connection to the NAT itself, and
 * everything the far side then sends us leaves from another port: no
 * tunnel while we keep sending, and a punch then does not help. So:
 *
 *  1. Punch as soon as a candidate from the rendezvous server is chosen,
 *     and hold WireGuard back (no endpoint written) for HOLD, or longer
 *     when the peer has just started and waits for mDNS before it looks
 *     us up: the far side, learning of us meanwhile, punches too, and
 *     a handshake of its that arrives meanwhile passes our open NAT
 *     (WireGuard answers it and takes its address: done).
 *  2. Write the endpoint, with a keepalive, so that WireGuard shakes
 *     hands at once; TRY for it.
 *  3. No handshake: the far NAT is likely trapped by our packets. Park
 *     WireGuard's packets for the peer on this host (the endpoint is our
 *     own loopback port, the keepalive off) so that both NATs forget,
 *     which takes their UDP timeout (30 s on Linux), and start again at
 *     1 at the next whole minute of the clock at least SILENCE away: the
 *     far side, failing too, does the same, and both punch again within
 *     the clocks' difference of each other (less than HOLD).
 *  4. Through: the peer keeps a keepalive, so a working tunnel shakes
 *     hands every two minutes. A handshake older than STALE means it
 *     broke (the peer restarted, its NAT forgot us): start again at 1,
 *     for the peer, coming back, punches and retries on the same minutes.
 */
#pragma once

#include <glib.h>

#include "peer-table.h"

#define WGD_PUNCH_HOLD_MS 3000
#define WGD_PUNCH_HOLD_MAX_MS 10000
#define WGD_PUNCH_TRY_MS 10000
/* A NAT's UDP timeout (30 s in Linux) and a margin. */
#define WGD_PUNCH_SILENCE_S 35
/* Retries begin when the clock's seconds are a multiple of this. */
#define WGD_PUNCH_SLOT_S 60
/* The keepalive a punched tunnel gets when the interface sets none: its
 * NATs forget it otherwise, and the next packet would trap it again. */
#define WGD_PUNCH_KEEPALIVE_S 25
/* A handshake older than this (WireGuard rekeys every 120 s while the
 * keepalive runs; 180 s is its session's end) means the tunnel broke. */
#define WGD_PUNCH_STALE_S 200
/* At most this many peers are punched for at once; others are written
 * at once, as without punching. */
#define WGD_PUNCH_ATTEMPTS_MAX 256

/* The candidate of entry that endpoint is, if it is punched for first:
 * from the rendezvous server, IPv4, and an address a NAT can stand for
 * (not private); else NULL. */
const WgdCandidate *wgd_punch_policy_candidate (const WgdPeerEntry *entry,
                                                const WgdSockaddr *endpoint);
/* How long WireGuard is held back after the first punch, given when the
 * peer signed the record (clock seconds) and the time now: HOLD, or,
 * for a peer that has just started, until it has looked us up too (its
 * first lookup waits WGD_RDV_LAN_GRACE_MS for mDNS) and HOLD more;
 * at most WGD_PUNCH_HOLD_MAX_MS. */
guint wgd_punch_policy_hold_ms (guint64 signed_at, guint64 wall);

typedef enum {
  WGD_TRAVERSAL_HOLDING,        /* punched; WireGuard held back */
  WGD_TRAVERSAL_TRYING,         /* endpoint written; waiting for a handshake */
  WGD_TRAVERSAL_PARKED,         /* silent until the next slot */
  WGD_TRAVERSAL_DONE,           /* a handshake came; watching for it to go stale */
  WGD_TRAVERSAL_PHASE_COUNT,
} WgdTraversalPhase;

/* What the caller does now. */
typedef enum {
  WGD_TRAVERSAL_WAIT,
  WGD_TRAVERSAL_PUNCH,
  WGD_TRAVERSAL_WRITE,          /* the endpoint, with a keepalive turned on */
  WGD_TRAVERSAL_PARK,           /* the endpoint on our loopback port, no keepalive */
  WGD_TRAVERSAL_FINISH,         /* through; keep a keepalive on */
} WgdTraversalAction;

typedef struct {
  WgdTraversalPhase phase;
  gint64 phase_ms;              /* monotonic: when the phase began */
  guint64 retry_at;             /* wall clock (s): when PARKED ends */
  gint64 handshake_before;      /* the peer's last handshake (s) at the start */
  gint64 started_ms;
  guint hold_ms;                /* this attempt's; retries hold WGD_PUNCH_HOLD_MS */
  guint attempts;               /* 1 for the first */
} WgdTraversal;

/* Begins in HOLDING for hold_ms (wgd_punch_policy_hold_ms); the caller
 * punches now. last_handshake is the device's for the peer (0: never):
 * only a newer one counts. */
void wgd_traversal_start (WgdTraversal *t, gint64 now_ms, gint64 last_handshake,
                          guint hold_ms);
/* The next action at now_ms (monotonic) and wall (clock seconds), given
 * the device's last handshake with the peer. */
WgdTraversalAction wgd_traversal_step (WgdTraversal *t, gint64 now_ms, guint64 wall,
                                       gint64 last_handshake);
/* The first slot at least WGD_PUNCH_SILENCE_S after wall. */
guint64 wgd_traversal_next_slot (guint64 wall);

const gchar *wgd_traversal_phase_to_string (WgdTraversalPhase phase);
gboolean wgd_traversal_phase_from_string (const gchar *text, WgdTraversalPhase *phase);
