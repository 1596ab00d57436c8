/* netns.c — network namespaces for the tests. */
#include "config.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "netns.h"

struct _TestNetns {
  gchar *name;
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
test_netns_enter (const gchar *prefix)
{
  TestNetns *ns = g_new0 (TestNetns, 1);
  g_autofree gchar *path = NULL;
  int fd;

  ns->name = g_strdup_printf ("%s-%d", prefix, (int) getpid ());
  ns->home_fd = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (ns->home_fd, >=, 0);
  test_run ("ip netns del %s 2>/dev/null; ip netns add %s", ns->name, ns->name);
  path = g_strdup_printf ("/run/netns/%s", ns->name);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (setns (fd, CLONE_NEWNET), ==, 0);
  close (fd);
  return ns;
}

void
test_netns_leave (TestNetns *ns)
{
  /* Home first: `ip netns pids` would list this very process too. */
  g_assert_cmpint (setns (ns->home_fd, CLONE_NEWNET), ==, 0);
  close (ns->home_fd);
  test_run ("ip netns pids %s | xargs -r kill; true", ns->name);
  test_run ("ip netns del %s", ns->name);
  g_free (ns->name);
  g_free (ns);
}

const gchar *
test_netns_name (const TestNetns *ns)
{
  return ns->name;
}
