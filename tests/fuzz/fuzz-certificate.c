/* fuzz-certificate.c — libFuzzer target for the mesh certificate: raw
 * bytes into wgd_certificate_decode and the signature check; what
 * decodes must encode back to the same bytes. */
#include "config.h"

#include <stdio.h>

#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static WgdKeyPair *ca;
static WgdCertificate *cert, *copy;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  ca = fuzz_key (FUZZ_SEED_CA);
  cert = wgd_certificate_new ();
  copy = wgd_certificate_new ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  gboolean signature_ok;

  if (!wgd_certificate_decode (cert, data, size, &error))
    {
      FUZZ_ASSERT (error != NULL);
      return 0;
    }
  FUZZ_ASSERT (error == NULL);
  FUZZ_ASSERT (cert->raw_len == size && memcmp (cert->raw, data, size) == 0);
  FUZZ_ASSERT (cert->not_before <= cert->not_after);
  FUZZ_ASSERT (cert->n_prefixes <= WGD_CERTIFICATE_PREFIXES_MAX);
  for (gsize i = 0; i < cert->n_prefixes; i++)
    {
      g_autofree gchar *text = wgd_prefix_to_string (&cert->prefixes[i]);
      WgdPrefix parsed;

      FUZZ_ASSERT (wgd_prefix_is_canonical (&cert->prefixes[i]));
      /* The text form parses back to the same prefix. */
      FUZZ_ASSERT (wgd_prefix_parse (text, &parsed, NULL));
      FUZZ_ASSERT (parsed.family == cert->prefixes[i].family
                   && parsed.length == cert->prefixes[i].length
                   && memcmp (parsed.address, cert->prefixes[i].address,
                              parsed.family == 4 ? 4 : 16) == 0);
    }
  signature_ok = wgd_certificate_verify_signature (cert);

  /* The encoding is canonical: signing the decoded fields again gives
   * the same bytes but for the CA key and the signature, and exactly the
   * same bytes for a certificate the fuzz CA really signed. */
  *copy = *cert;
  FUZZ_ASSERT (wgd_certificate_sign (copy, ca, NULL));
  FUZZ_ASSERT (copy->raw_len == size);
  FUZZ_ASSERT (copy->raw[0] == data[0]);
  FUZZ_ASSERT (memcmp (copy->raw + 1 + WGD_KEY_LEN, data + 1 + WGD_KEY_LEN,
                       size - 1 - WGD_KEY_LEN - WGD_SIGNATURE_LEN) == 0);
  if (signature_ok && memcmp (cert->ca_key, ca->public_key, WGD_KEY_LEN) == 0)
    FUZZ_ASSERT (memcmp (copy->raw, data, size) == 0);
  FUZZ_ASSERT (wgd_certificate_verify_signature (copy));
  return 0;
}
