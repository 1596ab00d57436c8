/* test-dbus-error.c — every code of every error domain the daemon
 * returns over D-Bus has its stable org.wgdiscover1.Error.* name, and
 * that name comes back as the same domain and code (a client of
 * GDBus, such as wgdiscoverctl, gets the GError back). */
#include "config.h"

#include "dbus-error.h"
#include "pairing.h"
#include "wg-device.h"
#include "wgd-error.h"

typedef struct {
  GQuark (*domain) (void);
  gint code;
  const gchar *name;
} Case;

/* The names are API (docs/dbus-api.md): this pins them. */
static const Case cases[] = {
  { wgd_dbus_error_quark, WGD_DBUS_ERROR_INVALID_CONFIGURATION,
    "org.wgdiscover1.Error.InvalidConfiguration" },
  { wgd_error_quark, WGD_ERROR_MALFORMED, "org.wgdiscover1.Error.Malformed" },
  { wgd_error_quark, WGD_ERROR_TOO_LARGE, "org.wgdiscover1.Error.TooLarge" },
  { wgd_error_quark, WGD_ERROR_INSECURE, "org.wgdiscover1.Error.Insecure" },
  { wgd_error_quark, WGD_ERROR_IO, "org.wgdiscover1.Error.IO" },
  { wgd_error_quark, WGD_ERROR_INVALID, "org.wgdiscover1.Error.Invalid" },
  { wgd_wg_error_quark, WGD_WG_ERROR_NO_DEVICE, "org.wgdiscover1.Error.NoSuchInterface" },
  { wgd_wg_error_quark, WGD_WG_ERROR_NOT_WIREGUARD, "org.wgdiscover1.Error.NotWireGuard" },
  { wgd_wg_error_quark, WGD_WG_ERROR_PERMISSION, "org.wgdiscover1.Error.WireGuardPermission" },
  { wgd_wg_error_quark, WGD_WG_ERROR_UNSUPPORTED, "org.wgdiscover1.Error.WireGuardUnsupported" },
  { wgd_wg_error_quark, WGD_WG_ERROR_PROTOCOL, "org.wgdiscover1.Error.WireGuardProtocol" },
  { wgd_wg_error_quark, WGD_WG_ERROR_FAILED, "org.wgdiscover1.Error.WireGuardFailed" },
  { wgd_pairing_error_quark, WGD_PAIRING_ERROR_INVALID_KEY, "org.wgdiscover1.Error.InvalidKey" },
  { wgd_pairing_error_quark, WGD_PAIRING_ERROR_NOT_PENDING, "org.wgdiscover1.Error.NotPending" },
  { wgd_pairing_error_quark, WGD_PAIRING_ERROR_KEY_CHANGED, "org.wgdiscover1.Error.KeyChanged" },
  { wgd_pairing_error_quark, WGD_PAIRING_ERROR_FULL, "org.wgdiscover1.Error.Full" },
};

static void
test_round_trip (void)
{
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

  wgd_dbus_error_register ();
  /* Twice does nothing more. */
  wgd_dbus_error_register ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      g_autoptr (GError) error = g_error_new_literal (c->domain (), c->code, "what went wrong");
      g_autofree gchar *name = g_dbus_error_encode_gerror (error);
      g_autoptr (GError) back = g_dbus_error_new_for_dbus_error (name, "what went wrong");
      g_autofree gchar *remote = g_dbus_error_get_remote_error (back);

      g_assert_cmpstr (name, ==, c->name);
      g_assert_true (g_hash_table_add (names, (gpointer) c->name));
      g_assert_error (back, c->domain (), c->code);
      g_assert_cmpstr (remote, ==, c->name);
      g_assert_true (g_dbus_error_strip_remote_error (back));
      g_assert_cmpstr (back->message, ==, "what went wrong");
    }
}

/* A code no table has is no name of ours. */
static void
test_unknown_code (void)
{
  g_autoptr (GError) error = g_error_new_literal (WGD_ERROR, WGD_ERROR_INVALID + 1, "x");
  g_autofree gchar *name = NULL;

  wgd_dbus_error_register ();
  name = g_dbus_error_encode_gerror (error);
  g_assert_false (g_str_has_prefix (name, "org.wgdiscover1.Error."));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dbus-error/round-trip", test_round_trip);
  g_test_add_func ("/dbus-error/unknown-code", test_unknown_code);
  return g_test_run ();
}
