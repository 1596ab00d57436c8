/* path-watch.c — see the header: one directory monitor per directory
 * watched, each with the entries it is for (none: all of them). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n.h>

#include "path-watch.h"

typedef struct {
  WgdPathWatch *owner;
  gchar *dir;
  GHashTable *entries;          /* full paths of the entries that count; NULL: all */
  GFileMonitor *monitor;
} Watched;

struct _WgdPathWatch {
  WgdPathWatchFunc func;
  gpointer user_data;
  GHashTable *watched;          /* directory → Watched */
};

static void
watched_free (Watched *w)
{
  if (w->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (w->monitor, w);
      g_file_monitor_cancel (w->monitor);
      g_object_unref (w->monitor);
    }
  if (w->entries != NULL)
    g_hash_table_unref (w->entries);
  g_free (w->dir);
  g_free (w);
}

static gboolean
watched_counts (const Watched *w, GFile *file)
{
  g_autofree gchar *path = NULL;

  if (w->entries == NULL)
    return TRUE;
  path = file != NULL ? g_file_get_path (file) : NULL;
  return path != NULL && g_hash_table_contains (w->entries, path);
}

static void
on_changed (GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
            gpointer user_data)
{
  Watched *w = user_data;

  if (watched_counts (w, file) || watched_counts (w, other))
    w->owner->func (w->owner->user_data);
}

WgdPathWatch *
wgd_path_watch_new (WgdPathWatchFunc func, gpointer user_data)
{
  WgdPathWatch *watch = g_new0 (WgdPathWatch, 1);

  watch->func = func;
  watch->user_data = user_data;
  watch->watched = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) watched_free);
  return watch;
}

void
wgd_path_watch_free (WgdPathWatch *watch)
{
  if (watch == NULL)
    return;
  g_hash_table_unref (watch->watched);
  g_free (watch);
}

/* plan: directory → set of entries, or NULL for all. entry is what
 * counts in dir; NULL for all of dir. A directory missing is planned
 * as its entry in the deepest ancestor there is. */
static void
plan_add (GHashTable *plan, const gchar *dir, const gchar *entry)
{
  g_autofree gchar *at = g_strdup (dir);
  g_autofree gchar *wanted = g_strdup (entry);
  GHashTable *entries;

  while (!g_file_test (at, G_FILE_TEST_IS_DIR) && strcmp (at, "/") != 0)
    {
      g_free (wanted);
      wanted = g_steal_pointer (&at);
      at = g_path_get_dirname (wanted);
    }
  if (g_hash_table_lookup_extended (plan, at, NULL, (gpointer *) &entries))
    {
      if (entries != NULL && wanted != NULL)
        g_hash_table_add (entries, g_steal_pointer (&wanted));
      else if (entries != NULL)
        g_hash_table_insert (plan, g_strdup (at), NULL);
      return;
    }
  entries = NULL;
  if (wanted != NULL)
    {
      entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_add (entries, g_steal_pointer (&wanted));
    }
  g_hash_table_insert (plan, g_steal_pointer (&at), entries);
}

static void
entries_unref (gpointer entries)
{
  if (entries != NULL)
    g_hash_table_unref (entries);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

static gboolean
same_entries (GHashTable *a, GHashTable *b)
{
  GHashTableIter iter;
  gpointer key;

  if (a == NULL || b == NULL)
    return a == b;
  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (b, key))
      return FALSE;
  return TRUE;
}

void
wgd_path_watch_set (WgdPathWatch *watch, const gchar *const *dirs, const gchar *const *files)
{
  g_autoptr (GHashTable) plan = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       entries_unref);
  g_autoptr (GHashTable) old = g_steal_pointer (&watch->watched);
  GHashTableIter iter;
  gpointer key, value;

  for (gsize i = 0; dirs != NULL && dirs[i] != NULL; i++)
    plan_add (plan, dirs[i], NULL);
  for (gsize i = 0; files != NULL && files[i] != NULL; i++)
    {
      g_autofree gchar *dir = g_path_get_dirname (files[i]);

      plan_add (plan, dir, files[i]);
    }
  watch->watched = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) watched_free);
  g_hash_table_iter_init (&iter, plan);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Watched *w = g_hash_table_lookup (old, key);
      g_autoptr (GFile) dir = NULL;
      g_autoptr (GError) error = NULL;

      if (w != NULL && same_entries (w->entries, value))
        {
          g_hash_table_steal (old, key);
          g_hash_table_insert (watch->watched, w->dir, w);
          continue;
        }
      w = g_new0 (Watched, 1);
      w->owner = watch;
      w->dir = g_strdup (key);
      w->entries = value != NULL ? g_hash_table_ref (value) : NULL;
      g_hash_table_insert (watch->watched, w->dir, w);
      dir = g_file_new_for_path (w->dir);
      w->monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
      if (w->monitor == NULL)
        {
          g_warning (_("%s: changes are not seen until a reload: %s"), w->dir, error->message);
          continue;
        }
      g_signal_connect (w->monitor, "changed", G_CALLBACK (on_changed), w);
    }
}

GStrv
wgd_path_watch_dup_plan (WgdPathWatch *watch)
{
  g_autoptr (GStrvBuilder) plan = g_strv_builder_new ();
  g_auto (GStrv) out = NULL;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, watch->watched);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const Watched *w = value;
      GHashTableIter entries;
      gpointer entry;

      if (w->entries == NULL)
        {
          g_strv_builder_add (plan, w->dir);
          continue;
        }
      g_hash_table_iter_init (&entries, w->entries);
      while (g_hash_table_iter_next (&entries, &entry, NULL))
        {
          g_autofree gchar *line = g_strdup_printf ("%s\t%s", w->dir, (const gchar *) entry);

          g_strv_builder_add (plan, line);
        }
    }
  out = g_strv_builder_end (plan);
  qsort (out, g_strv_length (out), sizeof *out, compare_strings);
  return g_steal_pointer (&out);
}
