/* ifconf-networkd.c — the peers' endpoints in a systemd-networkd .netdev
 * and its drop-ins, read with systemd's syntax (systemd.syntax(7)) and
 * networkd's meaning of [NetDev] and [WireGuardPeer] (systemd.netdev(5)),
 * but refusing what networkd would only warn about and skip. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "ifconf.h"
#include "ifconf-ini.h"
#include "wgd-error.h"

/* A key file holds 44 characters and a newline; anything much longer is
 * not one. */
#define KEY_FILE_MAX 4096

void
wgd_ifconf_netdev_free (WgdIfconfNetdev *netdev)
{
  if (netdev == NULL)
    return;
  g_free (netdev->name);
  g_free (netdev->kind);
  g_ptr_array_unref (netdev->peers);
  g_free (netdev);
}

/* Later assignments win and an empty one resets, as networkd has it. */
static void
assign (gchar **slot, const gchar *value)
{
  g_free (*slot);
  *slot = value[0] != '\0' ? g_strdup (value) : NULL;
}

static gboolean
read_key_file (const gchar *root, const WgdIni *ini, const WgdIniAssignment *a,
               guint8 key[WGD_KEY_LEN], GError **error)
{
  g_autofree gchar *echo = g_strescape (a->value, NULL);
  g_autofree gchar *full = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree gchar *text = NULL;
  const gchar *data;
  gsize len;

  /* networkd refuses paths that are not normalized as well. */
  if (!g_path_is_absolute (a->value) || strstr (a->value, "/../") != NULL
      || g_str_has_suffix (a->value, "/.."))
    return wgd_ifconf_error (error, ini->path, a->line, "WireGuardPeer", a->key,
                             _("'%s' is not an absolute path without '..'"), echo) != NULL;
  full = g_build_filename (root, a->value, NULL);
  bytes = wgd_ifconf_read_file (full, KEY_FILE_MAX, &local);
  if (bytes == NULL)
    return wgd_ifconf_error (error, ini->path, a->line, "WireGuardPeer", a->key, "%s",
                             local->message) != NULL;
  data = g_bytes_get_data (bytes, &len);
  text = g_strndup (data, len);
  if (strlen (text) != len || !wgd_key_from_base64 (text, key, &local))
    return wgd_ifconf_error (error, ini->path, a->line, "WireGuardPeer", a->key,
                             _("%s does not hold one base64 key"), full) != NULL;
  return TRUE;
}

static gboolean
parse_peer (const gchar *root, const WgdIni *ini, const WgdIniSection *section,
            WgdIfconfSeen *seen, GPtrArray *peers, GError **error)
{
  g_autoptr (WgdHostEndpoint) endpoint = NULL;
  const WgdIniAssignment *key_file = NULL;
  guint8 key[WGD_KEY_LEN];
  gboolean has_key = FALSE;
  guint endpoint_line = 0;

  for (guint i = 0; i < section->assignments->len; i++)
    {
      const WgdIniAssignment *a = g_ptr_array_index (section->assignments, i);
      g_autoptr (GError) local = NULL;

      if (strcmp (a->key, "PublicKey") == 0)
        {
          has_key = a->value[0] != '\0';
          if (has_key && !wgd_key_from_base64 (a->value, key, &local))
            return wgd_ifconf_error (error, ini->path, a->line, section->name, a->key, "%s",
                                     local->message) != NULL;
        }
      else if (strcmp (a->key, "PublicKeyFile") == 0)
        key_file = a->value[0] != '\0' ? a : NULL;
      else if (strcmp (a->key, "Endpoint") == 0)
        {
          g_clear_pointer (&endpoint, wgd_host_endpoint_free);
          if (a->value[0] == '\0')
            continue;
          endpoint = wgd_host_endpoint_parse (a->value, &local);
          if (endpoint == NULL)
            return wgd_ifconf_error (error, ini->path, a->line, section->name, a->key, "%s",
                                     local->message) != NULL;
          endpoint_line = a->line;
        }
    }
  /* networkd reads PublicKeyFile= after the section, over PublicKey=. */
  if (key_file != NULL)
    {
      if (!read_key_file (root, ini, key_file, key, error))
        return FALSE;
      has_key = TRUE;
    }
  if (!has_key)
    return wgd_ifconf_error (error, ini->path, section->line, section->name, NULL,
                             _("no PublicKey= or PublicKeyFile=")) != NULL;
  if (!wgd_ifconf_seen_add (seen, key, ini->path, section->line, section->name, error))
    return FALSE;
  if (endpoint != NULL)
    g_ptr_array_add (peers, wgd_ifconf_peer_new (WGD_IFCONF_NETWORKD, ini->path, endpoint_line,
                                                 key, g_steal_pointer (&endpoint)));
  return TRUE;
}

WgdIfconfNetdev *
wgd_ifconf_networkd_parse (const gchar *root, const gchar *ifname, guint n_files,
                           const gchar *const *paths, GBytes *const *contents, GError **error)
{
  g_autoptr (GPtrArray) inis = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_ini_free);
  g_autoptr (WgdIfconfNetdev) netdev = g_new0 (WgdIfconfNetdev, 1);
  g_autoptr (WgdIfconfSeen) seen = wgd_ifconf_seen_new ();

  netdev->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_ifconf_peer_free);
  for (guint f = 0; f < n_files; f++)
    {
      gsize len;
      const gchar *data = g_bytes_get_data (contents[f], &len);
      WgdIni *ini = wgd_ini_parse (paths[f], data != NULL ? data : "", len,
                                   WGD_INI_SYSTEMD, error);

      if (ini == NULL)
        return NULL;
      g_ptr_array_add (inis, ini);
    }
  for (guint f = 0; f < inis->len; f++)
    {
      const WgdIni *ini = g_ptr_array_index (inis, f);

      for (guint s = 0; s < ini->sections->len; s++)
        {
          const WgdIniSection *section = g_ptr_array_index (ini->sections, s);

          if (strcmp (section->name, "NetDev") != 0)
            continue;
          for (guint i = 0; i < section->assignments->len; i++)
            {
              const WgdIniAssignment *a = g_ptr_array_index (section->assignments, i);

              if (strcmp (a->key, "Name") == 0)
                assign (&netdev->name, a->value);
              else if (strcmp (a->key, "Kind") == 0)
                assign (&netdev->kind, a->value);
            }
        }
    }
  if (g_strcmp0 (netdev->kind, "wireguard") != 0
      || (ifname != NULL && g_strcmp0 (netdev->name, ifname) != 0))
    return g_steal_pointer (&netdev);
  for (guint f = 0; f < inis->len; f++)
    {
      const WgdIni *ini = g_ptr_array_index (inis, f);

      for (guint s = 0; s < ini->sections->len; s++)
        {
          const WgdIniSection *section = g_ptr_array_index (ini->sections, s);

          if (strcmp (section->name, "WireGuardPeer") == 0
              && !parse_peer (root, ini, section, seen, netdev->peers, error))
            return NULL;
        }
    }
  return g_steal_pointer (&netdev);
}
