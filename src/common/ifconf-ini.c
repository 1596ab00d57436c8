/* ifconf-ini.c — the strict line reader under ifconf-wg-quick.c and
 * ifconf-networkd.c (the dialects are described in ifconf-ini.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "base64.h"
#include "ifconf-ini.h"
#include "keys.h"
#include "wgd-error.h"

static void
assignment_free (gpointer data)
{
  WgdIniAssignment *a = data;

  g_free (a->key);
  g_free (a->value);
  g_free (a);
}

static void
section_free (gpointer data)
{
  WgdIniSection *s = data;

  g_free (s->name);
  g_ptr_array_unref (s->assignments);
  g_free (s);
}

void
wgd_ini_free (WgdIni *ini)
{
  if (ini == NULL)
    return;
  g_free (ini->path);
  g_ptr_array_unref (ini->sections);
  g_free (ini);
}

void
wgd_ifconf_error_clean (GError *error)
{
  GString *clean;

  for (const gchar *p = error->message; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      goto dirty;
  return;

dirty:
  clean = g_string_new (NULL);
  for (const gchar *p = error->message; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      g_string_append_printf (clean, "\\x%02x", (guint) (guchar) *p);
    else
      g_string_append_c (clean, *p);
  g_free (error->message);
  error->message = g_string_free (clean, FALSE);
}

gpointer
wgd_ifconf_error (GError **error, const gchar *path, guint line, const gchar *section,
                  const gchar *key, const gchar *format, ...)
{
  g_autofree gchar *why = NULL;
  g_autoptr (GString) where = g_string_new (path);
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  if (line > 0)
    g_string_append_printf (where, ":%u", line);
  if (section != NULL)
    g_string_append_printf (where, ": [%s]", section);
  if (key != NULL)
    g_string_append_printf (where, " %s", key);
  g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, "%s: %s", where->str, why);
  if (error != NULL)
    wgd_ifconf_error_clean (*error);
  return NULL;
}

gboolean
wgd_ifconf_check_text (const gchar *path, const gchar *data, gsize len, GError **error)
{
  const gchar *nul = memchr (data, '\0', len);
  const gchar *end = NULL;

  if (len > WGD_IFCONF_FILE_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE, _("%s: larger than 1 MiB"), path);
      return FALSE;
    }
  if (nul != NULL)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                   _("%s: a NUL byte at offset %zu; not a text file"), path,
                   (gsize) (nul - data));
      return FALSE;
    }
  /* Messages quote sections and keys as written: no terminal escapes. */
  for (gsize i = 0; i < len; i++)
    if (g_ascii_iscntrl (data[i]) && data[i] != '\t' && data[i] != '\n' && data[i] != '\r')
      {
        g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                     _("%s: a control character at offset %zu"), path, i);
        return FALSE;
      }
  if (!g_utf8_validate_len (data, len, &end))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                   _("%s: invalid UTF-8 at offset %zu"), path, (gsize) (end - data));
      return FALSE;
    }
  return TRUE;
}

static gchar *
drop_whitespace (const gchar *line)
{
  GString *out = g_string_sized_new (strlen (line));

  for (const gchar *p = line; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

/* One logical line, comments and continuation already handled; line is
 * modified. */
static gboolean
ini_add_line (WgdIni *ini, gchar *line, guint number, GError **error)
{
  WgdIniSection *section;
  WgdIniAssignment *a;
  gsize len;
  gchar *eq;

  g_strstrip (line);
  len = strlen (line);
  if (len == 0)
    return TRUE;
  if (line[0] == '[')
    {
      if (line[len - 1] != ']')
        return wgd_ifconf_error (error, ini->path, number, NULL, NULL,
                                 _("a section header '[' does not end with ']'")) != NULL;
      if (len == 2)
        return wgd_ifconf_error (error, ini->path, number, NULL, NULL,
                                 _("a section header '[]' without a name")) != NULL;
      section = g_new0 (WgdIniSection, 1);
      section->name = g_strndup (line + 1, len - 2);
      section->line = number;
      section->assignments = g_ptr_array_new_with_free_func (assignment_free);
      g_ptr_array_add (ini->sections, section);
      return TRUE;
    }
  eq = strchr (line, '=');
  if (eq == NULL)
    return wgd_ifconf_error (error, ini->path, number, NULL, NULL,
                             _("neither KEY=VALUE, nor a [section] header, nor a comment")) != NULL;
  if (eq == line)
    return wgd_ifconf_error (error, ini->path, number, NULL, NULL,
                             _("no key before '='")) != NULL;
  if (ini->sections->len == 0)
    return wgd_ifconf_error (error, ini->path, number, NULL, NULL,
                             _("an assignment before the first [section] header")) != NULL;
  *eq = '\0';
  a = g_new0 (WgdIniAssignment, 1);
  a->key = g_strdup (g_strstrip (line));
  a->value = g_strdup (g_strstrip (eq + 1));
  a->line = number;
  section = g_ptr_array_index (ini->sections, ini->sections->len - 1);
  g_ptr_array_add (section->assignments, a);
  return TRUE;
}

static gboolean
ends_in_escape (const gchar *line)
{
  gboolean escaped = FALSE;

  for (const gchar *p = line; *p != '\0'; p++)
    escaped = escaped ? FALSE : *p == '\\';
  return escaped;
}

WgdIni *
wgd_ini_parse (const gchar *path, const gchar *data, gsize len, WgdIniDialect dialect,
               GError **error)
{
  g_autoptr (WgdIni) ini = NULL;
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) continuation = NULL;
  guint continuation_line = 0;

  if (!wgd_ifconf_check_text (path, data, len, error))
    return NULL;
  ini = g_new0 (WgdIni, 1);
  ini->path = g_strdup (path);
  ini->sections = g_ptr_array_new_with_free_func (section_free);
  /* systemd skips a byte order mark; wg(8) would fail on it, but as
   * whitespace it is harmless to both. */
  if (len >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    {
      data += 3;
      len -= 3;
    }
  text = g_strndup (data, len);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gchar *line = lines[i];
      guint number = i + 1;
      gsize line_len = strlen (line);

      if (line_len > 0 && line[line_len - 1] == '\r')
        line[line_len - 1] = '\0';
      if (dialect == WGD_INI_WG)
        {
          gchar *hash = strchr (line, '#');
          g_autofree gchar *squeezed = NULL;

          if (hash != NULL)
            *hash = '\0';
          squeezed = drop_whitespace (line);
          if (!ini_add_line (ini, squeezed, number, error))
            return NULL;
          continue;
        }

      {
        const gchar *lead = line;

        while (g_ascii_isspace (*lead))
          lead++;
        if (*lead == '#' || *lead == ';')
          continue;
        if (continuation == NULL)
          {
            continuation = g_string_new (line);
            continuation_line = number;
          }
        else
          g_string_append (continuation, lead);
        if (ends_in_escape (continuation->str))
          {
            continuation->str[continuation->len - 1] = ' ';
            continue;
          }
        if (!ini_add_line (ini, continuation->str, continuation_line, error))
          return NULL;
        g_string_free (g_steal_pointer (&continuation), TRUE);
      }
    }
  if (continuation != NULL && !ini_add_line (ini, continuation->str, continuation_line, error))
    return NULL;
  return g_steal_pointer (&ini);
}

struct _WgdIfconfSeen {
  GHashTable *lines;    /* public key (owned) → GUINT_TO_POINTER (line) */
};

WgdIfconfSeen *
wgd_ifconf_seen_new (void)
{
  WgdIfconfSeen *seen = g_new0 (WgdIfconfSeen, 1);

  seen->lines = g_hash_table_new_full (wgd_key_hash, wgd_key_equal, g_free, NULL);
  return seen;
}

gboolean
wgd_ifconf_seen_add (WgdIfconfSeen *seen, const guint8 *public_key, const gchar *path,
                     guint line, const gchar *section, GError **error)
{
  gpointer first;

  if (g_hash_table_lookup_extended (seen->lines, public_key, NULL, &first))
    {
      g_autofree gchar *text = wgd_key_to_base64 (public_key);

      wgd_ifconf_error (error, path, line, section, NULL,
                        _("peer %s is listed twice (first at line %u)"), text,
                        GPOINTER_TO_UINT (first));
      return FALSE;
    }
  g_hash_table_insert (seen->lines, g_memdup2 (public_key, WGD_KEY_LEN), GUINT_TO_POINTER (line));
  return TRUE;
}

void
wgd_ifconf_seen_free (WgdIfconfSeen *seen)
{
  if (seen == NULL)
    return;
  g_hash_table_unref (seen->lines);
  g_free (seen);
}

GBytes *
wgd_ifconf_read_file (const gchar *path, gsize max, GError **error)
{
  g_autofree gchar *data = NULL;
  struct stat st;
  gsize len = 0;
  int fd;

  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("cannot open %s: %s"), path, g_strerror (saved));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_close (fd, NULL);
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, _("%s: not a regular file"), path);
      return NULL;
    }
  /* One byte more than allowed tells a file that is too large, even one
   * that grew after fstat. */
  data = g_malloc (max + 1);
  while (len <= max)
    {
      gssize n = read (fd, data + len, max + 1 - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_close (fd, NULL);
          g_set_error (error, WGD_ERROR, WGD_ERROR_IO, _("cannot read %s: %s"), path,
                       g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      len += (gsize) n;
    }
  g_close (fd, NULL);
  if (len > max)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE, _("%s: larger than %zu bytes"), path,
                   max);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&data), len);
}
