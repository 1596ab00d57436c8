/* test-uapi-parse.c — the UAPI reply parser: every key, peers without
 * endpoints, scoped IPv6, unknown keys, errno, and malformed replies
 * (truncated at every byte) refused without a crash. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <sodium.h>

#include "uapi-parse.h"

static const gchar reply[] =
  "private_key=e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\n"
  "listen_port=51820\n"
  "fwmark=66\n"
  "public_key=b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33\n"
  "preshared_key=0101010101010101010101010101010101010101010101010101010101010101\n"
  "protocol_version=1\n"
  "endpoint=192.0.2.1:51820\n"
  "last_handshake_time_sec=1700000000\n"
  "last_handshake_time_nsec=5\n"
  "tx_bytes=100\n"
  "rx_bytes=18446744073709551615\n"
  "persistent_keepalive_interval=25\n"
  "allowed_ip=10.0.0.1/32\n"
  "allowed_ip=fd00::/64\n"
  "some_future_key=whatever\n"
  "public_key=58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376\n"
  "endpoint=[fe80::1%3]:1\n"
  "public_key=58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321377\n"
  "errno=0\n"
  "\n";

static void
test_full_reply (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdDevice) device = wgd_uapi_parse_get_reply ("wg0", reply, strlen (reply), &error);
  const WgdPeer *p;
  g_autofree gchar *ep = NULL;
  g_autofree gchar *ep6 = NULL;
  g_autofree gchar *ip6 = NULL;
  guint8 expect_pub[32];

  g_assert_no_error (error);
  g_assert_nonnull (device);
  g_assert_cmpstr (device->name, ==, "wg0");
  g_assert_true (device->has_private_key);
  g_assert_true (device->has_public_key);
  /* The public key of that private key, as `wg pubkey` prints it. */
  g_assert_cmpint (sodium_hex2bin (expect_pub, 32,
                                   "c1532e1b3d3508fc7ebc354fa679620f33f287149542e684c67b7b0d81362b29",
                                   64, NULL, NULL, NULL), ==, 0);
  g_assert_cmpmem (device->public_key, 32, expect_pub, 32);
  g_assert_cmpuint (device->listen_port, ==, 51820);
  g_assert_cmpuint (device->fwmark, ==, 66);
  g_assert_cmpuint (device->peers->len, ==, 3);

  p = g_ptr_array_index (device->peers, 0);
  g_assert_cmphex (p->public_key[0], ==, 0xb8);
  g_assert_true (p->has_preshared_key);
  ep = wgd_sockaddr_to_string (&p->endpoint);
  g_assert_cmpstr (ep, ==, "192.0.2.1:51820");
  g_assert_cmpint (p->last_handshake_sec, ==, 1700000000);
  g_assert_cmpint (p->last_handshake_nsec, ==, 5);
  g_assert_cmpuint (p->tx_bytes, ==, 100);
  g_assert_cmpuint (p->rx_bytes, ==, G_MAXUINT64);
  g_assert_cmpuint (p->persistent_keepalive, ==, 25);
  g_assert_cmpuint (p->allowed_ips->len, ==, 2);
  ip6 = wgd_prefix_to_string (&g_array_index (p->allowed_ips, WgdPrefix, 1));
  g_assert_cmpstr (ip6, ==, "fd00::/64");

  p = g_ptr_array_index (device->peers, 1);
  g_assert_false (p->has_preshared_key);
  ep6 = wgd_sockaddr_to_string (&p->endpoint);
  g_assert_cmpstr (ep6, ==, "[fe80::1%3]:1");

  p = g_ptr_array_index (device->peers, 2);
  g_assert_cmpint (p->endpoint.sa.sa_family, ==, AF_UNSPEC);
  g_assert_cmpuint (p->allowed_ips->len, ==, 0);
}

static void
test_truncated_everywhere (void)
{
  gsize len = strlen (reply);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autofree gchar *copy = g_memdup2 (reply, cut);
      g_autoptr (GError) error = NULL;
      g_autoptr (WgdDevice) device = wgd_uapi_parse_get_reply ("wg0", copy, cut, &error);

      g_assert_null (device);
      g_assert_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PROTOCOL);
    }
}

static void
expect_protocol_error (const gchar *text, const gchar *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdDevice) device = wgd_uapi_parse_get_reply ("wg0", text, strlen (text), &error);

  g_assert_null (device);
  g_assert_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PROTOCOL);
  if (strstr (error->message, what) == NULL)
    g_error ("expected '%s' in: %s", what, error->message);
}

static void
test_refusals (void)
{
  const gchar *key = "public_key=b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33\n";
  g_autofree gchar *peer_port = g_strconcat (key, "listen_port=1\nerrno=0\n\n", NULL);
  g_autofree gchar *bad_ep = g_strconcat (key, "endpoint=192.0.2.1\nerrno=0\n\n", NULL);
  g_autofree gchar *bad_ip = g_strconcat (key, "allowed_ip=10.0.0.1/33\nerrno=0\n\n", NULL);
  g_autofree gchar *bad_nsec =
    g_strconcat (key, "last_handshake_time_nsec=1000000000\nerrno=0\n\n", NULL);
  g_autofree gchar *big = g_strconcat (key, "rx_bytes=18446744073709551616\nerrno=0\n\n", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdDevice) device = NULL;

  expect_protocol_error ("errno=0\n", "empty line");
  expect_protocol_error ("listen_port=1\n\n", "no errno");
  expect_protocol_error ("listen_port=65536\nerrno=0\n\n", "listen_port");
  expect_protocol_error ("listen_port=-1\nerrno=0\n\n", "listen_port");
  expect_protocol_error ("private_key=abc\nerrno=0\n\n", "private_key");
  expect_protocol_error ("public_key=zz85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a3\n"
                         "errno=0\n\n", "public_key");
  expect_protocol_error ("garbage\nerrno=0\n\n", "line 1: not key=value");
  expect_protocol_error ("=1\nerrno=0\n\n", "not key=value");
  expect_protocol_error ("errno=0\nlisten_port=1\n\n", "after the errno");
  expect_protocol_error ("errno=x\n\n", "errno");
  expect_protocol_error (peer_port, "inside a peer");
  expect_protocol_error (bad_ep, "endpoint");
  expect_protocol_error (bad_ip, "allowed_ip");
  expect_protocol_error (bad_nsec, "nsec");
  expect_protocol_error (big, "rx_bytes");

  {
    const gchar nul[] = "listen_port=1\0\nerrno=0\n\n";

    device = wgd_uapi_parse_get_reply ("wg0", nul, sizeof nul - 1, &error);
    g_assert_null (device);
    g_assert_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PROTOCOL);
    g_clear_error (&error);
  }

  /* A reply that says errno=19 is the implementation refusing. */
  device = wgd_uapi_parse_get_reply ("wg0", "errno=19\n\n", 10, &error);
  g_assert_null (device);
  g_assert_error (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED);
}

static void
test_errno_reply (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (wgd_uapi_parse_errno ("errno=0\n\n", 9, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (wgd_uapi_parse_errno ("errno=22\n\n", 10, &error), ==, 22);
  g_assert_cmpint (wgd_uapi_parse_errno ("errno=0\n", 8, &error), ==, -1);
  g_assert_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_cmpint (wgd_uapi_parse_errno ("listen_port=1\nerrno=0\n\n", 23, &error), ==, -1);
  g_assert_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PROTOCOL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/uapi-parse/full-reply", test_full_reply);
  g_test_add_func ("/uapi-parse/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/uapi-parse/refusals", test_refusals);
  g_test_add_func ("/uapi-parse/errno-reply", test_errno_reply);
  return g_test_run ();
}
