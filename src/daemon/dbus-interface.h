/* dbus-interface.h — one org.wgdiscover1.Interface object per
 * configured interface, at /org/wgdiscover1/interface/NAME, exported
 * through the ObjectManager and kept current by listening to the core. */
#pragma once

#include <gio/gio.h>

#include "daemon.h"

typedef struct _WgdDbusInterfaces WgdDbusInterfaces;

WgdDbusInterfaces *wgd_dbus_interfaces_new (WgdDaemon *daemon,
                                            GDBusObjectManagerServer *objects);
void wgd_dbus_interfaces_free (WgdDbusInterfaces *interfaces);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDbusInterfaces, wgd_dbus_interfaces_free)
