/* sd-notify.h — systemd's readiness protocol, written directly (a
 * datagram to $NOTIFY_SOCKET), so Type=notify works without libsystemd. */
#pragma once

#include <glib.h>

/* Sends "READY=1", "STATUS=…" etc.; does nothing outside systemd. */
void wgd_sd_notify (const gchar *state);
