/* test-wg-device.c — one suite for both WireGuard backends, against a
 * real interface in a namespace of the test's own: wireguard-go (the UAPI
 * backend) by default, or with WGD_TEST_WG_IMPL=kernel the kernel module
 * (the netlink backend; run inside the QEMU guest by tests/vm/).
 *
 * What the backend reads is compared with `wg show IFACE dump`, and
 * what it writes is read back both ways. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <gio/gio.h>
#include <sodium.h>

#include "base64.h"
#include "handshake.h"
#include "netns.h"
#include "wg-device.h"

typedef guint8 Key[WGD_KEY_LEN];

typedef struct {
  TestNetns *ns;
  gchar ifname[IFNAMSIZ];
  gboolean kernel;
  gchar *dir;                   /* scratch files: keys for `wg set` */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  const gchar *impl = g_getenv ("WGD_TEST_WG_IMPL");
  const WgdBackend *backend;
  g_autoptr (GError) error = NULL;

  f->kernel = g_strcmp0 (impl, "kernel") == 0;
  f->ns = test_netns_enter ();
  g_snprintf (f->ifname, sizeof f->ifname, "wgt%d", (int) (getpid () % 100000));
  f->dir = g_dir_make_tmp ("wgd-wg-XXXXXX", NULL);
  if (f->kernel)
    test_run ("ip link add %s type wireguard", f->ifname);
  else
    {
      g_autofree gchar *go = g_find_program_in_path ("wireguard-go");

      if (go == NULL)
        g_error ("wireguard-go not found: apt-get install wireguard-go");
      if (!g_file_test ("/dev/net/tun", G_FILE_TEST_EXISTS))
        g_error ("wireguard-go needs /dev/net/tun, which is missing (modprobe tun)");
      test_run ("rm -f /var/run/wireguard/%s.sock; wireguard-go %s", f->ifname, f->ifname);
    }
  backend = wgd_backend_for (f->ifname, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (backend->name, ==, f->kernel ? "netlink" : "uapi");
  /* wireguard-go binds a random port on its own schedule; a fixed one
   * keeps `wg show` and the backend looking at the same device state. */
  test_run ("wg set %s listen-port 51000", f->ifname);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  /* wireguard-go exits when its tun device goes. */
  test_run ("ip link del %s; rm -f /var/run/wireguard/%s.sock", f->ifname, f->ifname);
  test_netns_leave (f->ns);
  test_run ("rm -rf %s", f->dir);
  g_free (f->dir);
}

/* A random WireGuard key pair: private in base64, public as bytes. */
static gchar *
new_key (guint8 public_key[WGD_KEY_LEN])
{
  guint8 secret[WGD_KEY_LEN];

  randombytes_buf (secret, sizeof secret);
  secret[0] &= 248;
  secret[31] = (secret[31] & 127) | 64;
  crypto_scalarmult_base (public_key, secret);
  return wgd_key_to_base64 (secret);
}

static gchar *
key_file (Fixture *f, const gchar *name, const gchar *content)
{
  gchar *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, content, -1, NULL));
  return path;
}

/* `wg show IFACE dump`: the device line, then one line per peer, as
 * tab-separated fields. */
static GPtrArray *
wg_dump (Fixture *f)
{
  g_autofree gchar *out = test_run_output ("wg show %s dump", f->ifname);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  for (gchar **l = lines; *l != NULL; l++)
    if (**l != '\0')
      g_ptr_array_add (rows, g_strsplit (*l, "\t", -1));
  return rows;
}

static gchar **
dump_peer (GPtrArray *rows, const guint8 key[WGD_KEY_LEN])
{
  g_autofree gchar *b64 = wgd_key_to_base64 (key);

  for (guint i = 1; i < rows->len; i++)
    {
      gchar **row = g_ptr_array_index (rows, i);

      if (g_strcmp0 (row[0], b64) == 0)
        return row;
    }
  return NULL;
}

static WgdDevice *
device_get (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  WgdDevice *device = wgd_device_get (f->ifname, &error);

  g_assert_no_error (error);
  g_assert_nonnull (device);
  return device;
}

static gchar *
allowed_ips_text (const WgdPeer *peer)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < peer->allowed_ips->len; i++)
    g_ptr_array_add (parts, wgd_prefix_to_string (&g_array_index (peer->allowed_ips,
                                                                  WgdPrefix, i)));
  if (parts->len == 0)
    return g_strdup ("(none)");
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (",", (gchar **) parts->pdata);
}

/* Every field the backend read equals what `wg` prints. */
static void
assert_device_matches_dump (Fixture *f, const WgdDevice *device)
{
  g_autoptr (GPtrArray) rows = wg_dump (f);
  gchar **dev = g_ptr_array_index (rows, 0);
  g_autofree gchar *pub = device->has_public_key ? wgd_key_to_base64 (device->public_key)
                                                 : g_strdup ("(none)");
  g_autofree gchar *fwmark = device->fwmark ? g_strdup_printf ("0x%x", device->fwmark)
                                            : g_strdup ("off");

  g_assert_cmpstr (dev[0], !=, device->has_private_key ? "(none)" : "x");
  g_assert_cmpint (g_strcmp0 (dev[0], "(none)") != 0, ==, device->has_private_key);
  g_assert_cmpstr (dev[1], ==, pub);
  g_assert_cmpuint (g_ascii_strtoull (dev[2], NULL, 10), ==, device->listen_port);
  g_assert_cmpstr (dev[3], ==, fwmark);
  g_assert_cmpuint (rows->len - 1, ==, device->peers->len);
  for (guint i = 0; i < device->peers->len; i++)
    {
      const WgdPeer *p = g_ptr_array_index (device->peers, i);
      gchar **row = dump_peer (rows, p->public_key);
      g_autofree gchar *ep = p->endpoint.sa.sa_family ? wgd_sockaddr_to_string (&p->endpoint)
                                                      : g_strdup ("(none)");
      g_autofree gchar *ips = allowed_ips_text (p);
      g_autofree gchar *keepalive = p->persistent_keepalive
                                      ? g_strdup_printf ("%u", p->persistent_keepalive)
                                      : g_strdup ("off");

      g_assert_nonnull (row);
      g_assert_cmpint (g_strcmp0 (row[1], "(none)") != 0, ==, p->has_preshared_key);
      g_assert_cmpstr (row[2], ==, ep);
      g_assert_cmpstr (row[3], ==, ips);
      g_assert_cmpint (g_ascii_strtoll (row[4], NULL, 10), ==, p->last_handshake_sec);
      g_assert_cmpuint (g_ascii_strtoull (row[5], NULL, 10), ==, p->rx_bytes);
      g_assert_cmpuint (g_ascii_strtoull (row[6], NULL, 10), ==, p->tx_bytes);
      g_assert_cmpstr (row[7], ==, keepalive);
    }
}

static void
test_read (Fixture *f, gconstpointer data)
{
  guint8 pub[3][WGD_KEY_LEN], own[WGD_KEY_LEN];
  g_autofree gchar *own_priv = new_key (own);
  g_autofree gchar *psk_text = NULL;
  g_autofree gchar *priv_file = key_file (f, "private", own_priv);
  g_autofree gchar *psk_file = NULL;
  g_autoptr (WgdDevice) empty = device_get (f);
  g_autoptr (WgdDevice) device = NULL;
  g_auto (GStrv) k = g_new0 (gchar *, 4);
  guint8 psk[WGD_KEY_LEN];

  /* A fresh interface: no key, no peers. */
  g_assert_false (empty->has_private_key);
  g_assert_cmpuint (empty->peers->len, ==, 0);
  assert_device_matches_dump (f, empty);

  randombytes_buf (psk, sizeof psk);
  psk_text = wgd_key_to_base64 (psk);
  psk_file = key_file (f, "psk", psk_text);
  for (guint i = 0; i < 3; i++)
    {
      g_free (new_key (pub[i]));
      k[i] = wgd_key_to_base64 (pub[i]);
    }
  test_run ("wg set %s private-key %s listen-port 51999 fwmark 0x42 "
            "peer %s endpoint 192.0.2.1:51820 allowed-ips 10.0.0.1/32,fd00::1/128 "
            "persistent-keepalive 25 "
            "peer %s preshared-key %s endpoint [2001:db8::2]:1234 allowed-ips 10.0.1.0/24 "
            "peer %s allowed-ips 10.0.0.3/32",
            f->ifname, priv_file, k[0], k[1], psk_file, k[2]);
  device = device_get (f);
  g_assert_true (device->has_private_key);
  g_assert_true (device->has_public_key);
  g_assert_cmpmem (device->public_key, WGD_KEY_LEN, own, WGD_KEY_LEN);
  g_assert_cmpuint (device->listen_port, ==, 51999);
  g_assert_cmphex (device->fwmark, ==, 0x42);
  g_assert_cmpuint (device->peers->len, ==, 3);
  g_assert_cmpuint (wgd_device_find_peer (device, pub[0])->persistent_keepalive, ==, 25);
  g_assert_true (wgd_device_find_peer (device, pub[1])->has_preshared_key);
  g_assert_cmpint (wgd_device_find_peer (device, pub[2])->endpoint.sa.sa_family, ==, AF_UNSPEC);
  assert_device_matches_dump (f, device);
}

static void
endpoint_for (guint i, guint round, WgdSockaddr *out)
{
  memset (out, 0, sizeof *out);
  if (i % 2 == 0)
    {
      out->in.sin_family = AF_INET;
      out->in.sin_port = htons ((guint16) (1000 + round));
      out->in.sin_addr.s_addr = htonl (0xc6120000u | (round << 12) | i);
    }
  else
    {
      out->in6.sin6_family = AF_INET6;
      out->in6.sin6_port = htons ((guint16) (2000 + round));
      out->in6.sin6_addr.s6_addr[0] = 0x20;
      out->in6.sin6_addr.s6_addr[1] = 0x01;
      out->in6.sin6_addr.s6_addr[2] = 0x0d;
      out->in6.sin6_addr.s6_addr[3] = 0xb8;
      out->in6.sin6_addr.s6_addr[13] = (guint8) round;
      out->in6.sin6_addr.s6_addr[14] = (guint8) (i >> 8);
      out->in6.sin6_addr.s6_addr[15] = (guint8) i;
    }
}

/* n peers made with `wg addconf`, each with one allowed-ip. */
static Key *
add_peers (Fixture *f, guint n)
{
  Key *keys = g_new (Key, n);
  g_autoptr (GString) conf = g_string_new (NULL);
  g_autofree gchar *path = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *b64 = NULL;

      g_free (new_key (keys[i]));
      b64 = wgd_key_to_base64 (keys[i]);
      g_string_append_printf (conf, "[Peer]\nPublicKey = %s\nAllowedIPs = 10.%u.%u.%u/32\n",
                              b64, 100 + i / 65536, (i / 256) % 256, i % 256);
    }
  path = key_file (f, "peers.conf", conf->str);
  test_run ("wg addconf %s %s", f->ifname, path);
  return keys;
}

static void
set_endpoints (Fixture *f, guint n)
{
  g_autofree Key *keys = add_peers (f, n);
  g_autofree WgdPeerChange *changes = g_new0 (WgdPeerChange, n);
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdDevice) device = NULL;
  g_autoptr (GPtrArray) rows = NULL;

  for (guint i = 0; i < n; i++)
    {
      memcpy (changes[i].public_key, keys[i], WGD_KEY_LEN);
      changes[i].flags = WGD_PEER_SET_ENDPOINT;
      endpoint_for (i, 1, &changes[i].endpoint);
    }
  g_assert_true (wgd_device_set_peers (f->ifname, changes, n, &error));
  g_assert_no_error (error);

  device = device_get (f);
  rows = wg_dump (f);
  g_assert_cmpuint (device->peers->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      WgdPeer *peer = wgd_device_find_peer (device, keys[i]);
      g_autofree gchar *want = wgd_sockaddr_to_string (&changes[i].endpoint);
      gchar **row = dump_peer (rows, keys[i]);

      g_assert_nonnull (peer);
      g_assert_true (wgd_sockaddr_equal (&peer->endpoint, &changes[i].endpoint));
      g_assert_nonnull (row);
      g_assert_cmpstr (row[2], ==, want);
      /* Moving a peer leaves its allowed-ips alone. */
      g_assert_cmpuint (peer->allowed_ips->len, ==, 1);
    }
  assert_device_matches_dump (f, device);
}

static void
test_set_endpoints_1 (Fixture *f, gconstpointer data)
{
  set_endpoints (f, 1);
}

static void
test_set_endpoints_100 (Fixture *f, gconstpointer data)
{
  set_endpoints (f, 100);
}

static void
test_set_endpoints_1000 (Fixture *f, gconstpointer data)
{
  set_endpoints (f, 1000);
}

/* The dump row of a peer, with the endpoint and keepalive columns
 * optionally masked, to compare what must not have changed. */
static gchar *
row_text (GPtrArray *rows, const guint8 key[WGD_KEY_LEN])
{
  gchar **row = dump_peer (rows, key);

  g_assert_nonnull (row);
  /* Handshake and transfer columns are live counters. */
  return g_strdup_printf ("%s|%s|%s|%s|%s", row[0], row[1], row[2], row[3], row[7]);
}

static void
test_untouched_peers (Fixture *f, gconstpointer data)
{
  const guint n = 10;
  g_autofree Key *keys = add_peers (f, n);
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  WgdPeerChange changes[3] = { 0 };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *b64 = wgd_key_to_base64 (keys[i]);

      test_run ("wg set %s peer %s endpoint 192.0.2.%u:5%u persistent-keepalive %u "
                "allowed-ips 10.%u.0.0/16,fd00:%x::/64", f->ifname, b64, i + 1, i, 10 + i,
                50 + i, i + 1);
    }
  before = wg_dump (f);
  for (guint c = 0; c < 3; c++)
    {
      memcpy (changes[c].public_key, keys[c * 4], WGD_KEY_LEN);
      changes[c].flags = WGD_PEER_SET_ENDPOINT | WGD_PEER_SET_KEEPALIVE;
      endpoint_for (c, 7, &changes[c].endpoint);
      changes[c].persistent_keepalive = 0;
    }
  g_assert_true (wgd_device_set_peers (f->ifname, changes, 3, &error));
  g_assert_no_error (error);
  after = wg_dump (f);
  g_assert_cmpuint (after->len, ==, before->len);
  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *a = row_text (before, keys[i]);
      g_autofree gchar *b = row_text (after, keys[i]);

      if (i % 4 == 0 && i < 12)
        {
          gchar **row = dump_peer (after, keys[i]);
          g_autofree gchar *want = wgd_sockaddr_to_string (&changes[i / 4].endpoint);

          g_assert_cmpstr (a, !=, b);
          g_assert_cmpstr (row[2], ==, want);
          g_assert_cmpstr (row[7], ==, "off");
          /* Its allowed-ips stay. */
          g_assert_cmpstr (row[3], ==, dump_peer (before, keys[i])[3]);
        }
      else
        g_assert_cmpstr (a, ==, b);
    }
}

static void
apply (Fixture *f, const WgdPeerChange *change)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (wgd_device_set_peers (f->ifname, change, 1, &error));
  g_assert_no_error (error);
}

static void
test_peer_lifecycle (Fixture *f, gconstpointer data)
{
  guint8 key[WGD_KEY_LEN], ghost[WGD_KEY_LEN];
  WgdPrefix ips[2], replacement;
  WgdPeerChange change = { 0 };
  g_autoptr (WgdDevice) device = NULL;
  WgdPeer *peer;
  g_autofree gchar *text = NULL;

  g_free (new_key (key));
  g_free (new_key (ghost));
  g_assert_true (wgd_prefix_parse ("10.9.0.1/32", &ips[0], NULL));
  g_assert_true (wgd_prefix_parse ("fd09::/64", &ips[1], NULL));
  g_assert_true (wgd_prefix_parse ("10.8.0.0/16", &replacement, NULL));

  /* A move for a peer that does not exist must not create it. */
  memcpy (change.public_key, ghost, WGD_KEY_LEN);
  change.flags = WGD_PEER_SET_ENDPOINT;
  endpoint_for (0, 1, &change.endpoint);
  apply (f, &change);
  device = device_get (f);
  g_assert_null (wgd_device_find_peer (device, ghost));
  g_clear_pointer (&device, wgd_device_free);

  /* Add with allowed-ips, endpoint and keepalive. */
  memcpy (change.public_key, key, WGD_KEY_LEN);
  change.flags = WGD_PEER_ADD_ALLOWED_IPS | WGD_PEER_SET_ENDPOINT | WGD_PEER_SET_KEEPALIVE;
  change.allowed_ips = ips;
  change.n_allowed_ips = 2;
  change.persistent_keepalive = 25;
  apply (f, &change);
  device = device_get (f);
  peer = wgd_device_find_peer (device, key);
  g_assert_nonnull (peer);
  text = allowed_ips_text (peer);
  g_assert_cmpstr (text, ==, "10.9.0.1/32,fd09::/64");
  g_assert_cmpuint (peer->persistent_keepalive, ==, 25);
  assert_device_matches_dump (f, device);
  g_clear_pointer (&device, wgd_device_free);
  g_clear_pointer (&text, g_free);

  /* Keepalive cleared, nothing else. */
  change.flags = WGD_PEER_SET_KEEPALIVE;
  change.persistent_keepalive = 0;
  apply (f, &change);
  device = device_get (f);
  peer = wgd_device_find_peer (device, key);
  g_assert_cmpuint (peer->persistent_keepalive, ==, 0);
  g_assert_cmpuint (peer->allowed_ips->len, ==, 2);
  g_assert_true (wgd_sockaddr_equal (&peer->endpoint, &change.endpoint));
  g_clear_pointer (&device, wgd_device_free);

  /* Replace the allowed-ips. */
  change.flags = WGD_PEER_REPLACE_ALLOWED_IPS;
  change.allowed_ips = &replacement;
  change.n_allowed_ips = 1;
  apply (f, &change);
  device = device_get (f);
  text = allowed_ips_text (wgd_device_find_peer (device, key));
  g_assert_cmpstr (text, ==, "10.8.0.0/16");
  assert_device_matches_dump (f, device);
  g_clear_pointer (&device, wgd_device_free);

  /* Remove. */
  change.flags = WGD_PEER_REMOVE;
  apply (f, &change);
  device = device_get (f);
  g_assert_null (wgd_device_find_peer (device, key));
  g_assert_cmpuint (device->peers->len, ==, 0);
}

/* The keepalive toggle of handshake.h, on an interface that is up: the
 * peer is sent a handshake initiation at once (message type 1, 148
 * bytes), and keeps no keepalive afterwards, as none was configured. The
 * peer is a UDP socket of the test's own on loopback. */
static void
test_handshake_now (Fixture *f, gconstpointer data)
{
  guint8 key[WGD_KEY_LEN];
  g_autofree gchar *secret = NULL;
  g_autofree gchar *secret_file = NULL;
  g_autoptr (GSocket) peer_socket = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) bind_to = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GArray) changes = g_array_new (FALSE, TRUE, sizeof (WgdPeerChange));
  g_autoptr (WgdDevice) device = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *endpoint_text = NULL;
  g_autofree gchar *key_text = NULL;
  WgdSockaddr endpoint;
  guint8 message[256];
  gssize n;
  WgdPeer *peer;

  secret = new_key (key);
  secret_file = key_file (f, "interface", secret);
  g_free (new_key (key));
  key_text = wgd_key_to_base64 (key);
  test_run ("ip link set lo up && wg set %s private-key %s peer %s allowed-ips 10.9.0.2/32 "
            "&& ip link set %s up", f->ifname, secret_file, key_text, f->ifname);
  peer_socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                              G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (peer_socket, bind_to, TRUE, &error));
  bound = g_socket_get_local_address (peer_socket, &error);
  g_assert_no_error (error);
  endpoint_text = g_strdup_printf ("127.0.0.1:%u", g_inet_socket_address_get_port (
                                     G_INET_SOCKET_ADDRESS (bound)));
  g_assert_true (wgd_sockaddr_parse (endpoint_text, &endpoint));

  wgd_handshake_add_changes (changes, key, &endpoint, 0);
  g_assert_true (wgd_device_set_peers (f->ifname, &g_array_index (changes, WgdPeerChange, 0),
                                       changes->len, &error));
  g_assert_no_error (error);
  g_socket_set_timeout (peer_socket, 5);
  n = g_socket_receive (peer_socket, (gchar *) message, sizeof message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 148);
  g_assert_cmpuint (message[0], ==, 1);

  device = device_get (f);
  peer = wgd_device_find_peer (device, key);
  g_assert_nonnull (peer);
  g_assert_cmpuint (peer->persistent_keepalive, ==, 0);
  g_assert_true (wgd_sockaddr_equal (&peer->endpoint, &endpoint));
}

/* Allowed-ips that cannot fit in one netlink message continue in the
 * next without replacing what went before. */
static void
test_many_allowed_ips (Fixture *f, gconstpointer data)
{
  const guint n = 600;
  g_autofree WgdPrefix *ips = g_new0 (WgdPrefix, n);
  guint8 key[WGD_KEY_LEN];
  WgdPeerChange change = { 0 };
  g_autoptr (WgdDevice) device = NULL;
  WgdPeer *peer;

  g_free (new_key (key));
  for (guint i = 0; i < n; i++)
    {
      ips[i].family = 6;
      ips[i].length = 128;
      ips[i].address[0] = 0xfd;
      ips[i].address[14] = (guint8) (i >> 8);
      ips[i].address[15] = (guint8) i;
    }
  memcpy (change.public_key, key, WGD_KEY_LEN);
  change.flags = WGD_PEER_REPLACE_ALLOWED_IPS;
  change.allowed_ips = ips;
  change.n_allowed_ips = n;
  apply (f, &change);
  device = device_get (f);
  peer = wgd_device_find_peer (device, key);
  g_assert_nonnull (peer);
  g_assert_cmpuint (peer->allowed_ips->len, ==, n);
  assert_device_matches_dump (f, device);
}

static void
test_configure (Fixture *f, gconstpointer data)
{
  guint8 pub[WGD_KEY_LEN], secret[WGD_KEY_LEN];
  g_autofree gchar *priv = new_key (pub);
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdDevice) device = NULL;
  g_autofree gchar *shown = NULL;
  g_autofree gchar *want = wgd_key_to_base64 (pub);

  g_assert_true (wgd_key_from_base64 (priv, secret, NULL));
  g_assert_true (wgd_device_configure (f->ifname, secret, 41414, &error));
  g_assert_no_error (error);
  shown = test_run_output ("wg show %s public-key", f->ifname);
  g_strchomp (shown);
  g_assert_cmpstr (shown, ==, want);
  device = device_get (f);
  g_assert_cmpuint (device->listen_port, ==, 41414);
  g_clear_pointer (&device, wgd_device_free);

  /* The port alone; the key stays. */
  g_assert_true (wgd_device_configure (f->ifname, NULL, 41415, &error));
  g_assert_no_error (error);
  device = device_get (f);
  g_assert_cmpuint (device->listen_port, ==, 41415);
  g_assert_cmpmem (device->public_key, WGD_KEY_LEN, pub, WGD_KEY_LEN);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  const gchar *bad[] = { "nosuchwg0", "a-name-far-too-long", "../etc", "" };
  guint8 key[WGD_KEY_LEN] = { 1 };
  WgdPeerChange change = { .flags = WGD_PEER_REMOVE };

  memcpy (change.public_key, key, WGD_KEY_LEN);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (WgdDevice) device = wgd_device_get (bad[i], &error);

      g_assert_null (device);
      g_assert_error (error, WGD_WG_ERROR, WGD_WG_ERROR_NO_DEVICE);
      g_clear_error (&error);
      g_assert_false (wgd_device_set_peers (bad[i], &change, 1, &error));
      g_assert_error (error, WGD_WG_ERROR, WGD_WG_ERROR_NO_DEVICE);
      if (i == 0)
        g_assert_nonnull (strstr (error->message, bad[i]));
    }
}

/* Whether this kernel has WireGuard's generic netlink family: what `wg`
 * reports for an interface without a UAPI socket depends on it. Asked
 * of iproute2's genl, not of the code under test. */
static gboolean
kernel_has_wireguard (const Fixture *f)
{
  g_autofree gchar *families = NULL;

  if (f->kernel)
    return TRUE;
  families = test_run_output ("genl ctrl list");
  return strstr (families, "Name: wireguard\n") != NULL;
}

/* An interface that is not WireGuard. */
static void
test_not_wireguard (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  WgdWgErrorCode expected = kernel_has_wireguard (f) ? WGD_WG_ERROR_NOT_WIREGUARD
                                                     : WGD_WG_ERROR_UNSUPPORTED;

  test_run ("ip link add wgdnotwg type veth peer name wgdnotwg1");
  g_assert_null (wgd_device_get ("wgdnotwg", &error));
  g_assert_error (error, WGD_WG_ERROR, (gint) expected);
  g_assert_nonnull (strstr (error->message, "wgdnotwg"));
  test_run ("ip link del wgdnotwg");
}

/* What a user without privilege may find at the UAPI socket directory. */
typedef enum {
  UAPI_DIR_ABSENT,
  UAPI_DIR_PRIVATE,             /* 0700, as wireguard-go makes it under umask 077 */
  UAPI_DIR_OPEN,                /* 0755 around a root-only socket */
} UapiDir;

/* Makes this process's view of the UAPI directory what layout says, in
 * a mount namespace of its own, so the machine's is never touched. An
 * interface with a socket keeps it: bind-mounted into the new directory.
 * Returns FALSE (with errno) if a step failed. */
static gboolean
uapi_dir_arrange (const Fixture *f, UapiDir layout)
{
  g_autofree gchar *socket = wgd_uapi_socket_path (f->ifname);
  g_autofree gchar *dir = g_path_get_dirname (socket);
  g_autofree gchar *kept = g_build_filename (f->dir, "socket", NULL);
  g_autofree gchar *options = g_strdup_printf ("mode=%s", layout == UAPI_DIR_PRIVATE ? "0700"
                                                                                       : "0755");
  int fd;

  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    return FALSE;
  if (layout == UAPI_DIR_ABSENT || f->kernel)
    {
      /* A fresh /var/run (a link to /run) has no wireguard directory. */
      if (mount ("tmpfs", "/var/run", "tmpfs", 0, "mode=0755") != 0)
        return FALSE;
      if (layout == UAPI_DIR_ABSENT)
        return TRUE;
      return mkdir (dir, 0700) == 0 && chmod (dir, layout == UAPI_DIR_PRIVATE ? 0700 : 0755) == 0;
    }
  if ((fd = open (kept, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0)
    return FALSE;
  close (fd);
  if (mount (socket, kept, NULL, MS_BIND, NULL) != 0
      || mount ("tmpfs", dir, "tmpfs", 0, options) != 0)
    return FALSE;
  if ((fd = open (socket, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0)
    return FALSE;
  close (fd);
  return mount (kept, socket, NULL, MS_BIND, NULL) == 0;
}

/* Checks one operation's error; prints it for the log. */
static gboolean
permission_error_is (const Fixture *f, const gchar *what, const GError *error,
                     WgdWgErrorCode expected)
{
  if (error == NULL)
    {
      g_printerr ("%s succeeded without privilege\n", what);
      return FALSE;
    }
  g_printerr ("%s: %s\n", what, error->message);
  return g_error_matches (error, WGD_WG_ERROR, expected)
         && strstr (error->message, f->ifname) != NULL
         && (expected != WGD_WG_ERROR_PERMISSION || strstr (error->message, "root") != NULL
             || strstr (error->message, "CAP_NET_ADMIN") != NULL);
}

/* In a child: the layout, a check that root still reaches the device
 * through it, then every operation as nobody. Exit status 0 if each
 * failed with expected; otherwise which step went wrong. */
static int
permission_child (const Fixture *f, UapiDir layout, WgdWgErrorCode expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdDevice) device = NULL;
  WgdPeerChange change = { .public_key = { 1 }, .flags = WGD_PEER_REMOVE };

  if (!uapi_dir_arrange (f, layout))
    {
      g_printerr ("arranging the UAPI directory: %s\n", g_strerror (errno));
      return 20;
    }
  if (layout != UAPI_DIR_ABSENT || f->kernel)
    {
      device = wgd_device_get (f->ifname, &error);
      if (device == NULL)
        {
          g_printerr ("root cannot read the device: %s\n", error->message);
          return 21;
        }
    }
  if (setgroups (0, NULL) != 0 || setgid (65534) != 0 || setuid (65534) != 0)
    return 22;
  g_clear_pointer (&device, wgd_device_free);
  device = wgd_device_get (f->ifname, &error);
  if (device != NULL || !permission_error_is (f, "get", error, expected))
    return 23;
  g_clear_error (&error);
  if (wgd_device_set_peers (f->ifname, &change, 1, &error)
      || !permission_error_is (f, "set peers", error, expected))
    return 24;
  g_clear_error (&error);
  if (wgd_device_configure (f->ifname, NULL, 51000, &error)
      || !permission_error_is (f, "configure", error, expected))
    return 25;
  return 0;
}

/* Without privilege every operation fails with the error a user can act
 * on, whatever the machine's UAPI directory looks like: permission
 * denied wherever a socket exists or cannot be looked for; with no
 * directory at all, what `wg` would say on this kernel (permission
 * denied from the kernel's WireGuard, or that there is none). */
static void
test_permission (Fixture *f, gconstpointer data)
{
  static const struct {
    UapiDir layout;
    const gchar *name;
  } layouts[] = {
    { UAPI_DIR_ABSENT, "absent" },
    { UAPI_DIR_PRIVATE, "0700" },
    { UAPI_DIR_OPEN, "0755" },
  };
  gboolean kernel_wg = kernel_has_wireguard (f);

  for (gsize i = 0; i < G_N_ELEMENTS (layouts); i++)
    {
      WgdWgErrorCode expected = WGD_WG_ERROR_PERMISSION;
      pid_t pid;
      int status = 0;

      if (layouts[i].layout == UAPI_DIR_ABSENT && !kernel_wg)
        expected = WGD_WG_ERROR_UNSUPPORTED;
      g_test_message ("UAPI directory %s: expecting error code %d", layouts[i].name, expected);
      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        _exit (permission_child (f, layouts[i].layout, expected));
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }
}

#define ADD(path, func) \
  g_test_add ("/wg-device/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

static void
test_needs_root (void)
{
  g_test_skip ("WireGuard interfaces in network namespaces need root");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  if (geteuid () != 0)
    {
      g_test_add_func ("/wg-device/needs-root", test_needs_root);
      return g_test_run ();
    }
  ADD ("read", test_read);
  ADD ("set-endpoints-1", test_set_endpoints_1);
  ADD ("set-endpoints-100", test_set_endpoints_100);
  ADD ("set-endpoints-1000", test_set_endpoints_1000);
  ADD ("untouched-peers", test_untouched_peers);
  ADD ("peer-lifecycle", test_peer_lifecycle);
  ADD ("handshake-now", test_handshake_now);
  ADD ("many-allowed-ips", test_many_allowed_ips);
  ADD ("configure", test_configure);
  ADD ("errors", test_errors);
  ADD ("not-wireguard", test_not_wireguard);
  ADD ("permission", test_permission);
  return g_test_run ();
}
