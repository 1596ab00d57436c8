/* pairing.h — peers waiting to be paired, and what the administrator
 * decided on them (docs/trust-model.md, Pairing).
 *
 * A signed, fresh record for a peer of ours that nothing binds is
 * *pending*: kept, at most one per WireGuard key and
 * WGD_PAIRING_PENDING_MAX in all, until it expires, is approved or
 * rejected. Decisions (an approval pins a signing key to a WireGuard
 * key; a rejection refuses that pair for good) are at most
 * WGD_PAIRING_DECISIONS_MAX and have a text form, the state file
 * `approvals`:
 *
 *   # comment
 *   approve WIREGUARD_KEY SIGNING_KEY
 *   reject WIREGUARD_KEY SIGNING_KEY
 *
 * keys in base64, one decision a line, at most one approval per
 * WireGuard key, no pair twice.
 *
 * Pure: records, the time and the file's text come in; the caller reads
 * and writes the file and acts on the decisions. */
#pragma once

#include <glib.h>

#include "announcement.h"
#include "keys.h"

#define WGD_PAIRING_PENDING_MAX 64
#define WGD_PAIRING_DECISIONS_MAX 1024

/* The errors of a decision on a pending peer (wgd_daemon_approve_peer,
 * wgd_daemon_reject_peer). dbus-error.c gives them their D-Bus names. */
#define WGD_PAIRING_ERROR (wgd_pairing_error_quark ())

typedef enum {
  WGD_PAIRING_ERROR_INVALID_KEY,   /* not a key (the caller's parsing) */
  WGD_PAIRING_ERROR_NOT_PENDING,   /* no peer with that WireGuard key is pending */
  WGD_PAIRING_ERROR_KEY_CHANGED,   /* pending with another signing key */
  WGD_PAIRING_ERROR_FULL,          /* no room for another decision */
} WgdPairingError;

GQuark wgd_pairing_error_quark (void);

typedef enum {
  WGD_DECISION_APPROVE,
  WGD_DECISION_REJECT,
  WGD_DECISION_COUNT,
} WgdDecision;

/* A pending peer: its newest record and where it was heard. */
typedef struct {
  guint8 wg_key[WGD_KEY_LEN];
  guint8 signing_key[WGD_KEY_LEN];
  gchar fingerprint[WGD_FINGERPRINT_LEN + 1];
  gchar name[WGD_NAME_MAX + 1];
  guint64 timestamp;
  guint64 expires;              /* the record's timestamp + lifetime */
  gint64 heard;                 /* when it was last offered */
  guint8 record[WGD_RECORD_MAX];
  gsize record_len;
  gchar *service;
  guint32 ifindex;
  gchar *ifname;
} WgdPendingPeer;

void wgd_pending_peer_free (WgdPendingPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdPendingPeer, wgd_pending_peer_free)

typedef enum {
  WGD_PAIRING_ADDED,            /* pending now, and was not */
  WGD_PAIRING_REPLACED,         /* was pending with another signing key */
  WGD_PAIRING_REFRESHED,        /* a newer record of the same signing key */
  WGD_PAIRING_STALE,            /* not newer than the one pending: nothing changed */
  WGD_PAIRING_REJECTED,         /* that pair was rejected: nothing changed */
  WGD_PAIRING_FULL,             /* no room for another key: nothing changed */
} WgdPairingOutcome;

typedef struct _WgdPairing WgdPairing;

WgdPairing *wgd_pairing_new (void);
void wgd_pairing_free (WgdPairing *pairing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdPairing, wgd_pairing_free)

/* Offers a record that is valid but binds nothing (the caller has
 * checked that, and that its key is a peer of ours nobody else speaks
 * for), heard as service on ifname (ifindex) at now. A replay or repeat
 * of what is pending changes nothing; a record of another signing key
 * replaces it. */
WgdPairingOutcome wgd_pairing_offer (WgdPairing *pairing, const WgdAnnouncement *ann,
                                     const gchar *service, guint32 ifindex, const gchar *ifname,
                                     gint64 now);
/* NULL if nothing is pending for wg_key. */
const WgdPendingPeer *wgd_pairing_lookup (WgdPairing *pairing, const guint8 wg_key[WGD_KEY_LEN]);
/* Takes the pending entry out (NULL if none); the caller owns it. */
WgdPendingPeer *wgd_pairing_steal (WgdPairing *pairing, const guint8 wg_key[WGD_KEY_LEN]);
/* The pending entries (owned by pairing, valid until it changes). */
GPtrArray *wgd_pairing_get_pending (WgdPairing *pairing);
/* Drops the entries whose record expired by now; returns how many. */
guint wgd_pairing_expire (WgdPairing *pairing, guint64 now);

/* Whether that pair was rejected. */
gboolean wgd_pairing_is_rejected (WgdPairing *pairing, const guint8 wg_key[WGD_KEY_LEN],
                                  const guint8 signing_key[WGD_KEY_LEN]);
/* The signing key approved for wg_key, or NULL. */
const guint8 *wgd_pairing_lookup_approval (WgdPairing *pairing,
                                           const guint8 wg_key[WGD_KEY_LEN]);
/* Calls func for every approval, in the order they were made. */
void wgd_pairing_foreach_approval (WgdPairing *pairing,
                                   void (*func) (const guint8 wg_key[WGD_KEY_LEN],
                                                 const guint8 signing_key[WGD_KEY_LEN],
                                                 gpointer user_data),
                                   gpointer user_data);
/* Whether deciding on that pair needs room that there is not. */
gboolean wgd_pairing_is_full (WgdPairing *pairing, const guint8 wg_key[WGD_KEY_LEN],
                              WgdDecision decision);
/* The decisions' text form, with (wg_key, signing_key) decided as
 * decision as well: what to save before wgd_pairing_decide(). */
gchar *wgd_pairing_format (WgdPairing *pairing, const guint8 wg_key[WGD_KEY_LEN],
                           const guint8 signing_key[WGD_KEY_LEN], WgdDecision decision);
/* Records the decision (an approval replaces an older one of wg_key)
 * and drops what is pending for wg_key. The caller checked
 * wgd_pairing_is_full() first. */
void wgd_pairing_decide (WgdPairing *pairing, const guint8 wg_key[WGD_KEY_LEN],
                         const guint8 signing_key[WGD_KEY_LEN], WgdDecision decision);
/* Takes the decisions of text (the file at path, named in errors with
 * the line and why); on error nothing is taken. */
gboolean wgd_pairing_load (WgdPairing *pairing, const gchar *text, const gchar *path,
                           GError **error);

const gchar *wgd_decision_to_string (WgdDecision decision);
gboolean wgd_decision_from_string (const gchar *text, WgdDecision *decision);
