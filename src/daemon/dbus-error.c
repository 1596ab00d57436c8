/* dbus-error.c — one table per error domain: code ↔ D-Bus error name.
 * The names are part of the API (docs/dbus-api.md): a code is never
 * renamed, only added. */
#include "config.h"

#include "dbus-error.h"
#include "pairing.h"
#include "wg-device.h"
#include "wgd-error.h"

#define NAME(suffix) "org.wgdiscover1.Error." suffix

static const GDBusErrorEntry dbus_error_entries[] = {
  { WGD_DBUS_ERROR_INVALID_CONFIGURATION, NAME ("InvalidConfiguration") },
};

static const GDBusErrorEntry wgd_error_entries[] = {
  { WGD_ERROR_MALFORMED, NAME ("Malformed") },
  { WGD_ERROR_TOO_LARGE, NAME ("TooLarge") },
  { WGD_ERROR_INSECURE, NAME ("Insecure") },
  { WGD_ERROR_IO, NAME ("IO") },
  { WGD_ERROR_INVALID, NAME ("Invalid") },
};

static const GDBusErrorEntry wg_error_entries[] = {
  { WGD_WG_ERROR_NO_DEVICE, NAME ("NoSuchInterface") },
  { WGD_WG_ERROR_NOT_WIREGUARD, NAME ("NotWireGuard") },
  { WGD_WG_ERROR_PERMISSION, NAME ("WireGuardPermission") },
  { WGD_WG_ERROR_UNSUPPORTED, NAME ("WireGuardUnsupported") },
  { WGD_WG_ERROR_PROTOCOL, NAME ("WireGuardProtocol") },
  { WGD_WG_ERROR_FAILED, NAME ("WireGuardFailed") },
};

static const GDBusErrorEntry daemon_error_entries[] = {
  { WGD_PAIRING_ERROR_INVALID_KEY, NAME ("InvalidKey") },
  { WGD_PAIRING_ERROR_NOT_PENDING, NAME ("NotPending") },
  { WGD_PAIRING_ERROR_KEY_CHANGED, NAME ("KeyChanged") },
  { WGD_PAIRING_ERROR_FULL, NAME ("Full") },
};

/* A code added to a domain needs its name here. */
G_STATIC_ASSERT (G_N_ELEMENTS (dbus_error_entries) == WGD_DBUS_ERROR_INVALID_CONFIGURATION + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (wgd_error_entries) == WGD_ERROR_INVALID + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (wg_error_entries) == WGD_WG_ERROR_FAILED + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (daemon_error_entries) == WGD_PAIRING_ERROR_FULL + 1);

GQuark
wgd_dbus_error_quark (void)
{
  static gsize quark;

  g_dbus_error_register_error_domain ("wgd-dbus-error-quark", &quark, dbus_error_entries,
                                      G_N_ELEMENTS (dbus_error_entries));
  return (GQuark) quark;
}

void
wgd_dbus_error_register (void)
{
  static gsize wgd_quark, wg_quark, daemon_quark;

  (void) wgd_dbus_error_quark ();
  /* The domains' own quarks, so that errors made there match. */
  g_dbus_error_register_error_domain (g_quark_to_string (WGD_ERROR), &wgd_quark,
                                      wgd_error_entries, G_N_ELEMENTS (wgd_error_entries));
  g_dbus_error_register_error_domain (g_quark_to_string (WGD_WG_ERROR), &wg_quark,
                                      wg_error_entries, G_N_ELEMENTS (wg_error_entries));
  g_dbus_error_register_error_domain (g_quark_to_string (WGD_PAIRING_ERROR), &daemon_quark,
                                      daemon_error_entries, G_N_ELEMENTS (daemon_error_entries));
}
