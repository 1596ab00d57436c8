/* ctl-io.h — how wgdiscoverctl's commands get input in and output out:
 * options, standard input, files, standard output, and the one-line
 * error every failure ends in. */
#pragma once

#include <glib.h>

#include "ctl.h"
#include "keys.h"

/* A NUL-terminated secret, wiped when freed. */
typedef gchar CtlSecret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlSecret, wgd_secret_free)

/* Parses argv against entries (may be NULL) plus -h/--help, leaving no
 * positional argument. Returns TRUE when the command should run;
 * otherwise *status is the exit status: help was printed, or a usage
 * error was reported. */
gboolean ctl_options_parse (const CtlUsage *usage, const GOptionEntry *entries,
                            int *argc, char ***argv, int *status);
/* The same for a command that takes exactly one argument (named by
 * usage->parameters), which *argument then points to. */
gboolean ctl_options_parse_argument (const CtlUsage *usage, const GOptionEntry *entries,
                                     int *argc, char ***argv, const gchar **argument,
                                     int *status);

/* Option values; errors name the option. A name comes as the bytes
 * typed (G_OPTION_ARG_FILENAME), so that UTF-8 works in any locale. */
gboolean ctl_option_parse_u64 (const gchar *option, const gchar *text, guint64 min,
                               guint64 max, guint64 *out, GError **error);
gboolean ctl_option_parse_key (const gchar *option, const gchar *text,
                               guint8 out[WGD_KEY_LEN], GError **error);
gboolean ctl_option_parse_name (const gchar *option, const gchar *text,
                                gchar out[WGD_NAME_MAX + 1], GError **error);

/* Reads standard input or a file to the end, refusing more than max
 * bytes or a NUL byte, so the result is one C string. */
gchar *ctl_io_read_stdin (gsize max, GError **error);
gchar *ctl_io_read_file (const gchar *path, gsize max, GError **error);
/* Reads exactly one key pair in its text form from standard input. */
WgdKeyPair *ctl_io_read_key_pair (GError **error);
/* Decodes base64url text, ignoring surrounding whitespace (stripped from
 * text in place). */
gboolean ctl_io_decode_base64url (gchar *text, guint8 *out, gsize cap, gsize *out_len,
                                  GError **error);

/* Writes text to standard output; returns CTL_EXIT_OK, or reports the
 * failure and returns CTL_EXIT_USAGE. */
int ctl_io_print (const gchar *command, const gchar *text);
/* Warns, as wg genkey does, when a secret is about to land in a file
 * that group or others can read. */
void ctl_io_warn_exposed_stdout (const gchar *command);

/* Prints "wgdiscoverctl: COMMAND: MESSAGE" as one line on stderr and
 * returns CTL_EXIT_USAGE. command NULL means the program itself. */
int ctl_fail (const gchar *command, const gchar *format, ...) G_GNUC_PRINTF (2, 3);
int ctl_fail_error (const gchar *command, const GError *error);
/* The same line, for a failure with an exit status of its own. */
int ctl_fail_status (int status, const gchar *command, const gchar *message);
