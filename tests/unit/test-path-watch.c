/* test-path-watch.c — directories and a file that do not exist yet,
 * watched through their deepest existing ancestor (never a missing
 * path, which GLib would poll), told of as they appear level by level,
 * and then of what changes in them; what is not theirs is not told. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "path-watch.h"
#include "test-util.h"

typedef struct {
  gchar *root;
  WgdPathWatch *watch;
  guint told;
  gchar *dirs[3];
  gchar *files[2];
} Fixture;

static void
on_told (gpointer user_data)
{
  Fixture *f = user_data;

  f->told++;
}

/* Runs the main loop until the watch told of a change (TRUE) or for
 * wait_ms (FALSE); then sets the paths again, as the daemon does. */
static gboolean
told_within (Fixture *f, guint wait_ms)
{
  gint64 end = g_get_monotonic_time () + wait_ms * G_TIME_SPAN_MILLISECOND;
  guint before = f->told;

  while (f->told == before && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10 * 1000);
  /* The rest of a burst (a created directory is also changed). */
  for (gint i = 0; i < 20; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5 * 1000);
    }
  wgd_path_watch_set (f->watch, (const gchar *const *) f->dirs, (const gchar *const *) f->files);
  return f->told != before;
}

static void
assert_plan (Fixture *f, const gchar *const *expected)
{
  g_auto (GStrv) plan = wgd_path_watch_dup_plan (f->watch);
  g_autofree gchar *shown = g_strjoinv ("\n", plan);
  GString *want = g_string_new (NULL);
  g_autofree gchar *wanted = NULL;

  for (gsize i = 0; expected[i] != NULL; i++)
    {
      g_autofree gchar *line = NULL;
      const gchar *tab = strchr (expected[i], '\t');

      /* "REL" or "REL\tREL", relative to the root. */
      if (tab == NULL)
        line = g_canonicalize_filename (expected[i], f->root);
      else
        {
          g_autofree gchar *dir = g_strndup (expected[i], (gsize) (tab - expected[i]));
          g_autofree gchar *d = g_canonicalize_filename (dir, f->root);
          g_autofree gchar *e = g_canonicalize_filename (tab + 1, f->root);

          line = g_strdup_printf ("%s\t%s", d, e);
        }
      g_string_append_printf (want, "%s%s", i > 0 ? "\n" : "", line);
    }
  wanted = g_string_free (want, FALSE);
  g_assert_cmpstr (shown, ==, wanted);
}

static void
put (Fixture *f, const gchar *rel)
{
  test_put (f->root, rel, "x\n", 0644);
}

static void
make_dir (Fixture *f, const gchar *rel)
{
  g_autofree gchar *path = g_build_filename (f->root, rel, NULL);

  g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
}

static void
test_appear (void)
{
  Fixture f = { 0 };
  g_autofree gchar *tmp = NULL, *peers = NULL;

  f.root = g_dir_make_tmp ("wgd-path-watch-XXXXXX", NULL);
  f.dirs[0] = g_build_filename (f.root, "a", "b", "c", NULL);
  f.dirs[1] = g_build_filename (f.root, "x", NULL);
  f.files[0] = g_build_filename (f.root, "run", "f", "peers", NULL);
  make_dir (&f, "x");
  f.watch = wgd_path_watch_new (on_told, &f);
  wgd_path_watch_set (f.watch, (const gchar *const *) f.dirs, (const gchar *const *) f.files);
  /* The root for the two missing ones, x itself. */
  assert_plan (&f, (const gchar *const[]) { ".\ta", ".\trun", "x", NULL });

  /* Not theirs: nothing. */
  put (&f, "unrelated");
  g_assert_false (told_within (&f, 300));

  /* Down, level by level, as the directories appear. */
  make_dir (&f, "a");
  g_assert_true (told_within (&f, 5000));
  assert_plan (&f, (const gchar *const[]) { ".\trun", "a\ta/b", "x", NULL });
  make_dir (&f, "a/b");
  g_assert_true (told_within (&f, 5000));
  put (&f, "a/other");
  g_assert_false (told_within (&f, 300));
  make_dir (&f, "a/b/c");
  g_assert_true (told_within (&f, 5000));
  assert_plan (&f, (const gchar *const[]) { ".\trun", "a/b/c", "x", NULL });
  put (&f, "a/b/c/wg0.conf");
  g_assert_true (told_within (&f, 5000));
  put (&f, "x/50-wg0.netdev");
  g_assert_true (told_within (&f, 5000));

  /* The file: its directory appears, then only the file counts, also
   * when it is replaced by a rename. */
  make_dir (&f, "run");
  g_assert_true (told_within (&f, 5000));
  make_dir (&f, "run/f");
  g_assert_true (told_within (&f, 5000));
  assert_plan (&f, (const gchar *const[]) { "a/b/c", "run/f\trun/f/peers", "x", NULL });
  put (&f, "run/f/peers.new");
  g_assert_false (told_within (&f, 300));
  tmp = g_build_filename (f.root, "run", "f", "peers.new", NULL);
  peers = g_build_filename (f.root, "run", "f", "peers", NULL);
  g_assert_cmpint (g_rename (tmp, peers), ==, 0);
  g_assert_true (told_within (&f, 5000));

  /* Gone again: back up to the ancestor. */
  test_remove_tree (f.dirs[0]);
  g_assert_true (told_within (&f, 5000));
  assert_plan (&f, (const gchar *const[]) { "a/b\ta/b/c", "run/f\trun/f/peers", "x", NULL });

  wgd_path_watch_free (f.watch);
  test_remove_tree (f.root);
  g_free (f.root);
  g_free (f.dirs[0]);
  g_free (f.dirs[1]);
  g_free (f.files[0]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/path-watch/appear", test_appear);
  return g_test_run ();
}
