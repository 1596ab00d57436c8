/* detach.h — wgdiscoverd as a classic daemon (without --foreground):
 * the process forks and the child carries on in a session of its own.
 * The parent exits only once the child says it is running, or with the
 * child's own exit status when it did not get that far, so a failed start
 * is still a failed command and its error still reaches the terminal.
 * From the fork on the child logs to the journal, or to syslog where
 * there is no journal; once running, its stdin, stdout and stderr are
 * /dev/null. */
#pragma once

#include <glib.h>

/* Forks. Returns in the child only; the parent waits and exits. */
gboolean wgd_detach_begin (GError **error);
/* In the child, once running: lets the parent exit 0 and lets go of the
 * terminal. Does nothing in a process that did not detach. */
void wgd_detach_finish (void);
/* The log writer for g_log_set_writer_func: GLib's default until the
 * process has detached, then the journal or syslog. */
GLogWriterOutput wgd_detach_log_writer (GLogLevelFlags level, const GLogField *fields,
                                        gsize n_fields, gpointer user_data);
