/* keys.h — Ed25519 key pairs (node identities and mesh CAs) and the
 * WireGuard keys derived from them (docs/record-format.md §7).
 *
 * A key pair's text form is its 32-byte seed in standard base64 on one
 * line: what `wgdiscoverctl genkey` and `ca init` print and what the
 * identity file holds. */
#pragma once

#include <glib.h>

#include "wire.h"

typedef struct {
  guint8 seed[WGD_KEY_LEN];
  guint8 public_key[WGD_KEY_LEN];
  guint8 secret_key[64];
} WgdKeyPair;

WgdKeyPair *wgd_key_pair_generate (void);
WgdKeyPair *wgd_key_pair_new_from_seed (const guint8 seed[WGD_KEY_LEN]);
/* Parses the text form; the error never echoes the secret. */
WgdKeyPair *wgd_key_pair_parse (const gchar *text, GError **error);
/* Loads a key file, refusing one that group or others may access. */
WgdKeyPair *wgd_key_pair_load (const gchar *path, GError **error);
/* The text form, with a trailing newline; free with wgd_secret_free(). */
gchar *wgd_key_pair_to_text (const WgdKeyPair *pair);
void wgd_key_pair_free (WgdKeyPair *pair);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdKeyPair, wgd_key_pair_free)

/* The WireGuard (X25519) private and public key of an identity. */
void wgd_key_pair_wg_private (const WgdKeyPair *pair, guint8 out[WGD_KEY_LEN]);
void wgd_key_pair_wg_public (const WgdKeyPair *pair, guint8 out[WGD_KEY_LEN]);

/* The WireGuard public key an Ed25519 public key derives to; FALSE for a
 * point that has no such conversion (small order, not on the curve). */
gboolean wgd_wg_key_from_signing_key (const guint8 signing_key[WGD_KEY_LEN],
                                      guint8 out[WGD_KEY_LEN]);

/* The short form of a signing key that two people compare when pairing
 * (docs/trust-model.md): the first 10 bytes of BLAKE2b-256 over
 * "wgdiscover fingerprint v1" and the key, as five groups of four
 * lowercase hex digits joined by '-', e.g. 3f2a-91c0-7be4-d015-a2b3.
 * 80 bits: finding another key with the same form costs about 2^80. */
#define WGD_FINGERPRINT_LEN 24
void wgd_key_fingerprint (const guint8 signing_key[WGD_KEY_LEN],
                          gchar out[WGD_FINGERPRINT_LEN + 1]);

/* For GHashTables keyed by WGD_KEY_LEN-byte keys kept in place (inside
 * the value, or copied with g_memdup2): no GBytes per key. The hash is
 * keyed with a secret of this process, so that keys chosen by whoever
 * signs records cannot pile up in one bucket. */
guint wgd_key_hash (gconstpointer key);
gboolean wgd_key_equal (gconstpointer a, gconstpointer b);

/* Wipes and frees a NUL-terminated secret string. */
void wgd_secret_free (gchar *secret);
