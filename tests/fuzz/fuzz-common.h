/* fuzz-common.h — what the libFuzzer targets share: fixed keys, so that
 * the committed seeds in tests/fuzz/seeds/ verify and the fuzzer starts
 * from records that get past the signature, and a trust store holding
 * the fuzz CA, one pin and one revoked serial.
 *
 * The seeds were signed with these keys by a one-off program against
 * libwgdcommon (wgd_certificate_sign, wgd_announcement_sign, and
 * wgd_wire_sign for the record with an extension field), all at
 * FUZZ_NOW: derived, certified (mesh), revoked, expired, other-CA and
 * pinned records, v4 and v6 endpoints, eight endpoints, and their TXT
 * forms. If the formats change, make new ones the same way.
 *
 * Every key is a seed of 32 equal bytes:
 *   0xca  the mesh CA           0xa1  alice (derived and certified)
 *   0xb0  bob (certified, revoked serial)
 *   0x9e  a pinned node, whose WireGuard key is 32 bytes of 0x77
 */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "announcement.h"
#include "certificate.h"
#include "keys.h"
#include "revocation.h"
#include "trust.h"

#define FUZZ_NOW G_GUINT64_CONSTANT (1700000000)
#define FUZZ_REVOKED_SERIAL G_GUINT64_CONSTANT (666)
#define FUZZ_SEED_CA 0xca
#define FUZZ_SEED_ALICE 0xa1
#define FUZZ_SEED_BOB 0xb0
#define FUZZ_SEED_PINNED 0x9e
#define FUZZ_PINNED_WG_FILL 0x77

/* A broken invariant is a crash, so libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond) \
  do { if (!(cond)) { fprintf (stderr, "invariant failed: %s (%s:%d)\n", #cond, \
                               __FILE__, __LINE__); abort (); } } while (0)

static inline WgdKeyPair *
fuzz_key (guint8 fill)
{
  guint8 seed[WGD_KEY_LEN];

  memset (seed, fill, sizeof seed);
  return wgd_key_pair_new_from_seed (seed);
}

/* The fuzz CA, one pin and a revocation list (signed by the CA) that
 * revokes FUZZ_REVOKED_SERIAL. */
static inline WgdTrustStore *
fuzz_trust_store_new (void)
{
  g_autoptr (WgdKeyPair) ca = fuzz_key (FUZZ_SEED_CA);
  g_autoptr (WgdKeyPair) pinned = fuzz_key (FUZZ_SEED_PINNED);
  g_autoptr (WgdRevocationList) list = wgd_revocation_list_new ();
  g_autoptr (GError) error = NULL;
  WgdTrustStore *store = wgd_trust_store_new ();
  guint8 pinned_wg[WGD_KEY_LEN];
  guint64 serial = FUZZ_REVOKED_SERIAL;

  memset (pinned_wg, FUZZ_PINNED_WG_FILL, sizeof pinned_wg);
  wgd_trust_store_add_ca (store, ca->public_key);
  wgd_trust_store_add_pin (store, pinned_wg, pinned->public_key);
  list->issued = FUZZ_NOW;
  g_array_append_val (list->serials, serial);
  if (!wgd_revocation_list_sign (list, ca, &error)
      || !wgd_trust_store_add_revocations (store, list, &error))
    {
      fprintf (stderr, "fuzz setup: %s\n", error->message);
      abort ();
    }
  return store;
}

static inline void
fuzz_init (void)
{
  if (sodium_init () < 0)
    abort ();
}
