/* ctl-io.c — options, input, output and errors for wgdiscoverctl. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "ctl-io.h"
#include "wgd-error.h"

/* A key's text form is one 44-character line; a few KiB leaves room for
 * stray whitespace but not for a mistaken file. */
#define KEY_INPUT_MAX 4096

static void
fail_print (const gchar *command, const gchar *message)
{
  g_autofree gchar *line = g_strdup (message);

  /* One line even when the message quotes what the user typed. */
  g_strdelimit (line, "\r\n", ' ');
  if (command != NULL)
    g_printerr ("%s: %s: %s\n", CTL_PROGRAM, command, line);
  else
    g_printerr ("%s: %s\n", CTL_PROGRAM, line);
}

int
ctl_fail (const gchar *command, const gchar *format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fail_print (command, message);
  return CTL_EXIT_USAGE;
}

int
ctl_fail_status (int status, const gchar *command, const gchar *message)
{
  fail_print (command, message);
  return status;
}

int
ctl_fail_error (const gchar *command, const GError *error)
{
  fail_print (command, error->message);
  return CTL_EXIT_USAGE;
}

/* Parses the options and leaves max_arguments positional arguments at
 * most in argv[1..]. */
static gboolean
options_parse (const CtlUsage *usage, const GOptionEntry *entries, int max_arguments,
               int *argc, char ***argv, int *status)
{
  gboolean help = FALSE;
  const GOptionEntry help_entries[] = {
    { "help", 'h', 0, G_OPTION_ARG_NONE, &help, N_("Show this help and exit"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = g_option_context_new (usage->parameters);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *prgname = usage->name ? g_strconcat (CTL_PROGRAM " ", usage->name, NULL)
                                          : g_strdup (CTL_PROGRAM);

  /* The usage line then reads "wgdiscoverctl ca sign [OPTION…]". Each
   * run parses options exactly once, so this is set once. */
  g_set_prgname (prgname);
  /* GOption's own --help exits from inside the parser; ours returns,
   * so every command cleans up the same way. */
  g_option_context_set_help_enabled (context, FALSE);
  /* The texts of usage and entries are marked with N_() and translated
   * here, when the help is printed. */
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, usage->summary);
  g_option_context_set_description (context, usage->description);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, help_entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = ctl_fail (usage->name, _("%s (see --help)"), error->message);
      return FALSE;
    }
  if (help)
    {
      g_autofree gchar *text = g_option_context_get_help (context, TRUE, NULL);

      *status = ctl_io_print (usage->name, text);
      return FALSE;
    }
  if (*argc > 1 + max_arguments)
    {
      *status = ctl_fail (usage->name, _("unexpected argument '%s' (see --help)"),
                          (*argv)[1 + max_arguments]);
      return FALSE;
    }
  return TRUE;
}

gboolean
ctl_options_parse (const CtlUsage *usage, const GOptionEntry *entries,
                   int *argc, char ***argv, int *status)
{
  return options_parse (usage, entries, 0, argc, argv, status);
}

gboolean
ctl_options_parse_argument (const CtlUsage *usage, const GOptionEntry *entries,
                            int *argc, char ***argv, const gchar **argument, int *status)
{
  if (!options_parse (usage, entries, 1, argc, argv, status))
    return FALSE;
  if (*argc < 2)
    {
      /* Translators: %s is what is missing, as the usage line names it (NAME|KEY). */
      *status = ctl_fail (usage->name, _("missing %s (see --help)"), _(usage->parameters));
      return FALSE;
    }
  *argument = (*argv)[1];
  return TRUE;
}

gboolean
ctl_option_parse_u64 (const gchar *option, const gchar *text, guint64 min, guint64 max,
                      guint64 *out, GError **error)
{
  if (!g_ascii_string_to_unsigned (text, 10, min, max, out, NULL))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   /* Translators: the first %s is an option such as --days. */
                   _("%s '%s': expected a number from %" PRIu64 " to %" PRIu64), option,
                   text, min, max);
      return FALSE;
    }
  return TRUE;
}

gboolean
ctl_option_parse_key (const gchar *option, const gchar *text, guint8 out[WGD_KEY_LEN],
                      GError **error)
{
  if (!wgd_key_from_base64 (text, out, error))
    {
      g_prefix_error (error, "%s: ", option);
      return FALSE;
    }
  return TRUE;
}

gboolean
ctl_option_parse_name (const gchar *option, const gchar *text, gchar out[WGD_NAME_MAX + 1],
                       GError **error)
{
  /* UTF-8 as typed works in any locale, even C; anything else is taken
   * to be in the locale's charset. */
  g_autofree gchar *utf8 = g_utf8_validate (text, -1, NULL)
                             ? g_strdup (text)
                             : g_locale_to_utf8 (text, -1, NULL, NULL, NULL);
  gsize len = utf8 ? strlen (utf8) : 0;

  if (!wgd_name_is_valid ((const guint8 *) utf8, len))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   /* Translators: %s is an option such as --name. */
                   _("%s: a name is 1 to %d bytes of UTF-8 without control characters"),
                   option, WGD_NAME_MAX);
      return FALSE;
    }
  memcpy (out, utf8, len + 1);
  return TRUE;
}

/* Whatever was read is wiped on failure: it may be a secret. */
static gchar *
read_fd (int fd, const gchar *what, gsize max, GError **error)
{
  gchar *buf = g_malloc (max + 1);
  gsize len = 0;
  ssize_t n;
  int e = 0;

  for (;;)
    {
      n = read (fd, buf + len, max + 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        e = errno;
      if (n <= 0)
        break;
      len += (gsize) n;
      if (len > max)
        break;
    }

  if (n < 0)
    g_set_error (error, WGD_ERROR, WGD_ERROR_IO, _("cannot read %s: %s"), what, g_strerror (e));
  else if (len > max)
    g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                 /* Translators: %s is a file name or "standard input". */
                 _("%s is larger than %zu bytes"), what, max);
  else if (memchr (buf, '\0', len) != NULL)
    g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED, _("%s contains a NUL byte"), what);
  else
    {
      buf[len] = '\0';
      return buf;
    }
  sodium_memzero (buf, len);
  g_free (buf);
  return NULL;
}

gchar *
ctl_io_read_stdin (gsize max, GError **error)
{
  return read_fd (STDIN_FILENO, _("standard input"), max, error);
}

gchar *
ctl_io_read_file (const gchar *path, gsize max, GError **error)
{
  gchar *text;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    {
      int e = errno;

      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, _("cannot open %s: %s"), path, g_strerror (e));
      return NULL;
    }
  text = read_fd (fd, path, max, error);
  close (fd);
  return text;
}

WgdKeyPair *
ctl_io_read_key_pair (GError **error)
{
  g_autoptr (CtlSecret) text = ctl_io_read_stdin (KEY_INPUT_MAX, error);
  const gchar *start, *end;
  WgdKeyPair *pair;

  if (text == NULL)
    return NULL;
  /* Trimmed by pointers, not in place: moving the text would leave a
   * copy of the secret past the terminator, where the wipe misses it. */
  for (start = text; g_ascii_isspace (*start); start++)
    ;
  for (end = start + strlen (start); end > start && g_ascii_isspace (end[-1]); end--)
    ;
  if (start == end)
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                           _("standard input is empty; expected one secret key in base64"));
      return NULL;
    }
  for (const gchar *p = start; p < end; p++)
    if (g_ascii_isspace (*p))
      {
        g_set_error_literal (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                             _("standard input holds more than one key; expected exactly one"));
        return NULL;
      }
  pair = wgd_key_pair_parse (text, error);
  if (pair == NULL)
    g_prefix_error (error, _("standard input: "));
  return pair;
}

gboolean
ctl_io_decode_base64url (gchar *text, guint8 *out, gsize cap, gsize *out_len, GError **error)
{
  const gchar *s = g_strstrip (text);

  if (*s == '\0')
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_MALFORMED, _("empty; expected base64url"));
      return FALSE;
    }
  return wgd_base64url_decode (s, strlen (s), out, cap, out_len, error);
}

int
ctl_io_print (const gchar *command, const gchar *text)
{
  gsize left = strlen (text);

  /* write(2), not stdio: no buffered copy of a secret outlives the call,
   * and a full disk or closed pipe is noticed here. */
  while (left > 0)
    {
      ssize_t n = write (STDOUT_FILENO, text, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;

          return ctl_fail (command, _("cannot write to standard output: %s"), g_strerror (e));
        }
      text += n;
      left -= (gsize) n;
    }
  return CTL_EXIT_OK;
}

void
ctl_io_warn_exposed_stdout (const gchar *command)
{
  struct stat st;

  if (fstat (STDOUT_FILENO, &st) == 0 && S_ISREG (st.st_mode)
      && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    g_printerr (_("%s: %s: warning: writing a secret key to a file group or others can read "
                  "(mode %04o); run 'chmod 600' on it\n"), CTL_PROGRAM, command,
                (unsigned) (st.st_mode & 07777));
}
