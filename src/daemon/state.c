/* state.c — the state directory's files, read defensively and written
 * atomically. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "base64.h"
#include "state.h"
#include "wgd-error.h"

static gboolean
state_write (const gchar *dir, const gchar *name, const gchar *data, gsize len, int mode,
             GError **error)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int e = errno;

      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, _("cannot create state directory %s: %s"), dir,
                   g_strerror (e));
      return FALSE;
    }
  /* CONSISTENT|DURABLE: a temporary file, fsync, rename over. */
  return g_file_set_contents_full (path, data, (gssize) len,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   mode, error);
}

/* Our files are key files, all of them secret enough for 0600. */
static gboolean
state_write_key_file (const gchar *dir, const gchar *name, GKeyFile *kf, GError **error)
{
  gsize len;
  g_autofree gchar *data = g_key_file_to_data (kf, &len, NULL);

  return state_write (dir, name, data, len, 0600, error);
}

WgdKeyPair *
wgd_state_load_identity (const gchar *dir, gboolean *created, GError **error)
{
  g_autofree gchar *path = g_build_filename (dir, "identity", NULL);
  g_autoptr (WgdKeyPair) pair = NULL;
  gchar *text;
  gboolean ok;

  *created = FALSE;
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return wgd_key_pair_load (path, error);
  pair = wgd_key_pair_generate ();
  text = wgd_key_pair_to_text (pair);
  ok = state_write (dir, "identity", text, strlen (text), 0600, error);
  wgd_secret_free (text);
  if (!ok)
    return NULL;
  *created = TRUE;
  return g_steal_pointer (&pair);
}

/* Renames a file that cannot be read aside, so it is neither lost nor
 * read again, and says so. */
static void
state_set_aside (const gchar *dir, const gchar *name, const gchar *why, gchar **warning)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autofree gchar *aside = g_strconcat (path, ".corrupt", NULL);

  if (g_rename (path, aside) == 0)
    *warning = g_strdup_printf (_("state file %s is unreadable (%s); moved it to %s and "
                                  "started without it"), path, why, aside);
  else
    *warning = g_strdup_printf (_("state file %s is unreadable (%s) and could not be moved "
                                  "aside: %s"), path, why, g_strerror (errno));
}

/* The file as a GKeyFile, or NULL: absent (no warning) or set aside. */
static GKeyFile *
state_read (const gchar *dir, const gchar *name, gchar **warning)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;

  *warning = NULL;
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        state_set_aside (dir, name, error->message, warning);
      return NULL;
    }
  return g_steal_pointer (&kf);
}

static gchar *
hex (const guint8 *data, gsize len)
{
  gchar *out = g_malloc (len * 2 + 1);

  sodium_bin2hex (out, len * 2 + 1, data, len);
  return out;
}

static gboolean
unhex (const gchar *text, guint8 *out, gsize len)
{
  size_t got = 0;

  return strlen (text) == len * 2
         && sodium_hex2bin (out, len, text, len * 2, NULL, &got, NULL) == 0 && got == len;
}

static void
replay_entry_write (const guint8 signing_key[WGD_KEY_LEN], guint64 timestamp,
                    const guint8 digest[WGD_KEY_LEN], gpointer user_data)
{
  GKeyFile *kf = user_data;
  g_autofree gchar *key = hex (signing_key, WGD_KEY_LEN);
  g_autofree gchar *d = hex (digest, WGD_KEY_LEN);
  g_autofree gchar *value = g_strdup_printf ("%" G_GUINT64_FORMAT " %s", timestamp, d);

  g_key_file_set_string (kf, "Replay", key, value);
}

gboolean
wgd_state_save_replay (const gchar *dir, const WgdReplayState *replay, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();

  wgd_replay_state_foreach (replay, replay_entry_write, kf);
  return state_write_key_file (dir, "replay", kf, error);
}

WgdReplayState *
wgd_state_load_replay (const gchar *dir, gchar **warning)
{
  g_autoptr (WgdReplayState) replay = wgd_replay_state_new ();
  g_autoptr (GKeyFile) kf = state_read (dir, "replay", warning);
  g_auto (GStrv) keys = NULL;

  if (kf == NULL)
    return g_steal_pointer (&replay);
  keys = g_key_file_get_keys (kf, "Replay", NULL, NULL);
  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree gchar *value = g_key_file_get_string (kf, "Replay", keys[i], NULL);
      g_auto (GStrv) parts = value ? g_strsplit (value, " ", 3) : NULL;
      guint8 signing_key[WGD_KEY_LEN], digest[WGD_KEY_LEN];
      guint64 timestamp;

      if (parts == NULL || g_strv_length (parts) != 2 || !unhex (keys[i], signing_key, WGD_KEY_LEN)
          || !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT64, &timestamp, NULL)
          || !unhex (parts[1], digest, WGD_KEY_LEN))
        {
          g_autofree gchar *why = g_strdup_printf (_("bad entry '%s'"), keys[i]);

          state_set_aside (dir, "replay", why, warning);
          return wgd_replay_state_new ();
        }
      wgd_replay_state_update (replay, signing_key, timestamp, digest);
    }
  return g_steal_pointer (&replay);
}

GHashTable *
wgd_state_endpoints_new (void)
{
  return g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref,
                                g_free);
}

gboolean
wgd_state_save_endpoints (const gchar *dir, GHashTable *endpoints, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, endpoints);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree gchar *k = hex (g_bytes_get_data (key, NULL), WGD_KEY_LEN);
      g_autofree gchar *ep = wgd_sockaddr_to_string (value);

      g_key_file_set_string (kf, "Endpoints", k, ep);
    }
  return state_write_key_file (dir, "endpoints", kf, error);
}

GHashTable *
wgd_state_load_endpoints (const gchar *dir, gchar **warning)
{
  g_autoptr (GHashTable) endpoints = wgd_state_endpoints_new ();
  g_autoptr (GKeyFile) kf = state_read (dir, "endpoints", warning);
  g_auto (GStrv) keys = NULL;

  if (kf == NULL)
    return g_steal_pointer (&endpoints);
  keys = g_key_file_get_keys (kf, "Endpoints", NULL, NULL);
  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree gchar *value = g_key_file_get_string (kf, "Endpoints", keys[i], NULL);
      guint8 wg_key[WGD_KEY_LEN];
      WgdSockaddr sa;

      if (value == NULL || !unhex (keys[i], wg_key, WGD_KEY_LEN) || !wgd_sockaddr_parse (value, &sa))
        {
          g_autofree gchar *why = g_strdup_printf (_("bad entry '%s'"), keys[i]);

          state_set_aside (dir, "endpoints", why, warning);
          return wgd_state_endpoints_new ();
        }
      g_hash_table_insert (endpoints, g_bytes_new (wg_key, WGD_KEY_LEN),
                           g_memdup2 (&sa, sizeof sa));
    }
  return g_steal_pointer (&endpoints);
}

GHashTable *
wgd_state_mesh_members_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) g_ptr_array_unref);
}

gboolean
wgd_state_save_mesh_members (const gchar *dir, GHashTable *members, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  GHashTableIter iter;
  gpointer ifname, certs;

  g_hash_table_iter_init (&iter, members);
  while (g_hash_table_iter_next (&iter, &ifname, &certs))
    {
      g_autofree gchar *group = g_strdup_printf ("Mesh %s", (const gchar *) ifname);

      for (guint i = 0; i < ((GPtrArray *) certs)->len; i++)
        {
          const WgdCertificate *cert = g_ptr_array_index ((GPtrArray *) certs, i);
          g_autofree gchar *k = hex (cert->wg_key, WGD_KEY_LEN);
          g_autofree gchar *c = wgd_base64url_encode (cert->raw, cert->raw_len);

          g_key_file_set_string (kf, group, k, c);
        }
    }
  return state_write_key_file (dir, "mesh", kf, error);
}

/* A member's certificate as saved: decoded, for that key, and signed by
 * the CA it names (whether that CA is still trusted is the mesh's call). */
static WgdCertificate *
mesh_member_parse (const gchar *key, const gchar *text)
{
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();
  guint8 raw[WGD_CERTIFICATE_MAX];
  guint8 wg_key[WGD_KEY_LEN];
  gsize len = 0;

  if (!unhex (key, wg_key, WGD_KEY_LEN)
      || !wgd_base64url_decode (text, strlen (text), raw, sizeof raw, &len, NULL)
      || !wgd_certificate_decode (cert, raw, len, NULL)
      || memcmp (cert->wg_key, wg_key, WGD_KEY_LEN) != 0
      || !wgd_certificate_verify_signature (cert))
    return NULL;
  return g_steal_pointer (&cert);
}

GHashTable *
wgd_state_load_mesh_members (const gchar *dir, gchar **warning)
{
  g_autoptr (GHashTable) members = wgd_state_mesh_members_new ();
  g_autoptr (GKeyFile) kf = state_read (dir, "mesh", warning);
  g_auto (GStrv) groups = NULL;

  if (kf == NULL)
    return g_steal_pointer (&members);
  groups = g_key_file_get_groups (kf, NULL);
  for (gsize g = 0; groups[g] != NULL; g++)
    {
      g_auto (GStrv) keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);
      GPtrArray *certs;

      if (!g_str_has_prefix (groups[g], "Mesh ") || !wgd_ifname_is_valid (groups[g] + 5))
        {
          g_autofree gchar *why = g_strdup_printf (_("bad group '%s'"), groups[g]);

          state_set_aside (dir, "mesh", why, warning);
          return wgd_state_mesh_members_new ();
        }
      certs = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_certificate_free);
      g_hash_table_replace (members, g_strdup (groups[g] + 5), certs);
      for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
        {
          g_autofree gchar *value = g_key_file_get_string (kf, groups[g], keys[i], NULL);
          WgdCertificate *cert = value ? mesh_member_parse (keys[i], value) : NULL;

          if (cert == NULL)
            {
              g_autofree gchar *why = g_strdup_printf (_("bad entry '%s'"), keys[i]);

              state_set_aside (dir, "mesh", why, warning);
              return wgd_state_mesh_members_new ();
            }
          g_ptr_array_add (certs, cert);
        }
    }
  return g_steal_pointer (&members);
}

gboolean
wgd_state_save_approvals (const gchar *dir, WgdPairing *pairing,
                          const guint8 wg_key[WGD_KEY_LEN], const guint8 signing_key[WGD_KEY_LEN],
                          WgdDecision decision, GError **error)
{
  g_autofree gchar *text = wgd_pairing_format (pairing, wg_key, signing_key, decision);
  g_autoptr (GError) local = NULL;

  if (state_write (dir, "approvals", text, strlen (text), 0600, &local))
    return TRUE;
  if (g_error_matches (local, WGD_ERROR, WGD_ERROR_IO))
    g_propagate_error (error, g_steal_pointer (&local));
  else
    g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "%s", local->message);
  return FALSE;
}

gboolean
wgd_state_load_approvals (const gchar *dir, WgdPairing *pairing, GError **error)
{
  g_autofree gchar *path = g_build_filename (dir, "approvals", NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;
  GStatBuf st;

  if (g_stat (path, &st) < 0)
    {
      int e = errno;

      if (e == ENOENT)
        return TRUE;
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "%s: %s", path, g_strerror (e));
      return FALSE;
    }
  /* Twice what WGD_PAIRING_DECISIONS_MAX lines take. */
  if (st.st_size > 256 * 1024)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE, _("%s: larger than 256 KiB"), path);
      return FALSE;
    }
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "%s", local->message);
      return FALSE;
    }
  if (strlen (text) != len)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED, _("%s: contains a NUL byte"), path);
      return FALSE;
    }
  return wgd_pairing_load (pairing, text, path, error);
}
