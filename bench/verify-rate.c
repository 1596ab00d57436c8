/* verify-rate.c — the references for bench/rendezvous.sh's PUTs: how many
 * times per second one core runs the cryptography every accepted record
 * needs. First bare crypto_sign_verify_detached over the record's
 * signature (docs/record-format.md §5: the domain
 * "wgdiscover-announcement-v1\0" followed by the record without its
 * signature); then that and the derived binding's check, the WireGuard
 * key computed from the signing key (§7, crypto_sign_ed25519_pk_to_curve25519),
 * which a record without a certificate also needs.
 *
 * Usage: verify-rate SECONDS < RECORD   (RECORD in hex, as rdv-records
 * prints it; the first line is used). Each is timed for SECONDS; prints
 * "verify_per_second N" and "verify_derive_per_second N". */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "announcement.h"

/* Calls between two looks at the clock, so that reading it costs
 * nothing next to the cryptography. */
#define BATCH 64

typedef struct {
  const WgdAnnouncement *ann;
  guint8 signed_bytes[sizeof WGD_RECORD_CONTEXT + WGD_RECORD_MAX];
  gsize signed_len;
} Record;

static gboolean
check_signature (const Record *r)
{
  return crypto_sign_verify_detached (r->ann->signature, r->signed_bytes, r->signed_len,
                                      r->ann->signing_key) == 0;
}

static gboolean
check_signature_and_derived_key (const Record *r)
{
  guint8 wg_key[crypto_scalarmult_curve25519_BYTES];

  return check_signature (r)
    && crypto_sign_ed25519_pk_to_curve25519 (wg_key, r->ann->signing_key) == 0
    && sodium_memcmp (wg_key, r->ann->wg_key, sizeof wg_key) == 0;
}

static gdouble
rate (const Record *r, gboolean (*check) (const Record *), guint64 seconds)
{
  guint64 count = 0;
  gint64 start = g_get_monotonic_time (), elapsed;

  do
    {
      for (guint i = 0; i < BATCH; i++)
        if (!check (r))
          {
            g_printerr ("verify-rate: the record does not verify, or its WireGuard key is not "
                        "derived from its signing key\n");
            exit (1);
          }
      count += BATCH;
      elapsed = g_get_monotonic_time () - start;
    }
  while (elapsed < (gint64) seconds * G_USEC_PER_SEC);
  return (gdouble) count * G_USEC_PER_SEC / (gdouble) elapsed;
}

int
main (int argc, char **argv)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (GError) error = NULL;
  gchar line[2 * WGD_RECORD_MAX + 2];
  guint8 bytes[WGD_RECORD_MAX];
  gsize len = 0;
  guint64 seconds = 0;
  Record r = { .ann = ann };

  if (argc != 2 || !g_ascii_string_to_unsigned (argv[1], 10, 1, 600, &seconds, NULL)
      || sodium_init () < 0)
    {
      g_printerr ("usage: %s SECONDS < RECORD_IN_HEX\n", argv[0]);
      return 2;
    }
  if (fgets (line, sizeof line, stdin) == NULL
      || sodium_hex2bin (bytes, sizeof bytes, line, strcspn (line, "\n"), NULL, &len, NULL) != 0
      || !wgd_announcement_decode (ann, bytes, len, &error))
    {
      g_printerr ("%s: no record in hex on standard input%s%s\n", argv[0],
                  error != NULL ? ": " : "", error != NULL ? error->message : "");
      return 1;
    }
  memcpy (r.signed_bytes, WGD_RECORD_CONTEXT, sizeof WGD_RECORD_CONTEXT);
  memcpy (r.signed_bytes + sizeof WGD_RECORD_CONTEXT, bytes, len - WGD_SIGNATURE_LEN);
  r.signed_len = sizeof WGD_RECORD_CONTEXT + len - WGD_SIGNATURE_LEN;

  printf ("verify_per_second %.0f\n", rate (&r, check_signature, seconds));
  printf ("verify_derive_per_second %.0f\n", rate (&r, check_signature_and_derived_key, seconds));
  return 0;
}
