/* test-util.c — fixtures shared by the unit tests. */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "test-util.h"

#include "base64.h"

GBytes *
test_hex_decode (const gchar *hex)
{
  gsize len = strlen (hex);
  guint8 *out;

  g_assert_cmpuint (len % 2, ==, 0);
  out = g_malloc (len / 2 + 1);
  for (gsize i = 0; i < len / 2; i++)
    {
      gint hi = g_ascii_xdigit_value (hex[2 * i]);
      gint lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      g_assert_cmpint (hi, >=, 0);
      g_assert_cmpint (lo, >=, 0);
      out[i] = (guint8) (hi << 4 | lo);
    }
  return g_bytes_new_take (out, len / 2);
}

gchar *
test_hex_encode (const guint8 *data, gsize len)
{
  GString *s = g_string_sized_new (len * 2);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

GKeyFile *
test_vectors_load (void)
{
  const gchar *dir = g_getenv ("WGD_TEST_DATA");
  g_autofree gchar *path = NULL;
  g_autoptr (GError) error = NULL;
  GKeyFile *vectors = g_key_file_new ();

  path = dir ? g_build_filename (dir, "vectors.ini", NULL)
             : g_test_build_filename (G_TEST_DIST, "..", "data", "vectors.ini", NULL);
  g_key_file_load_from_file (vectors, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  return vectors;
}

GBytes *
test_vectors_get_bytes (GKeyFile *vectors, const gchar *group, const gchar *key)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *hex = g_key_file_get_string (vectors, group, key, &error);

  g_assert_no_error (error);
  return test_hex_decode (hex);
}

guint64
test_vectors_get_u64 (GKeyFile *vectors, const gchar *group, const gchar *key)
{
  g_autoptr (GError) error = NULL;
  guint64 v = g_key_file_get_uint64 (vectors, group, key, &error);

  g_assert_no_error (error);
  return v;
}

WgdKeyPair *
test_key_pair (guint8 n)
{
  guint8 seed[WGD_KEY_LEN];

  memset (seed, n, sizeof seed);
  return wgd_key_pair_new_from_seed (seed);
}

void
test_field_append (GByteArray *body, guint8 type, const void *value, gsize len)
{
  guint8 header[3] = { type, (guint8) (len >> 8), (guint8) len };

  g_byte_array_append (body, header, sizeof header);
  if (len > 0)
    g_byte_array_append (body, value, (guint) len);
}

void
test_field_append_u64 (GByteArray *body, guint8 type, guint64 value)
{
  guint64 be = GUINT64_TO_BE (value);

  test_field_append (body, type, &be, sizeof be);
}

void
test_field_append_u32 (GByteArray *body, guint8 type, guint32 value)
{
  guint32 be = GUINT32_TO_BE (value);

  test_field_append (body, type, &be, sizeof be);
}

void
test_fields_required (GByteArray *body, const WgdKeyPair *id, guint64 timestamp,
                      guint32 lifetime)
{
  guint8 wg[WGD_KEY_LEN];

  wgd_key_pair_wg_public (id, wg);
  test_field_append (body, WGD_FIELD_SIGNING_KEY, id->public_key, WGD_KEY_LEN);
  test_field_append (body, WGD_FIELD_WG_KEY, wg, WGD_KEY_LEN);
  test_field_append_u64 (body, WGD_FIELD_TIMESTAMP, timestamp);
  test_field_append_u32 (body, WGD_FIELD_LIFETIME, lifetime);
}

GBytes *
test_record_sign (const WgdKeyPair *id, GByteArray *body)
{
  g_autoptr (GByteArray) record = g_byte_array_new ();
  guint8 version = WGD_RECORD_VERSION;
  guint8 signature[WGD_SIGNATURE_LEN];

  g_byte_array_append (record, &version, 1);
  g_byte_array_append (record, body->data, body->len);
  wgd_wire_sign (WGD_RECORD_CONTEXT, record->data, record->len, id->secret_key, signature);
  g_byte_array_append (record, signature, sizeof signature);
  return g_byte_array_free_to_bytes (g_steal_pointer (&record));
}

WgdAnnouncement *
test_announcement_new (const WgdKeyPair *id, guint64 timestamp, guint32 lifetime)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (GError) error = NULL;

  wgd_key_pair_wg_public (id, ann->wg_key);
  ann->timestamp = timestamp;
  ann->lifetime = lifetime;
  ann->n_endpoints = 1;
  g_assert_true (wgd_endpoint_parse ("192.0.2.7:51820", &ann->endpoints[0], &error));
  g_assert_no_error (error);
  g_assert_true (wgd_announcement_sign (ann, id, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&ann);
}

guint32
test_random_max (guint32 upper, gpointer user_data)
{
  (void) user_data;
  return upper - 1;
}

guint32
test_random_zero (guint32 upper, gpointer user_data)
{
  (void) upper;
  (void) user_data;
  return 0;
}

gchar *
test_key_text (guint8 n)
{
  guint8 key[WGD_KEY_LEN];

  memset (key, n, sizeof key);
  return wgd_key_to_base64 (key);
}

gchar *
test_with_keys (const gchar *text)
{
  GString *out = g_string_new (NULL);

  for (const gchar *p = text; *p != '\0'; p++)
    {
      if (p[0] == '@' && p[1] >= '1' && p[1] <= '9')
        {
          g_autofree gchar *key = test_key_text ((guint8) ((p[1] - '0') * 0x11));

          g_string_append (out, key);
          p++;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

void
test_put (const gchar *root, const gchar *rel, const gchar *text, int mode)
{
  g_autofree gchar *path = g_build_filename (root, rel, NULL);
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *keyed = test_with_keys (text);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, keyed, -1, NULL));
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

void
test_put_link (const gchar *root, const gchar *rel, const gchar *target)
{
  g_autofree gchar *path = g_build_filename (root, rel, NULL);
  g_autofree gchar *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);
}

void
test_remove_tree (const gchar *path)
{
  g_autoptr (GDir) dir = NULL;
  const gchar *entry;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_assert_cmpint (g_unlink (path), ==, 0);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, entry, NULL);

      test_remove_tree (child);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}
