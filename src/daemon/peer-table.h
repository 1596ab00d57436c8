/* peer-table.h — what the daemon knows about each peer, and the choice of
 * the endpoint its WireGuard peer gets (docs/architecture.md §5).
 *
 * Pure: sources (mDNS, rendezvous, configuration, saved state) feed
 * verified announcements in, the caller passes the local subnets, the
 * device's current view of the peer and the time, and gets back whether
 * to change the endpoint, to what, and why. */
#pragma once

#include <glib.h>

#include "announcement.h"
#include "trust.h"
#include "wg-device.h"

/* A handshake this recent means the tunnel works where it is. */
#define WGD_HANDSHAKE_FRESH_SECONDS 180
/* How long a newly set endpoint gets to produce a handshake: two of
 * WireGuard's attempts (it retries every 5 s, REKEY_TIMEOUT), the second
 * answered within a second where the path works. */
#define WGD_CANDIDATE_TRIAL_SECONDS 10
/* How long a candidate that failed its trial is passed over. */
#define WGD_CANDIDATE_DEMOTE_SECONDS 300

typedef enum {
  WGD_SOURCE_MDNS,
  WGD_SOURCE_RENDEZVOUS,
  WGD_SOURCE_CONFIG,
  WGD_SOURCE_STATE,
  WGD_SOURCE_COUNT,
} WgdCandidateSource;

typedef struct {
  WgdCandidateSource source;
  WgdEndpointKind kind;
  WgdSockaddr address;          /* IPv6 link-local carries the receiving scope */
  gint64 last_seen;
  guint64 signed_at;            /* the timestamp of the record that gave it */
  gint64 expires;
  gint64 demoted_until;
} WgdCandidate;

typedef struct {
  guint8 wg_key[WGD_KEY_LEN];
  guint8 signing_key[WGD_KEY_LEN];
  gchar name[WGD_NAME_MAX + 1];
  WgdBinding binding;
  gint64 last_heard;            /* the last announcement taken */
  GArray *candidates;           /* WgdCandidate */
  /* The endpoint this daemon last set or took from WireGuard's roaming,
   * and when: for roaming and trials. */
  gboolean applied;
  WgdSockaddr applied_endpoint;
  gint64 applied_at;
  guint64 applied_tx_bytes;
  guint64 applied_rx_bytes;
  const gchar *applied_why;     /* static: why it was chosen, as logged */
  /* Its trial is not judged yet (wgd_peer_entry_check_trial). */
  gboolean trial_open;
  /* The caller made WireGuard send a handshake to it after setting it:
   * a session is wanted, even if no packet could be counted as sent. */
  gboolean applied_handshake;
  /* It was not written: WireGuard roamed there, with a session
   * (wgd_peer_entry_adopt_roamed). */
  gboolean applied_roamed;
} WgdPeerEntry;

typedef struct _WgdPeerTable WgdPeerTable;

WgdPeerTable *wgd_peer_table_new (void);
void wgd_peer_table_free (WgdPeerTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdPeerTable, wgd_peer_table_free)

/* Records what an accepted announcement says: its endpoints replace the
 * candidates this source had for the peer. scope_ifindex is the
 * interface it was heard on, the scope of IPv6 link-local endpoints. */
WgdPeerEntry *wgd_peer_table_update (WgdPeerTable *table, const WgdAnnouncement *ann,
                                     WgdBinding binding, WgdCandidateSource source,
                                     guint32 scope_ifindex, gint64 now);
/* The addresses the configuration gives for the peer (a host name as
 * last resolved, or an address): they replace its candidates of source
 * config, of kind configured, and are kept until replaced (a name that
 * stops resolving keeps its last addresses: the caller does not call
 * this then). An address that was a candidate already keeps its
 * demotion, so a re-resolution every TTL does not retry a dead one.
 * Makes the entry when the peer has none: a peer that runs no
 * wgdiscover has only these candidates, no signing key and
 * WGD_BINDING_NONE. */
WgdPeerEntry *wgd_peer_table_set_configured (WgdPeerTable *table,
                                             const guint8 wg_key[WGD_KEY_LEN],
                                             const WgdSockaddr *addresses, gsize n_addresses,
                                             gint64 now);
WgdPeerEntry *wgd_peer_table_lookup (WgdPeerTable *table, const guint8 wg_key[WGD_KEY_LEN]);
/* Forgets a peer that only the configuration gave (its endpoint gone
 * from it, no announcement ever heard): TRUE if it went. */
gboolean wgd_peer_table_drop_configured (WgdPeerTable *table, const guint8 wg_key[WGD_KEY_LEN]);
/* Drops expired candidates; peers stay (their WireGuard peer is never
 * torn down for a service that went quiet). Returns how many went. */
guint wgd_peer_table_expire (WgdPeerTable *table, gint64 now);
GPtrArray *wgd_peer_table_get_peers (WgdPeerTable *table);

/* Whether the peer's endpoint should change, given the local subnets
 * (WgdPrefix with the host bits of our address), the device's view of the
 * peer (NULL if the device does not have it) and the time. On TRUE, out
 * holds the endpoint and *why a sentence for the log. */
gboolean wgd_peer_entry_choose (WgdPeerEntry *entry, const WgdPrefix *local, gsize n_local,
                                const WgdPeer *device_peer, gint64 now, WgdSockaddr *out,
                                const gchar **why);
/* WireGuard moved the peer on its own (roaming: an authenticated packet
 * came from another address) and a session holds (a handshake within
 * WGD_HANDSHAKE_FRESH_SECONDS), and no record signed since names other
 * addresses only (the peer left that one): the entry takes the device's
 * endpoint as applied, its trial passed, and keeps it while the session
 * does and the peer does not disown it so (the
 * caller logs and saves it as any endpoint it sets; a link-local one
 * shown without a scope gets the scope of the candidate heard on the
 * link). FALSE, changing
 * nothing, if the device has no such endpoint. Roaming without a
 * session (only the peer's handshake initiations came, and nothing came
 * back on our answers) is not taken: wgd_peer_entry_choose () has the
 * endpoint written, with a handshake, and so put on trial. */
gboolean wgd_peer_entry_adopt_roamed (WgdPeerEntry *entry, const WgdPeer *device_peer,
                                      gint64 now);
/* A roamed endpoint (as adopted above) that is the candidate
 * wgd_peer_entry_choose () would write anyway, with a session there: the
 * trial that writing it would start has passed, so it counts as written
 * by us. When that session goes stale, nothing is written again (no
 * handshake, no trial, and no wake-up for the staleness). Returns
 * whether it was settled so. */
gboolean wgd_peer_entry_settle_roamed (WgdPeerEntry *entry, const WgdPrefix *local,
                                       gsize n_local, const WgdPeer *device_peer, gint64 now);
/* Notes that the endpoint was written into the device. */
void wgd_peer_entry_applied (WgdPeerEntry *entry, const WgdSockaddr *endpoint,
                             const WgdPeer *device_peer, gint64 now);
/* Judges the applied candidate's trial. A handshake since it was set,
 * or data received on a session that still holds (a session that moves
 * keeps its keys; without one, what came can only be the peer's
 * handshake initiations, which say nothing of the way back), proves it
 * and ends the trial. Once WGD_CANDIDATE_TRIAL_SECONDS are over without
 * either, it is demoted if a session was wanted: a handshake was asked
 * for, WireGuard keeps one alive (persistent keepalive), or something was
 * sent to it (a send that fails locally is never counted, so the
 * counter alone is not enough). A peer nobody wants a session with is
 * never demoted: its trial stays open. TRUE when it was demoted, so the
 * caller chooses again. */
gboolean wgd_peer_entry_check_trial (WgdPeerEntry *entry, const WgdPeer *device_peer,
                                     gint64 now);
/* When the entry must be looked at again, after now: its open trial's
 * end (one still open after it, as nothing wanted a session, is judged
 * whenever the daemon looks again), a candidate's expiry or end of demotion,
 * and, while WireGuard's roaming wins (device_peer, may be NULL, has a
 * fresh handshake and an endpoint it roamed to), when that handshake
 * goes stale.
 * G_MAXINT64 when nothing is due. */
gint64 wgd_peer_entry_next_deadline (const WgdPeerEntry *entry, const WgdPeer *device_peer,
                                     gint64 now);

const gchar *wgd_candidate_source_to_string (WgdCandidateSource source);
gboolean wgd_candidate_source_from_string (const gchar *text, WgdCandidateSource *source);
