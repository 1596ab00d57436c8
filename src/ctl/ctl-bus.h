/* ctl-bus.h — how the online commands reach wgdiscoverd: the system
 * bus, the daemon's objects there (docs/dbus-api.md), finding a peer by
 * name or key, calling a method, and the one-line error and exit status
 * for each way this can fail. */
#pragma once

#include <gio/gio.h>

#include "wgd-api.h"

/* A connection to the system bus and the proxies of wgdiscoverd's
 * objects. None of them starts the daemon through D-Bus activation: a
 * daemon that is not running is reported (or, by monitor, waited for). */
typedef struct {
  GDBusConnection *connection;
  WgdApiManager *manager;
  GDBusObjectManager *objects;   /* the Interface and Peer objects */
} CtlBus;

/* Connects; when need_daemon, a daemon that is not running is an error
 * too. On failure the error is reported and *status is its exit status. */
CtlBus *ctl_bus_open (const gchar *command, gboolean need_daemon, int *status);
void ctl_bus_free (CtlBus *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlBus, ctl_bus_free)

gboolean ctl_bus_is_running (CtlBus *bus);

/* The Peer proxies, by name, then by WireGuard key; unref each, free the
 * list. Only pending ones when pending_only. */
GList *ctl_bus_list_peers (CtlBus *bus, gboolean pending_only);
/* The peer whose WireGuard key (base64) or announced name is text. No
 * such peer and an ambiguous name are errors (reported by
 * ctl_bus_fail with CTL_EXIT_NO_PEER). */
WgdApiPeer *ctl_bus_find_peer (CtlBus *bus, const gchar *text, GError **error);
/* The Interface proxy at path, or NULL. */
WgdApiInterface *ctl_bus_get_interface (CtlBus *bus, const gchar *path);
/* What the peer is called in messages: its name, or its key if it has none. */
const gchar *ctl_bus_peer_label (WgdApiPeer *peer);

/* Calls a method of the Manager; polkit may ask the user to
 * authenticate if an agent runs. parameters may be NULL (floating is
 * taken). */
gboolean ctl_bus_call (CtlBus *bus, const gchar *method, GVariant *parameters,
                       GError **error);

/* Reports error as one line and returns its exit status. action says
 * what was refused, for "not allowed: ACTION; ...". */
int ctl_bus_fail (const gchar *command, const gchar *action, const GError *error);

/* Errors of ctl_bus_find_peer and the commands' own checks. */
#define CTL_BUS_ERROR (ctl_bus_error_quark ())
typedef enum {
  CTL_BUS_ERROR_NO_PEER,
} CtlBusError;
GQuark ctl_bus_error_quark (void);
