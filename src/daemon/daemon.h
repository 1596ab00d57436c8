/* daemon.h — wgdiscoverd's core: ties the identity, the trust decision,
 * the peer table, mDNS and the WireGuard backends together (docs/architecture.md).
 * Everything runs on the thread-default GMainContext. */
#pragma once

#include <glib.h>

#include "configuration.h"

typedef struct _WgdDaemon WgdDaemon;

WgdDaemon *wgd_daemon_new (WgdConfig *config, GError **error);
void wgd_daemon_free (WgdDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDaemon, wgd_daemon_free)

/* Takes a new configuration as a change: what it needs is checked
 * first, and one that cannot be applied changes nothing (FALSE, error).
 * Our service is not withdrawn or probed again while we still advertise,
 * and the peer table, the replay state and the meshes' members stay.
 * daemon keeps a pointer to config, which must outlive it. */
gboolean wgd_daemon_reload (WgdDaemon *daemon, WgdConfig *config, GError **error);
/* Withdraws our services and saves state; call before exiting. */
void wgd_daemon_stop (WgdDaemon *daemon);
/* A one-line summary for systemd's STATUS=. */
gchar *wgd_daemon_status (WgdDaemon *daemon);
/* Whether every interface that advertises is published. */
gboolean wgd_daemon_is_ready (WgdDaemon *daemon);
