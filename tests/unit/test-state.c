/* test-state.c — the state directory: identity created once and kept,
 * replay state, endpoints and approvals round trips, and corrupt files
 * set aside (but a corrupt identity or approvals file refused, never
 * replaced). */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "state.h"
#include "test-util.h"
#include "wgd-error.h"

typedef struct {
  gchar *dir;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree gchar *base = g_dir_make_tmp ("wgd-state-XXXXXX", NULL);

  /* A directory that does not exist yet: the daemon creates it. */
  f->dir = g_build_filename (base, "state", NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autofree gchar *base = g_path_get_dirname (f->dir);
  g_autofree gchar *cmd = g_strdup_printf ("rm -rf '%s'", base);

  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
  g_free (f->dir);
}

static gchar *
state_path (Fixture *f, const gchar *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static void
test_identity (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean created = FALSE;
  g_autoptr (WgdKeyPair) first = wgd_state_load_identity (f->dir, &created, &error);
  g_autoptr (WgdKeyPair) again = NULL;
  g_autofree gchar *path = state_path (f, "identity");
  g_autofree gchar *text = NULL;
  struct stat st;

  g_assert_no_error (error);
  g_assert_true (created);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (f->dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  again = wgd_state_load_identity (f->dir, &created, &error);
  g_assert_no_error (error);
  g_assert_false (created);
  g_assert_cmpmem (again->public_key, WGD_KEY_LEN, first->public_key, WGD_KEY_LEN);

  /* What the file holds is what `wgdiscoverctl genkey` prints. */
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpuint (strlen (text), ==, 45);
  g_assert_cmpint (text[44], ==, '\n');
}

static void
test_identity_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean created = TRUE;
  g_autofree gchar *path = state_path (f, "identity");
  g_autofree gchar *after = NULL;

  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents_full (path, "not a key\n", -1, G_FILE_SET_CONTENTS_NONE,
                                           0600, NULL));
  g_assert_null (wgd_state_load_identity (f->dir, &created, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_false (created);
  /* The bad file is left for the administrator, not replaced. */
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, "not a key\n");
  g_clear_error (&error);

  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  g_assert_null (wgd_state_load_identity (f->dir, &created, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INSECURE);
}

static void
test_replay (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdReplayState) replay = wgd_replay_state_new ();
  g_autoptr (WgdReplayState) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *warning = NULL;
  guint8 key[WGD_KEY_LEN], digest[WGD_KEY_LEN];
  guint64 ts = 0;

  randombytes_buf (key, sizeof key);
  randombytes_buf (digest, sizeof digest);
  back = wgd_state_load_replay (f->dir, &warning);
  g_assert_null (warning);
  g_assert_false (wgd_replay_state_lookup (back, key, &ts));
  g_clear_pointer (&back, wgd_replay_state_free);

  wgd_replay_state_update (replay, key, G_MAXUINT64 - 1, digest);
  g_assert_true (wgd_state_save_replay (f->dir, replay, &error));
  g_assert_no_error (error);
  back = wgd_state_load_replay (f->dir, &warning);
  g_assert_null (warning);
  g_assert_true (wgd_replay_state_lookup (back, key, &ts));
  g_assert_cmpuint (ts, ==, G_MAXUINT64 - 1);
}

static void
expect_set_aside (Fixture *f, const gchar *name, const gchar *content)
{
  g_autofree gchar *path = state_path (f, name);
  g_autofree gchar *aside = g_strconcat (path, ".corrupt", NULL);
  g_autofree gchar *warning = NULL;
  g_autofree gchar *kept = NULL;

  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, content, -1, NULL));
  if (strcmp (name, "replay") == 0)
    wgd_replay_state_free (wgd_state_load_replay (f->dir, &warning));
  else if (strcmp (name, "mesh") == 0)
    g_hash_table_unref (wgd_state_load_mesh_members (f->dir, &warning));
  else
    g_hash_table_unref (wgd_state_load_endpoints (f->dir, &warning));
  g_assert_nonnull (warning);
  g_assert_nonnull (strstr (warning, path));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (aside, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, content);
  g_assert_cmpint (g_unlink (aside), ==, 0);
}

static void
test_corrupt_set_aside (Fixture *f, gconstpointer data)
{
  expect_set_aside (f, "replay", "[Replay\ngarbage");
  expect_set_aside (f, "replay", "[Replay]\nzz=1 00\n");
  expect_set_aside (f, "replay",
                    "[Replay]\n0000000000000000000000000000000000000000000000000000000000000000"
                    "=notanumber 00\n");
  expect_set_aside (f, "endpoints", "\x01\x02\x03");
  expect_set_aside (f, "endpoints",
                    "[Endpoints]\n00000000000000000000000000000000000000000000000000000000000000"
                    "00=host.example:1\n");
  expect_set_aside (f, "mesh", "[Interface wg0]\n");
  expect_set_aside (f, "mesh", "[Mesh wg0]\nzz=AAAA\n");
  expect_set_aside (f, "mesh",
                    "[Mesh wg0]\n0000000000000000000000000000000000000000000000000000000000000000"
                    "=AAAA\n");
}

/* A mesh member's certificate, signed by a CA from seed 100. */
static WgdCertificate *
member_certificate (guint8 seed)
{
  g_autoptr (WgdKeyPair) ca = test_key_pair (100);
  g_autoptr (WgdKeyPair) node = test_key_pair (seed);
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();

  memcpy (cert->signing_key, node->public_key, WGD_KEY_LEN);
  wgd_key_pair_wg_public (node, cert->wg_key);
  g_snprintf (cert->name, sizeof cert->name, "node%u", seed);
  cert->serial = seed;
  cert->not_after = G_MAXUINT32;
  g_assert_true (wgd_certificate_sign (cert, ca, NULL));
  return g_steal_pointer (&cert);
}

static void
test_mesh_members (Fixture *f, gconstpointer data)
{
  g_autoptr (GHashTable) members = wgd_state_mesh_members_new ();
  g_autoptr (GHashTable) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *warning = NULL;
  g_autofree gchar *path = state_path (f, "mesh");
  GPtrArray *wg0 = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_certificate_free);
  g_autoptr (WgdCertificate) forged = member_certificate (3);
  GPtrArray *certs;

  g_ptr_array_add (wg0, member_certificate (1));
  g_ptr_array_add (wg0, member_certificate (2));
  g_hash_table_insert (members, g_strdup ("wg0"), wg0);
  g_hash_table_insert (members, g_strdup ("wg1"), g_ptr_array_new ());
  g_assert_true (wgd_state_save_mesh_members (f->dir, members, &error));
  g_assert_no_error (error);
  back = wgd_state_load_mesh_members (f->dir, &warning);
  g_assert_null (warning);
  certs = g_hash_table_lookup (back, "wg0");
  g_assert_nonnull (certs);
  g_assert_cmpuint (certs->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      const WgdCertificate *a = g_ptr_array_index (wg0, i);
      gboolean found = FALSE;

      for (guint j = 0; j < certs->len; j++)
        {
          const WgdCertificate *b = g_ptr_array_index (certs, j);

          found = found || (a->raw_len == b->raw_len && memcmp (a->raw, b->raw, a->raw_len) == 0);
        }
      g_assert_true (found);
    }
  g_clear_pointer (&back, g_hash_table_unref);

  /* A certificate whose CA signature fails is not taken from the file. */
  forged->raw[forged->raw_len - 1] ^= 1;
  g_hash_table_remove_all (members);
  wg0 = g_ptr_array_new ();
  g_ptr_array_add (wg0, forged);
  g_hash_table_insert (members, g_strdup ("wg0"), wg0);
  g_assert_true (wgd_state_save_mesh_members (f->dir, members, &error));
  back = wgd_state_load_mesh_members (f->dir, &warning);
  g_assert_nonnull (warning);
  g_assert_cmpuint (g_hash_table_size (back), ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_endpoints (Fixture *f, gconstpointer data)
{
  g_autoptr (GHashTable) endpoints = wgd_state_endpoints_new ();
  g_autoptr (GHashTable) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *warning = NULL;
  const gchar *texts[] = { "192.0.2.1:51820", "[fe80::1%1]:7" };
  guint8 keys[2][WGD_KEY_LEN];

  for (guint i = 0; i < 2; i++)
    {
      WgdSockaddr sa;

      randombytes_buf (keys[i], WGD_KEY_LEN);
      g_assert_true (wgd_sockaddr_parse (texts[i], &sa));
      g_hash_table_insert (endpoints, g_bytes_new (keys[i], WGD_KEY_LEN),
                           g_memdup2 (&sa, sizeof sa));
    }
  g_assert_true (wgd_state_save_endpoints (f->dir, endpoints, &error));
  g_assert_no_error (error);
  back = wgd_state_load_endpoints (f->dir, &warning);
  g_assert_null (warning);
  g_assert_cmpuint (g_hash_table_size (back), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GBytes) key = g_bytes_new (keys[i], WGD_KEY_LEN);
      const WgdSockaddr *sa = g_hash_table_lookup (back, key);
      g_autofree gchar *s = NULL;

      g_assert_nonnull (sa);
      s = wgd_sockaddr_to_string (sa);
      g_assert_cmpstr (s, ==, texts[i]);
    }
}

/* The approvals: none without a file; saved 0600 with the new decision
 * and read back; a decision that cannot be saved is an IO error and
 * leaves pairing as it was; a corrupt file is an error naming it. */
static void
test_approvals (Fixture *f, gconstpointer data)
{
  g_autoptr (WgdPairing) pairing = wgd_pairing_new ();
  g_autoptr (WgdPairing) back = wgd_pairing_new ();
  g_autoptr (WgdKeyPair) signer = test_key_pair (3);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = state_path (f, "approvals");
  g_autofree gchar *blocked = NULL;
  guint8 wg[WGD_KEY_LEN];
  GStatBuf st;

  memset (wg, 0xa0, sizeof wg);
  g_assert_true (wgd_state_load_approvals (f->dir, pairing, &error));
  g_assert_no_error (error);
  g_assert_true (wgd_state_save_approvals (f->dir, pairing, wg, signer->public_key,
                                           WGD_DECISION_APPROVE, &error));
  g_assert_no_error (error);
  g_assert_null (wgd_pairing_lookup_approval (pairing, wg));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  g_assert_true (wgd_state_load_approvals (f->dir, back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (wgd_pairing_lookup_approval (back, wg), WGD_KEY_LEN, signer->public_key,
                   WGD_KEY_LEN);

  /* The file's place taken by a directory: nothing can be saved. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  g_assert_false (wgd_state_save_approvals (f->dir, pairing, wg, signer->public_key,
                                            WGD_DECISION_REJECT, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_IO);
  g_clear_error (&error);
  g_assert_false (wgd_pairing_is_rejected (pairing, wg, signer->public_key));
  g_assert_cmpint (g_rmdir (path), ==, 0);

  g_assert_true (g_file_set_contents (path, "# fine\nreject nothing\n", -1, NULL));
  g_assert_false (wgd_state_load_approvals (f->dir, back, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  blocked = g_strdup_printf ("%s:2: ", path);
  g_assert_true (g_str_has_prefix (error->message, blocked));
  g_clear_error (&error);
  /* Nothing was forgotten, and the file was left as it was. */
  g_assert_nonnull (wgd_pairing_lookup_approval (back, wg));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  g_assert_true (g_file_set_contents (path, "approve\0", 8, NULL));
  g_assert_false (wgd_state_load_approvals (f->dir, back, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
}

#define ADD(path, func) \
  g_test_add ("/state/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  ADD ("identity", test_identity);
  ADD ("identity-refusals", test_identity_refusals);
  ADD ("replay", test_replay);
  ADD ("endpoints", test_endpoints);
  ADD ("corrupt-set-aside", test_corrupt_set_aside);
  ADD ("mesh-members", test_mesh_members);
  ADD ("approvals", test_approvals);
  return g_test_run ();
}
