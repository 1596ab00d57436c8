/* fuzz-revocation.c — libFuzzer target for a mesh CA's revocation list:
 * raw bytes into wgd_revocation_list_decode and the signature check;
 * what decodes holds strictly ascending serials and signs back to the
 * same bytes. */
#include "config.h"

#include <stdio.h>

#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static WgdKeyPair *ca;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  ca = fuzz_key (FUZZ_SEED_CA);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdRevocationList) list = wgd_revocation_list_decode (data, size, &error);
  g_autoptr (WgdRevocationList) copy = NULL;
  gsize len = 0;
  const guint8 *raw;
  gboolean signature_ok;

  if (list == NULL)
    {
      FUZZ_ASSERT (error != NULL);
      return 0;
    }
  FUZZ_ASSERT (error == NULL);
  raw = g_bytes_get_data (list->raw, &len);
  FUZZ_ASSERT (len == size && memcmp (raw, data, size) == 0);
  for (guint i = 1; i < list->serials->len; i++)
    FUZZ_ASSERT (g_array_index (list->serials, guint64, i - 1)
                 < g_array_index (list->serials, guint64, i));
  for (guint i = 0; i < list->serials->len; i++)
    FUZZ_ASSERT (wgd_revocation_list_contains (list, g_array_index (list->serials, guint64, i)));
  signature_ok = wgd_revocation_list_verify_signature (list);

  /* Signed again by the fuzz CA: the same serials and time, and the very
   * same bytes for a list that CA really signed. */
  copy = wgd_revocation_list_new ();
  copy->issued = list->issued;
  g_array_append_vals (copy->serials, list->serials->data, list->serials->len);
  FUZZ_ASSERT (wgd_revocation_list_sign (copy, ca, NULL));
  FUZZ_ASSERT (wgd_revocation_list_verify_signature (copy));
  raw = g_bytes_get_data (copy->raw, &len);
  FUZZ_ASSERT (len == size);
  if (signature_ok && memcmp (list->ca_key, ca->public_key, WGD_KEY_LEN) == 0)
    FUZZ_ASSERT (memcmp (raw, data, size) == 0);
  return 0;
}
