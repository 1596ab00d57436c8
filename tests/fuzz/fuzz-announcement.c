/* fuzz-announcement.c — libFuzzer target for the announcement record:
 * raw bytes into wgd_announcement_decode; what decodes goes through the
 * signature check and the trust decision in both modes, and must encode
 * back to the same fields. */
#include "config.h"

#include <stdio.h>

#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static WgdTrustStore *store;
static WgdKeyPair *resigner;
static WgdAnnouncement *ann, *again, *copy;
static guint8 mesh_key[WGD_KEY_LEN];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (WgdKeyPair) ca = NULL;

  fuzz_init ();
  store = fuzz_trust_store_new ();
  resigner = fuzz_key (FUZZ_SEED_ALICE);
  ca = fuzz_key (FUZZ_SEED_CA);
  memcpy (mesh_key, ca->public_key, WGD_KEY_LEN);
  ann = wgd_announcement_new ();
  again = wgd_announcement_new ();
  copy = wgd_announcement_new ();
  return 0;
}

static gsize
address_len (guint8 family)
{
  return family == 4 ? 4 : 16;
}

/* The decoded fields, everything but the signing key and signature. */
static void
assert_same_fields (const WgdAnnouncement *a, const WgdAnnouncement *b)
{
  FUZZ_ASSERT (memcmp (a->wg_key, b->wg_key, WGD_KEY_LEN) == 0);
  FUZZ_ASSERT (a->timestamp == b->timestamp);
  FUZZ_ASSERT (a->lifetime == b->lifetime);
  FUZZ_ASSERT (a->n_endpoints == b->n_endpoints);
  for (gsize i = 0; i < a->n_endpoints; i++)
    {
      const WgdEndpoint *x = &a->endpoints[i], *y = &b->endpoints[i];

      FUZZ_ASSERT (x->kind == y->kind && x->family == y->family && x->port == y->port);
      FUZZ_ASSERT (memcmp (x->address, y->address, address_len (x->family)) == 0);
    }
  FUZZ_ASSERT (strcmp (a->name, b->name) == 0);
  FUZZ_ASSERT (a->has_certificate == b->has_certificate);
  if (a->has_certificate)
    FUZZ_ASSERT (a->certificate.raw_len == b->certificate.raw_len
                 && memcmp (a->certificate.raw, b->certificate.raw, a->certificate.raw_len) == 0);
  FUZZ_ASSERT (a->has_mesh == b->has_mesh);
  if (a->has_mesh)
    FUZZ_ASSERT (memcmp (a->mesh_key, b->mesh_key, WGD_KEY_LEN) == 0);
}

static void
check_trust (guint64 now)
{
  g_autoptr (WgdReplayState) replay = wgd_replay_state_new ();
  WgdTrustContext ctx = { .mode = WGD_MODE_ENDPOINT, .now = now };
  WgdVerdict first, second;

  wgd_trust_check (store, replay, &ctx, ann, &first);
  FUZZ_ASSERT (first.reason < WGD_REASON_COUNT);
  FUZZ_ASSERT (first.accepted == (first.reason == WGD_REASON_NONE));
  FUZZ_ASSERT (!first.accepted || first.binding != WGD_BINDING_NONE);
  /* Deciding changes nothing: the same verdict again. */
  wgd_trust_check (store, replay, &ctx, ann, &second);
  FUZZ_ASSERT (second.accepted == first.accepted && second.reason == first.reason
               && !second.already_known);
  if (first.accepted)
    wgd_replay_state_accept (replay, ann);
  /* Heard again: already known if accepted, the same verdict if not. */
  wgd_trust_check (store, replay, &ctx, ann, &second);
  FUZZ_ASSERT (second.accepted == first.accepted);
  FUZZ_ASSERT (!first.accepted || second.already_known);
  FUZZ_ASSERT (first.accepted || second.reason == first.reason);
  /* Heard again under other clocks, with its signature check spared:
   * judged as in full. */
  if (first.accepted)
    {
      guint64 clocks[] = { ann->timestamp + ann->lifetime - 1, ann->timestamp + ann->lifetime,
                           ann->timestamp - WGD_TRUST_MAX_FUTURE_SECONDS - 1 };

      for (gsize i = 0; i < G_N_ELEMENTS (clocks); i++)
        {
          WgdVerdict full;

          if (ann->timestamp <= WGD_TRUST_MAX_FUTURE_SECONDS && i == 2)
            continue;
          ctx.now = clocks[i];
          wgd_trust_check (store, replay, &ctx, ann, &second);
          wgd_trust_check (store, NULL, &ctx, ann, &full);
          FUZZ_ASSERT (second.accepted == full.accepted && second.reason == full.reason
                       && second.binding == full.binding);
          FUZZ_ASSERT (strcmp (second.detail, full.detail) == 0);
        }
      ctx.now = now;
    }

  ctx.mode = WGD_MODE_MESH;
  memcpy (ctx.mesh_key, mesh_key, WGD_KEY_LEN);
  wgd_trust_check (store, NULL, &ctx, ann, &first);
  FUZZ_ASSERT (first.accepted == (first.reason == WGD_REASON_NONE));
  /* Mesh mode takes a certificate and nothing else. */
  FUZZ_ASSERT (!first.accepted || (ann->has_certificate
                                   && first.binding == WGD_BINDING_CERTIFICATE));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  gboolean signature_ok;

  if (!wgd_announcement_decode (ann, data, size, &error))
    {
      FUZZ_ASSERT (error != NULL);
      return 0;
    }
  FUZZ_ASSERT (error == NULL);
  FUZZ_ASSERT (ann->record_len == size && memcmp (ann->record, data, size) == 0);
  FUZZ_ASSERT (ann->n_endpoints <= WGD_ENDPOINTS_MAX);
  FUZZ_ASSERT (strlen (ann->name) <= WGD_NAME_MAX);

  signature_ok = wgd_announcement_verify_signature (ann);
  check_trust (FUZZ_NOW);
  check_trust (ann->timestamp);
  /* A record that does not verify is never accepted, whatever else. */
  if (!signature_ok)
    {
      WgdTrustContext ctx = { .mode = WGD_MODE_ENDPOINT, .now = FUZZ_NOW };
      WgdVerdict v;

      wgd_trust_check (store, NULL, &ctx, ann, &v);
      FUZZ_ASSERT (!v.accepted && v.reason == WGD_REASON_BAD_SIGNATURE);
    }

  /* Whatever decodes also encodes, to a record that decodes to the same
   * fields; without extension fields (which a reader skips) the bytes
   * are the same too, apart from the signing key and signature. */
  *copy = *ann;
  FUZZ_ASSERT (wgd_announcement_sign (copy, resigner, NULL));
  FUZZ_ASSERT (copy->record_len <= size);
  FUZZ_ASSERT (wgd_announcement_decode (again, copy->record, copy->record_len, NULL));
  FUZZ_ASSERT (wgd_announcement_verify_signature (again));
  assert_same_fields (ann, again);
  if (copy->record_len == size)
    {
      /* version, then the signing key field: type, length, 32 bytes */
      const gsize key_at = 1 + 3;

      FUZZ_ASSERT (memcmp (copy->record, data, key_at) == 0);
      FUZZ_ASSERT (memcmp (copy->record + key_at + WGD_KEY_LEN, data + key_at + WGD_KEY_LEN,
                           size - WGD_SIGNATURE_LEN - key_at - WGD_KEY_LEN) == 0);
      if (signature_ok && memcmp (ann->signing_key, resigner->public_key, WGD_KEY_LEN) == 0)
        FUZZ_ASSERT (memcmp (copy->record, data, size) == 0);
    }
  return 0;
}
