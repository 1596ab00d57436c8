/* test-revocation.c — revocation lists: known answer, round trip,
 * canonical order, and refusals. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "revocation.h"
#include "test-util.h"
#include "wgd-error.h"

static void
test_known_answer (void)
{
  g_autoptr (GKeyFile) vectors = test_vectors_load ();
  g_autoptr (GBytes) seed = test_vectors_get_bytes (vectors, "keys", "ca-seed");
  g_autoptr (GBytes) expect = test_vectors_get_bytes (vectors, "revocation", "list");
  g_autoptr (WgdKeyPair) ca = wgd_key_pair_new_from_seed (g_bytes_get_data (seed, NULL));
  g_autoptr (WgdRevocationList) list = wgd_revocation_list_new ();
  g_autoptr (WgdRevocationList) decoded = NULL;
  g_autoptr (GError) error = NULL;
  /* Unsorted with a repeat: signing makes the list canonical. */
  const guint64 serials[] = { 1000, 42, 7, 42 };
  gsize len;
  const guint8 *data = g_bytes_get_data (expect, &len);

  list->issued = test_vectors_get_u64 (vectors, "revocation", "issued");
  g_array_append_vals (list->serials, serials, G_N_ELEMENTS (serials));
  g_assert_true (wgd_revocation_list_sign (list, ca, &error));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (list->raw, expect));

  decoded = wgd_revocation_list_decode (data, len, &error);
  g_assert_no_error (error);
  g_assert_true (wgd_revocation_list_verify_signature (decoded));
  g_assert_cmpuint (decoded->issued, ==, 1700000100);
  g_assert_cmpuint (decoded->serials->len, ==, 3);
  g_assert_true (wgd_revocation_list_contains (decoded, 7));
  g_assert_true (wgd_revocation_list_contains (decoded, 42));
  g_assert_true (wgd_revocation_list_contains (decoded, 1000));
  g_assert_false (wgd_revocation_list_contains (decoded, 0));
  g_assert_false (wgd_revocation_list_contains (decoded, 43));
  g_assert_false (wgd_revocation_list_contains (decoded, G_MAXUINT64));
}

static GBytes *
signed_list (const WgdKeyPair *ca, guint n)
{
  g_autoptr (WgdRevocationList) list = wgd_revocation_list_new ();

  for (guint64 s = 1; s <= n; s++)
    g_array_append_val (list->serials, s);
  g_assert_true (wgd_revocation_list_sign (list, ca, NULL));
  return g_bytes_ref (list->raw);
}

static void
test_refusals (void)
{
  g_autoptr (WgdKeyPair) ca = test_key_pair (9);
  g_autoptr (GBytes) raw = signed_list (ca, 3);
  g_autoptr (WgdRevocationList) too_many = wgd_revocation_list_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (raw, &len);
  g_autofree guint8 *buf = g_memdup2 (data, len);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autofree guint8 *copy = g_memdup2 (data, cut);

      g_assert_null (wgd_revocation_list_decode (copy, cut, &error));
      g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
      g_clear_error (&error);
    }

  buf[0] = 2;
  g_assert_null (wgd_revocation_list_decode (buf, len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "version"));
  g_clear_error (&error);

  /* Serials 1, 2, 3 → 1, 3, 3: not strictly ascending. */
  memcpy (buf, data, len);
  buf[1 + 32 + 8 + 4 + 8 + 7] = 3;
  g_assert_null (wgd_revocation_list_decode (buf, len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "ascending"));
  g_clear_error (&error);

  /* A count that disagrees with the length. */
  memcpy (buf, data, len);
  buf[1 + 32 + 8 + 3] = 4;
  g_assert_null (wgd_revocation_list_decode (buf, len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Any flipped bit of a decodable list breaks its signature. */
  for (gsize bit = 0; bit < len * 8; bit++)
    {
      g_autoptr (WgdRevocationList) list = NULL;

      memcpy (buf, data, len);
      buf[bit / 8] ^= (guint8) (1u << (bit % 8));
      list = wgd_revocation_list_decode (buf, len, NULL);
      if (list != NULL)
        g_assert_false (wgd_revocation_list_verify_signature (list));
    }

  g_assert_null (wgd_revocation_list_decode (buf, WGD_REVOCATION_MAX + 1, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE);
  g_clear_error (&error);

  for (guint64 s = 0; s < WGD_REVOCATION_MAX / 8; s++)
    g_array_append_val (too_many->serials, s);
  g_assert_false (wgd_revocation_list_sign (too_many, ca, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/revocation/known-answer", test_known_answer);
  g_test_add_func ("/revocation/refusals", test_refusals);
  return g_test_run ();
}
