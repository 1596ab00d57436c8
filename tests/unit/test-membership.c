/* test-membership.c — the membership proof: the known answer of
 * tests/data/vectors.ini both ways, round trip, every bit flip and
 * truncation, the request binding, the window, replay and the bounded
 * cache, and each certificate refusal. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "base64.h"
#include "membership.h"
#include "test-util.h"
#include "wgd-error.h"

#define NOW G_GUINT64_CONSTANT (1700000000)
#define HOST "rdv.example.net"
#define PATH "/v1/meshes/mesh/announcements"

static const WgdMembershipRequest request = { "GET", HOST, PATH };

typedef struct {
  WgdKeyPair *ca;
  WgdKeyPair *other_ca;
  WgdKeyPair *node;
  WgdCertificate *cert;
  WgdMembershipCache *cache;
} Fixture;

static WgdCertificate *
make_certificate (const WgdKeyPair *ca, const WgdKeyPair *node, guint64 serial,
                  guint64 not_before, guint64 not_after)
{
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();
  g_autoptr (GError) error = NULL;

  memcpy (cert->signing_key, node->public_key, WGD_KEY_LEN);
  wgd_key_pair_wg_public (node, cert->wg_key);
  cert->serial = serial;
  cert->not_before = not_before;
  cert->not_after = not_after;
  g_strlcpy (cert->name, "carol", sizeof cert->name);
  g_assert_true (wgd_certificate_sign (cert, ca, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&cert);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->ca = test_key_pair (1);
  f->other_ca = test_key_pair (2);
  f->node = test_key_pair (3);
  f->cert = make_certificate (f->ca, f->node, 9, NOW - 1000, NOW + 1000);
  f->cache = wgd_membership_cache_new (WGD_MEMBERSHIP_CACHE_DEFAULT);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  wgd_key_pair_free (f->ca);
  wgd_key_pair_free (f->other_ca);
  wgd_key_pair_free (f->node);
  wgd_certificate_free (f->cert);
  wgd_membership_cache_free (f->cache);
}

static WgdMembershipProof *
sign_at (Fixture *f, const WgdMembershipRequest *req, guint64 timestamp)
{
  g_autoptr (WgdMembershipProof) proof = wgd_membership_proof_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (wgd_membership_proof_sign (proof, f->node, f->cert, req, timestamp, NULL,
                                            &error));
  g_assert_no_error (error);
  return g_steal_pointer (&proof);
}

static WgdMembershipReason
check (Fixture *f, const WgdMembershipProof *proof, const WgdMembershipRequest *req,
       guint64 now)
{
  WgdMembershipVerdict verdict;
  WgdMembershipReason reason = wgd_membership_check (proof, req, f->ca->public_key, NULL, now,
                                                     f->cache, &verdict);

  g_assert_cmpint (reason, ==, verdict.reason);
  g_assert_true (reason == WGD_MEMBERSHIP_ACCEPTED || verdict.detail[0] != '\0');
  return reason;
}

static void
test_known_answer (void)
{
  g_autoptr (GKeyFile) vectors = test_vectors_load ();
  g_autoptr (GBytes) node_seed = test_vectors_get_bytes (vectors, "keys", "node-seed");
  g_autoptr (GBytes) ca_public = test_vectors_get_bytes (vectors, "keys", "ca-public");
  g_autoptr (GBytes) cert_bytes = test_vectors_get_bytes (vectors, "certificate", "certificate");
  g_autoptr (GBytes) nonce = test_vectors_get_bytes (vectors, "membership", "nonce");
  g_autoptr (GBytes) expect = test_vectors_get_bytes (vectors, "membership", "proof");
  g_autofree gchar *method = g_key_file_get_string (vectors, "membership", "method", NULL);
  g_autofree gchar *host = g_key_file_get_string (vectors, "membership", "host", NULL);
  g_autofree gchar *path = g_key_file_get_string (vectors, "membership", "path", NULL);
  g_autofree gchar *header = g_key_file_get_string (vectors, "membership", "header", NULL);
  g_autofree gchar *written = NULL;
  guint64 timestamp = test_vectors_get_u64 (vectors, "membership", "timestamp");
  g_autoptr (WgdKeyPair) node = wgd_key_pair_new_from_seed (g_bytes_get_data (node_seed, NULL));
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();
  g_autoptr (WgdMembershipProof) proof = wgd_membership_proof_new ();
  g_autoptr (WgdMembershipProof) decoded = wgd_membership_proof_new ();
  g_autoptr (WgdMembershipCache) cache = wgd_membership_cache_new (4);
  g_autoptr (GError) error = NULL;
  WgdMembershipRequest req = { method, host, path };
  WgdMembershipVerdict verdict;
  gsize len;
  const guint8 *data = g_bytes_get_data (expect, &len);

  g_assert_true (wgd_certificate_decode (cert, g_bytes_get_data (cert_bytes, NULL),
                                         g_bytes_get_size (cert_bytes), &error));
  g_assert_no_error (error);
  g_assert_true (wgd_membership_proof_sign (proof, node, cert, &req, timestamp,
                                            g_bytes_get_data (nonce, NULL), &error));
  g_assert_no_error (error);
  g_assert_cmpmem (proof->raw, proof->raw_len, data, len);
  written = wgd_membership_proof_to_header (proof);
  g_assert_cmpstr (written, ==, header);

  /* What Python wrote verifies here: from the header, 50 s later. */
  g_assert_cmpint (wgd_membership_check_header (header, &req, g_bytes_get_data (ca_public, NULL),
                                                NULL, timestamp + 50, cache, decoded, &verdict),
                   ==, WGD_MEMBERSHIP_ACCEPTED);
  g_assert_cmpuint (decoded->timestamp, ==, timestamp);
  g_assert_cmpmem (decoded->nonce, WGD_MEMBERSHIP_NONCE_LEN, g_bytes_get_data (nonce, NULL),
                   WGD_MEMBERSHIP_NONCE_LEN);
  g_assert_cmpstr (decoded->certificate.name, ==, "alice");
  g_assert_cmpuint (decoded->certificate.serial, ==, 42);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdMembershipProof) a = sign_at (f, &request, NOW);
  g_autoptr (WgdMembershipProof) b = sign_at (f, &request, NOW);
  g_autoptr (WgdMembershipProof) decoded = wgd_membership_proof_new ();
  g_autoptr (GError) error = NULL;

  /* Random nonces: two proofs of one second are two proofs. */
  g_assert_cmpmem (a->raw, 9, b->raw, 9);
  g_assert_true (memcmp (a->nonce, b->nonce, WGD_MEMBERSHIP_NONCE_LEN) != 0);
  g_assert_true (wgd_membership_proof_decode (decoded, a->raw, a->raw_len, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (decoded->raw, decoded->raw_len, a->raw, a->raw_len);
  g_assert_cmpmem (decoded->certificate.raw, decoded->certificate.raw_len, f->cert->raw,
                   f->cert->raw_len);
  g_assert_cmpuint (a->raw_len, ==, WGD_MEMBERSHIP_FIXED_LEN + f->cert->raw_len);
  g_assert_cmpint (check (f, decoded, &request, NOW), ==, WGD_MEMBERSHIP_ACCEPTED);
  g_assert_cmpint (check (f, b, &request, NOW), ==, WGD_MEMBERSHIP_ACCEPTED);
}

static void
test_bit_flips (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdMembershipProof) proof = sign_at (f, &request, NOW);
  g_autoptr (WgdMembershipProof) flipped = wgd_membership_proof_new ();
  guint8 bytes[WGD_MEMBERSHIP_MAX];

  for (gsize bit = 0; bit < proof->raw_len * 8; bit++)
    {
      g_autoptr (GError) error = NULL;

      memcpy (bytes, proof->raw, proof->raw_len);
      bytes[bit / 8] ^= (guint8) (1u << (bit % 8));
      if (wgd_membership_proof_decode (flipped, bytes, proof->raw_len, &error))
        g_assert_cmpint (check (f, flipped, &request, NOW), !=, WGD_MEMBERSHIP_ACCEPTED);
      else
        g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
    }
  /* Nothing refused took a place in the cache; the proof itself is good. */
  g_assert_cmpuint (wgd_membership_cache_size (f->cache), ==, 0);
  g_assert_cmpint (check (f, proof, &request, NOW), ==, WGD_MEMBERSHIP_ACCEPTED);
}

static void
test_truncated_and_extended (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdMembershipProof) proof = sign_at (f, &request, NOW);
  g_autoptr (WgdMembershipProof) out = wgd_membership_proof_new ();
  g_autoptr (GError) error = NULL;
  guint8 longer[WGD_MEMBERSHIP_MAX + 2] = { 0 };

  for (gsize len = 0; len < proof->raw_len; len++)
    {
      g_autoptr (GError) len_error = NULL;

      g_assert_false (wgd_membership_proof_decode (out, proof->raw, len, &len_error));
      g_assert_error (len_error, WGD_ERROR, WGD_ERROR_MALFORMED);
    }
  memcpy (longer, proof->raw, proof->raw_len);
  g_assert_false (wgd_membership_proof_decode (out, longer, proof->raw_len + 1, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (wgd_membership_proof_decode (out, longer, sizeof longer, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE);
  g_clear_error (&error);
  longer[0] = 2;
  g_assert_false (wgd_membership_proof_decode (out, longer, proof->raw_len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
}

static void
test_request_binding (Fixture *f, gconstpointer data)
{
  static const WgdMembershipRequest others[] = {
    { "PUT", HOST, PATH },
    { "GET", "rdv.example.net:8443", PATH },
    { "GET", "other.example.net", PATH },
    { "GET", HOST, "/v1/meshes/mesh/watch" },
    { "GET", HOST, "/v1/meshes/mesh/announcements/" },
  };
  g_autoptr (WgdMembershipProof) proof = sign_at (f, &request, NOW);

  for (gsize i = 0; i < G_N_ELEMENTS (others); i++)
    g_assert_cmpint (check (f, proof, &others[i], NOW), ==, WGD_MEMBERSHIP_BAD_SIGNATURE);
  g_assert_cmpint (check (f, proof, &request, NOW), ==, WGD_MEMBERSHIP_ACCEPTED);
}

static void
test_bad_requests (Fixture *f, gconstpointer data)
{
  static const WgdMembershipRequest bad[] = {
    { "get", HOST, PATH },
    { "", HOST, PATH },
    { "GETGETGETGETGETGE", HOST, PATH },
    { "GET", "", PATH },
    { "GET", "a b", PATH },
    { "GET", "host/x", PATH },
    { "GET", HOST, "" },
    { "GET", HOST, "v1/meshes" },
    { "GET", HOST, "/v1/meshes?x=1" },
    { "GET", HOST, "/v1/me shes" },
    { NULL, HOST, PATH },
  };
  g_autoptr (WgdMembershipProof) good = sign_at (f, &request, NOW);
  g_autoptr (WgdMembershipProof) proof = wgd_membership_proof_new ();
  g_autofree gchar *long_path = g_strnfill (WGD_MEMBERSHIP_PATH_MAX + 1, 'p');
  WgdMembershipRequest too_long = { "GET", HOST, long_path };

  long_path[0] = '/';
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (wgd_membership_proof_sign (proof, f->node, f->cert, &bad[i], NOW, NULL,
                                                 &error));
      g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
      g_assert_cmpint (check (f, good, &bad[i], NOW), ==, WGD_MEMBERSHIP_MALFORMED);
    }
  g_assert_cmpint (check (f, good, &too_long, NOW), ==, WGD_MEMBERSHIP_MALFORMED);
  long_path[WGD_MEMBERSHIP_PATH_MAX] = '\0';
  g_assert_cmpint (check (f, good, &too_long, NOW), ==, WGD_MEMBERSHIP_BAD_SIGNATURE);
}

static void
test_window (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdMembershipProof) proof = sign_at (f, &request, NOW);
  guint64 w = WGD_MEMBERSHIP_WINDOW_SECONDS;

  g_assert_cmpint (check (f, proof, &request, NOW + w + 1), ==, WGD_MEMBERSHIP_STALE);
  g_assert_cmpint (check (f, proof, &request, NOW - w - 1), ==, WGD_MEMBERSHIP_FUTURE);
  g_assert_cmpint (check (f, proof, &request, G_MAXUINT64), ==, WGD_MEMBERSHIP_STALE);
  g_assert_cmpint (check (f, proof, &request, 0), ==, WGD_MEMBERSHIP_FUTURE);
  g_assert_cmpint (check (f, proof, &request, NOW + w), ==, WGD_MEMBERSHIP_ACCEPTED);
  /* The edges, each with a proof of its own. */
  g_clear_pointer (&proof, wgd_membership_proof_free);
  proof = sign_at (f, &request, NOW);
  g_assert_cmpint (check (f, proof, &request, NOW - w), ==, WGD_MEMBERSHIP_ACCEPTED);
}

static void
test_replay (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdMembershipProof) proof = sign_at (f, &request, NOW);

  g_assert_cmpint (check (f, proof, &request, NOW), ==, WGD_MEMBERSHIP_ACCEPTED);
  g_assert_cmpuint (wgd_membership_cache_size (f->cache), ==, 1);
  for (guint64 later = 0; later <= WGD_MEMBERSHIP_WINDOW_SECONDS; later += 10)
    g_assert_cmpint (check (f, proof, &request, NOW + later), ==, WGD_MEMBERSHIP_REPLAYED);
  /* Past the window it is stale, and the cache has let it go. */
  g_assert_cmpint (check (f, proof, &request, NOW + WGD_MEMBERSHIP_WINDOW_SECONDS + 1), ==,
                   WGD_MEMBERSHIP_STALE);
  g_clear_pointer (&proof, wgd_membership_proof_free);
  proof = sign_at (f, &request, NOW + WGD_MEMBERSHIP_WINDOW_SECONDS + 1);
  g_assert_cmpint (check (f, proof, &request, NOW + WGD_MEMBERSHIP_WINDOW_SECONDS + 1), ==,
                   WGD_MEMBERSHIP_ACCEPTED);
  g_assert_cmpuint (wgd_membership_cache_size (f->cache), ==, 1);
}

static void
test_cache_bounded (Fixture *f, gconstpointer data)
{
  WgdMembershipProof *proofs[6];

  wgd_membership_cache_free (f->cache);
  f->cache = wgd_membership_cache_new (4);
  for (guint i = 0; i < G_N_ELEMENTS (proofs); i++)
    {
      proofs[i] = sign_at (f, &request, NOW + i);
      g_assert_cmpint (check (f, proofs[i], &request, NOW + 5), ==, WGD_MEMBERSHIP_ACCEPTED);
      g_assert_cmpuint (wgd_membership_cache_size (f->cache), ==, MIN (i + 1, 4));
    }
  /* The two forgotten ones, and anything as old, can no longer be told
   * from replays: refused. The remembered ones are replays. */
  g_assert_cmpint (check (f, proofs[0], &request, NOW + 5), ==, WGD_MEMBERSHIP_CROWDED);
  g_assert_cmpint (check (f, proofs[1], &request, NOW + 5), ==, WGD_MEMBERSHIP_CROWDED);
  for (guint i = 2; i < G_N_ELEMENTS (proofs); i++)
    g_assert_cmpint (check (f, proofs[i], &request, NOW + 5), ==, WGD_MEMBERSHIP_REPLAYED);
  for (guint i = 0; i < G_N_ELEMENTS (proofs); i++)
    wgd_membership_proof_free (proofs[i]);
  proofs[0] = sign_at (f, &request, NOW + 1);
  g_assert_cmpint (check (f, proofs[0], &request, NOW + 5), ==, WGD_MEMBERSHIP_CROWDED);
  wgd_membership_proof_free (proofs[0]);
  /* A fresh proof still gets in. */
  proofs[0] = sign_at (f, &request, NOW + 5);
  g_assert_cmpint (check (f, proofs[0], &request, NOW + 5), ==, WGD_MEMBERSHIP_ACCEPTED);
  g_assert_cmpuint (wgd_membership_cache_size (f->cache), ==, 4);
  wgd_membership_proof_free (proofs[0]);
  /* Time empties it. */
  proofs[0] = sign_at (f, &request, NOW + 200);
  g_assert_cmpint (check (f, proofs[0], &request, NOW + 200), ==, WGD_MEMBERSHIP_ACCEPTED);
  g_assert_cmpuint (wgd_membership_cache_size (f->cache), ==, 1);
  wgd_membership_proof_free (proofs[0]);
}

static void
test_certificates (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdCertificate) other = make_certificate (f->other_ca, f->node, 9, NOW - 1, NOW + 1);
  g_autoptr (WgdCertificate) expired = make_certificate (f->ca, f->node, 9, NOW - 10, NOW - 1);
  g_autoptr (WgdCertificate) early = make_certificate (f->ca, f->node, 9, NOW + 1, NOW + 10);
  g_autoptr (WgdCertificate) revoked = make_certificate (f->ca, f->node, 666, NOW - 1, NOW + 1);
  g_autoptr (WgdKeyPair) stranger = test_key_pair (4);
  g_autoptr (WgdCertificate) strangers = make_certificate (f->ca, stranger, 9, NOW - 1, NOW + 1);
  g_autoptr (WgdCertificate) forged = NULL;
  g_autoptr (WgdMembershipProof) proof = NULL;
  g_autoptr (WgdMembershipProof) copy = NULL;
  g_autoptr (WgdTrustStore) store = wgd_trust_store_new ();
  g_autoptr (WgdRevocationList) list = wgd_revocation_list_new ();
  g_autoptr (GError) error = NULL;
  WgdMembershipVerdict verdict;
  guint64 serial = 666;

  /* Another mesh's member. */
  g_clear_pointer (&f->cert, wgd_certificate_free);
  f->cert = g_memdup2 (other, sizeof *other);
  proof = sign_at (f, &request, NOW);
  g_assert_cmpint (check (f, proof, &request, NOW), ==, WGD_MEMBERSHIP_WRONG_MESH);

  /* A certificate signed by another CA that names the mesh's. */
  forged = g_memdup2 (other, sizeof *other);
  memcpy (forged->raw + 1, f->ca->public_key, WGD_KEY_LEN);
  memcpy (f->cert, forged, sizeof *forged);
  memcpy (f->cert->ca_key, f->ca->public_key, WGD_KEY_LEN);
  g_clear_pointer (&proof, wgd_membership_proof_free);
  proof = sign_at (f, &request, NOW);
  g_assert_cmpint (check (f, proof, &request, NOW), ==, WGD_MEMBERSHIP_BAD_CERTIFICATE);

  memcpy (f->cert, expired, sizeof *expired);
  g_clear_pointer (&proof, wgd_membership_proof_free);
  proof = sign_at (f, &request, NOW);
  g_assert_cmpint (check (f, proof, &request, NOW), ==, WGD_MEMBERSHIP_EXPIRED_CERTIFICATE);

  memcpy (f->cert, early, sizeof *early);
  g_clear_pointer (&proof, wgd_membership_proof_free);
  proof = sign_at (f, &request, NOW);
  g_assert_cmpint (check (f, proof, &request, NOW), ==, WGD_MEMBERSHIP_NOT_YET_VALID);

  memcpy (f->cert, revoked, sizeof *revoked);
  g_clear_pointer (&proof, wgd_membership_proof_free);
  proof = sign_at (f, &request, NOW);
  wgd_trust_store_add_ca (store, f->ca->public_key);
  list->issued = NOW;
  g_array_append_val (list->serials, serial);
  g_assert_true (wgd_revocation_list_sign (list, f->ca, &error));
  g_assert_true (wgd_trust_store_add_revocations (store, list, &error));
  g_assert_no_error (error);
  g_assert_cmpint (wgd_membership_check (proof, &request, f->ca->public_key, store, NOW,
                                         f->cache, &verdict), ==, WGD_MEMBERSHIP_REVOKED);
  g_assert_cmpint (check (f, proof, &request, NOW), ==, WGD_MEMBERSHIP_ACCEPTED);

  /* Someone else's certificate: the signer cannot use it, and a proof
   * that carries it is not signed by the key it names. */
  g_assert_false (wgd_membership_proof_sign (proof, f->node, strangers, &request, NOW, NULL,
                                             &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);
  memcpy (f->cert, strangers, sizeof *strangers);
  memcpy (f->cert->signing_key, f->node->public_key, WGD_KEY_LEN);
  g_clear_pointer (&proof, wgd_membership_proof_free);
  copy = sign_at (f, &request, NOW);
  proof = wgd_membership_proof_new ();
  g_assert_true (wgd_membership_proof_decode (proof, copy->raw, copy->raw_len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (check (f, proof, &request, NOW), ==, WGD_MEMBERSHIP_BAD_SIGNATURE);
}

static void
test_header (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdMembershipProof) proof = sign_at (f, &request, NOW);
  g_autoptr (WgdMembershipProof) out = wgd_membership_proof_new ();
  g_autofree gchar *header = wgd_membership_proof_to_header (proof);
  const gchar *text = header + strlen (WGD_MEMBERSHIP_SCHEME " ");
  g_autofree gchar *lower = g_strconcat ("wgd-membership   ", text, NULL);
  g_autofree gchar *bearer = g_strconcat ("Bearer ", text, NULL);
  g_autofree gchar *glued = g_strconcat (WGD_MEMBERSHIP_SCHEME, text, NULL);
  g_autofree gchar *padded = g_strconcat (header, "=", NULL);
  g_autofree gchar *trailing = g_strconcat (header, " ", NULL);
  g_autofree gchar *huge = g_strnfill (4096, 'A');
  g_autofree gchar *huge_header = g_strconcat (WGD_MEMBERSHIP_SCHEME " ", huge, NULL);
  const gchar *refused[] = { bearer, glued, padded, trailing, huge_header,
                             WGD_MEMBERSHIP_SCHEME, WGD_MEMBERSHIP_SCHEME " ", "", NULL };
  WgdMembershipVerdict verdict;

  g_assert_true (g_str_has_prefix (header, "WGD-Membership "));
  for (gsize i = 0; refused[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (wgd_membership_proof_from_header (out, refused[i], &error));
      g_assert_nonnull (error);
      g_assert_cmpint (wgd_membership_check_header (refused[i], &request, f->ca->public_key,
                                                    NULL, NOW, f->cache, out, &verdict),
                       ==, WGD_MEMBERSHIP_MALFORMED);
    }
  g_assert_cmpint (wgd_membership_check_header (NULL, &request, f->ca->public_key, NULL, NOW,
                                                f->cache, out, &verdict),
                   ==, WGD_MEMBERSHIP_MALFORMED);
  g_assert_cmpint (wgd_membership_check (out, &request, f->ca->public_key, NULL, NOW, f->cache,
                                         &verdict), ==, WGD_MEMBERSHIP_MALFORMED);
  g_assert_cmpint (wgd_membership_check_header (lower, &request, f->ca->public_key, NULL, NOW,
                                                f->cache, out, &verdict),
                   ==, WGD_MEMBERSHIP_ACCEPTED);
  g_assert_cmpmem (out->raw, out->raw_len, proof->raw, proof->raw_len);
}

static void
test_host_from_url (void)
{
  static const struct {
    const gchar *url;
    const gchar *host;
  } cases[] = {
    { "https://rdv.example.org", "rdv.example.org" },
    { "https://RDV.Example.ORG:443/v1/", "rdv.example.org" },
    { "HTTPS://rdv.example.org:8443", "rdv.example.org:8443" },
    { "http://rdv.example.org:80", "rdv.example.org" },
    { "http://rdv.example.org:443", "rdv.example.org:443" },
    { "wss://rdv.example.org/v1/meshes/x/watch", "rdv.example.org" },
    { "http://10.0.0.1:8080", "10.0.0.1:8080" },
    { "https://[2001:DB8::1]", "[2001:db8::1]" },
    { "https://[2001:db8::1]:8443", "[2001:db8::1]:8443" },
    { "ftp://rdv.example.org", NULL },
    { "rdv.example.org", NULL },
    { "https://", NULL },
    { "not a url", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *host = wgd_membership_host_from_url (cases[i].url, &error);

      g_assert_cmpstr (host, ==, cases[i].host);
      if (cases[i].host == NULL)
        g_assert_nonnull (error);
    }
}

static void
test_reason_names (void)
{
  for (guint i = 0; i < WGD_MEMBERSHIP_REASON_COUNT; i++)
    {
      WgdMembershipReason back;
      const gchar *name = wgd_membership_reason_to_string ((WgdMembershipReason) i);

      g_assert_nonnull (name);
      g_assert_true (wgd_membership_reason_from_string (name, &back));
      g_assert_cmpint (back, ==, i);
    }
  g_assert_cmpstr (wgd_membership_reason_to_string (WGD_MEMBERSHIP_EXPIRED_CERTIFICATE), ==,
                   "expired-certificate");
  g_assert_false (wgd_membership_reason_from_string ("nope", &(WgdMembershipReason) { 0 }));
}

/* What a client sends: a fresh proof each time, accepted once; the
 * route's path with the key in base64url. */
static void
test_authorization (Fixture *f, gconstpointer data)
{
  g_autofree gchar *path = wgd_membership_mesh_path (f->ca->public_key, "watch");
  g_autofree gchar *key = wgd_base64url_encode (f->ca->public_key, WGD_KEY_LEN);
  g_autofree gchar *expected = g_strdup_printf ("/v1/meshes/%s/watch", key);
  WgdMembershipRequest req = { "GET", HOST, path };
  g_autofree gchar *one = wgd_membership_authorization (f->node, f->cert, &req, NOW, NULL);
  g_autofree gchar *two = wgd_membership_authorization (f->node, f->cert, &req, NOW, NULL);
  g_autoptr (WgdMembershipProof) proof = wgd_membership_proof_new ();
  g_autoptr (GError) error = NULL;
  WgdMembershipVerdict v;

  g_assert_cmpstr (path, ==, expected);
  g_assert_nonnull (one);
  g_assert_cmpstr (one, !=, two);
  g_assert_cmpuint (wgd_membership_check_header (one, &req, f->ca->public_key, NULL, NOW,
                                                 f->cache, proof, &v), ==,
                    WGD_MEMBERSHIP_ACCEPTED);
  g_assert_cmpuint (wgd_membership_check_header (two, &req, f->ca->public_key, NULL, NOW,
                                                 f->cache, proof, &v), ==,
                    WGD_MEMBERSHIP_ACCEPTED);
  g_assert_cmpuint (wgd_membership_check_header (one, &req, f->ca->public_key, NULL, NOW,
                                                 f->cache, proof, &v), ==,
                    WGD_MEMBERSHIP_REPLAYED);
  /* Another node's key does not sign for this certificate. */
  g_assert_null (wgd_membership_authorization (f->ca, f->cert, &req, NOW, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/membership/known-answer", test_known_answer);
#define ADD(path, func) \
  g_test_add ("/membership/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("round-trip", test_round_trip);
  ADD ("bit-flips", test_bit_flips);
  ADD ("truncated-and-extended", test_truncated_and_extended);
  ADD ("request-binding", test_request_binding);
  ADD ("bad-requests", test_bad_requests);
  ADD ("window", test_window);
  ADD ("replay", test_replay);
  ADD ("cache-bounded", test_cache_bounded);
  ADD ("certificates", test_certificates);
  ADD ("header", test_header);
  ADD ("authorization", test_authorization);
#undef ADD
  g_test_add_func ("/membership/host-from-url", test_host_from_url);
  g_test_add_func ("/membership/reason-names", test_reason_names);
  return g_test_run ();
}
