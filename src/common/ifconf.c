/* ifconf.c — finding the files of wg-quick, systemd-networkd and
 * NetworkManager for one interface, where each manager looks for them,
 * and merging their peers' endpoints (docs/dynamic-dns.md). */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ifconf.h"
#include "ifconf-ini.h"
#include "base64.h"
#include "wgd-error.h"

/* wg-quick(8)'s CONFIG_SEARCH_PATHS, first found wins. */
static const gchar *const wg_quick_dirs[] = { "/etc/wireguard", "/usr/local/etc/wireguard" };
/* Where networkd reads .netdev files; a file name in an earlier one masks
 * the same name in later ones. */
static const gchar *const networkd_dirs[] = {
  "/etc/systemd/network", "/run/systemd/network",
  "/usr/local/lib/systemd/network", "/usr/lib/systemd/network",
};
/* NetworkManager's keyfile directories; a profile in /run (in memory)
 * shadows one with the same UUID in /etc, which shadows /usr/lib. */
static const gchar *const nm_dirs[] = {
  "/run/NetworkManager/system-connections", "/etc/NetworkManager/system-connections",
  "/usr/lib/NetworkManager/system-connections",
};

/* The managers' names, indexed by WgdIfconfManager: in logs and in the
 * export file (ifconf-export.c), so they do not change. */
static const gchar *const manager_names[] = {
  [WGD_IFCONF_WG_QUICK] = "wg-quick",
  [WGD_IFCONF_NETWORKD] = "networkd",
  [WGD_IFCONF_NM] = "NetworkManager",
};

const gchar *
wgd_ifconf_manager_to_string (WgdIfconfManager manager)
{
  g_return_val_if_fail ((gsize) manager < G_N_ELEMENTS (manager_names), NULL);
  return manager_names[manager];
}

gboolean
wgd_ifconf_manager_from_string (const gchar *name, WgdIfconfManager *out)
{
  for (gsize i = 0; i < G_N_ELEMENTS (manager_names); i++)
    if (strcmp (name, manager_names[i]) == 0)
      {
        *out = (WgdIfconfManager) i;
        return TRUE;
      }
  return FALSE;
}

WgdIfconfPeer *
wgd_ifconf_peer_new (WgdIfconfManager manager, const gchar *path, guint line,
                     const guint8 public_key[WGD_KEY_LEN], WgdHostEndpoint *endpoint)
{
  WgdIfconfPeer *peer = g_new0 (WgdIfconfPeer, 1);

  memcpy (peer->public_key, public_key, WGD_KEY_LEN);
  peer->endpoint = endpoint;
  peer->manager = manager;
  peer->path = g_strdup (path);
  peer->line = line;
  return peer;
}

void
wgd_ifconf_peer_free (WgdIfconfPeer *peer)
{
  if (peer == NULL)
    return;
  wgd_host_endpoint_free (peer->endpoint);
  g_free (peer->ifname);
  g_free (peer->path);
  g_free (peer);
}

WgdIfconf *
wgd_ifconf_new (void)
{
  WgdIfconf *conf = g_new0 (WgdIfconf, 1);

  conf->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_ifconf_peer_free);
  conf->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  conf->failed = g_ptr_array_new_with_free_func (g_free);
  return conf;
}

void
wgd_ifconf_free (WgdIfconf *conf)
{
  if (conf == NULL)
    return;
  g_ptr_array_unref (conf->peers);
  g_ptr_array_unref (conf->errors);
  g_ptr_array_unref (conf->failed);
  g_free (conf);
}

const WgdIfconfPeer *
wgd_ifconf_find_peer (const WgdIfconf *conf, const gchar *ifname,
                      const guint8 public_key[WGD_KEY_LEN])
{
  for (guint i = 0; i < conf->peers->len; i++)
    {
      const WgdIfconfPeer *peer = g_ptr_array_index (conf->peers, i);

      if (strcmp (peer->ifname, ifname) == 0
          && memcmp (peer->public_key, public_key, WGD_KEY_LEN) == 0)
        return peer;
    }
  return NULL;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  /* g_ptr_array_sort passes pointers to the elements. */
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

void
wgd_ifconf_keep_failed (WgdIfconf *conf, WgdIfconf *old)
{
  for (guint i = 0; i < old->peers->len; i++)
    {
      WgdIfconfPeer *peer = g_ptr_array_index (old->peers, i);
      gboolean failed = FALSE;

      const WgdIfconfPeer *now;

      for (guint j = 0; j < conf->failed->len && !failed; j++)
        {
          const gchar *path = g_ptr_array_index (conf->failed, j);
          gsize len = strlen (path);

          /* The file, or a directory that could not be listed. */
          failed = strncmp (path, peer->path, len) == 0
                   && (peer->path[len] == '\0' || peer->path[len] == '/');
        }
      if (!failed)
        continue;
      /* A manager that comes first had its say in a file that still
       * reads; one that comes later only won because this file failed. */
      now = wgd_ifconf_find_peer (conf, peer->ifname, peer->public_key);
      if (now != NULL && now->manager < peer->manager)
        continue;
      if (now != NULL)
        g_ptr_array_remove (conf->peers, (gpointer) now);
      g_ptr_array_add (conf->peers, g_steal_pointer (&old->peers->pdata[i]));
    }
  g_ptr_array_remove_range (old->peers, 0, old->peers->len);
}

GStrv
wgd_ifconf_dup_interfaces (const WgdIfconf *conf)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; i < conf->peers->len; i++)
    {
      const WgdIfconfPeer *peer = g_ptr_array_index (conf->peers, i);

      if (g_hash_table_add (seen, peer->ifname))
        g_ptr_array_add (names, g_strdup (peer->ifname));
    }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

GStrv
wgd_ifconf_dup_watch_paths (const gchar *root)
{
  const gchar *const *lists[] = { wg_quick_dirs, networkd_dirs, nm_dirs };
  const gsize lens[] = { G_N_ELEMENTS (wg_quick_dirs), G_N_ELEMENTS (networkd_dirs),
                         G_N_ELEMENTS (nm_dirs) };
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();

  for (gsize l = 0; l < G_N_ELEMENTS (lists); l++)
    for (gsize d = 0; d < lens[l]; d++)
      g_ptr_array_add (paths, g_build_filename (root, lists[l][d], NULL));
  for (gsize d = 0; d < G_N_ELEMENTS (networkd_dirs); d++)
    {
      g_autofree gchar *dir_path = g_build_filename (root, networkd_dirs[d], NULL);
      g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
      const gchar *entry;

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (entry, ".netdev.d") && entry[0] != '.')
          g_ptr_array_add (paths, g_build_filename (dir_path, entry, NULL));
    }
  g_ptr_array_add (paths, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&paths), FALSE);
}

/* wg-quick's regular expression, which also keeps the name from leaving
 * the directories it is joined to. */
gboolean
wgd_ifconf_is_interface_name (const gchar *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 15 || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return FALSE;
  for (const gchar *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_=+.-", *p) == NULL)
      return FALSE;
  return TRUE;
}

typedef struct {
  const gchar *root;
  WgdIfconf *conf;
  GHashTable *winners;  /* "IFNAME KEY" of the peers in conf->peers */
  GHashTable *netdevs;  /* interface name → the .netdev that defines it */
} Reader;

/* The file at path failed: error is noted, and the path, so that what
 * it gave before can be kept (wgd_ifconf_keep_failed). */
static void
reader_fail (Reader *r, const gchar *path, GError *error)
{
  wgd_ifconf_error_clean (error);
  g_ptr_array_add (r->conf->errors, error);
  g_ptr_array_add (r->conf->failed, g_strdup (path));
}

/* Keeps ifname's peers no earlier file named; steals them from peers. */
static void
reader_add_peers (Reader *r, const gchar *ifname, GPtrArray *peers)
{
  for (guint i = 0; i < peers->len; i++)
    {
      WgdIfconfPeer *peer = g_ptr_array_index (peers, i);
      g_autofree gchar *key = wgd_key_to_base64 (peer->public_key);

      if (!g_hash_table_add (r->winners, g_strconcat (ifname, " ", key, NULL)))
        continue;
      peer->ifname = g_strdup (ifname);
      g_ptr_array_add (r->conf->peers, g_steal_pointer (&peers->pdata[i]));
    }
}

/* A .netdev and its drop-ins are one: what any of them gave is kept
 * when one fails. */
static void
reader_note_failed (Reader *r, GPtrArray *paths)
{
  for (guint i = 0; i < paths->len; i++)
    g_ptr_array_add (r->conf->failed, g_strdup (g_ptr_array_index (paths, i)));
}

/* An interface name from a file's content, for the file at path. */
static gboolean
reader_check_name (Reader *r, const gchar *path, const gchar *what, const gchar *name)
{
  g_autofree gchar *echo = NULL;

  if (wgd_ifconf_is_interface_name (name))
    return TRUE;
  echo = g_strescape (name, NULL);
  reader_fail (r, path, g_error_new (WGD_ERROR, WGD_ERROR_INVALID,
                                     _("%s: %s '%s' is not an interface name"), path, what,
                                     echo));
  return FALSE;
}

/* FALSE for a file that could not be read (the error noted); *out NULL
 * for one that does not exist. */
static gboolean
reader_read (Reader *r, const gchar *path, GBytes **out)
{
  GError *error = NULL;

  *out = wgd_ifconf_read_file (path, WGD_IFCONF_FILE_MAX, &error);
  if (*out != NULL || g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_clear_error (&error);
      return TRUE;
    }
  reader_fail (r, path, error);
  return FALSE;
}

/* A unit file masked: a symbolic link to /dev/null (or an empty file,
 * which reads as nothing anyway). */
static gboolean
is_masked (const gchar *path)
{
  g_autofree gchar *target = g_file_read_link (path, NULL);

  return target != NULL && strcmp (target, "/dev/null") == 0;
}

/* Base name → full path of the first directory holding it, over the
 * directories dirs (under root, each joined with sub), for names ending
 * in suffix. A directory that is missing is empty; one that cannot be
 * listed (a user other than root, for whom /etc/wireguard is closed) is
 * noted, so that files are never left out without a word. */
static GHashTable *
list_masking (Reader *r, const gchar *const *dirs, gsize n_dirs, const gchar *sub,
              const gchar *suffix)
{
  GHashTable *found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (gsize d = 0; d < n_dirs; d++)
    {
      g_autofree gchar *dir_path = g_build_filename (r->root, dirs[d], sub, NULL);
      GError *error = NULL;
      g_autoptr (GDir) dir = g_dir_open (dir_path, 0, &error);
      const gchar *entry;

      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
          || g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
        g_clear_error (&error);
      else if (error != NULL)
        reader_fail (r, dir_path, error);

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (entry, suffix) && entry[0] != '.'
            && !g_hash_table_contains (found, entry))
          g_hash_table_insert (found, g_strdup (entry), g_build_filename (dir_path, entry, NULL));
    }
  return found;
}

/* The keys of found, sorted; the strings stay found's. */
static GPtrArray *
sorted_names (GHashTable *found)
{
  GPtrArray *names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer name;

  g_hash_table_iter_init (&iter, found);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    g_ptr_array_add (names, name);
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* Every NAME.conf of wg-quick's directories, NAME an interface name;
 * the first directory holding a name wins, as wg-quick searches them. */
static void
read_wg_quick (Reader *r)
{
  g_autoptr (GHashTable) found = list_masking (r, wg_quick_dirs,
                                               G_N_ELEMENTS (wg_quick_dirs), "", ".conf");
  g_autoptr (GPtrArray) names = sorted_names (found);

  for (guint i = 0; i < names->len; i++)
    {
      const gchar *name = g_ptr_array_index (names, i);
      const gchar *path = g_hash_table_lookup (found, name);
      g_autofree gchar *ifname = g_strndup (name, strlen (name) - strlen (".conf"));
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (GPtrArray) peers = NULL;
      GError *error = NULL;
      gsize len;
      const gchar *data;

      /* wg-quick would not take it up: not its file. */
      if (!wgd_ifconf_is_interface_name (ifname))
        continue;
      if (!reader_read (r, path, &bytes) || bytes == NULL)
        continue;
      data = g_bytes_get_data (bytes, &len);
      peers = wgd_ifconf_wg_quick_parse (path, data != NULL ? data : "", len, &error);
      if (peers == NULL)
        reader_fail (r, path, error);
      else
        reader_add_peers (r, ifname, peers);
    }
}

/* One .netdev and its drop-ins (NAME.d/\*.conf in every directory,
 * masking by name like the .netdev files, applied in name order). */
static void
read_netdev (Reader *r, const gchar *name, const gchar *path)
{
  g_autofree gchar *dropin_sub = g_strconcat (name, ".d", NULL);
  g_autoptr (GHashTable) dropins = list_masking (r, networkd_dirs,
                                                 G_N_ELEMENTS (networkd_dirs), dropin_sub,
                                                 ".conf");
  g_autoptr (GPtrArray) dropin_names = sorted_names (dropins);
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  g_autoptr (GPtrArray) contents = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (WgdIfconfNetdev) netdev = NULL;
  const gchar *defined_by;
  GError *error = NULL;

  if (is_masked (path))
    return;
  g_ptr_array_add (paths, (gpointer) path);
  for (guint i = 0; i < dropin_names->len; i++)
    {
      const gchar *dropin = g_hash_table_lookup (dropins, g_ptr_array_index (dropin_names, i));

      if (!is_masked (dropin))
        g_ptr_array_add (paths, (gpointer) dropin);
    }
  for (guint i = 0; i < paths->len; i++)
    {
      GBytes *bytes = NULL;

      if (!reader_read (r, g_ptr_array_index (paths, i), &bytes))
        {
          reader_note_failed (r, paths);
          return;
        }
      /* A file gone since the listing reads as empty. */
      g_ptr_array_add (contents, bytes != NULL ? bytes : g_bytes_new_static ("", 0));
    }
  netdev = wgd_ifconf_networkd_parse (r->root, NULL, paths->len,
                                      (const gchar *const *) paths->pdata,
                                      (GBytes *const *) contents->pdata, &error);
  if (netdev == NULL)
    {
      reader_fail (r, path, error);
      reader_note_failed (r, paths);
      return;
    }
  if (g_strcmp0 (netdev->kind, "wireguard") != 0 || netdev->name == NULL
      || !reader_check_name (r, path, "Name=", netdev->name))
    return;
  /* networkd keeps the first .netdev for a name and refuses the others. */
  defined_by = g_hash_table_lookup (r->netdevs, netdev->name);
  if (defined_by != NULL)
    {
      reader_fail (r, path, g_error_new (WGD_ERROR, WGD_ERROR_INVALID,
                                         _("%s: interface %s is already defined by %s; "
                                           "networkd ignores this file"), path, netdev->name,
                                         defined_by));
      return;
    }
  g_hash_table_insert (r->netdevs, g_strdup (netdev->name), g_strdup (path));
  reader_add_peers (r, netdev->name, netdev->peers);
}

static void
read_networkd (Reader *r)
{
  g_autoptr (GHashTable) found = list_masking (r, networkd_dirs,
                                               G_N_ELEMENTS (networkd_dirs), "", ".netdev");
  g_autoptr (GPtrArray) names = sorted_names (found);

  for (guint i = 0; i < names->len; i++)
    {
      const gchar *name = g_ptr_array_index (names, i);

      read_netdev (r, name, g_hash_table_lookup (found, name));
    }
}

/* NetworkManager skips a keyfile that root does not own or that others
 * may read or write; so does this, saying so for the interface's own. */
static gboolean
nm_check_owner (Reader *r, const gchar *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return TRUE;
  if (st.st_uid != 0 || (st.st_mode & 077) != 0)
    {
      reader_fail (r, path, g_error_new (WGD_ERROR, WGD_ERROR_INSECURE,
                                         _("%s: NetworkManager ignores a keyfile that root does "
                                           "not own or that others may access (owner %u, mode "
                                           "%03o)"), path, (guint) st.st_uid,
                                         (guint) (st.st_mode & 07777)));
      return FALSE;
    }
  return TRUE;
}

static void
read_nm (Reader *r)
{
  g_autoptr (GHashTable) uuids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (gsize d = 0; d < G_N_ELEMENTS (nm_dirs); d++)
    {
      g_autoptr (GHashTable) found = list_masking (r, &nm_dirs[d], 1, "", ".nmconnection");
      g_autoptr (GPtrArray) names = sorted_names (found);

      for (guint i = 0; i < names->len; i++)
        {
          const gchar *path = g_hash_table_lookup (found, g_ptr_array_index (names, i));
          g_autoptr (WgdIfconfNmConnection) connection = NULL;
          g_autoptr (GBytes) bytes = NULL;
          GError *error = NULL;
          const gchar *data;
          gsize len;

          if (!reader_read (r, path, &bytes) || bytes == NULL)
            continue;
          data = g_bytes_get_data (bytes, &len);
          connection = wgd_ifconf_nm_parse (path, data != NULL ? data : "", len, &error);
          if (connection == NULL)
            {
              reader_fail (r, path, error);
              continue;
            }
          if (connection->uuid != NULL)
            {
              if (g_hash_table_contains (uuids, connection->uuid))
                continue;
              g_hash_table_add (uuids, g_strdup (connection->uuid));
            }
          if (g_strcmp0 (connection->type, "wireguard") == 0
              && connection->interface_name != NULL
              && reader_check_name (r, path, "interface-name=", connection->interface_name)
              && nm_check_owner (r, path))
            reader_add_peers (r, connection->interface_name, connection->peers);
        }
    }
}

WgdIfconf *
wgd_ifconf_read (const gchar *root)
{
  g_autoptr (GHashTable) winners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) netdevs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                          g_free);
  Reader r = { root, NULL, winners, netdevs };

  r.conf = wgd_ifconf_new ();
  read_wg_quick (&r);
  read_networkd (&r);
  read_nm (&r);
  return r.conf;
}
