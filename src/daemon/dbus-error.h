/* dbus-error.h — the D-Bus names of wgdiscoverd's errors: every error
 * domain a method may return is registered, so that a GError returned
 * over the bus has a stable org.wgdiscover1.Error.* name
 * (docs/dbus-api.md, Errors) that a client can match on. */
#pragma once

#include <gio/gio.h>

/* Errors only the D-Bus layer reports. */
#define WGD_DBUS_ERROR (wgd_dbus_error_quark ())

typedef enum {
  WGD_DBUS_ERROR_INVALID_CONFIGURATION, /* Reload: the configuration cannot be applied */
} WgdDbusErrorCode;

GQuark wgd_dbus_error_quark (void);

/* Registers the names of WGD_DBUS_ERROR, WGD_ERROR (src/common: the
 * configuration, files, formats), WGD_WG_ERROR (the WireGuard
 * backends) and WGD_PAIRING_ERROR (the core's pairing decisions). Call before exporting anything; calling again does nothing. */
void wgd_dbus_error_register (void);
