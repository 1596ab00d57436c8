/* test-trust.c — the trust decision: each binding accepted, each reason
 * reached, the replay rules, and the trust store's own refusals. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "test-util.h"
#include "trust.h"
#include "wgd-error.h"

#define NOW 1700000000

typedef struct {
  WgdKeyPair *ca;
  WgdKeyPair *other_ca;
  WgdKeyPair *node;
  WgdTrustStore *store;
  WgdReplayState *replay;
  WgdTrustContext endpoint;
  WgdTrustContext mesh;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->ca = test_key_pair (1);
  f->other_ca = test_key_pair (2);
  f->node = test_key_pair (3);
  f->store = wgd_trust_store_new ();
  wgd_trust_store_add_ca (f->store, f->ca->public_key);
  f->replay = wgd_replay_state_new ();
  f->endpoint = (WgdTrustContext) { .mode = WGD_MODE_ENDPOINT, .now = NOW };
  f->mesh = (WgdTrustContext) { .mode = WGD_MODE_MESH, .now = NOW };
  memcpy (f->mesh.mesh_key, f->ca->public_key, WGD_KEY_LEN);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  wgd_key_pair_free (f->ca);
  wgd_key_pair_free (f->other_ca);
  wgd_key_pair_free (f->node);
  wgd_trust_store_free (f->store);
  wgd_replay_state_free (f->replay);
}

/* A record of node with a certificate from ca over wg_key. */
static WgdAnnouncement *
certified (const WgdKeyPair *node, const WgdKeyPair *ca, const guint8 *wg_key,
           guint64 serial, guint64 not_before, guint64 not_after, guint64 timestamp)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  WgdCertificate *c = &ann->certificate;
  g_autoptr (GError) error = NULL;

  memcpy (c->signing_key, node->public_key, WGD_KEY_LEN);
  memcpy (c->wg_key, wg_key, WGD_KEY_LEN);
  c->serial = serial;
  c->not_before = not_before;
  c->not_after = not_after;
  g_strlcpy (c->name, "node", sizeof c->name);
  c->n_prefixes = 1;
  g_assert_true (wgd_prefix_parse ("10.9.0.3/32", &c->prefixes[0], &error));
  g_assert_true (wgd_certificate_sign (c, ca, &error));
  g_assert_no_error (error);
  ann->has_certificate = TRUE;
  memcpy (ann->wg_key, wg_key, WGD_KEY_LEN);
  ann->timestamp = timestamp;
  ann->lifetime = 600;
  g_assert_true (wgd_announcement_sign (ann, node, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&ann);
}

static WgdAnnouncement *
certified_derived (Fixture *f, const WgdKeyPair *ca, guint64 serial)
{
  guint8 wg[WGD_KEY_LEN];

  wgd_key_pair_wg_public (f->node, wg);
  return certified (f->node, ca, wg, serial, NOW - 100, NOW + 100, NOW);
}

/* A record of signer for a WireGuard key from elsewhere (wg genkey). */
static WgdAnnouncement *
announced_for (const WgdKeyPair *signer, const guint8 wg_key[WGD_KEY_LEN])
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();

  memcpy (ann->wg_key, wg_key, WGD_KEY_LEN);
  ann->timestamp = NOW;
  ann->lifetime = 600;
  g_assert_true (wgd_announcement_sign (ann, signer, NULL));
  return g_steal_pointer (&ann);
}

/* As the daemon does: decide, and remember what was accepted. */
static void
check (Fixture *f, const WgdTrustContext *ctx, const WgdAnnouncement *ann, WgdVerdict *v)
{
  wgd_trust_check (f->store, f->replay, ctx, ann, v);
  if (v->accepted && !v->already_known)
    wgd_replay_state_accept (f->replay, ann);
}

static void
assert_rejected (const WgdVerdict *v, WgdReason reason)
{
  if (v->accepted || v->reason != reason)
    g_error ("expected rejection '%s', got %s '%s' (%s)", wgd_reason_to_string (reason),
             v->accepted ? "accepted" : "rejected", wgd_reason_to_string (v->reason), v->detail);
  g_assert_cmpint (v->binding, ==, WGD_BINDING_NONE);
  g_assert_cmpstr (v->detail, !=, "");
}

static void
assert_accepted (const WgdVerdict *v, WgdBinding binding)
{
  if (!v->accepted)
    g_error ("expected acceptance, got '%s' (%s)", wgd_reason_to_string (v->reason), v->detail);
  g_assert_cmpint (v->reason, ==, WGD_REASON_NONE);
  g_assert_cmpstr (wgd_binding_to_string (v->binding), ==, wgd_binding_to_string (binding));
}

static void
test_derived (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (f->node, NOW, 600);
  WgdVerdict v;
  guint64 ts = 0;

  check (f, &f->endpoint, ann, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  g_assert_false (v.already_known);
  g_assert_true (wgd_replay_state_lookup (f->replay, f->node->public_key, &ts));
  g_assert_cmpuint (ts, ==, NOW);

  /* Derived identity alone never authorises mesh membership. */
  check (f, &f->mesh, ann, &v);
  assert_rejected (&v, WGD_REASON_NO_BINDING);
}

static void
test_pinned (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdKeyPair) wg_owner = test_key_pair (7);
  g_autoptr (WgdKeyPair) stranger = test_key_pair (8);
  guint8 wg[WGD_KEY_LEN];
  g_autoptr (WgdAnnouncement) ann = NULL;
  WgdVerdict v;

  /* A WireGuard key from elsewhere, announced by node. */
  wgd_key_pair_wg_public (wg_owner, wg);
  ann = announced_for (f->node, wg);

  check (f, &f->endpoint, ann, &v);
  assert_rejected (&v, WGD_REASON_NO_BINDING);
  g_assert_false (wgd_replay_state_lookup (f->replay, f->node->public_key, &(guint64) { 0 }));
  g_assert_false (wgd_trust_store_has_pin (f->store, wg));

  wgd_trust_store_add_pin (f->store, wg, stranger->public_key);
  g_assert_true (wgd_trust_store_has_pin (f->store, wg));
  check (f, &f->endpoint, ann, &v);
  assert_rejected (&v, WGD_REASON_NO_BINDING);

  wgd_trust_store_add_pin (f->store, wg, f->node->public_key);
  check (f, &f->endpoint, ann, &v);
  assert_accepted (&v, WGD_BINDING_PINNED);

  check (f, &f->mesh, ann, &v);
  assert_rejected (&v, WGD_REASON_NO_BINDING);
}

static void
test_certificate (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdKeyPair) wg_owner = test_key_pair (7);
  guint8 wg[WGD_KEY_LEN];
  g_autoptr (WgdAnnouncement) ann = NULL;
  g_autoptr (WgdAnnouncement) unknown_ca = NULL;
  WgdVerdict v;

  wgd_key_pair_wg_public (wg_owner, wg);
  ann = certified (f->node, f->ca, wg, 5, NOW - 10, NOW + 10, NOW);
  check (f, &f->endpoint, ann, &v);
  assert_accepted (&v, WGD_BINDING_CERTIFICATE);

  check (f, &f->mesh, ann, &v);
  assert_accepted (&v, WGD_BINDING_CERTIFICATE);
  /* Heard again: already known, not a replay. */
  g_assert_true (v.already_known);

  unknown_ca = certified (f->node, f->other_ca, wg, 5, NOW - 10, NOW + 10, NOW + 1);
  check (f, &f->endpoint, unknown_ca, &v);
  assert_rejected (&v, WGD_REASON_NO_BINDING);
}

static void
test_certificate_with_derived_keys (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) known = certified_derived (f, f->ca, 1);
  g_autoptr (WgdAnnouncement) unknown = NULL;
  WgdVerdict v;

  check (f, &f->endpoint, known, &v);
  assert_accepted (&v, WGD_BINDING_CERTIFICATE);

  /* An unknown CA's certificate is no reason to refuse a derived key. */
  unknown = certified (f->node, f->other_ca, known->wg_key, 1, NOW - 1, NOW + 1, NOW + 1);
  check (f, &f->endpoint, unknown, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
}

static void
test_bad_signature (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (f->node, NOW, 600);
  WgdVerdict v;

  ann->record[ann->record_len - 1] ^= 0x80;
  ann->signature[WGD_SIGNATURE_LEN - 1] ^= 0x80;
  check (f, &f->endpoint, ann, &v);
  assert_rejected (&v, WGD_REASON_BAD_SIGNATURE);
  g_assert_false (wgd_replay_state_lookup (f->replay, f->node->public_key, &(guint64) { 0 }));
}

static void
test_bad_certificate (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdKeyPair) other = test_key_pair (9);
  g_autoptr (WgdAnnouncement) forged = certified_derived (f, f->ca, 1);
  g_autoptr (WgdAnnouncement) foreign = NULL;
  guint8 other_wg[WGD_KEY_LEN];
  WgdVerdict v;

  /* A certificate whose CA signature is broken, in a record whose own
   * signature is good: re-sign the record over the damaged certificate.
   * That the genuine one verified before counts for nothing. */
  check (f, &f->mesh, forged, &v);
  assert_accepted (&v, WGD_BINDING_CERTIFICATE);
  g_assert_cmpuint (wgd_trust_store_count_certificates (f->store), ==, 1);
  forged->timestamp++;
  forged->certificate.raw[forged->certificate.raw_len - 1] ^= 1;
  forged->certificate.signature[WGD_SIGNATURE_LEN - 1] ^= 1;
  g_assert_true (wgd_announcement_sign (forged, f->node, NULL));
  check (f, &f->endpoint, forged, &v);
  assert_rejected (&v, WGD_REASON_BAD_CERTIFICATE);
  check (f, &f->mesh, forged, &v);
  assert_rejected (&v, WGD_REASON_BAD_CERTIFICATE);

  /* A genuine certificate for another node's keys, carried by node. */
  wgd_key_pair_wg_public (other, other_wg);
  foreign = certified (other, f->ca, other_wg, 2, NOW - 1, NOW + 1, NOW);
  g_assert_true (wgd_announcement_sign (foreign, f->node, NULL));
  check (f, &f->mesh, foreign, &v);
  assert_rejected (&v, WGD_REASON_BAD_CERTIFICATE);
  g_assert_nonnull (strstr (v.detail, "other keys"));
}

static void
test_expired (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) old = test_announcement_new (f->node, NOW - 600, 600);
  g_autoptr (WgdAnnouncement) edge = test_announcement_new (f->node, NOW - 599, 600);
  g_autoptr (WgdAnnouncement) cert_old = NULL;
  guint8 wg[WGD_KEY_LEN];
  WgdVerdict v;

  check (f, &f->endpoint, old, &v);
  assert_rejected (&v, WGD_REASON_EXPIRED);
  check (f, &f->endpoint, edge, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);

  wgd_key_pair_wg_public (f->node, wg);
  cert_old = certified (f->node, f->ca, wg, 3, NOW - 100, NOW - 1, NOW);
  check (f, &f->mesh, cert_old, &v);
  assert_rejected (&v, WGD_REASON_EXPIRED);
  g_assert_nonnull (strstr (v.detail, "certificate"));
}

static void
test_not_yet_valid (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdKeyPair) wg_owner = test_key_pair (7);
  guint8 wg[WGD_KEY_LEN];
  g_autoptr (WgdAnnouncement) early = NULL;
  WgdVerdict v;

  wgd_key_pair_wg_public (wg_owner, wg);
  early = certified (f->node, f->ca, wg, 3, NOW + 1, NOW + 100, NOW);
  check (f, &f->mesh, early, &v);
  assert_rejected (&v, WGD_REASON_NOT_YET_VALID);
  /* In endpoint mode too, when the certificate is the only binding. */
  check (f, &f->endpoint, early, &v);
  assert_rejected (&v, WGD_REASON_NOT_YET_VALID);
}

static void
test_future (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) ahead =
    test_announcement_new (f->node, NOW + WGD_TRUST_MAX_FUTURE_SECONDS + 1, 600);
  g_autoptr (WgdAnnouncement) skewed =
    test_announcement_new (f->node, NOW + WGD_TRUST_MAX_FUTURE_SECONDS, 600);
  g_autoptr (WgdAnnouncement) far = test_announcement_new (f->node, G_MAXUINT64, G_MAXUINT32);
  WgdVerdict v;

  check (f, &f->endpoint, ahead, &v);
  assert_rejected (&v, WGD_REASON_FUTURE);
  check (f, &f->endpoint, far, &v);
  assert_rejected (&v, WGD_REASON_FUTURE);
  check (f, &f->endpoint, skewed, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
}

/* A clock at the very end of time must not wrap the freshness checks. */
static void
test_clock_extremes (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (f->node, NOW, 600);
  g_autoptr (WgdAnnouncement) last = test_announcement_new (f->node, G_MAXUINT64 - 10, 600);
  WgdTrustContext end = f->endpoint;
  WgdVerdict v;

  end.now = G_MAXUINT64;
  wgd_trust_check (f->store, NULL, &end, ann, &v);
  assert_rejected (&v, WGD_REASON_EXPIRED);
  wgd_trust_check (f->store, NULL, &end, last, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  end.now = 0;
  wgd_trust_check (f->store, NULL, &end, ann, &v);
  assert_rejected (&v, WGD_REASON_FUTURE);
}

static void
test_replayed (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) first = test_announcement_new (f->node, NOW - 10, 600);
  g_autoptr (WgdAnnouncement) newer = test_announcement_new (f->node, NOW, 600);
  g_autoptr (WgdAnnouncement) twin = test_announcement_new (f->node, NOW, 600);
  WgdVerdict v;
  guint64 ts;

  check (f, &f->endpoint, first, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  check (f, &f->endpoint, newer, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  g_assert_false (v.already_known);

  check (f, &f->endpoint, first, &v);
  assert_rejected (&v, WGD_REASON_REPLAYED);

  check (f, &f->endpoint, newer, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  g_assert_true (v.already_known);

  /* Same timestamp, different content. */
  twin->n_endpoints = 0;
  g_assert_true (wgd_announcement_sign (twin, f->node, NULL));
  check (f, &f->endpoint, twin, &v);
  assert_rejected (&v, WGD_REASON_REPLAYED);

  g_assert_true (wgd_replay_state_lookup (f->replay, f->node->public_key, &ts));
  g_assert_cmpuint (ts, ==, NOW);

  /* Without replay state (a one-off check) nothing is remembered. */
  wgd_trust_check (f->store, NULL, &f->endpoint, first, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
}

/* Deciding remembers nothing; only wgd_replay_state_accept does. */
static void
test_check_remembers_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) older = test_announcement_new (f->node, NOW - 10, 600);
  g_autoptr (WgdAnnouncement) newer = test_announcement_new (f->node, NOW, 600);
  WgdVerdict v;
  guint64 ts;

  wgd_trust_check (f->store, f->replay, &f->endpoint, newer, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  g_assert_false (wgd_replay_state_lookup (f->replay, f->node->public_key, &ts));
  wgd_trust_check (f->store, f->replay, &f->endpoint, older, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  g_assert_false (v.already_known);

  wgd_replay_state_accept (f->replay, newer);
  g_assert_true (wgd_replay_state_lookup (f->replay, f->node->public_key, &ts));
  g_assert_cmpuint (ts, ==, NOW);
  wgd_trust_check (f->store, f->replay, &f->endpoint, older, &v);
  assert_rejected (&v, WGD_REASON_REPLAYED);
  wgd_trust_check (f->store, f->replay, &f->endpoint, newer, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  g_assert_true (v.already_known);
}

static WgdRevocationList *
revocation_list (const WgdKeyPair *ca, guint64 issued, guint64 serial)
{
  g_autoptr (WgdRevocationList) list = wgd_revocation_list_new ();

  list->issued = issued;
  g_array_append_val (list->serials, serial);
  g_assert_true (wgd_revocation_list_sign (list, ca, NULL));
  return g_steal_pointer (&list);
}

static void
test_revoked (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) ann = certified_derived (f, f->ca, 77);
  g_autoptr (WgdRevocationList) list = revocation_list (f->ca, 10, 77);
  g_autoptr (WgdRevocationList) newer = revocation_list (f->ca, 20, 78);
  g_autoptr (GError) error = NULL;
  WgdVerdict v;

  g_assert_true (wgd_trust_store_add_revocations (f->store, list, &error));
  g_assert_no_error (error);
  g_assert_true (wgd_trust_store_is_revoked (f->store, f->ca->public_key, 77));
  check (f, &f->mesh, ann, &v);
  assert_rejected (&v, WGD_REASON_REVOKED);
  /* Revoked condemns the node even where its derived key would do. */
  check (f, &f->endpoint, ann, &v);
  assert_rejected (&v, WGD_REASON_REVOKED);

  /* A newer list replaces the old one: 77 is back. */
  g_assert_true (wgd_trust_store_add_revocations (f->store, newer, &error));
  g_assert_no_error (error);
  check (f, &f->mesh, ann, &v);
  assert_accepted (&v, WGD_BINDING_CERTIFICATE);
}

static void
test_revocation_store_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdRevocationList) foreign = revocation_list (f->other_ca, 10, 1);
  g_autoptr (WgdRevocationList) list = revocation_list (f->ca, 10, 1);
  g_autoptr (WgdRevocationList) older = revocation_list (f->ca, 9, 2);
  g_autoptr (WgdRevocationList) forged = revocation_list (f->ca, 11, 3);
  g_autoptr (GError) error = NULL;

  g_assert_false (wgd_trust_store_add_revocations (f->store, foreign, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "not trusted"));
  g_clear_error (&error);

  forged->signature[0] ^= 1;
  g_assert_false (wgd_trust_store_add_revocations (f->store, forged, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (wgd_trust_store_add_revocations (f->store, list, &error));
  g_assert_false (wgd_trust_store_add_revocations (f->store, older, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "older"));
  g_assert_true (wgd_trust_store_is_revoked (f->store, f->ca->public_key, 1));
  g_assert_false (wgd_trust_store_is_revoked (f->store, f->ca->public_key, 2));
}

static void
test_wrong_mesh (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) other = certified_derived (f, f->other_ca, 1);
  g_autoptr (WgdAnnouncement) labelled = certified_derived (f, f->ca, 1);
  WgdVerdict v;

  check (f, &f->mesh, other, &v);
  assert_rejected (&v, WGD_REASON_WRONG_MESH);

  /* A record that names another mesh, though its certificate is ours. */
  labelled->has_mesh = TRUE;
  memcpy (labelled->mesh_key, f->other_ca->public_key, WGD_KEY_LEN);
  g_assert_true (wgd_announcement_sign (labelled, f->node, NULL));
  check (f, &f->mesh, labelled, &v);
  assert_rejected (&v, WGD_REASON_WRONG_MESH);
}

static void
test_record_entry_point (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) good = test_announcement_new (f->node, NOW, 600);
  g_autoptr (WgdAnnouncement) out = wgd_announcement_new ();
  guint8 big[WGD_RECORD_MAX + 1] = { 1 };
  WgdVerdict v;

  wgd_trust_check_record (f->store, f->replay, &f->endpoint, good->record, good->record_len,
                          out, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  g_assert_cmpmem (out->record, out->record_len, good->record, good->record_len);

  wgd_trust_check_record (f->store, f->replay, &f->endpoint, good->record, 10, out, &v);
  assert_rejected (&v, WGD_REASON_MALFORMED);
  wgd_trust_check_record (f->store, f->replay, &f->endpoint, big, sizeof big, out, &v);
  assert_rejected (&v, WGD_REASON_TOO_LARGE);
}

static void
collect (const guint8 signing_key[WGD_KEY_LEN], guint64 timestamp,
         const guint8 digest[WGD_KEY_LEN], gpointer user_data)
{
  WgdReplayState *copy = user_data;

  wgd_replay_state_update (copy, signing_key, timestamp, digest);
}

static void
test_replay_state_persists (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (f->node, NOW, 600);
  g_autoptr (WgdAnnouncement) older = test_announcement_new (f->node, NOW - 1, 600);
  g_autoptr (WgdReplayState) copy = wgd_replay_state_new ();
  WgdVerdict v;

  check (f, &f->endpoint, ann, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  /* What a daemon writes and reads back keeps refusing replays and
   * still recognises the very record. */
  wgd_replay_state_foreach (f->replay, collect, copy);
  wgd_trust_check (f->store, copy, &f->endpoint, older, &v);
  assert_rejected (&v, WGD_REASON_REPLAYED);
  wgd_trust_check (f->store, copy, &f->endpoint, ann, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  g_assert_true (v.already_known);
}

/* A digest read back from a file spares no signature check: whoever
 * can write the state must still not have a forged record taken. */
static void
test_replay_state_digest_from_file (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (f->node, NOW, 600);
  g_autoptr (WgdAnnouncement) out = wgd_announcement_new ();
  g_autoptr (WgdReplayState) loaded = wgd_replay_state_new ();
  guint8 forged[WGD_RECORD_MAX];
  guint8 digest[WGD_KEY_LEN];
  WgdVerdict v;

  memcpy (forged, ann->record, ann->record_len);
  forged[ann->record_len - 1] ^= 1;
  crypto_generichash (digest, sizeof digest, forged, ann->record_len, NULL, 0);
  wgd_replay_state_update (loaded, ann->signing_key, ann->timestamp, digest);
  wgd_trust_check_record (f->store, loaded, &f->endpoint, forged, ann->record_len, out, &v);
  assert_rejected (&v, WGD_REASON_BAD_SIGNATURE);
}

static void
test_names (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  WgdMode mode;

  for (WgdReason r = WGD_REASON_NONE; r < WGD_REASON_COUNT; r++)
    {
      const gchar *name = wgd_reason_to_string (r);

      g_assert_nonnull (name);
      g_assert_cmpstr (name, !=, "unknown");
      g_assert_true (g_hash_table_add (seen, (gpointer) name));
    }
  g_assert_true (wgd_mode_from_string ("mesh", &mode));
  g_assert_cmpint (mode, ==, WGD_MODE_MESH);
  g_assert_cmpstr (wgd_mode_to_string (mode), ==, "mesh");
  g_assert_true (wgd_mode_from_string ("endpoint", &mode));
  g_assert_cmpint (mode, ==, WGD_MODE_ENDPOINT);
  g_assert_false (wgd_mode_from_string ("Mesh", &mode));
  g_assert_false (wgd_mode_from_string (NULL, &mode));
}

/* The binding names are a peer's trust on D-Bus: each one distinct, and
 * read back as itself. */
static void
test_binding_names (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  WgdBinding back;

  for (WgdBinding b = WGD_BINDING_NONE; b < WGD_BINDING_COUNT; b++)
    {
      const gchar *name = wgd_binding_to_string (b);

      g_assert_nonnull (name);
      g_assert_cmpstr (name, !=, "unknown");
      g_assert_true (g_hash_table_add (seen, (gpointer) name));
      g_assert_true (wgd_binding_from_string (name, &back));
      g_assert_cmpint (back, ==, b);
    }
  g_assert_cmpstr (wgd_binding_to_string (WGD_BINDING_DERIVED), ==, "derived");
  g_assert_cmpstr (wgd_binding_to_string (WGD_BINDING_CERTIFICATE), ==, "certificate");
  g_assert_cmpstr (wgd_binding_to_string (WGD_BINDING_PINNED), ==, "pinned");
  g_assert_cmpstr (wgd_binding_to_string (WGD_BINDING_PENDING), ==, "pending");
  g_assert_false (wgd_binding_from_string ("Derived", &back));
  g_assert_false (wgd_binding_from_string ("approved", &back));
  g_assert_false (wgd_binding_from_string (NULL, &back));
}

/* The verdict a full check gives — a store configured as the one used
 * but that has never decided, and no replay state to spare the
 * signature check — compared with cached, the verdict on the record
 * heard again: the same, but that an accepted one is already known. */
static void
assert_as_full_check (const WgdTrustStore *fresh, const WgdTrustContext *ctx,
                      const WgdAnnouncement *ann, const WgdVerdict *cached)
{
  WgdVerdict full;

  wgd_trust_check (fresh, NULL, ctx, ann, &full);
  g_assert_cmpint (cached->accepted, ==, full.accepted);
  g_assert_cmpstr (wgd_reason_to_string (cached->reason), ==, wgd_reason_to_string (full.reason));
  g_assert_cmpint (cached->binding, ==, full.binding);
  g_assert_cmpstr (cached->detail, ==, full.detail);
  g_assert_cmpint (cached->already_known, ==, full.accepted);
}

/* Heard again byte for byte, check its verdict under ctx as the record
 * comes off the wire. */
static void
reheard (const WgdTrustStore *store, const WgdReplayState *replay, const WgdTrustContext *ctx,
         const WgdAnnouncement *ann, WgdVerdict *v)
{
  g_autoptr (WgdAnnouncement) decoded = wgd_announcement_new ();

  wgd_trust_check_record (store, replay, ctx, ann->record, ann->record_len, decoded, v);
}

/* The record accepted last, heard again, skips only its signature
 * check: the clock and the mode are asked as for any record. */
static void
test_reheard_as_full_check (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (f->node, NOW, 600);
  g_autoptr (WgdTrustStore) fresh = wgd_trust_store_new ();
  const struct {
    WgdMode mode;
    gint64 now;
    WgdReason reason;
  } cases[] = {
    { WGD_MODE_ENDPOINT, 0, WGD_REASON_NONE },
    { WGD_MODE_ENDPOINT, 599, WGD_REASON_NONE },
    { WGD_MODE_ENDPOINT, 600, WGD_REASON_EXPIRED },
    { WGD_MODE_ENDPOINT, -WGD_TRUST_MAX_FUTURE_SECONDS, WGD_REASON_NONE },
    { WGD_MODE_ENDPOINT, -WGD_TRUST_MAX_FUTURE_SECONDS - 1, WGD_REASON_FUTURE },
    { WGD_MODE_MESH, 0, WGD_REASON_NO_BINDING },
  };
  WgdVerdict v;

  wgd_trust_store_add_ca (fresh, f->ca->public_key);
  check (f, &f->endpoint, ann, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      WgdTrustContext ctx = cases[i].mode == WGD_MODE_MESH ? f->mesh : f->endpoint;

      ctx.now = (guint64) (NOW + cases[i].now);
      reheard (f->store, f->replay, &ctx, ann, &v);
      g_assert_cmpstr (wgd_reason_to_string (v.reason), ==,
                       wgd_reason_to_string (cases[i].reason));
      assert_as_full_check (fresh, &ctx, ann, &v);
    }
}

/* Same signing key and timestamp, other bytes: the signature is
 * checked, whatever part changed. */
static void
test_reheard_other_bytes (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (f->node, NOW, 600);
  g_autoptr (WgdAnnouncement) decoded = wgd_announcement_new ();
  guint8 bytes[WGD_RECORD_MAX];
  gsize len = ann->record_len;
  WgdVerdict v;

  check (f, &f->endpoint, ann, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  for (gsize at = 0; at < len; at++)
    {
      memcpy (bytes, ann->record, len);
      bytes[at] ^= 0x01;
      wgd_trust_check_record (f->store, f->replay, &f->endpoint, bytes, len, decoded, &v);
      g_assert_false (v.accepted);
      /* Bits of the signing key, the timestamp or a length may make
       * another record or none; none passes for the one accepted. */
      if (at >= len - WGD_SIGNATURE_LEN)
        assert_rejected (&v, WGD_REASON_BAD_SIGNATURE);
    }
  reheard (f->store, f->replay, &f->endpoint, ann, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  g_assert_true (v.already_known);
}

/* The trust store changes (a reload, a pin removed, a revocation)
 * between a record's acceptance and its repetition: the repetition is
 * judged by the store as it is now. */
static void
test_reheard_after_trust_change (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdKeyPair) wg_owner = test_key_pair (7);
  g_autoptr (WgdKeyPair) stranger = test_key_pair (8);
  g_autoptr (WgdAnnouncement) pinned = NULL;
  g_autoptr (WgdAnnouncement) certified_record = NULL;
  g_autoptr (WgdTrustStore) reloaded = wgd_trust_store_new ();
  g_autoptr (WgdTrustStore) other_pin = wgd_trust_store_new ();
  g_autoptr (WgdTrustStore) no_ca = wgd_trust_store_new ();
  g_autoptr (WgdRevocationList) list = revocation_list (f->ca, 10, 5);
  g_autoptr (WgdReplayState) replay = wgd_replay_state_new ();
  WgdTrustContext later = f->endpoint;
  WgdTrustContext other_mesh = f->mesh;
  guint8 wg[WGD_KEY_LEN];
  WgdVerdict v;

  wgd_key_pair_wg_public (wg_owner, wg);
  pinned = announced_for (f->node, wg);
  wgd_trust_store_add_pin (f->store, wg, f->node->public_key);
  check (f, &f->endpoint, pinned, &v);
  assert_accepted (&v, WGD_BINDING_PINNED);

  reheard (f->store, f->replay, &f->endpoint, pinned, &v);
  assert_accepted (&v, WGD_BINDING_PINNED);
  g_assert_true (v.already_known);
  /* Reloaded without the pin, or with the key pinned to another. */
  reheard (reloaded, f->replay, &f->endpoint, pinned, &v);
  assert_rejected (&v, WGD_REASON_NO_BINDING);
  assert_as_full_check (reloaded, &f->endpoint, pinned, &v);
  wgd_trust_store_add_pin (other_pin, wg, stranger->public_key);
  reheard (other_pin, f->replay, &f->endpoint, pinned, &v);
  assert_rejected (&v, WGD_REASON_NO_BINDING);

  /* A certificate over a key that is not derived: only the CA binds. */
  certified_record = certified (f->node, f->ca, wg, 5, NOW - 100, NOW + 100, NOW);
  wgd_trust_check (reloaded, replay, &f->endpoint, certified_record, &v);
  g_assert_false (v.accepted);
  wgd_trust_store_add_ca (reloaded, f->ca->public_key);
  wgd_trust_check (reloaded, replay, &f->endpoint, certified_record, &v);
  assert_accepted (&v, WGD_BINDING_CERTIFICATE);
  wgd_replay_state_accept (replay, certified_record);

  reheard (no_ca, replay, &f->endpoint, certified_record, &v);
  assert_rejected (&v, WGD_REASON_NO_BINDING);
  assert_as_full_check (no_ca, &f->endpoint, certified_record, &v);
  other_mesh.mode = WGD_MODE_MESH;
  memcpy (other_mesh.mesh_key, f->other_ca->public_key, WGD_KEY_LEN);
  reheard (reloaded, replay, &other_mesh, certified_record, &v);
  assert_rejected (&v, WGD_REASON_WRONG_MESH);
  /* The certificate expires before the record does. */
  later.now = NOW + 101;
  reheard (reloaded, replay, &later, certified_record, &v);
  assert_rejected (&v, WGD_REASON_EXPIRED);
  g_assert_nonnull (strstr (v.detail, "certificate"));
  assert_as_full_check (reloaded, &later, certified_record, &v);

  g_assert_true (wgd_trust_store_add_revocations (reloaded, list, NULL));
  reheard (reloaded, replay, &f->endpoint, certified_record, &v);
  assert_rejected (&v, WGD_REASON_REVOKED);
  assert_as_full_check (reloaded, &f->endpoint, certified_record, &v);
}

/* A store keeps at most WGD_TRUST_MEMO_MAX derived keys and verified
 * certificates, however many keys sign records, and decides the same
 * after it started over. Certificates not yet valid have their
 * signature checked and leave the derived binding to be tried, so each
 * record here fills both. */
static void
test_memo_caps (Fixture *f, gconstpointer data)
{
  guint8 seed[WGD_KEY_LEN] = { 0 };
  g_autoptr (WgdAnnouncement) first = NULL;
  g_autoptr (WgdAnnouncement) other = NULL;
  guint8 wg[WGD_KEY_LEN];
  WgdVerdict v;

  for (guint i = 0; i < WGD_TRUST_MEMO_MAX + 2; i++)
    {
      g_autoptr (WgdKeyPair) id = NULL;
      g_autoptr (WgdAnnouncement) ann = NULL;

      memcpy (seed, &i, sizeof i);
      id = wgd_key_pair_new_from_seed (seed);
      wgd_key_pair_wg_public (id, wg);
      ann = certified (id, f->ca, wg, i, NOW + 10, NOW + 100, NOW);
      wgd_trust_check (f->store, NULL, &f->endpoint, ann, &v);
      assert_accepted (&v, WGD_BINDING_DERIVED);
      g_assert_cmpuint (wgd_trust_store_count_derived (f->store), ==,
                        i % WGD_TRUST_MEMO_MAX + 1);
      g_assert_cmpuint (wgd_trust_store_count_certificates (f->store), ==,
                        i % WGD_TRUST_MEMO_MAX + 1);
      if (i == 0)
        first = g_steal_pointer (&ann);
    }
  wgd_trust_check (f->store, NULL, &f->endpoint, first, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  g_assert_cmpuint (wgd_trust_store_count_derived (f->store), ==, 3);
  g_assert_cmpuint (wgd_trust_store_count_certificates (f->store), ==, 3);
  /* A key whose record the derived binding does not bind is kept too. */
  wgd_key_pair_wg_public (f->ca, wg);
  other = announced_for (f->node, wg);
  for (guint i = 0; i < 2; i++)
    {
      wgd_trust_check (f->store, NULL, &f->endpoint, other, &v);
      assert_rejected (&v, WGD_REASON_NO_BINDING);
      g_assert_cmpuint (wgd_trust_store_count_derived (f->store), ==, 4);
    }
}

#define ADD(path, func) \
  g_test_add ("/trust/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
/* Our clock was set back a day after a record was accepted: the entry,
 * beyond the future we accept, no longer refuses fresh records. One
 * within that future still does. */
static void
test_replay_after_clock_set_back (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdAnnouncement) tomorrow = test_announcement_new (f->node, NOW + 86400, 600);
  g_autoptr (WgdAnnouncement) soon = test_announcement_new (f->node, NOW + 200, 600);
  g_autoptr (WgdAnnouncement) fresh = test_announcement_new (f->node, NOW, 600);
  WgdTrustContext then = f->endpoint;
  WgdVerdict v;

  then.now = NOW + 86400;
  check (f, &then, tomorrow, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);
  check (f, &f->endpoint, fresh, &v);
  assert_accepted (&v, WGD_BINDING_DERIVED);

  wgd_replay_state_accept (f->replay, soon);
  check (f, &f->endpoint, fresh, &v);
  assert_rejected (&v, WGD_REASON_REPLAYED);
}

/* Our own timestamps: after the newest while it is believable, the
 * clock's again once it lies beyond any receiver's future window. */
static void
test_next_own_timestamp (void)
{
  gboolean jumped = TRUE;

  g_assert_cmpuint (wgd_trust_next_own_timestamp (0, NOW, &jumped), ==, NOW);
  g_assert_false (jumped);
  g_assert_cmpuint (wgd_trust_next_own_timestamp (NOW - 50, NOW, &jumped), ==, NOW);
  g_assert_false (jumped);
  /* Twice within a second: receivers refuse a second record with the
   * same timestamp. */
  g_assert_cmpuint (wgd_trust_next_own_timestamp (NOW, NOW, &jumped), ==, NOW + 1);
  g_assert_false (jumped);
  g_assert_cmpuint (wgd_trust_next_own_timestamp (NOW + WGD_TRUST_MAX_FUTURE_SECONDS, NOW,
                                                  &jumped), ==,
                    NOW + WGD_TRUST_MAX_FUTURE_SECONDS + 1);
  g_assert_false (jumped);
  g_assert_cmpuint (wgd_trust_next_own_timestamp (NOW + WGD_TRUST_MAX_FUTURE_SECONDS + 1, NOW,
                                                  &jumped), ==, NOW);
  g_assert_true (jumped);
  g_assert_cmpuint (wgd_trust_next_own_timestamp (NOW + 86400, NOW, &jumped), ==, NOW);
  g_assert_true (jumped);
  g_assert_cmpuint (wgd_trust_next_own_timestamp (G_MAXUINT64, 0, &jumped), ==, 0);
  g_assert_true (jumped);
}


int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  ADD ("derived", test_derived);
  ADD ("pinned", test_pinned);
  ADD ("certificate", test_certificate);
  ADD ("certificate-with-derived-keys", test_certificate_with_derived_keys);
  ADD ("bad-signature", test_bad_signature);
  ADD ("bad-certificate", test_bad_certificate);
  ADD ("expired", test_expired);
  ADD ("not-yet-valid", test_not_yet_valid);
  ADD ("future", test_future);
  ADD ("clock-extremes", test_clock_extremes);
  ADD ("replayed", test_replayed);
  ADD ("check-remembers-nothing", test_check_remembers_nothing);
  ADD ("revoked", test_revoked);
  ADD ("revocation-store-refusals", test_revocation_store_refusals);
  ADD ("wrong-mesh", test_wrong_mesh);
  ADD ("record-entry-point", test_record_entry_point);
  ADD ("replay-state-persists", test_replay_state_persists);
  ADD ("replay-state-digest-from-file", test_replay_state_digest_from_file);
  ADD ("replay-after-clock-set-back", test_replay_after_clock_set_back);
  ADD ("reheard-as-full-check", test_reheard_as_full_check);
  ADD ("reheard-other-bytes", test_reheard_other_bytes);
  ADD ("reheard-after-trust-change", test_reheard_after_trust_change);
  ADD ("memo-caps", test_memo_caps);
  g_test_add_func ("/trust/next-own-timestamp", test_next_own_timestamp);
  g_test_add_func ("/trust/names", test_names);
  g_test_add_func ("/trust/binding-names", test_binding_names);
  return g_test_run ();
}
