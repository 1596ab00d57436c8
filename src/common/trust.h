/* trust.h — the trust decision (docs/trust-model.md): whether a received record may
 * change anything, under which binding, or why not.
 *
 * Pure: the trust store, the replay state, the interface's mode and the
 * clock are all inputs, so every decision is reproducible in a test and
 * the daemon can persist the replay state it gets back. */
#pragma once

#include <glib.h>

#include "announcement.h"
#include "revocation.h"

/* How far a timestamp may lie ahead of our clock (docs/trust-model.md §5). */
#define WGD_TRUST_MAX_FUTURE_SECONDS 300
/* Signing keys whose derived WireGuard key a trust store keeps, and
 * certificates whose signature it knows to verify: more than the peers
 * of any node, few enough to cost 500 KiB at most. */
#define WGD_TRUST_MEMO_MAX 4096

typedef enum {
  WGD_MODE_ENDPOINT,  /* only endpoints of existing peers; any binding */
  WGD_MODE_MESH,      /* peers are added too; only certificates */
} WgdMode;

typedef enum {
  WGD_BINDING_NONE,
  WGD_BINDING_DERIVED,
  WGD_BINDING_CERTIFICATE,
  WGD_BINDING_PINNED,
  /* Never a verdict: a peer waiting to be approved (docs/trust-model.md,
   * Pairing), as the daemon shows it. */
  WGD_BINDING_PENDING,
  WGD_BINDING_COUNT,
} WgdBinding;

/* Stable: the strings name counters on D-Bus and reasons in logs. */
typedef enum {
  WGD_REASON_NONE,            /* accepted */
  WGD_REASON_MALFORMED,
  WGD_REASON_TOO_LARGE,
  WGD_REASON_BAD_SIGNATURE,
  WGD_REASON_NO_BINDING,
  WGD_REASON_BAD_CERTIFICATE,
  WGD_REASON_EXPIRED,
  WGD_REASON_NOT_YET_VALID,
  WGD_REASON_FUTURE,
  WGD_REASON_REPLAYED,
  WGD_REASON_REVOKED,
  WGD_REASON_WRONG_MESH,
  WGD_REASON_COUNT,
} WgdReason;

typedef struct {
  gboolean accepted;
  /* Accepted, and exactly this record was accepted before: nothing new. */
  gboolean already_known;
  WgdBinding binding;
  WgdReason reason;
  gchar detail[160];          /* a sentence for the log */
} WgdVerdict;

typedef struct {
  WgdMode mode;
  /* Mesh mode: the public key of the interface's mesh CA. */
  guint8 mesh_key[WGD_KEY_LEN];
  guint64 now;
} WgdTrustContext;

typedef struct _WgdTrustStore WgdTrustStore;
typedef struct _WgdReplayState WgdReplayState;

WgdTrustStore *wgd_trust_store_new (void);
void wgd_trust_store_free (WgdTrustStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdTrustStore, wgd_trust_store_free)

void wgd_trust_store_add_ca (WgdTrustStore *store, const guint8 ca_key[WGD_KEY_LEN]);
gboolean wgd_trust_store_has_ca (const WgdTrustStore *store, const guint8 ca_key[WGD_KEY_LEN]);
/* Pins a WireGuard key to the one signing key allowed to speak for it. */
void wgd_trust_store_add_pin (WgdTrustStore *store, const guint8 wg_key[WGD_KEY_LEN],
                              const guint8 signing_key[WGD_KEY_LEN]);
/* Whether some signing key is pinned to wg_key. */
gboolean wgd_trust_store_has_pin (const WgdTrustStore *store, const guint8 wg_key[WGD_KEY_LEN]);
/* Takes a revocation list of a known CA with a valid signature; an older
 * list than the one held is refused, a newer one replaces it. */
gboolean wgd_trust_store_add_revocations (WgdTrustStore *store, const WgdRevocationList *list,
                                          GError **error);
gboolean wgd_trust_store_is_revoked (const WgdTrustStore *store,
                                     const guint8 ca_key[WGD_KEY_LEN], guint64 serial);
/* How many signing keys' derived WireGuard keys, and how many verified
 * certificates, the store keeps (each at most WGD_TRUST_MEMO_MAX):
 * deciding fills them, so a store is for one thread. */
gsize wgd_trust_store_count_derived (const WgdTrustStore *store);
gsize wgd_trust_store_count_certificates (const WgdTrustStore *store);

WgdReplayState *wgd_replay_state_new (void);
void wgd_replay_state_free (WgdReplayState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdReplayState, wgd_replay_state_free)
/* The newest accepted timestamp for a signing key. */
gboolean wgd_replay_state_lookup (const WgdReplayState *state,
                                  const guint8 signing_key[WGD_KEY_LEN], guint64 *timestamp);
/* Records the newest accepted record of a signing key, as read back
 * from a file; the digest (crypto_generichash of the whole record,
 * signature included) tells a repeat of that very record from a
 * different one with the same time. Only a record accepted through
 * wgd_replay_state_accept in this process spares its repeats the
 * signature check. */
void wgd_replay_state_update (WgdReplayState *state, const guint8 signing_key[WGD_KEY_LEN],
                              guint64 timestamp, const guint8 digest[WGD_KEY_LEN]);
/* Calls func for every entry, for persisting. */
void wgd_replay_state_foreach (const WgdReplayState *state,
                               void (*func) (const guint8 signing_key[WGD_KEY_LEN],
                                             guint64 timestamp,
                                             const guint8 digest[WGD_KEY_LEN],
                                             gpointer user_data),
                               gpointer user_data);

/* Decides on an already decoded announcement, against replay (NULL for
 * a one-off check); changes nothing but the store's memos (derived
 * keys, verified certificates). The record accepted last for its key, heard again byte for
 * byte, costs no signature check; everything else is checked as for any
 * record, so the verdict is the same. A caller that acts on an accepted
 * record then records it with wgd_replay_state_accept: deciding and
 * remembering are apart so that a record nobody here needs, however
 * valid, leaves no state behind. */
void wgd_trust_check (const WgdTrustStore *store, const WgdReplayState *replay,
                      const WgdTrustContext *ctx, const WgdAnnouncement *ann,
                      WgdVerdict *verdict);

/* Decodes data[0..len) into ann and decides: the entry point for bytes
 * off the wire, so a malformed or oversized record is a verdict too. */
void wgd_trust_check_record (const WgdTrustStore *store, const WgdReplayState *replay,
                             const WgdTrustContext *ctx, const guint8 *data, gsize len,
                             WgdAnnouncement *ann, WgdVerdict *verdict);

/* Remembers an accepted record as its signing key's newest, so that
 * older ones are refused as replays from now on. */
void wgd_replay_state_accept (WgdReplayState *state, const WgdAnnouncement *ann);

/* The timestamp of our next record: now, or just after the newest we
 * signed (receivers refuse a different record with the same or an older
 * timestamp) while that lies within the future any receiver accepts.
 * Newer than that it was refused by everyone, so it no longer counts
 * (the clock was fast and has been set back): *jumped says so. */
guint64 wgd_trust_next_own_timestamp (guint64 newest, guint64 now, gboolean *jumped);

const gchar *wgd_reason_to_string (WgdReason reason);
/* The binding's name: none, derived, certificate, pinned, pending (a
 * peer's trust on D-Bus). */
const gchar *wgd_binding_to_string (WgdBinding binding);
gboolean wgd_binding_from_string (const gchar *text, WgdBinding *binding);
const gchar *wgd_mode_to_string (WgdMode mode);
gboolean wgd_mode_from_string (const gchar *text, WgdMode *mode);
