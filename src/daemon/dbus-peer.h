/* dbus-peer.h — one org.wgdiscover1.Peer object per peer the core
 * knows, at /org/wgdiscover1/peer/HEX, appearing and vanishing with it
 * (InterfacesAdded, InterfacesRemoved) and kept current by listening to
 * the core. */
#pragma once

#include <gio/gio.h>

#include "daemon.h"

typedef struct _WgdDbusPeers WgdDbusPeers;

WgdDbusPeers *wgd_dbus_peers_new (WgdDaemon *daemon, GDBusObjectManagerServer *objects);
void wgd_dbus_peers_free (WgdDbusPeers *peers);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDbusPeers, wgd_dbus_peers_free)
