/* ifconf-export.c — the managers' peers as the file that crosses from
 * root's wgdiscover-ifconf.service to the unprivileged daemon, and back.
 * GKeyFile merges a group or key given twice and keeps no line numbers,
 * so a first pass over the lines notes where each group starts and
 * refuses what GKeyFile would merge; the reader trusts nothing the file
 * says. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "ifconf-export.h"
#include "ifconf-ini.h"
#include "wgd-error.h"

#define GROUP_PREFIX "Peer "

static const gchar *const peer_keys[] = { "Endpoint", "Manager", "File", "Line", NULL };

gchar *
wgd_ifconf_export_file_text (const gchar *path)
{
  GString *out = g_string_sized_new (strlen (path));
  const gchar *p = path;

  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2 || (c < 0x80 && g_ascii_iscntrl (c)))
        {
          g_string_append_printf (out, "\\x%02x", (guint) (guchar) *p);
          p++;
          continue;
        }
      g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

gchar *
wgd_ifconf_export_to_data (const WgdIfconf *conf, gsize *len)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();

  g_key_file_set_comment (kf, NULL, NULL,
                          " Written by wgdiscoverctl ifconf --export (wgdiscover-ifconf.service)\n"
                          " from the WireGuard peers' endpoints that wg-quick, systemd-networkd\n"
                          " and NetworkManager are configured with; the public part only.\n"
                          " wgdiscoverd --ifconf reads it. Changes are overwritten.", NULL);
  for (guint i = 0; i < conf->peers->len; i++)
    {
      const WgdIfconfPeer *peer = g_ptr_array_index (conf->peers, i);
      g_autofree gchar *key = wgd_key_to_base64 (peer->public_key);
      g_autofree gchar *group = g_strconcat (GROUP_PREFIX, peer->ifname, " ", key, NULL);
      g_autofree gchar *endpoint = wgd_host_endpoint_to_string (peer->endpoint);
      g_autofree gchar *file = wgd_ifconf_export_file_text (peer->path);

      g_key_file_set_string (kf, group, "Endpoint", endpoint);
      g_key_file_set_string (kf, group, "Manager", wgd_ifconf_manager_to_string (peer->manager));
      g_key_file_set_string (kf, group, "File", file);
      g_key_file_set_uint64 (kf, group, "Line", peer->line);
    }
  return g_key_file_to_data (kf, len, NULL);
}

/* Group name → line of its header, reading the lines as GKeyFile reads
 * them: leading whitespace dropped, '#' a comment, '[' up to the last
 * ']' a header, else KEY=VALUE with the key's trailing whitespace
 * dropped. Refuses what GKeyFile would let by silently: a group or a key
 * given twice (merged, the last winning), a key with a locale
 * (KEY[de]=, which g_key_file_get_keys leaves out); and keys other than
 * peer_keys, and carriage returns, which the writer never writes. */
static GHashTable *
scan_lines (const gchar *path, const gchar *text, GError **error)
{
  g_autoptr (GHashTable) lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) split = g_strsplit (text, "\n", -1);
  const gchar *group = NULL;

  for (guint i = 0; split[i] != NULL; i++)
    {
      const gchar *line = split[i];
      const gchar *close;
      const gchar *eq;
      g_autofree gchar *name = NULL;
      gpointer first;

      if (strchr (line, '\r') != NULL)
        return wgd_ifconf_error (error, path, i + 1, NULL, NULL,
                                 _("a carriage return; the file is not as "
                                   "'wgdiscoverctl ifconf --export' writes it"));
      while (g_ascii_isspace (*line))
        line++;
      if (line[0] == '\0' || line[0] == '#')
        continue;
      if (line[0] == '[' && (close = strrchr (line, ']')) != NULL)
        {
          name = g_strndup (line + 1, (gsize) (close - line - 1));
          if (g_hash_table_lookup_extended (lines, name, NULL, &first))
            return wgd_ifconf_error (error, path, i + 1, name, NULL,
                                     _("the group is given twice (first at line %u)"),
                                     GPOINTER_TO_UINT (first));
          group = name;
          g_hash_table_insert (lines, g_steal_pointer (&name), GUINT_TO_POINTER (i + 1));
          g_hash_table_remove_all (keys);
          continue;
        }
      /* The rest GKeyFile refuses by itself. */
      if (group == NULL || (eq = strchr (line, '=')) == NULL)
        continue;
      name = g_strndup (line, (gsize) (eq - line));
      g_strchomp (name);
      if (!g_strv_contains (peer_keys, name))
        return wgd_ifconf_error (error, path, i + 1, group, name,
                                 _("unknown key; a peer has Endpoint=, Manager=, File= and "
                                   "Line="));
      if (g_hash_table_lookup_extended (keys, name, NULL, &first))
        return wgd_ifconf_error (error, path, i + 1, group, name,
                                 _("given twice (first at line %u)"), GPOINTER_TO_UINT (first));
      g_hash_table_insert (keys, g_steal_pointer (&name), GUINT_TO_POINTER (i + 1));
    }
  return g_steal_pointer (&lines);
}

/* "Peer IFNAME KEY": the interface and the key, both checked. */
static gboolean
parse_group_name (const gchar *path, guint line, const gchar *group, gchar **ifname,
                  guint8 key[WGD_KEY_LEN], GError **error)
{
  g_auto (GStrv) fields = NULL;

  if (!g_str_has_prefix (group, GROUP_PREFIX))
    return wgd_ifconf_error (error, path, line, group, NULL,
                             _("unknown group; only [Peer IFNAME KEY] groups are allowed"))
           != NULL;
  fields = g_strsplit (group + strlen (GROUP_PREFIX), " ", -1);
  if (g_strv_length (fields) != 2)
    return wgd_ifconf_error (error, path, line, group, NULL,
                             _("not [Peer IFNAME KEY]: an interface name and a public key "
                               "separated by one space")) != NULL;
  if (!wgd_ifconf_is_interface_name (fields[0]))
    return wgd_ifconf_error (error, path, line, group, NULL,
                             _("'%s' is not an interface name"), fields[0]) != NULL;
  /* wgd_key_from_base64 refuses a second spelling of a key (other
   * padding bits), so that two groups cannot name one peer. */
  if (strlen (fields[1]) != WGD_KEY_BASE64_LEN || !wgd_key_from_base64 (fields[1], key, NULL))
    return wgd_ifconf_error (error, path, line, group, NULL,
                             _("'%s' is not a public key (44 characters of base64)"),
                             fields[1]) != NULL;
  *ifname = g_strdup (fields[0]);
  return TRUE;
}

/* A key's value, unescaped; GKeyFile may return the text and an error
 * about its escapes. */
static gchar *
get_value (GKeyFile *kf, const gchar *path, guint line, const gchar *group, const gchar *key,
           GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree gchar *value = NULL;

  if (!g_key_file_has_key (kf, group, key, NULL))
    return wgd_ifconf_error (error, path, line, group, key, _("missing"));
  value = g_key_file_get_string (kf, group, key, &local);
  if (local != NULL)
    return wgd_ifconf_error (error, path, line, group, key, "%s", local->message);
  return g_steal_pointer (&value);
}

static WgdIfconfPeer *
parse_peer (GKeyFile *kf, const gchar *path, guint line, const gchar *group, GError **error)
{
  g_autoptr (WgdHostEndpoint) endpoint = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree gchar *ifname = NULL;
  g_autofree gchar *endpoint_text = NULL;
  g_autofree gchar *manager_text = NULL;
  g_autofree gchar *file = NULL;
  g_autofree gchar *line_text = NULL;
  guint8 key[WGD_KEY_LEN];
  WgdIfconfManager manager;
  WgdIfconfPeer *peer;
  guint64 file_line;

  if (!parse_group_name (path, line, group, &ifname, key, error)
      || (endpoint_text = get_value (kf, path, line, group, "Endpoint", error)) == NULL
      || (manager_text = get_value (kf, path, line, group, "Manager", error)) == NULL
      || (file = get_value (kf, path, line, group, "File", error)) == NULL
      || (line_text = get_value (kf, path, line, group, "Line", error)) == NULL)
    return NULL;
  endpoint = wgd_host_endpoint_parse (endpoint_text, &local);
  if (endpoint == NULL)
    return wgd_ifconf_error (error, path, line, group, "Endpoint", "%s", local->message);
  if (!wgd_ifconf_manager_from_string (manager_text, &manager))
    return wgd_ifconf_error (error, path, line, group, "Manager",
                             _("'%s' is not wg-quick, networkd or NetworkManager"),
                             manager_text);
  if (!g_path_is_absolute (file))
    return wgd_ifconf_error (error, path, line, group, "File", _("'%s' is not an absolute path"),
                             file);
  for (const gchar *p = file; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      return wgd_ifconf_error (error, path, line, group, "File",
                               _("a control character (the writer writes them as \\xNN)"));
  if (!g_ascii_string_to_unsigned (line_text, 10, 0, G_MAXUINT, &file_line, &local))
    return wgd_ifconf_error (error, path, line, group, "Line", "%s", local->message);
  peer = wgd_ifconf_peer_new (manager, file, (guint) file_line, key,
                              g_steal_pointer (&endpoint));
  peer->ifname = g_steal_pointer (&ifname);
  return peer;
}

WgdIfconf *
wgd_ifconf_export_parse (const gchar *path, const gchar *data, gsize len, GError **error)
{
  g_autoptr (WgdIfconf) conf = NULL;
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GHashTable) lines = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree gchar *text = NULL;
  g_auto (GStrv) groups = NULL;

  if (!wgd_ifconf_check_text (path, data, len, error))
    return NULL;
  text = g_strndup (data, len);
  lines = scan_lines (path, text, error);
  if (lines == NULL)
    return NULL;
  if (!g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE, &local))
    return wgd_ifconf_error (error, path, 0, NULL, NULL, "%s", local->message);
  conf = wgd_ifconf_new ();
  groups = g_key_file_get_groups (kf, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      guint line = GPOINTER_TO_UINT (g_hash_table_lookup (lines, groups[g]));
      WgdIfconfPeer *peer = parse_peer (kf, path, line, groups[g], error);

      if (peer == NULL)
        return NULL;
      g_ptr_array_add (conf->peers, peer);
    }
  return g_steal_pointer (&conf);
}
