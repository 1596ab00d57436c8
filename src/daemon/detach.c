/* detach.c — forking into the background with the start's outcome
 * reported to the parent through a pipe, and the log that follows the
 * process there (see detach.h). */
#include "config.h"

#include "detach.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

/* Written once the child runs; -1 in the parent and in foreground mode. */
static int detach_ready_fd = -1;
/* In the child from the fork on: log to the journal or syslog. */
static gboolean detached;

static G_NORETURN void
detach_wait_for_child (pid_t child, int ready_fd)
{
  gchar c;
  gssize n;
  int status = 0;

  do
    n = read (ready_fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n == 1)
    _exit (0);
  /* The pipe closed without a word: the child ended, and said why on
   * the stderr we share. */
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      _exit (1);
  _exit (WIFEXITED (status) && WEXITSTATUS (status) != 0 ? WEXITSTATUS (status) : 1);
}

gboolean
wgd_detach_begin (GError **error)
{
  int fds[2];
  pid_t pid;

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return FALSE;
  pid = fork ();
  if (pid < 0)
    {
      int e = errno;

      close (fds[0]);
      close (fds[1]);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), _("cannot fork: %s"),
                   g_strerror (e));
      return FALSE;
    }
  if (pid > 0)
    {
      close (fds[1]);
      detach_wait_for_child (pid, fds[0]);
    }
  close (fds[0]);
  detach_ready_fd = fds[1];
  /* The log goes where it will stay; only the final error of a failed
   * start goes to the terminal, through the stderr still shared. */
  detached = TRUE;
  openlog ("wgdiscoverd", LOG_PID, LOG_DAEMON);
  /* Out of the terminal's session, so its hang-up and job control do not
   * reach us; setsid cannot fail in a fresh child (never a group leader). */
  (void) setsid ();
  if (chdir ("/") != 0)
    g_warning (_("cannot change to /: %s"), g_strerror (errno));
  return TRUE;
}

void
wgd_detach_finish (void)
{
  int null;
  gssize n;

  if (detach_ready_fd < 0)
    return;
  null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0)
    {
      dup2 (null, STDIN_FILENO);
      dup2 (null, STDOUT_FILENO);
      dup2 (null, STDERR_FILENO);
      if (null > STDERR_FILENO)
        close (null);
    }
  do
    n = write (detach_ready_fd, "R", 1);
  while (n < 0 && errno == EINTR);
  close (detach_ready_fd);
  detach_ready_fd = -1;
}

static int
detach_syslog_priority (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return LOG_ERR;
  if (level & G_LOG_LEVEL_CRITICAL)
    return LOG_CRIT;
  if (level & G_LOG_LEVEL_WARNING)
    return LOG_WARNING;
  if (level & G_LOG_LEVEL_MESSAGE)
    return LOG_NOTICE;
  if (level & G_LOG_LEVEL_INFO)
    return LOG_INFO;
  return LOG_DEBUG;
}

GLogWriterOutput
wgd_detach_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                       gpointer user_data)
{
  const gchar *domain = NULL, *message = NULL;

  if (!detached)
    return g_log_writer_default (level, fields, n_fields, user_data);
  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
        domain = fields[i].value;
      else if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
        message = fields[i].value;
    }
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  if (g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  if (message == NULL)
    return G_LOG_WRITER_UNHANDLED;
  syslog (detach_syslog_priority (level), "%s", message);
  return G_LOG_WRITER_HANDLED;
}
