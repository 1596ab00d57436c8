/* daemon-ifconf.c — the core's view of the files of wg-quick,
 * systemd-networkd and NetworkManager (ifconf.h; docs/dynamic-dns.md):
 * read at start, on reload and when they change, each bad file logged
 * once; the peers they give a host name become configured endpoints, and
 * the interfaces they define that wgdiscoverd.conf does not name are
 * looked after for those alone. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "daemon-private.h"
#include "ifconf-export.h"
#include "ifconf-ini.h"
#include "ifconf.h"
#include "path-watch.h"

/* Editors and managers write a file in several steps (a temporary
 * file, a rename, a chmod): it is read once they are done. */
#define IFCONF_SETTLE_MS 1000

struct _DaemonIfconf {
  WgdDaemon *daemon;
  gchar *root;
  gchar *file;                  /* wgdiscover-ifconf.service's export; NULL: the files */
  WgdIfconf *conf;
  GPtrArray *managed;           /* WgdInterfaceConfig, sorted by name */
  GHashTable *logged;           /* the messages of the files that failed at the last read */
  WgdPathWatch *watch;
  guint settle_source;
};

static gboolean
settle_cb (gpointer user_data)
{
  DaemonIfconf *ifconf = user_data;

  ifconf->settle_source = 0;
  daemon_ifconf_changed (ifconf->daemon);
  return G_SOURCE_REMOVE;
}

static void
on_changed (gpointer user_data)
{
  DaemonIfconf *ifconf = user_data;

  g_clear_handle_id (&ifconf->settle_source, g_source_remove);
  ifconf->settle_source = g_timeout_add (IFCONF_SETTLE_MS, settle_cb, ifconf);
}

/* Watches what there is to read now: the export, or the directories
 * (a drop-in directory comes and goes). */
static void
ifconf_watch (DaemonIfconf *ifconf)
{
  if (ifconf->file != NULL)
    {
      const gchar *const files[] = { ifconf->file, NULL };

      wgd_path_watch_set (ifconf->watch, NULL, files);
    }
  else
    {
      g_auto (GStrv) dirs = wgd_ifconf_dup_watch_paths (ifconf->root);

      wgd_path_watch_set (ifconf->watch, (const gchar *const *) dirs, NULL);
    }
}

DaemonIfconf *
daemon_ifconf_new (WgdDaemon *d, const gchar *root, const gchar *file)
{
  DaemonIfconf *ifconf = g_new0 (DaemonIfconf, 1);

  ifconf->daemon = d;
  ifconf->root = g_strdup (root);
  ifconf->file = g_strdup (file);
  ifconf->managed = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_interface_config_free);
  ifconf->logged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ifconf->watch = wgd_path_watch_new (on_changed, ifconf);
  return ifconf;
}

void
daemon_ifconf_free (DaemonIfconf *ifconf)
{
  if (ifconf == NULL)
    return;
  g_clear_handle_id (&ifconf->settle_source, g_source_remove);
  wgd_path_watch_free (ifconf->watch);
  wgd_ifconf_free (ifconf->conf);
  g_ptr_array_unref (ifconf->managed);
  g_hash_table_unref (ifconf->logged);
  g_free (ifconf->root);
  g_free (ifconf->file);
  g_free (ifconf);
}

/* Each file that fails is said once, not at every read, and again if it
 * fails anew after a read that took it. What it gave stays
 * (wgd_ifconf_keep_failed): an edit half done takes no endpoint away. */
static void
ifconf_log_errors (DaemonIfconf *ifconf, const WgdIfconf *conf)
{
  g_autoptr (GHashTable) now = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < conf->errors->len; i++)
    {
      const GError *error = g_ptr_array_index (conf->errors, i);

      if (!g_hash_table_contains (ifconf->logged, error->message))
        g_warning (_("%s (what that file gave before is kept until it reads again)"),
                   error->message);
      g_hash_table_add (now, g_strdup (error->message));
    }
  g_hash_table_unref (ifconf->logged);
  ifconf->logged = g_steal_pointer (&now);
}

/* The interfaces with a peer given by name that config does not name,
 * sorted. */
static GStrv
ifconf_list_managed (const WgdIfconf *conf, const WgdConfig *config)
{
  g_auto (GStrv) all = wgd_ifconf_dup_interfaces (conf);
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();

  for (guint i = 0; all[i] != NULL; i++)
    {
      gboolean by_name = FALSE;

      if (wgd_config_find_interface (config, all[i]) != NULL)
        continue;
      for (guint j = 0; j < conf->peers->len && !by_name; j++)
        {
          const WgdIfconfPeer *peer = g_ptr_array_index (conf->peers, j);

          by_name = !peer->endpoint->literal && strcmp (peer->ifname, all[i]) == 0;
        }
      if (by_name)
        g_strv_builder_add (names, all[i]);
    }
  return g_strv_builder_end (names);
}

/* The export of wgdiscover-ifconf.service, read as strictly as the
 * files it comes from. */
static WgdIfconf *
ifconf_load_export (DaemonIfconf *ifconf)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = wgd_ifconf_read_file (ifconf->file, WGD_IFCONF_FILE_MAX, &error);
  WgdIfconf *conf = NULL;

  if (bytes != NULL)
    {
      gsize len;
      const gchar *data = g_bytes_get_data (bytes, &len);

      conf = wgd_ifconf_export_parse (ifconf->file, data != NULL ? data : "", len, &error);
      if (conf != NULL)
        return conf;
    }
  conf = wgd_ifconf_new ();
  /* Not written (yet): the managers give nothing. */
  if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_debug ("%s: not there: no peers from the managers' files", ifconf->file);
      return conf;
    }
  /* Unreadable or broken: as a broken file of theirs, it takes nothing
   * away. */
  for (guint i = 0; ifconf->conf != NULL && i < ifconf->conf->peers->len; i++)
    g_ptr_array_add (conf->failed,
                     g_strdup (((const WgdIfconfPeer *) g_ptr_array_index (ifconf->conf->peers,
                                                                           i))->path));
  g_ptr_array_add (conf->errors, g_steal_pointer (&error));
  return conf;
}

gboolean
daemon_ifconf_read (DaemonIfconf *ifconf, const WgdConfig *config)
{
  g_autoptr (WgdIfconf) conf = ifconf->file != NULL ? ifconf_load_export (ifconf)
                                                    : wgd_ifconf_read (ifconf->root);
  g_auto (GStrv) names = NULL;
  gboolean same;

  ifconf_log_errors (ifconf, conf);
  if (ifconf->conf != NULL)
    wgd_ifconf_keep_failed (conf, ifconf->conf);
  wgd_ifconf_free (ifconf->conf);
  ifconf->conf = g_steal_pointer (&conf);
  ifconf_watch (ifconf);
  names = ifconf_list_managed (ifconf->conf, config);
  same = g_strv_length (names) == ifconf->managed->len;
  for (guint i = 0; same && names[i] != NULL; i++)
    same = strcmp (names[i],
                   ((const WgdInterfaceConfig *) g_ptr_array_index (ifconf->managed, i))->name) == 0;
  if (same)
    return FALSE;
  /* The interfaces still point to the old ones: a new array, and the
   * caller builds them again before it lets go of its reference. */
  g_ptr_array_unref (ifconf->managed);
  ifconf->managed = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_interface_config_free);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_ptr_array_add (ifconf->managed, wgd_interface_config_new_managed (names[i]));
      g_message (_("%s: looked after for the endpoints the files of its manager give by name "
                   "(no [Interface %s] group)"), names[i], names[i]);
    }
  return TRUE;
}

GPtrArray *
daemon_ifconf_get_managed (DaemonIfconf *ifconf)
{
  return g_ptr_array_ref (ifconf->managed);
}

void
daemon_ifconf_add_peers (DaemonIfconf *ifconf, GPtrArray *peers)
{
  for (guint i = 0; ifconf->conf != NULL && i < ifconf->conf->peers->len; i++)
    {
      const WgdIfconfPeer *p = g_ptr_array_index (ifconf->conf->peers, i);
      const WgdDyndnsPeer *taken = NULL;
      g_autofree gchar *origin = NULL;

      /* An address the manager wrote itself: nothing to follow. */
      if (p->endpoint->literal)
        continue;
      for (guint j = 0; j < peers->len && taken == NULL; j++)
        if (memcmp (((const WgdDyndnsPeer *) g_ptr_array_index (peers, j))->wg_key,
                    p->public_key, WGD_KEY_LEN) == 0)
          taken = g_ptr_array_index (peers, j);
      if (taken != NULL)
        {
          g_autofree gchar *key = wgd_key_to_base64 (p->public_key);

          g_debug ("peer %s: %s:%u (%s) is not used: %s wins", key, p->path, p->line,
                   wgd_ifconf_manager_to_string (p->manager), taken->origin);
          continue;
        }
      origin = p->line > 0 ? g_strdup_printf ("%s %s:%u", wgd_ifconf_manager_to_string (p->manager),
                                              p->path, p->line)
                           : g_strdup_printf ("%s %s", wgd_ifconf_manager_to_string (p->manager),
                                              p->path);
      g_ptr_array_add (peers, wgd_dyndns_peer_new (p->public_key, NULL, p->endpoint, origin));
    }
}
