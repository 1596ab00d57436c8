/* trust.c — the trust store, the replay state and the decision that
 * combines them with a record. Deciding on a record of a known key
 * allocates nothing: tables are keyed by the raw 32-byte keys. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "keys.h"
#include "trust.h"
#include "wgd-error.h"

/* A signing key's WireGuard key as the derived binding computes it
 * (crypto_sign_ed25519_pk_to_curve25519, as costly as verifying the
 * signature), kept so that a known key pays for it once. */
typedef struct {
  guint8 signing_key[WGD_KEY_LEN];
  guint8 wg_key[WGD_KEY_LEN];
  gboolean convertible;
} DerivedEntry;

struct _WgdTrustStore {
  GHashTable *cas;          /* ca key → itself */
  GHashTable *pins;         /* wg key → signing key */
  GHashTable *revocations;  /* ca key → WgdRevocationList */
  /* Memos of pure functions, written while deciding, so the store is
   * for one thread: signing key → DerivedEntry, and the digests of
   * certificates whose signature verified (a certificate travels in
   * every record of its node). */
  GHashTable *derived;
  GHashTable *certificates;
};

typedef struct {
  guint8 signing_key[WGD_KEY_LEN];
  guint64 timestamp;
  guint8 digest[WGD_KEY_LEN];
  /* The signature of the record with this digest verified in this
   * process: a digest read from a file (the state, the server's
   * database) spares no check, so whoever can write that file still
   * cannot have a forged record taken. */
  gboolean verified;
} ReplayEntry;

struct _WgdReplayState {
  GHashTable *entries;      /* signing key → ReplayEntry */
};

static guint8 *
key_dup (const guint8 key[WGD_KEY_LEN])
{
  return g_memdup2 (key, WGD_KEY_LEN);
}

/* Keys are WGD_KEY_LEN bytes; key_free is NULL where the key lies in
 * the value. */
static GHashTable *
key_table_new (GDestroyNotify key_free, GDestroyNotify value_free)
{
  return g_hash_table_new_full (wgd_key_hash, wgd_key_equal, key_free, value_free);
}

WgdTrustStore *
wgd_trust_store_new (void)
{
  WgdTrustStore *store = g_new0 (WgdTrustStore, 1);

  store->cas = key_table_new (g_free, NULL);
  store->pins = key_table_new (g_free, g_free);
  store->revocations = key_table_new (g_free, (GDestroyNotify) wgd_revocation_list_free);
  store->derived = key_table_new (NULL, g_free);
  store->certificates = key_table_new (g_free, NULL);
  return store;
}

void
wgd_trust_store_free (WgdTrustStore *store)
{
  if (store == NULL)
    return;
  g_hash_table_unref (store->cas);
  g_hash_table_unref (store->pins);
  g_hash_table_unref (store->revocations);
  g_hash_table_unref (store->derived);
  g_hash_table_unref (store->certificates);
  g_free (store);
}

void
wgd_trust_store_add_ca (WgdTrustStore *store, const guint8 ca_key[WGD_KEY_LEN])
{
  g_hash_table_add (store->cas, key_dup (ca_key));
}

gboolean
wgd_trust_store_has_ca (const WgdTrustStore *store, const guint8 ca_key[WGD_KEY_LEN])
{
  return g_hash_table_contains (store->cas, ca_key);
}

void
wgd_trust_store_add_pin (WgdTrustStore *store, const guint8 wg_key[WGD_KEY_LEN],
                         const guint8 signing_key[WGD_KEY_LEN])
{
  g_hash_table_insert (store->pins, key_dup (wg_key), key_dup (signing_key));
}

gboolean
wgd_trust_store_has_pin (const WgdTrustStore *store, const guint8 wg_key[WGD_KEY_LEN])
{
  return g_hash_table_contains (store->pins, wg_key);
}

gboolean
wgd_trust_store_add_revocations (WgdTrustStore *store, const WgdRevocationList *list,
                                 GError **error)
{
  const guint8 *ca = list->ca_key;
  const WgdRevocationList *held;
  WgdRevocationList *copy;
  gsize len;
  const guint8 *data;

  if (!g_hash_table_contains (store->cas, ca))
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           "revocation list is signed by a CA that is not trusted");
      return FALSE;
    }
  if (!wgd_revocation_list_verify_signature (list))
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           "revocation list signature does not verify");
      return FALSE;
    }
  held = g_hash_table_lookup (store->revocations, ca);
  if (held != NULL && held->issued > list->issued)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "revocation list issued at %" G_GUINT64_FORMAT
                   " is older than the one held (issued at %" G_GUINT64_FORMAT ")",
                   list->issued, held->issued);
      return FALSE;
    }
  data = g_bytes_get_data (list->raw, &len);
  copy = wgd_revocation_list_decode (data, len, error);
  if (copy == NULL)
    return FALSE;
  g_hash_table_replace (store->revocations, key_dup (ca), copy);
  return TRUE;
}

gboolean
wgd_trust_store_is_revoked (const WgdTrustStore *store, const guint8 ca_key[WGD_KEY_LEN],
                            guint64 serial)
{
  const WgdRevocationList *list = g_hash_table_lookup (store->revocations, ca_key);

  return list != NULL && wgd_revocation_list_contains (list, serial);
}

WgdReplayState *
wgd_replay_state_new (void)
{
  WgdReplayState *state = g_new0 (WgdReplayState, 1);

  state->entries = key_table_new (NULL, g_free);
  return state;
}

void
wgd_replay_state_free (WgdReplayState *state)
{
  if (state == NULL)
    return;
  g_hash_table_unref (state->entries);
  g_free (state);
}

static const ReplayEntry *
replay_lookup (const WgdReplayState *state, const guint8 signing_key[WGD_KEY_LEN])
{
  return g_hash_table_lookup (state->entries, signing_key);
}

gboolean
wgd_replay_state_lookup (const WgdReplayState *state, const guint8 signing_key[WGD_KEY_LEN],
                         guint64 *timestamp)
{
  const ReplayEntry *entry = replay_lookup (state, signing_key);

  if (entry == NULL)
    return FALSE;
  *timestamp = entry->timestamp;
  return TRUE;
}

static void
replay_state_set (WgdReplayState *state, const guint8 signing_key[WGD_KEY_LEN],
                  guint64 timestamp, const guint8 digest[WGD_KEY_LEN], gboolean verified)
{
  ReplayEntry *entry = g_hash_table_lookup (state->entries, signing_key);

  if (entry == NULL)
    {
      entry = g_new (ReplayEntry, 1);
      memcpy (entry->signing_key, signing_key, WGD_KEY_LEN);
      g_hash_table_insert (state->entries, entry->signing_key, entry);
    }
  entry->timestamp = timestamp;
  memcpy (entry->digest, digest, WGD_KEY_LEN);
  entry->verified = verified;
}

void
wgd_replay_state_update (WgdReplayState *state, const guint8 signing_key[WGD_KEY_LEN],
                         guint64 timestamp, const guint8 digest[WGD_KEY_LEN])
{
  replay_state_set (state, signing_key, timestamp, digest, FALSE);
}

void
wgd_replay_state_foreach (const WgdReplayState *state,
                          void (*func) (const guint8 signing_key[WGD_KEY_LEN],
                                        guint64 timestamp,
                                        const guint8 digest[WGD_KEY_LEN],
                                        gpointer user_data),
                          gpointer user_data)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, state->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const ReplayEntry *entry = value;

      func (key, entry->timestamp, entry->digest, user_data);
    }
}

static void
verdict_reject (WgdVerdict *v, WgdReason reason, const gchar *format, ...) G_GNUC_PRINTF (3, 4);

static void
verdict_reject (WgdVerdict *v, WgdReason reason, const gchar *format, ...)
{
  va_list args;

  v->accepted = FALSE;
  v->binding = WGD_BINDING_NONE;
  v->reason = reason;
  va_start (args, format);
  g_vsnprintf (v->detail, sizeof v->detail, format, args);
  va_end (args);
}

static gboolean
keys_equal (const guint8 a[WGD_KEY_LEN], const guint8 b[WGD_KEY_LEN])
{
  return sodium_memcmp (a, b, WGD_KEY_LEN) == 0;
}

/* Anyone can sign records with new keys and certificates: a full memo
 * starts over rather than grow, and what is heard again is computed
 * once more. */
static void
memo_make_room (GHashTable *memo)
{
  if (g_hash_table_size (memo) >= WGD_TRUST_MEMO_MAX)
    g_hash_table_remove_all (memo);
}

/* Kept by a digest of everything the check reads: a decoded
 * certificate's key and signature are in its raw bytes, a certificate
 * built in memory may differ. */
static gboolean
certificate_signature_holds (const WgdTrustStore *store, const WgdCertificate *c)
{
  crypto_generichash_state state;
  guint8 digest[WGD_KEY_LEN];

  crypto_generichash_init (&state, NULL, 0, sizeof digest);
  crypto_generichash_update (&state, c->ca_key, WGD_KEY_LEN);
  crypto_generichash_update (&state, c->signature, WGD_SIGNATURE_LEN);
  crypto_generichash_update (&state, c->raw, c->raw_len);
  crypto_generichash_final (&state, digest, sizeof digest);
  if (g_hash_table_contains (store->certificates, digest))
    return TRUE;
  if (!wgd_certificate_verify_signature (c))
    return FALSE;
  memo_make_room (store->certificates);
  g_hash_table_add (store->certificates, key_dup (digest));
  return TRUE;
}

/* Why the record's certificate does not bind its keys, or NONE. Sets
 * detail for a rejection. Only a certificate of a CA we trust (or the
 * interface's mesh) is examined at all. */
static WgdReason
certificate_check (const WgdTrustStore *store, const WgdTrustContext *ctx,
                   const WgdAnnouncement *ann, WgdVerdict *v)
{
  const WgdCertificate *c = &ann->certificate;

  if (ctx->mode == WGD_MODE_MESH && !keys_equal (c->ca_key, ctx->mesh_key))
    {
      verdict_reject (v, WGD_REASON_WRONG_MESH, "certificate is signed by another mesh's CA");
      return v->reason;
    }
  if (ctx->mode != WGD_MODE_MESH && !wgd_trust_store_has_ca (store, c->ca_key))
    {
      verdict_reject (v, WGD_REASON_NO_BINDING, "certificate is signed by an unknown CA");
      return v->reason;
    }
  if (!certificate_signature_holds (store, c))
    verdict_reject (v, WGD_REASON_BAD_CERTIFICATE, "certificate signature does not verify");
  else if (!keys_equal (c->signing_key, ann->signing_key) || !keys_equal (c->wg_key, ann->wg_key))
    verdict_reject (v, WGD_REASON_BAD_CERTIFICATE,
                    "certificate was issued for other keys than the record's");
  else if (ctx->now < c->not_before)
    verdict_reject (v, WGD_REASON_NOT_YET_VALID,
                    "certificate is valid only from %" G_GUINT64_FORMAT, c->not_before);
  else if (ctx->now > c->not_after)
    verdict_reject (v, WGD_REASON_EXPIRED,
                    "certificate expired at %" G_GUINT64_FORMAT, c->not_after);
  else if (wgd_trust_store_is_revoked (store, c->ca_key, c->serial))
    verdict_reject (v, WGD_REASON_REVOKED,
                    "certificate serial %" G_GUINT64_FORMAT " is revoked", c->serial);
  else
    return WGD_REASON_NONE;
  return v->reason;
}

static const DerivedEntry *
derived_lookup (const WgdTrustStore *store, const guint8 signing_key[WGD_KEY_LEN])
{
  DerivedEntry *entry = g_hash_table_lookup (store->derived, signing_key);

  if (entry != NULL)
    return entry;
  memo_make_room (store->derived);
  entry = g_new (DerivedEntry, 1);
  memcpy (entry->signing_key, signing_key, WGD_KEY_LEN);
  entry->convertible = wgd_wg_key_from_signing_key (signing_key, entry->wg_key);
  g_hash_table_insert (store->derived, entry->signing_key, entry);
  return entry;
}

static WgdBinding
binding_without_certificate (const WgdTrustStore *store, const WgdAnnouncement *ann)
{
  const DerivedEntry *derived = derived_lookup (store, ann->signing_key);
  const guint8 *pinned;

  if (derived->convertible && keys_equal (derived->wg_key, ann->wg_key))
    return WGD_BINDING_DERIVED;
  pinned = g_hash_table_lookup (store->pins, ann->wg_key);
  if (pinned != NULL && keys_equal (pinned, ann->signing_key))
    return WGD_BINDING_PINNED;
  return WGD_BINDING_NONE;
}

gsize
wgd_trust_store_count_derived (const WgdTrustStore *store)
{
  return g_hash_table_size (store->derived);
}

gsize
wgd_trust_store_count_certificates (const WgdTrustStore *store)
{
  return g_hash_table_size (store->certificates);
}

static gboolean
trust_check_binding (const WgdTrustStore *store, const WgdTrustContext *ctx,
                     const WgdAnnouncement *ann, WgdVerdict *v)
{
  WgdReason cert_reason = WGD_REASON_NO_BINDING;

  if (ctx->mode == WGD_MODE_MESH)
    {
      if (ann->has_mesh && !keys_equal (ann->mesh_key, ctx->mesh_key))
        {
          verdict_reject (v, WGD_REASON_WRONG_MESH, "record names another mesh");
          return FALSE;
        }
      if (!ann->has_certificate)
        {
          verdict_reject (v, WGD_REASON_NO_BINDING,
                          "mesh mode accepts only records with a mesh certificate");
          return FALSE;
        }
      if (certificate_check (store, ctx, ann, v) != WGD_REASON_NONE)
        return FALSE;
      v->binding = WGD_BINDING_CERTIFICATE;
      return TRUE;
    }

  if (ann->has_certificate)
    {
      WgdVerdict cert_verdict = { 0 };

      cert_reason = certificate_check (store, ctx, ann, &cert_verdict);
      /* A forged or revoked certificate condemns the record even if
       * another binding would hold: the CA has said no. */
      if (cert_reason == WGD_REASON_BAD_CERTIFICATE || cert_reason == WGD_REASON_REVOKED)
        {
          *v = cert_verdict;
          return FALSE;
        }
      if (cert_reason == WGD_REASON_NONE)
        {
          v->binding = WGD_BINDING_CERTIFICATE;
          return TRUE;
        }
      *v = cert_verdict;
    }
  v->binding = binding_without_certificate (store, ann);
  if (v->binding != WGD_BINDING_NONE)
    {
      v->reason = WGD_REASON_NONE;
      v->detail[0] = '\0';
      return TRUE;
    }
  if (cert_reason == WGD_REASON_NO_BINDING)
    verdict_reject (v, WGD_REASON_NO_BINDING,
                    "the WireGuard key is neither derived from the signing key, "
                    "pinned to it, nor certified by a trusted CA");
  return FALSE;
}

void
wgd_replay_state_accept (WgdReplayState *state, const WgdAnnouncement *ann)
{
  guint8 digest[WGD_KEY_LEN];

  crypto_generichash (digest, sizeof digest, ann->record, ann->record_len, NULL, 0);
  replay_state_set (state, ann->signing_key, ann->timestamp, digest, TRUE);
}

guint64
wgd_trust_next_own_timestamp (guint64 newest, guint64 now, gboolean *jumped)
{
  *jumped = newest > now && newest - now > WGD_TRUST_MAX_FUTURE_SECONDS;
  if (*jumped || newest < now)
    return now;
  return newest + 1;
}

void
wgd_trust_check (const WgdTrustStore *store, const WgdReplayState *replay,
                 const WgdTrustContext *ctx, const WgdAnnouncement *ann, WgdVerdict *v)
{
  guint8 digest[WGD_KEY_LEN];
  const ReplayEntry *seen;
  gboolean signed_before;

  memset (v, 0, sizeof *v);
  crypto_generichash (digest, sizeof digest, ann->record, ann->record_len, NULL, 0);
  seen = replay ? replay_lookup (replay, ann->signing_key) : NULL;
  /* The very record accepted last for its key, signature and all: its
   * signature verified then. Nothing else is taken from then; trust
   * store, clock and replay are asked again below. */
  signed_before = seen != NULL && seen->verified
                  && sodium_memcmp (digest, seen->digest, sizeof digest) == 0;
  if (!signed_before && !wgd_announcement_verify_signature (ann))
    {
      verdict_reject (v, WGD_REASON_BAD_SIGNATURE,
                      "signature does not verify with the record's signing key");
      return;
    }
  /* Written as differences so that no clock value can overflow them. */
  if (ann->timestamp > ctx->now && ann->timestamp - ctx->now > WGD_TRUST_MAX_FUTURE_SECONDS)
    {
      verdict_reject (v, WGD_REASON_FUTURE,
                      "timestamp %" G_GUINT64_FORMAT " is %" G_GUINT64_FORMAT
                      " s ahead of our clock", ann->timestamp, ann->timestamp - ctx->now);
      return;
    }
  if (ann->timestamp <= ctx->now && ctx->now - ann->timestamp >= ann->lifetime)
    {
      verdict_reject (v, WGD_REASON_EXPIRED, "record expired %" G_GUINT64_FORMAT " s ago",
                      ctx->now - ann->timestamp - ann->lifetime);
      return;
    }
  if (!trust_check_binding (store, ctx, ann, v))
    return;

  /* Replay is checked last so that nothing forged can move the state.
   * An entry further ahead of our clock than we would ever accept was
   * accepted before our clock was set back: kept, it would refuse
   * every fresh record of that key until the clock catches up. */
  if (seen != NULL && seen->timestamp > ctx->now
      && seen->timestamp - ctx->now > WGD_TRUST_MAX_FUTURE_SECONDS)
    seen = NULL;
  if (seen != NULL && ann->timestamp < seen->timestamp)
    {
      verdict_reject (v, WGD_REASON_REPLAYED,
                      "timestamp %" G_GUINT64_FORMAT " is older than the newest accepted (%"
                      G_GUINT64_FORMAT ")", ann->timestamp, seen->timestamp);
      return;
    }
  if (seen != NULL && ann->timestamp == seen->timestamp)
    {
      if (sodium_memcmp (digest, seen->digest, sizeof digest) != 0)
        {
          verdict_reject (v, WGD_REASON_REPLAYED,
                          "a different record with the same timestamp %" G_GUINT64_FORMAT
                          " was accepted before", ann->timestamp);
          return;
        }
      v->already_known = TRUE;
    }
  v->accepted = TRUE;
  v->reason = WGD_REASON_NONE;
}

void
wgd_trust_check_record (const WgdTrustStore *store, const WgdReplayState *replay,
                        const WgdTrustContext *ctx, const guint8 *data, gsize len,
                        WgdAnnouncement *ann, WgdVerdict *v)
{
  g_autoptr (GError) error = NULL;

  memset (v, 0, sizeof *v);
  if (!wgd_announcement_decode (ann, data, len, &error))
    {
      verdict_reject (v, g_error_matches (error, WGD_ERROR, WGD_ERROR_TOO_LARGE)
                           ? WGD_REASON_TOO_LARGE : WGD_REASON_MALFORMED,
                      "%s", error->message);
      return;
    }
  wgd_trust_check (store, replay, ctx, ann, v);
}

static const gchar *const reason_names[WGD_REASON_COUNT] = {
  [WGD_REASON_NONE] = "accepted",
  [WGD_REASON_MALFORMED] = "malformed",
  [WGD_REASON_TOO_LARGE] = "too-large",
  [WGD_REASON_BAD_SIGNATURE] = "bad-signature",
  [WGD_REASON_NO_BINDING] = "no-binding",
  [WGD_REASON_BAD_CERTIFICATE] = "bad-certificate",
  [WGD_REASON_EXPIRED] = "expired",
  [WGD_REASON_NOT_YET_VALID] = "not-yet-valid",
  [WGD_REASON_FUTURE] = "future",
  [WGD_REASON_REPLAYED] = "replayed",
  [WGD_REASON_REVOKED] = "revoked",
  [WGD_REASON_WRONG_MESH] = "wrong-mesh",
};

const gchar *
wgd_reason_to_string (WgdReason reason)
{
  g_return_val_if_fail (reason < WGD_REASON_COUNT, "unknown");
  return reason_names[reason];
}

/* Stable: a peer's trust on D-Bus. */
static const gchar *const binding_names[WGD_BINDING_COUNT] = {
  [WGD_BINDING_NONE] = "none",
  [WGD_BINDING_DERIVED] = "derived",
  [WGD_BINDING_CERTIFICATE] = "certificate",
  [WGD_BINDING_PINNED] = "pinned",
  [WGD_BINDING_PENDING] = "pending",
};

const gchar *
wgd_binding_to_string (WgdBinding binding)
{
  g_return_val_if_fail (binding < WGD_BINDING_COUNT, "unknown");
  return binding_names[binding];
}

gboolean
wgd_binding_from_string (const gchar *text, WgdBinding *binding)
{
  for (guint i = 0; i < WGD_BINDING_COUNT; i++)
    if (g_strcmp0 (text, binding_names[i]) == 0)
      {
        *binding = (WgdBinding) i;
        return TRUE;
      }
  return FALSE;
}

const gchar *
wgd_mode_to_string (WgdMode mode)
{
  return mode == WGD_MODE_MESH ? "mesh" : "endpoint";
}

gboolean
wgd_mode_from_string (const gchar *text, WgdMode *mode)
{
  if (g_strcmp0 (text, "endpoint") == 0)
    *mode = WGD_MODE_ENDPOINT;
  else if (g_strcmp0 (text, "mesh") == 0)
    *mode = WGD_MODE_MESH;
  else
    return FALSE;
  return TRUE;
}
