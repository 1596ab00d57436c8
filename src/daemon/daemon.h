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

/* Withdraws our services and saves state; call before exiting. */
void wgd_daemon_stop (WgdDaemon *daemon);
/* A one-line summary for systemd's STATUS=. */
gchar *wgd_daemon_status (WgdDaemon *daemon);
/* Whether every interface that advertises is published. */
gboolean wgd_daemon_is_ready (WgdDaemon *daemon);
