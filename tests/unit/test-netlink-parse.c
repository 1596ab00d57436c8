/* test-netlink-parse.c — the kernel backend's reply parser on messages
 * built here with libmnl: every field, a peer continued across two
 * messages, unknown attributes skipped, and bad input refused. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "netlink-parse.h"

/* Netlink messages are built 4-byte aligned. */
typedef union {
  guint8 bytes[8192];
  guint32 align;
} Buffer;

static struct nlmsghdr *
message_new (Buffer *buf)
{
  struct nlmsghdr *nlh;
  struct genlmsghdr *genl;

  memset (buf, 0, sizeof *buf);
  nlh = mnl_nlmsg_put_header (buf->bytes);
  genl = mnl_nlmsg_put_extra_header (nlh, sizeof *genl);
  genl->cmd = WG_CMD_GET_DEVICE;
  genl->version = WG_GENL_VERSION;
  mnl_attr_put_strz (nlh, WGDEVICE_A_IFNAME, "wg7");
  return nlh;
}

static void
put_allowed_ip (struct nlmsghdr *nlh, int family, const gchar *addr, guint8 cidr)
{
  struct nlattr *ip = mnl_attr_nest_start (nlh, 0);
  guint8 bytes[16];

  g_assert_cmpint (inet_pton (family, addr, bytes), ==, 1);
  mnl_attr_put_u16 (nlh, WGALLOWEDIP_A_FAMILY, (guint16) family);
  mnl_attr_put (nlh, WGALLOWEDIP_A_IPADDR, family == AF_INET ? 4 : 16, bytes);
  mnl_attr_put_u8 (nlh, WGALLOWEDIP_A_CIDR_MASK, cidr);
  mnl_attr_nest_end (nlh, ip);
}

static void
put_peer (struct nlmsghdr *nlh, guint8 fill, gboolean full)
{
  struct nlattr *peer = mnl_attr_nest_start (nlh, 0);
  struct nlattr *ips;
  guint8 key[WGD_KEY_LEN];

  memset (key, fill, sizeof key);
  mnl_attr_put (nlh, WGPEER_A_PUBLIC_KEY, sizeof key, key);
  if (full)
    {
      struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons (51820),
                                  .sin6_scope_id = 3 };
      gint64 ts[2] = { 1700000000, 42 };

      mnl_attr_put (nlh, WGPEER_A_PRESHARED_KEY, sizeof key, key);
      g_assert_cmpint (inet_pton (AF_INET6, "fe80::9", &in6.sin6_addr), ==, 1);
      mnl_attr_put (nlh, WGPEER_A_ENDPOINT, sizeof in6, &in6);
      mnl_attr_put_u16 (nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
      mnl_attr_put (nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof ts, ts);
      mnl_attr_put_u64 (nlh, WGPEER_A_RX_BYTES, 1234);
      mnl_attr_put_u64 (nlh, WGPEER_A_TX_BYTES, 5678);
      mnl_attr_put_u32 (nlh, WGPEER_A_PROTOCOL_VERSION, 1);
      /* An attribute a future kernel might add. */
      mnl_attr_put_u32 (nlh, 200, 7);
    }
  ips = mnl_attr_nest_start (nlh, WGPEER_A_ALLOWEDIPS);
  put_allowed_ip (nlh, AF_INET, full ? "10.0.0.1" : "10.0.0.2", 32);
  if (full)
    put_allowed_ip (nlh, AF_INET6, "fd00::", 64);
  mnl_attr_nest_end (nlh, ips);
  mnl_attr_nest_end (nlh, peer);
}

static void
test_full_device (void)
{
  Buffer buf;
  struct nlmsghdr *nlh = message_new (&buf);
  struct nlattr *peers;
  g_autoptr (WgdDevice) device = wgd_device_new ("wg7");
  g_autoptr (GError) error = NULL;
  guint8 key[WGD_KEY_LEN];
  const WgdPeer *p;
  const WgdPrefix *ip;
  g_autofree gchar *ep = NULL;

  memset (key, 0xaa, sizeof key);
  mnl_attr_put_u32 (nlh, WGDEVICE_A_IFINDEX, 9);
  mnl_attr_put (nlh, WGDEVICE_A_PRIVATE_KEY, sizeof key, key);
  mnl_attr_put (nlh, WGDEVICE_A_PUBLIC_KEY, sizeof key, key);
  mnl_attr_put_u16 (nlh, WGDEVICE_A_LISTEN_PORT, 51820);
  mnl_attr_put_u32 (nlh, WGDEVICE_A_FWMARK, 0x42);
  peers = mnl_attr_nest_start (nlh, WGDEVICE_A_PEERS);
  put_peer (nlh, 0x01, TRUE);
  put_peer (nlh, 0x02, FALSE);
  mnl_attr_nest_end (nlh, peers);

  g_assert_true (wgd_netlink_parse_device (nlh, device, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (device->name, ==, "wg7");
  g_assert_cmpuint (device->ifindex, ==, 9);
  g_assert_true (device->has_private_key);
  g_assert_true (device->has_public_key);
  g_assert_cmpmem (device->public_key, WGD_KEY_LEN, key, WGD_KEY_LEN);
  g_assert_cmpuint (device->listen_port, ==, 51820);
  g_assert_cmphex (device->fwmark, ==, 0x42);
  g_assert_cmpuint (device->peers->len, ==, 2);

  p = g_ptr_array_index (device->peers, 0);
  g_assert_cmpuint (p->public_key[0], ==, 0x01);
  g_assert_true (p->has_preshared_key);
  ep = wgd_sockaddr_to_string (&p->endpoint);
  g_assert_cmpstr (ep, ==, "[fe80::9%3]:51820");
  g_assert_cmpuint (p->persistent_keepalive, ==, 25);
  g_assert_cmpint (p->last_handshake_sec, ==, 1700000000);
  g_assert_cmpint (p->last_handshake_nsec, ==, 42);
  g_assert_cmpuint (p->rx_bytes, ==, 1234);
  g_assert_cmpuint (p->tx_bytes, ==, 5678);
  g_assert_cmpuint (p->allowed_ips->len, ==, 2);
  ip = &g_array_index (p->allowed_ips, WgdPrefix, 1);
  g_assert_cmpuint (ip->family, ==, 6);
  g_assert_cmpuint (ip->length, ==, 64);
  g_assert_cmpuint (ip->address[0], ==, 0xfd);

  p = g_ptr_array_index (device->peers, 1);
  g_assert_false (p->has_preshared_key);
  g_assert_cmpint (p->endpoint.sa.sa_family, ==, AF_UNSPEC);
  g_assert_cmpuint (p->allowed_ips->len, ==, 1);

  /* A second message continuing peer 2 adds to it, not a new peer. */
  nlh = message_new (&buf);
  peers = mnl_attr_nest_start (nlh, WGDEVICE_A_PEERS);
  put_peer (nlh, 0x02, FALSE);
  put_peer (nlh, 0x03, FALSE);
  mnl_attr_nest_end (nlh, peers);
  g_assert_true (wgd_netlink_parse_device (nlh, device, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (device->peers->len, ==, 3);
  p = g_ptr_array_index (device->peers, 1);
  g_assert_cmpuint (p->allowed_ips->len, ==, 2);
}

static void
expect_refused (struct nlmsghdr *nlh, const gchar *what)
{
  g_autoptr (WgdDevice) device = wgd_device_new ("wg7");
  g_autoptr (GError) error = NULL;

  g_assert_false (wgd_netlink_parse_device (nlh, device, &error));
  g_assert_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PROTOCOL);
  if (strstr (error->message, what) == NULL)
    g_error ("expected '%s' in: %s", what, error->message);
}

static void
test_refusals (void)
{
  Buffer buf;
  struct nlmsghdr *nlh;
  struct nlattr *peers, *peer, *ips, *ip;
  guint8 key[WGD_KEY_LEN] = { 0 };
  struct sockaddr_in in = { .sin_family = AF_INET6 };

  nlh = message_new (&buf);
  mnl_attr_put_u32 (nlh, WGDEVICE_A_LISTEN_PORT, 1);
  expect_refused (nlh, "device attribute");

  nlh = message_new (&buf);
  mnl_attr_put (nlh, WGDEVICE_A_PUBLIC_KEY, 31, key);
  expect_refused (nlh, "device attribute");

  nlh = message_new (&buf);
  peers = mnl_attr_nest_start (nlh, WGDEVICE_A_PEERS);
  peer = mnl_attr_nest_start (nlh, 0);
  mnl_attr_put_u16 (nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 1);
  mnl_attr_nest_end (nlh, peer);
  mnl_attr_nest_end (nlh, peers);
  expect_refused (nlh, "public key");

  /* An IPv4 sockaddr that claims to be IPv6. */
  nlh = message_new (&buf);
  peers = mnl_attr_nest_start (nlh, WGDEVICE_A_PEERS);
  peer = mnl_attr_nest_start (nlh, 0);
  mnl_attr_put (nlh, WGPEER_A_PUBLIC_KEY, sizeof key, key);
  mnl_attr_put (nlh, WGPEER_A_ENDPOINT, sizeof in, &in);
  mnl_attr_nest_end (nlh, peer);
  mnl_attr_nest_end (nlh, peers);
  expect_refused (nlh, "endpoint");

  nlh = message_new (&buf);
  peers = mnl_attr_nest_start (nlh, WGDEVICE_A_PEERS);
  peer = mnl_attr_nest_start (nlh, 0);
  mnl_attr_put (nlh, WGPEER_A_PUBLIC_KEY, sizeof key, key);
  ips = mnl_attr_nest_start (nlh, WGPEER_A_ALLOWEDIPS);
  ip = mnl_attr_nest_start (nlh, 0);
  mnl_attr_put_u16 (nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
  mnl_attr_put (nlh, WGALLOWEDIP_A_IPADDR, 4, key);
  mnl_attr_put_u8 (nlh, WGALLOWEDIP_A_CIDR_MASK, 33);
  mnl_attr_nest_end (nlh, ip);
  mnl_attr_nest_end (nlh, ips);
  mnl_attr_nest_end (nlh, peer);
  mnl_attr_nest_end (nlh, peers);
  expect_refused (nlh, "mask");

  /* Shorter than the generic netlink header. */
  nlh = mnl_nlmsg_put_header (buf.bytes);
  expect_refused (nlh, "shorter");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/netlink-parse/full-device", test_full_device);
  g_test_add_func ("/netlink-parse/refusals", test_refusals);
  return g_test_run ();
}
