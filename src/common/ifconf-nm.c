/* ifconf-nm.c — the peers' endpoints in a NetworkManager keyfile
 * (nm-settings-keyfile(5)), which really is GKeyFile. GKeyFile keeps no
 * line numbers and merges a group given twice, so a first pass over the
 * lines notes where each group starts and refuses a repeated peer. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "ifconf.h"
#include "ifconf-ini.h"
#include "wgd-error.h"

#define PEER_PREFIX "wireguard-peer."

void
wgd_ifconf_nm_connection_free (WgdIfconfNmConnection *connection)
{
  if (connection == NULL)
    return;
  g_free (connection->type);
  g_free (connection->interface_name);
  g_free (connection->uuid);
  g_ptr_array_unref (connection->peers);
  g_free (connection);
}

/* Group name → line of its header, as GKeyFile reads headers: after
 * leading whitespace, '[' up to the last ']'. */
static GHashTable *
note_group_lines (const gchar *path, const gchar *text, GError **error)
{
  g_autoptr (GHashTable) lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) split = g_strsplit (text, "\n", -1);

  for (guint i = 0; split[i] != NULL; i++)
    {
      const gchar *line = split[i];
      const gchar *close;
      g_autofree gchar *name = NULL;
      gpointer first;

      while (g_ascii_isspace (*line))
        line++;
      if (line[0] != '[' || (close = strrchr (line, ']')) == NULL)
        continue;
      name = g_strndup (line + 1, (gsize) (close - line - 1));
      if (g_hash_table_lookup_extended (lines, name, NULL, &first))
        {
          if (g_str_has_prefix (name, PEER_PREFIX))
            return wgd_ifconf_error (error, path, i + 1, name, NULL,
                                     _("the peer's group is given twice (first at line %u)"),
                                     GPOINTER_TO_UINT (first));
          continue;
        }
      g_hash_table_insert (lines, g_steal_pointer (&name), GUINT_TO_POINTER (i + 1));
    }
  return g_steal_pointer (&lines);
}

WgdIfconfNmConnection *
wgd_ifconf_nm_parse (const gchar *path, const gchar *data, gsize len, GError **error)
{
  g_autoptr (WgdIfconfNmConnection) connection = NULL;
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GHashTable) lines = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree gchar *text = NULL;
  g_auto (GStrv) groups = NULL;

  if (!wgd_ifconf_check_text (path, data, len, error))
    return NULL;
  text = g_strndup (data, len);
  lines = note_group_lines (path, text, error);
  if (lines == NULL)
    return NULL;
  if (!g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE, &local))
    return wgd_ifconf_error (error, path, 0, NULL, NULL, "%s", local->message);
  if (!g_key_file_has_group (kf, "connection"))
    return wgd_ifconf_error (error, path, 0, NULL, NULL, _("no [connection] group"));
  connection = g_new0 (WgdIfconfNmConnection, 1);
  connection->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_ifconf_peer_free);
  connection->type = g_key_file_get_string (kf, "connection", "type", NULL);
  connection->interface_name = g_key_file_get_string (kf, "connection", "interface-name", NULL);
  connection->uuid = g_key_file_get_string (kf, "connection", "uuid", NULL);
  if (g_strcmp0 (connection->type, "wireguard") != 0)
    return g_steal_pointer (&connection);

  groups = g_key_file_get_groups (kf, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      const gchar *group = groups[g];
      const gchar *key_text = group + strlen (PEER_PREFIX);
      guint line = GPOINTER_TO_UINT (g_hash_table_lookup (lines, group));
      g_autoptr (WgdHostEndpoint) endpoint = NULL;
      g_autoptr (GError) value_error = NULL;
      g_autofree gchar *value = NULL;
      guint8 key[WGD_KEY_LEN];

      if (!g_str_has_prefix (group, PEER_PREFIX))
        continue;
      /* wgd_key_from_base64 forgives whitespace around the key; a group
       * name has none. */
      if (strlen (key_text) != WGD_KEY_BASE64_LEN || !wgd_key_from_base64 (key_text, key, NULL))
        return wgd_ifconf_error (error, path, line, group, NULL,
                                 _("'%s' after '%s' is not a public key (44 characters of "
                                   "base64)"), key_text, PEER_PREFIX);
      if (!g_key_file_has_key (kf, group, "endpoint", NULL))
        continue;
      value = g_key_file_get_string (kf, group, "endpoint", &value_error);
      /* GKeyFile may return the text and an error about its escapes. */
      if (value_error != NULL)
        return wgd_ifconf_error (error, path, line, group, "endpoint", "%s",
                                 value_error->message);
      if (value[0] == '\0')
        continue;
      endpoint = wgd_host_endpoint_parse (value, &value_error);
      if (endpoint == NULL)
        return wgd_ifconf_error (error, path, line, group, "endpoint", "%s",
                                 value_error->message);
      g_ptr_array_add (connection->peers, wgd_ifconf_peer_new (WGD_IFCONF_NM, path, line, key,
                                                               g_steal_pointer (&endpoint)));
    }
  return g_steal_pointer (&connection);
}
