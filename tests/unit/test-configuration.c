/* test-configuration.c — wgdiscoverd.conf: every key read back, the
 * defaults, drop-in order, the shipped example, and every error naming
 * file, line, group and key. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "configuration.h"
#include "wgd-error.h"

#define CA "2inpWwLgD/oVZFd1+x0roiKhlDOV7qBrlOLAV7e+adA="
#define WG "SjgH0GTQdxgcwHCYnnaJHSDcpVWVSNwsd8GlAnOIKzg="
#define SIGN "ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ="

static WgdConfig *
load (const gchar *text, GError **error)
{
  return wgd_config_load_data ("test.conf", text, strlen (text), error);
}

static void
test_full (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdConfig) c = load ("[Daemon]\nStateDirectory=/srv/wgd\n"
                                  "RendezvousURL=https://r.example\n"
                                  "[Interface wg0]\nMode=mesh\nMesh=office\nAdvertise=false\n"
                                  "Browse=no\nRendezvous=always\nPersistentKeepalive=25\n"
                                  "AllowInterfaces=eth0;wlan0;\n"
                                  "[Interface wg1]\n"
                                  "[Mesh office]\nCA=" CA "\nRevocations=/etc/r\n"
                                  "[Peer gw]\nWireGuardKey=" WG "\nSigningKey=" SIGN "\n",
                                  &error);
  const WgdInterfaceConfig *wg0, *wg1;
  const WgdMeshConfig *mesh;
  g_autoptr (WgdTrustStore) store = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (c->state_directory, ==, "/srv/wgd");
  g_assert_cmpstr (c->rendezvous_url, ==, "https://r.example");
  wg0 = wgd_config_find_interface (c, "wg0");
  g_assert_nonnull (wg0);
  g_assert_cmpint (wg0->mode, ==, WGD_MODE_MESH);
  g_assert_cmpstr (wg0->mesh, ==, "office");
  g_assert_false (wg0->advertise);
  g_assert_false (wg0->browse);
  g_assert_cmpint (wg0->rendezvous, ==, WGD_RENDEZVOUS_ALWAYS);
  g_assert_cmpuint (wg0->persistent_keepalive, ==, 25);
  g_assert_cmpuint (g_strv_length (wg0->allow_interfaces), ==, 2);
  g_assert_cmpstr (wg0->allow_interfaces[1], ==, "wlan0");
  g_assert_null (wg0->deny_interfaces);

  /* Defaults. */
  wg1 = wgd_config_find_interface (c, "wg1");
  g_assert_nonnull (wg1);
  g_assert_cmpint (wg1->mode, ==, WGD_MODE_ENDPOINT);
  g_assert_true (wg1->advertise);
  g_assert_true (wg1->browse);
  g_assert_cmpint (wg1->rendezvous, ==, WGD_RENDEZVOUS_FALLBACK);
  g_assert_cmpuint (wg1->persistent_keepalive, ==, 0);
  g_assert_null (wgd_config_find_interface (c, "wg2"));

  mesh = wgd_config_find_mesh (c, "office");
  g_assert_nonnull (mesh);
  g_assert_cmpstr (mesh->revocations, ==, "/etc/r");
  store = wgd_config_trust_store_new (c);
  g_assert_true (wgd_trust_store_has_ca (store, mesh->ca_key));
  g_assert_cmpuint (c->pins->len, ==, 1);
}

static void
test_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdConfig) c = load ("", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (c->state_directory, ==, WGD_STATE_DIR);
  g_assert_null (c->rendezvous_url);
  g_assert_cmpuint (c->interfaces->len, ==, 0);
}

static void
expect_error (const gchar *text, const gchar *where, const gchar *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdConfig) c = load (text, &error);

  g_assert_null (c);
  g_assert_nonnull (error);
  if (!g_str_has_prefix (error->message, where) || strstr (error->message, what) == NULL)
    g_error ("expected '%s…%s', got: %s", where, what, error->message);
}

static void
test_errors (void)
{
  expect_error ("[Interface wg0]\n\nMode=meshh\n", "test.conf:3: [Interface wg0] Mode:",
                "'meshh' is not 'endpoint' or 'mesh'");
  expect_error ("[Interface wg0]\nMode=mesh\n", "test.conf:2: [Interface wg0] Mode:",
                "needs Mesh=");
  expect_error ("[Interface wg0]\nMode=mesh\nMesh=nope\n", "test.conf:3: [Interface wg0] Mesh:",
                "no [Mesh nope]");
  expect_error ("[Mesh m]\nCA=abc\n", "test.conf:2: [Mesh m] CA:", "not a key");
  expect_error ("[Mesh m]\n", "test.conf:1: [Mesh m] CA:", "required");
  expect_error ("[Interface wg0]\nMoed=mesh\n", "test.conf:2: [Interface wg0] Moed:",
                "unknown key");
  expect_error ("[Interfaces wg0]\n", "test.conf:1: [Interfaces wg0]:", "unknown group");
  expect_error ("[Interface wg/0]\n", "test.conf:1: [Interface wg/0]:", "not an interface name");
  expect_error ("[Interface wg0]\nAllowInterfaces=eth0\nDenyInterfaces=eth1\n",
                "test.conf:3: [Interface wg0] DenyInterfaces:", "exclude each other");
  expect_error ("[Interface wg0]\nPersistentKeepalive=65536\n",
                "test.conf:2: [Interface wg0] PersistentKeepalive:", "0 to 65535");
  expect_error ("[Interface wg0]\nAdvertise=maybe\n", "test.conf:2: [Interface wg0] Advertise:",
                "true or false");
  expect_error ("[Interface wg0]\nRendezvous=sometimes\n",
                "test.conf:2: [Interface wg0] Rendezvous:", "'never', 'fallback' or 'always'");
  expect_error ("[Daemon]\nStateDirectory=var/lib\n", "test.conf:2: [Daemon] StateDirectory:",
                "absolute");
  expect_error ("[Daemon]\nRendezvousURL=ftp://x\n", "test.conf:2: [Daemon] RendezvousURL:",
                "http");
  expect_error ("[Peer p]\nWireGuardKey=" WG "\n", "test.conf:1: [Peer p] SigningKey:",
                "required");
  expect_error ("not a key file\n", "test.conf:", "");
}

static gchar *
write_file (const gchar *dir, const gchar *name, const gchar *text)
{
  gchar *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
test_dropins (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("wgd-conf-XXXXXX", NULL);
  g_autofree gchar *main_path = g_build_filename (dir, "wgdiscoverd.conf", NULL);
  g_autofree gchar *d = g_strconcat (main_path, ".d", NULL);
  g_autofree gchar *a = NULL, *b = NULL, *ignored = NULL, *m = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdConfig) c = NULL;

  /* Missing main file: fine only when asked. */
  g_assert_null (wgd_config_load (main_path, FALSE, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_IO);
  g_clear_error (&error);
  c = wgd_config_load (main_path, TRUE, &error);
  g_assert_no_error (error);
  g_clear_pointer (&c, wgd_config_free);

  m = write_file (dir, "wgdiscoverd.conf", "[Interface wg0]\nPersistentKeepalive=1\nBrowse=false\n");
  g_assert_cmpint (g_mkdir (d, 0755), ==, 0);
  a = write_file (d, "10-a.conf", "[Interface wg0]\nPersistentKeepalive=2\n");
  b = write_file (d, "20-b.conf", "[Interface wg0]\nPersistentKeepalive=3\n");
  ignored = write_file (d, "30-c.conf.disabled", "[Bogus]\n");
  c = wgd_config_load (main_path, FALSE, &error);
  g_assert_no_error (error);
  /* The later drop-in wins; what it does not set stays. */
  g_assert_cmpuint (wgd_config_find_interface (c, "wg0")->persistent_keepalive, ==, 3);
  g_assert_false (wgd_config_find_interface (c, "wg0")->browse);
  g_clear_pointer (&c, wgd_config_free);

  /* An error in a drop-in names the drop-in and its line. */
  g_assert_true (g_file_set_contents (b, "# comment\n[Interface wg0]\nMode=x\n", -1, NULL));
  g_assert_null (wgd_config_load (main_path, FALSE, &error));
  g_assert_true (g_str_has_prefix (error->message, b));
  g_assert_nonnull (strstr (error->message, ":3: [Interface wg0] Mode:"));

  for (const gchar *const *f = (const gchar *const[]) { a, b, ignored, m, NULL }; *f; f++)
    g_assert_cmpint (g_unlink (*f), ==, 0);
  g_assert_cmpint (g_rmdir (d), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* The shipped example must always load. */
static void
test_example (void)
{
  const gchar *srcdir = g_getenv ("WGD_TEST_DATA");
  g_autofree gchar *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdConfig) c = NULL;

  path = srcdir ? g_build_filename (srcdir, "..", "..", "data", "wgdiscoverd.conf", NULL)
                : g_test_build_filename (G_TEST_DIST, "..", "..", "data", "wgdiscoverd.conf", NULL);
  c = wgd_config_load (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (wgd_config_find_interface (c, "wg0"));
  g_assert_nonnull (wgd_config_find_mesh (c, "office"));
  g_assert_cmpuint (c->pins->len, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/configuration/full", test_full);
  g_test_add_func ("/configuration/defaults", test_defaults);
  g_test_add_func ("/configuration/errors", test_errors);
  g_test_add_func ("/configuration/dropins", test_dropins);
  g_test_add_func ("/configuration/example", test_example);
  return g_test_run ();
}
