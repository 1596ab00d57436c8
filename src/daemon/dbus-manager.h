/* dbus-manager.h — org.wgdiscover1.Manager at /org/wgdiscover1: this
 * node's identity, its interfaces and the core's counters, kept current
 * by listening to the core, and the methods Rescan, Pause, Resume and
 * Reload, each checked with polkit (docs/dbus-api.md). */
#pragma once

#include <gio/gio.h>

#include "daemon.h"

typedef struct _WgdDbusManager WgdDbusManager;

/* Reloads the configuration as SIGHUP does (main.c owns it, the core
 * does not): FALSE and error if it cannot be read or applied, and then
 * nothing changed. */
typedef gboolean (*WgdDbusReloadFunc) (gpointer user_data, GError **error);

WgdDbusManager *wgd_dbus_manager_new (WgdDaemon *daemon, WgdDbusReloadFunc reload,
                                      gpointer reload_data);
void wgd_dbus_manager_free (WgdDbusManager *manager);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDbusManager, wgd_dbus_manager_free)

/* What dbus-bus.c exports at /org/wgdiscover1; owned by manager. */
GDBusInterfaceSkeleton *wgd_dbus_manager_get_skeleton (WgdDbusManager *manager);
