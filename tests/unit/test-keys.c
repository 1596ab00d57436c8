/* test-keys.c — identities: known answers, text form, key files with
 * their permission check, and the derivation checked against `wg`. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "base64.h"
#include "keys.h"
#include "test-util.h"
#include "wgd-error.h"

static void
test_known_answers (void)
{
  g_autoptr (GKeyFile) vectors = test_vectors_load ();
  g_autoptr (GBytes) seed = test_vectors_get_bytes (vectors, "keys", "node-seed");
  g_autoptr (GBytes) pk = test_vectors_get_bytes (vectors, "keys", "node-signing-key");
  g_autoptr (GBytes) wg_pub = test_vectors_get_bytes (vectors, "keys", "node-wg-public");
  g_autoptr (GBytes) wg_priv = test_vectors_get_bytes (vectors, "keys", "node-wg-private");
  g_autoptr (WgdKeyPair) pair = wgd_key_pair_new_from_seed (g_bytes_get_data (seed, NULL));
  guint8 out[WGD_KEY_LEN], derived[WGD_KEY_LEN];

  g_assert_cmpmem (pair->public_key, WGD_KEY_LEN, g_bytes_get_data (pk, NULL), WGD_KEY_LEN);
  wgd_key_pair_wg_public (pair, out);
  g_assert_cmpmem (out, WGD_KEY_LEN, g_bytes_get_data (wg_pub, NULL), WGD_KEY_LEN);
  wgd_key_pair_wg_private (pair, out);
  g_assert_cmpmem (out, WGD_KEY_LEN, g_bytes_get_data (wg_priv, NULL), WGD_KEY_LEN);
  g_assert_true (wgd_wg_key_from_signing_key (pair->public_key, derived));
  g_assert_cmpmem (derived, WGD_KEY_LEN, g_bytes_get_data (wg_pub, NULL), WGD_KEY_LEN);
}

static void
test_derivation_consistent (void)
{
  for (guint i = 0; i < 64; i++)
    {
      g_autoptr (WgdKeyPair) pair = wgd_key_pair_generate ();
      guint8 priv[WGD_KEY_LEN], pub[WGD_KEY_LEN], expect[WGD_KEY_LEN];

      wgd_key_pair_wg_private (pair, priv);
      wgd_key_pair_wg_public (pair, pub);
      g_assert_cmpint (crypto_scalarmult_base (expect, priv), ==, 0);
      g_assert_cmpmem (pub, WGD_KEY_LEN, expect, WGD_KEY_LEN);
    }
}

/* The expected form is Python's hashlib.blake2b (digest_size=32) over
 * the domain string and the key 00 01 .. 1f, an implementation
 * independent of libsodium. */
static void
test_fingerprint (void)
{
  guint8 key[WGD_KEY_LEN];
  gchar fp[WGD_FINGERPRINT_LEN + 1];
  gchar other[WGD_FINGERPRINT_LEN + 1];

  for (guint i = 0; i < WGD_KEY_LEN; i++)
    key[i] = (guint8) i;
  wgd_key_fingerprint (key, fp);
  g_assert_cmpstr (fp, ==, "66d9-652c-08b0-6e0c-3ed2");
  g_assert_cmpuint (strlen (fp), ==, WGD_FINGERPRINT_LEN);
  key[31] ^= 1;
  wgd_key_fingerprint (key, other);
  g_assert_cmpstr (other, !=, fp);
}

static void
test_no_derivation_for_bad_points (void)
{
  guint8 small_order[WGD_KEY_LEN] = { 1 };   /* the identity point */
  guint8 out[WGD_KEY_LEN];

  g_assert_false (wgd_wg_key_from_signing_key (small_order, out));
}

static void
test_generate_distinct (void)
{
  g_autoptr (WgdKeyPair) a = wgd_key_pair_generate ();
  g_autoptr (WgdKeyPair) b = wgd_key_pair_generate ();

  g_assert_cmpint (memcmp (a->seed, b->seed, WGD_KEY_LEN), !=, 0);
  g_assert_cmpint (memcmp (a->public_key, b->public_key, WGD_KEY_LEN), !=, 0);
}

static void
test_text_round_trip (void)
{
  g_autoptr (WgdKeyPair) a = wgd_key_pair_generate ();
  g_autoptr (WgdKeyPair) b = NULL;
  g_autoptr (GError) error = NULL;
  gchar *text = wgd_key_pair_to_text (a);

  g_assert_cmpuint (strlen (text), ==, WGD_KEY_BASE64_LEN + 1);
  g_assert_cmpint (text[WGD_KEY_BASE64_LEN], ==, '\n');
  b = wgd_key_pair_parse (text, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (a->secret_key, 64, b->secret_key, 64);
  wgd_secret_free (text);

  g_assert_null (wgd_key_pair_parse ("not a key", &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
}

static gchar *
write_key_file (const gchar *dir, const gchar *name, const gchar *content, mode_t mode)
{
  gchar *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, content, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

static void
test_load_key_file (void)
{
  g_autoptr (WgdKeyPair) pair = wgd_key_pair_generate ();
  g_autofree gchar *dir = g_dir_make_tmp ("wgd-keys-XXXXXX", NULL);
  gchar *text = wgd_key_pair_to_text (pair);
  g_autofree gchar *good = write_key_file (dir, "good", text, 0600);
  g_autofree gchar *group = write_key_file (dir, "group", text, 0640);
  g_autofree gchar *world = write_key_file (dir, "world", text, 0604);
  g_autofree gchar *garbage = write_key_file (dir, "garbage", "hello\n", 0600);
  g_autofree gchar *big = NULL;
  g_autofree gchar *huge = g_strnfill (4096, 'A');
  g_autofree gchar *missing = g_build_filename (dir, "missing", NULL);
  g_autoptr (WgdKeyPair) loaded = NULL;
  g_autoptr (GError) error = NULL;

  wgd_secret_free (text);
  big = write_key_file (dir, "big", huge, 0600);

  loaded = wgd_key_pair_load (good, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (loaded->public_key, WGD_KEY_LEN, pair->public_key, WGD_KEY_LEN);

  g_assert_null (wgd_key_pair_load (group, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INSECURE);
  g_assert_nonnull (strstr (error->message, "0640"));
  g_assert_nonnull (strstr (error->message, "chmod 600"));
  g_clear_error (&error);

  g_assert_null (wgd_key_pair_load (world, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INSECURE);
  g_clear_error (&error);

  g_assert_null (wgd_key_pair_load (garbage, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, garbage));
  g_clear_error (&error);

  g_assert_null (wgd_key_pair_load (big, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "too large"));
  g_clear_error (&error);

  g_assert_null (wgd_key_pair_load (missing, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_IO);
  g_clear_error (&error);

  g_assert_null (wgd_key_pair_load (dir, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_IO);
  g_clear_error (&error);

  for (const gchar *const *f = (const gchar *const[]) { good, group, world, garbage, big, NULL };
       *f; f++)
    g_assert_cmpint (g_unlink (*f), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* The whole point of derived identities: `wg pubkey` of our WireGuard
 * private key is the key we announce. */
static void
test_derivation_matches_wg (void)
{
  const gchar *wg = g_getenv ("WG");

  if (wg == NULL || *wg == '\0')
    {
      g_test_skip ("wg (wireguard-tools) is not installed");
      return;
    }
  for (guint i = 0; i < 8; i++)
    {
      g_autoptr (WgdKeyPair) pair = wgd_key_pair_generate ();
      g_autoptr (GSubprocess) proc = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree gchar *priv_text = NULL;
      g_autofree gchar *pub_text = NULL;
      g_autofree gchar *out = NULL;
      guint8 priv[WGD_KEY_LEN], pub[WGD_KEY_LEN];

      wgd_key_pair_wg_private (pair, priv);
      wgd_key_pair_wg_public (pair, pub);
      priv_text = wgd_key_to_base64 (priv);
      pub_text = wgd_key_to_base64 (pub);
      proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                               &error, wg, "pubkey", NULL);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_communicate_utf8 (proc, priv_text, NULL, &out, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_successful (proc));
      g_strchomp (out);
      g_assert_cmpstr (out, ==, pub_text);
    }
}

/* Tables keyed by raw keys: a key in another buffer hashes and
 * compares as the same, a key one bit off is another. */
static void
test_key_hash (void)
{
  guint8 a[WGD_KEY_LEN], b[WGD_KEY_LEN];
  g_autoptr (GHashTable) table = g_hash_table_new (wgd_key_hash, wgd_key_equal);

  for (guint i = 0; i < WGD_KEY_LEN; i++)
    a[i] = (guint8) (i * 7 + 1);
  memcpy (b, a, sizeof b);
  g_assert_cmpuint (wgd_key_hash (a), ==, wgd_key_hash (b));
  g_assert_true (wgd_key_equal (a, b));
  g_hash_table_add (table, a);
  g_assert_true (g_hash_table_contains (table, b));
  b[WGD_KEY_LEN - 1] ^= 0x80;
  g_assert_false (wgd_key_equal (a, b));
  g_assert_false (g_hash_table_contains (table, b));
  b[WGD_KEY_LEN - 1] ^= 0x80;
  b[0] ^= 1;
  g_assert_false (wgd_key_equal (a, b));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/keys/known-answers", test_known_answers);
  g_test_add_func ("/keys/derivation-consistent", test_derivation_consistent);
  g_test_add_func ("/keys/fingerprint", test_fingerprint);
  g_test_add_func ("/keys/no-derivation-for-bad-points", test_no_derivation_for_bad_points);
  g_test_add_func ("/keys/generate-distinct", test_generate_distinct);
  g_test_add_func ("/keys/text-round-trip", test_text_round_trip);
  g_test_add_func ("/keys/load-key-file", test_load_key_file);
  g_test_add_func ("/keys/derivation-matches-wg", test_derivation_matches_wg);
  g_test_add_func ("/keys/key-hash", test_key_hash);
  return g_test_run ();
}
