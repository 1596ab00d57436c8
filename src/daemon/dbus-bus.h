/* dbus-bus.h — wgdiscoverd on the system bus: the connection, the name
 * org.wgdiscover1, and where the objects of the API live
 * (docs/dbus-api.md). Without a system bus, or when the name is taken,
 * the daemon says so once and works on without its API. */
#pragma once

#include <gio/gio.h>

#include "wire.h"

#define WGD_DBUS_NAME "org.wgdiscover1"
#define WGD_DBUS_PATH "/org/wgdiscover1"

/* /org/wgdiscover1/interface/NAME, NAME escaped for an object path. */
gchar *wgd_dbus_path_for_interface (const gchar *ifname);
/* /org/wgdiscover1/peer/HEX, HEX the first 8 bytes of the key. */
gchar *wgd_dbus_path_for_peer (const guint8 wg_key[WGD_KEY_LEN]);

typedef struct _WgdDbusBus WgdDbusBus;

/* Connects to the system bus in the background, exports objects (the
 * ObjectManager at WGD_DBUS_PATH, and below it the Interface and Peer
 * objects) and manager (at WGD_DBUS_PATH), then asks for the name. */
WgdDbusBus *wgd_dbus_bus_new (GDBusObjectManagerServer *objects,
                              GDBusInterfaceSkeleton *manager);
void wgd_dbus_bus_free (WgdDbusBus *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDbusBus, wgd_dbus_bus_free)
