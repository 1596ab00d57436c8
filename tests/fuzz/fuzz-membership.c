/* fuzz-membership.c — libFuzzer target for the membership proof: raw
 * bytes into wgd_membership_proof_decode and wgd_membership_check, and
 * the same bytes as an Authorization header's text. What decodes must
 * be kept byte for byte; what is accepted once must be a replay the
 * second time.
 *
 * The seeds are proofs by alice (certified by the fuzz CA) for
 * FUZZ_REQUEST at FUZZ_NOW, and by bob (revoked serial), made with
 * tests/data/make-vectors.py's functions and the keys of fuzz-common.h. */
#include "config.h"

#include <stdio.h>

#include "fuzz-common.h"
#include "membership.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const WgdMembershipRequest request = {
  "GET", "rdv.example.org", "/v1/meshes/fuzz/announcements"
};
static WgdKeyPair *ca;
static WgdTrustStore *store;
static WgdMembershipProof *proof;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  ca = fuzz_key (FUZZ_SEED_CA);
  store = fuzz_trust_store_new ();
  proof = wgd_membership_proof_new ();
  return 0;
}

static void
check_text (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  g_autoptr (WgdMembershipCache) cache = wgd_membership_cache_new (2);
  WgdMembershipVerdict verdict;

  wgd_membership_check_header (text, &request, ca->public_key, store, FUZZ_NOW, cache, proof,
                               &verdict);
  FUZZ_ASSERT (verdict.reason < WGD_MEMBERSHIP_REASON_COUNT);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdMembershipCache) cache = wgd_membership_cache_new (2);
  WgdMembershipVerdict verdict;
  WgdMembershipReason reason;

  check_text (data, size);
  if (!wgd_membership_proof_decode (proof, data, size, &error))
    {
      FUZZ_ASSERT (error != NULL);
      return 0;
    }
  FUZZ_ASSERT (error == NULL);
  FUZZ_ASSERT (proof->raw_len == size && memcmp (proof->raw, data, size) == 0);
  FUZZ_ASSERT (size == WGD_MEMBERSHIP_FIXED_LEN + proof->certificate.raw_len);
  reason = wgd_membership_check (proof, &request, ca->public_key, store, FUZZ_NOW, cache,
                                 &verdict);
  FUZZ_ASSERT (reason == verdict.reason && reason < WGD_MEMBERSHIP_REASON_COUNT);
  FUZZ_ASSERT ((wgd_membership_cache_size (cache) == 1) == (reason == WGD_MEMBERSHIP_ACCEPTED));
  if (reason == WGD_MEMBERSHIP_ACCEPTED)
    FUZZ_ASSERT (wgd_membership_check (proof, &request, ca->public_key, store, FUZZ_NOW, cache,
                                       &verdict) == WGD_MEMBERSHIP_REPLAYED);
  return 0;
}
