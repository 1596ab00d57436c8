/* ifconf-wg-quick.c — the peers' endpoints in a wg-quick(8) file, read
 * as wg(8) reads its CONFIGURATION FILE FORMAT (wg-quick hands the same
 * file, less its own keys, to `wg setconf`). */
#include "config.h"

#include <glib/gi18n.h>

#include "base64.h"
#include "ifconf.h"
#include "ifconf-ini.h"
#include "wgd-error.h"

GPtrArray *
wgd_ifconf_wg_quick_parse (const gchar *path, const gchar *data, gsize len, GError **error)
{
  g_autoptr (WgdIni) ini = wgd_ini_parse (path, data, len, WGD_INI_WG, error);
  g_autoptr (GPtrArray) peers = NULL;
  g_autoptr (WgdIfconfSeen) seen = NULL;

  if (ini == NULL)
    return NULL;
  peers = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_ifconf_peer_free);
  seen = wgd_ifconf_seen_new ();
  for (guint s = 0; s < ini->sections->len; s++)
    {
      const WgdIniSection *section = g_ptr_array_index (ini->sections, s);
      g_autoptr (WgdHostEndpoint) endpoint = NULL;
      guint8 key[WGD_KEY_LEN];
      gboolean has_key = FALSE;
      guint endpoint_line = 0;

      if (g_ascii_strcasecmp (section->name, "Interface") == 0)
        continue;
      if (g_ascii_strcasecmp (section->name, "Peer") != 0)
        return wgd_ifconf_error (error, path, section->line, section->name, NULL,
                                 _("unknown section (expected [Interface] or [Peer])"));
      /* As in wg(8), a key given twice in one [Peer] counts the last
       * time, and each value must be valid. */
      for (guint i = 0; i < section->assignments->len; i++)
        {
          const WgdIniAssignment *a = g_ptr_array_index (section->assignments, i);
          g_autoptr (GError) local = NULL;

          if (g_ascii_strcasecmp (a->key, "PublicKey") == 0)
            {
              if (!wgd_key_from_base64 (a->value, key, &local))
                return wgd_ifconf_error (error, path, a->line, section->name, a->key, "%s",
                                         local->message);
              has_key = TRUE;
            }
          else if (g_ascii_strcasecmp (a->key, "Endpoint") == 0)
            {
              g_clear_pointer (&endpoint, wgd_host_endpoint_free);
              endpoint = wgd_host_endpoint_parse (a->value, &local);
              if (endpoint == NULL)
                return wgd_ifconf_error (error, path, a->line, section->name, a->key, "%s",
                                         local->message);
              endpoint_line = a->line;
            }
        }
      if (!has_key)
        return wgd_ifconf_error (error, path, section->line, section->name, NULL,
                                 _("no PublicKey="));
      if (!wgd_ifconf_seen_add (seen, key, path, section->line, section->name, error))
        return NULL;
      if (endpoint != NULL)
        g_ptr_array_add (peers, wgd_ifconf_peer_new (WGD_IFCONF_WG_QUICK, path, endpoint_line,
                                                     key, g_steal_pointer (&endpoint)));
    }
  return g_steal_pointer (&peers);
}
