/* netns.c — network namespaces for the tests. */
#include "config.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "netns.h"

struct _TestNetns {
  int home_fd;
};

static gchar *
run_shell (const gchar *cmd, gboolean capture)
{
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *argv[] = { "/bin/sh", "-c", cmd, NULL };
  gint status = 0;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     capture ? &out : NULL, &err, &status, &error))
    g_error ("cannot run '%s': %s", cmd, error->message);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("'%s' failed: %s", cmd, err ? err : "");
  return g_steal_pointer (&out);
}

void
test_run (const gchar *format, ...)
{
  g_autofree gchar *cmd = NULL;
  va_list ap;

  va_start (ap, format);
  cmd = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_free (run_shell (cmd, FALSE));
}

gchar *
test_run_output (const gchar *format, ...)
{
  g_autofree gchar *cmd = NULL;
  va_list ap;

  va_start (ap, format);
  cmd = g_strdup_vprintf (format, ap);
  va_end (ap);
  return run_shell (cmd, TRUE);
}

TestNetns *
test_netns_enter (void)
{
  TestNetns *ns = g_new0 (TestNetns, 1);

  ns->home_fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (ns->home_fd, >=, 0);
  g_assert_cmpint (unshare (CLONE_NEWNET), ==, 0);
  return ns;
}

void
test_netns_leave (TestNetns *ns)
{
  g_assert_cmpint (setns (ns->home_fd, CLONE_NEWNET), ==, 0);
  close (ns->home_fd);
  g_free (ns);
}
