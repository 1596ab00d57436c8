/* ifconf-ini.h — the line syntax that wg-quick files and systemd .netdev
 * files share, read strictly into sections of assignments. Neither is
 * quite GKeyFile: both repeat sections ([Peer], [WireGuardPeer]), wg(8)
 * ignores all whitespace and cuts comments anywhere, systemd continues
 * lines ending in '\' and takes ';' comments. Also what the three
 * parsers share: text checks, error form, refusing a peer listed twice.
 * Only ifconf*.c use it. */
#pragma once

#include <glib.h>

#include "wire.h"

/* Larger configuration files than this are refused unread. */
#define WGD_IFCONF_FILE_MAX (1024 * 1024)

typedef enum {
  /* wg(8) CONFIGURATION FILE FORMAT: '#' starts a comment anywhere in a
   * line, every whitespace character is dropped. */
  WGD_INI_WG,
  /* systemd.syntax(7): lines starting with '#' or ';' are comments,
   * a line ending in an odd number of '\' continues on the next (the
   * '\' becoming a space, comment lines in between skipped), whitespace
   * around the key and the value is dropped. */
  WGD_INI_SYSTEMD,
} WgdIniDialect;

typedef struct {
  gchar *key;
  gchar *value;
  guint line;
} WgdIniAssignment;

typedef struct {
  gchar *name;          /* between the brackets */
  guint line;
  GPtrArray *assignments;  /* WgdIniAssignment, in file order */
} WgdIniSection;

typedef struct {
  gchar *path;
  GPtrArray *sections;  /* WgdIniSection, in file order */
} WgdIni;

/* Refuses what wgd_ifconf_check_text refuses, a line outside the syntax, an
 * assignment before the first section and files over
 * WGD_IFCONF_FILE_MAX; every error starts with "PATH:LINE: ". */
WgdIni *wgd_ini_parse (const gchar *path, const gchar *data, gsize len,
                       WgdIniDialect dialect, GError **error);
void wgd_ini_free (WgdIni *ini);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdIni, wgd_ini_free)

/* Checks what every file of the three managers must be: no larger than
 * WGD_IFCONF_FILE_MAX, no NUL byte or other control character but tab,
 * CR and LF, UTF-8. */
gboolean wgd_ifconf_check_text (const gchar *path, const gchar *data, gsize len,
                                GError **error);

/* An error "PATH:LINE: [SECTION] KEY: WHY" (KEY NULL: "[SECTION]: WHY";
 * LINE 0: no line), of domain WGD_ERROR, code WGD_ERROR_INVALID. */
gpointer wgd_ifconf_error (GError **error, const gchar *path, guint line,
                           const gchar *section, const gchar *key,
                           const gchar *format, ...) G_GNUC_PRINTF (6, 7);

/* The peers a file has listed so far, to refuse one listed twice. */
typedef struct _WgdIfconfSeen WgdIfconfSeen;

WgdIfconfSeen *wgd_ifconf_seen_new (void);
/* FALSE, with an error at path:line naming the first place, for a key
 * added before. */
gboolean wgd_ifconf_seen_add (WgdIfconfSeen *seen, const guint8 *public_key,
                              const gchar *path, guint line, const gchar *section,
                              GError **error);
void wgd_ifconf_seen_free (WgdIfconfSeen *seen);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdIfconfSeen, wgd_ifconf_seen_free)

/* Reads a regular file of at most max bytes without blocking on a FIFO
 * or reading a device forever; errors name the path. */
GBytes *wgd_ifconf_read_file (const gchar *path, gsize max, GError **error);

/* Writes the control characters of an error's message as \xNN: GKeyFile
 * quotes lines (a lone CR among them) and file names may hold anything,
 * and a message must not carry terminal escapes into a log. */
void wgd_ifconf_error_clean (GError *error);
