/* test-configuration.c — wgdiscoverd.conf: every key read back, the
 * defaults, drop-in order, the shipped example, and every error naming
 * file, line, group and key. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "configuration.h"
#include "base64.h"
#include "test-util.h"
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
                                  "RendezvousPrivateAddresses=yes\n"
                                  "[Interface wg0]\nMode=mesh\nMesh=office\nAdvertise=false\n"
                                  "Browse=no\nRendezvous=always\nPersistentKeepalive=25\n"
                                  "AllowInterfaces=eth0;wlan0;\n"
                                  "[Interface wg1]\n"
                                  "[Mesh office]\nCA=" CA "\n"
                                  "[Peer gw]\nWireGuardKey=" WG "\nSigningKey=" SIGN "\n",
                                  &error);
  const WgdInterfaceConfig *wg0, *wg1;
  const WgdMeshConfig *mesh;
  g_autoptr (WgdTrustStore) store = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (c->state_directory, ==, "/srv/wgd");
  g_assert_cmpstrv (c->rendezvous_urls, ((const gchar *[]) { "https://r.example", NULL }));
  g_assert_true (c->rendezvous_private_addresses);
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
  g_assert_null (mesh->certificate);
  g_assert_null (mesh->revocations);
  store = wgd_config_trust_store_new (c);
  g_assert_true (wgd_trust_store_has_ca (store, mesh->ca_key));
  g_assert_cmpuint (c->pins->len, ==, 1);
  g_assert_cmpuint (c->endpoints->len, ==, 0);
}

/* [Peer NAME] with Endpoint=: a configured endpoint, with or without a
 * pin beside it. */
static void
test_peer_endpoints (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdConfig) c = load ("[Peer home]\nWireGuardKey=" WG "\n"
                                  "Endpoint=home.example.org:51820\n"
                                  "[Peer gw]\nWireGuardKey=" SIGN "\nSigningKey=" SIGN "\n"
                                  "Endpoint=[2001:db8::1]:51821\n",
                                  &error);
  const WgdPeerEndpoint *home, *gw;
  guint8 key[WGD_KEY_LEN];

  g_assert_no_error (error);
  g_assert_cmpuint (c->pins->len, ==, 1);
  g_assert_cmpuint (c->endpoints->len, ==, 2);
  home = g_ptr_array_index (c->endpoints, 0);
  gw = g_ptr_array_index (c->endpoints, 1);
  g_assert_cmpstr (home->name, ==, "home");
  g_assert_true (wgd_key_from_base64 (WG, key, NULL));
  g_assert_cmpmem (home->wg_key, WGD_KEY_LEN, key, WGD_KEY_LEN);
  g_assert_cmpstr (home->endpoint->host, ==, "home.example.org");
  g_assert_cmpuint (home->endpoint->port, ==, 51820);
  g_assert_false (home->endpoint->literal);
  g_assert_cmpstr (gw->endpoint->host, ==, "2001:db8::1");
  g_assert_cmpuint (gw->endpoint->port, ==, 51821);
  g_assert_true (gw->endpoint->literal);
}

static void
test_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdConfig) c = load ("", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (c->state_directory, ==, WGD_STATE_DIR);
  g_assert_null (c->rendezvous_urls);
  g_assert_cmpuint (c->interfaces->len, ==, 0);
}

/* Several servers, in the order given, their trailing '/' dropped. */
static void
test_rendezvous_urls (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdConfig) c = load ("[Daemon]\nRendezvousURL=https://a.example:8443/  "
                                  "\thttp://[::1]:8080/rdv https://b.example\n", &error);
  const gchar *const expected[] = { "https://a.example:8443", "http://[::1]:8080/rdv",
                                    "https://b.example", NULL };

  g_assert_no_error (error);
  g_assert_cmpstrv (c->rendezvous_urls, expected);
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
  /* A NUL byte: refused before GKeyFile, whose lines would not match. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (WgdConfig) c = wgd_config_load_data ("test.conf", "[Daemon]\n\0[x]\n", 13,
                                                    &error);

    g_assert_null (c);
    g_assert_cmpstr (error->message, ==, "test.conf: a NUL byte at offset 9; not a text file");
  }
  expect_error ("[Interface wg0]\x98\nMode=mesh\n", "test.conf: invalid UTF-8 at offset 15", "");

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
  expect_error ("[Interface wg0]\n[Interface wg1]\n\n", "test.conf:2: [Interface wg1] Advertise:",
                "wg0 already does");
  expect_error ("[Interface wg0]\n[Interface wg1]\nAdvertise=true\n",
                "test.conf:3: [Interface wg1] Advertise:", "only one interface can advertise");
  expect_error ("[Interface wg0]\nRendezvous=sometimes\n",
                "test.conf:2: [Interface wg0] Rendezvous:", "'never', 'fallback' or 'always'");
  expect_error ("[Daemon]\nStateDirectory=var/lib\n", "test.conf:2: [Daemon] StateDirectory:",
                "absolute");
  expect_error ("[Daemon]\nRendezvousPrivateAddresses=some\n",
                "test.conf:2: [Daemon] RendezvousPrivateAddresses:", "some");
  expect_error ("[Daemon]\nRendezvousURL=ftp://x\n", "test.conf:2: [Daemon] RendezvousURL:",
                "http");
  expect_error ("[Daemon]\nRendezvousURL=https://a http:/b\n",
                "test.conf:2: [Daemon] RendezvousURL:", "'http:/b' is not an http");
  expect_error ("[Daemon]\nRendezvousURL=https://a https://b https://a/\n",
                "test.conf:2: [Daemon] RendezvousURL:", "'https://a/' is listed twice");
  expect_error ("[Daemon]\nRendezvousURL= \t\n", "test.conf:2: [Daemon] RendezvousURL:",
                "no URL");
  expect_error ("[Daemon]\nRendezvousURL=http://1 http://2 http://3 http://4 http://5 http://6 "
                "http://7 http://8 http://9 http://10 http://11 http://12 http://13 http://14 "
                "http://15 http://16 http://17\n",
                "test.conf:2: [Daemon] RendezvousURL:", "more than 16 servers");
  expect_error ("[Peer p]\nWireGuardKey=" WG "\n", "test.conf:1: [Peer p]:",
                "needs SigningKey= (a pin), Endpoint= (where the peer is), or both");
  expect_error ("[Peer p]\nEndpoint=gw.example.org:51820\n", "test.conf:1: [Peer p] WireGuardKey:",
                "required");
  expect_error ("[Peer p]\nWireGuardKey=" WG "\nEndpoint=gw.example.org\n",
                "test.conf:3: [Peer p] Endpoint:", "gw.example.org");
  expect_error ("[Peer p]\nWireGuardKey=" WG "\nEndpoint=gw..example.org:1\n",
                "test.conf:3: [Peer p] Endpoint:", "gw..example.org");
  expect_error ("[Peer p]\nWireGuardKey=" WG "\nEndpoint=a.example:1\n"
                "[Peer q]\nWireGuardKey=" WG "\nEndpoint=b.example:1\n",
                "test.conf:5: [Peer q] WireGuardKey:", "an Endpoint= in [Peer p] already");
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

static gchar *
write_base64url (const gchar *dir, const gchar *name, const guint8 *data, gsize len)
{
  gchar *path = g_build_filename (dir, name, NULL);
  g_autofree gchar *text = wgd_base64url_encode (data, len);
  g_autofree gchar *line = g_strconcat (text, "\n", NULL);

  g_assert_true (g_file_set_contents (path, line, -1, NULL));
  return path;
}

static WgdCertificate *
test_certificate (const WgdKeyPair *ca, gboolean break_signature)
{
  g_autoptr (WgdKeyPair) node = test_key_pair (7);
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();

  memcpy (cert->signing_key, node->public_key, WGD_KEY_LEN);
  wgd_key_pair_wg_public (node, cert->wg_key);
  g_strlcpy (cert->name, "node7", sizeof cert->name);
  cert->serial = 7;
  cert->not_after = G_MAXUINT32;
  cert->n_prefixes = 1;
  g_assert_true (wgd_prefix_parse ("10.0.0.7/32", &cert->prefixes[0], NULL));
  g_assert_true (wgd_certificate_sign (cert, ca, NULL));
  if (break_signature)
    cert->raw[cert->raw_len - 1] ^= 1;
  return g_steal_pointer (&cert);
}

static WgdRevocationList *
test_revocations (const WgdKeyPair *ca)
{
  g_autoptr (WgdRevocationList) list = wgd_revocation_list_new ();
  guint64 serial = 7;

  g_array_append_val (list->serials, serial);
  list->issued = 1000;
  g_assert_true (wgd_revocation_list_sign (list, ca, NULL));
  return g_steal_pointer (&list);
}

/* [Mesh] Certificate= and Revocations=: files read, decoded and checked
 * against the mesh's CA, or an error naming group, key and file. */
static void
test_mesh_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("wgd-conf-XXXXXX", NULL);
  g_autoptr (WgdKeyPair) ca = test_key_pair (100);
  g_autoptr (WgdKeyPair) other_ca = test_key_pair (101);
  g_autofree gchar *ca_text = wgd_key_to_base64 (ca->public_key);
  g_autoptr (WgdCertificate) cert = test_certificate (ca, FALSE);
  g_autoptr (WgdCertificate) foreign = test_certificate (other_ca, FALSE);
  g_autoptr (WgdCertificate) broken = test_certificate (ca, TRUE);
  g_autoptr (WgdRevocationList) list = test_revocations (ca);
  g_autoptr (WgdRevocationList) foreign_list = test_revocations (other_ca);
  g_autofree gchar *cert_file = write_base64url (dir, "cert", cert->raw, cert->raw_len);
  g_autofree gchar *foreign_file = write_base64url (dir, "foreign", foreign->raw,
                                                    foreign->raw_len);
  g_autofree gchar *broken_file = write_base64url (dir, "broken", broken->raw,
                                                   broken->raw_len);
  g_autofree gchar *list_file =
    write_base64url (dir, "revoked", g_bytes_get_data (list->raw, NULL),
                     g_bytes_get_size (list->raw));
  g_autofree gchar *foreign_list_file =
    write_base64url (dir, "foreign-revoked", g_bytes_get_data (foreign_list->raw, NULL),
                     g_bytes_get_size (foreign_list->raw));
  g_autofree gchar *garbage_file = g_build_filename (dir, "garbage", NULL);
  g_autofree gchar *missing_file = g_build_filename (dir, "missing", NULL);
  g_autofree gchar *text = g_strdup_printf ("[Mesh m]\nCA=%s\nCertificate=%s\n"
                                            "Revocations=%s\n", ca_text, cert_file, list_file);
  g_autoptr (WgdConfig) c = load (text, &error);
  const WgdMeshConfig *mesh;
  g_autoptr (WgdTrustStore) store = NULL;
  struct {
    const gchar *key, *file, *what;
  } bad[] = {
    { "Certificate", foreign_file, "issued by another CA" },
    { "Certificate", broken_file, "signature does not verify" },
    { "Certificate", list_file, "not a certificate" },
    { "Certificate", garbage_file, "invalid base64url" },
    { "Certificate", missing_file, "No such file" },
    { "Certificate", "relative/cert", "not an absolute path" },
    { "Certificate", "/dev/zero", "not a regular file" },
    { "Certificate", dir, "not a regular file" },
    { "Revocations", foreign_list_file, "signed by another CA" },
    { "Revocations", cert_file, "not a revocation list" },
  };

  g_assert_no_error (error);
  mesh = wgd_config_find_mesh (c, "m");
  g_assert_nonnull (mesh->certificate);
  g_assert_cmpuint (mesh->certificate->serial, ==, 7);
  g_assert_cmpmem (mesh->certificate->raw, mesh->certificate->raw_len, cert->raw,
                   cert->raw_len);
  g_assert_nonnull (mesh->revocations);
  store = wgd_config_trust_store_new (c);
  g_assert_true (wgd_trust_store_is_revoked (store, ca->public_key, 7));
  g_assert_false (wgd_trust_store_is_revoked (store, ca->public_key, 8));

  g_assert_true (g_file_set_contents (garbage_file, "not base64!\n", -1, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree gchar *bad_text = g_strdup_printf ("[Mesh m]\nCA=%s\n%s=%s\n", ca_text,
                                                    bad[i].key, bad[i].file);
      g_autofree gchar *where = g_strdup_printf ("test.conf:3: [Mesh m] %s:", bad[i].key);

      expect_error (bad_text, where, bad[i].what);
    }
  for (const gchar *const *f = (const gchar *const[]) { cert_file, foreign_file, broken_file,
                                                         list_file, foreign_list_file,
                                                         garbage_file, NULL };
       *f != NULL; f++)
    g_unlink (*f);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/configuration/full", test_full);
  g_test_add_func ("/configuration/defaults", test_defaults);
  g_test_add_func ("/configuration/peer-endpoints", test_peer_endpoints);
  g_test_add_func ("/configuration/errors", test_errors);
  g_test_add_func ("/configuration/rendezvous-urls", test_rendezvous_urls);
  g_test_add_func ("/configuration/dropins", test_dropins);
  g_test_add_func ("/configuration/mesh-files", test_mesh_files);
  g_test_add_func ("/configuration/example", test_example);
  return g_test_run ();
}
