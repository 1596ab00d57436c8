/* path-watch.h — changes below paths that may not exist yet, without
 * polling. GFileMonitor polls a missing path every 4 s (GLib's
 * inotify-missing.c), which would wake an idle daemon 15 times a minute
 * for directories that on most machines never appear
 * (/etc/NetworkManager/system-connections without NetworkManager). This
 * watches the deepest directory that exists instead, for the one entry
 * that leads to the path; the caller sets the paths again when told of
 * a change, and the watch moves down as they appear. */
#pragma once

#include <glib.h>

typedef struct _WgdPathWatch WgdPathWatch;

/* Something changed below the paths: read them again, then call
 * wgd_path_watch_set. */
typedef void (*WgdPathWatchFunc) (gpointer user_data);

WgdPathWatch *wgd_path_watch_new (WgdPathWatchFunc func, gpointer user_data);
void wgd_path_watch_free (WgdPathWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdPathWatch, wgd_path_watch_free)

/* Watches dirs (any entry of each: created, changed, removed, renamed)
 * and files (each one alone, also when it is replaced by a rename), both
 * NULL-terminated and absolute; a path that does not exist is watched
 * through its deepest existing ancestor until it appears. Monitors that
 * stay the same are kept. */
void wgd_path_watch_set (WgdPathWatch *watch, const gchar *const *dirs,
                         const gchar *const *files);

/* What wgd_path_watch_set watches, one "DIR" (every entry) or
 * "DIR\tENTRY" (that entry alone) each, sorted: for tests. */
GStrv wgd_path_watch_dup_plan (WgdPathWatch *watch);
