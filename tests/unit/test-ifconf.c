/* test-ifconf.c — the wg-quick, networkd and NetworkManager parsers on
 * good files and on each kind of bad line, networkd's masking and
 * drop-ins, and the merge of all three under a temporary root. */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "base64.h"
#include "ifconf.h"
#include "test-util.h"
#include "wgd-error.h"

static void
assert_peer (const WgdIfconfPeer *peer, guint8 n, const gchar *host, guint port,
             WgdIfconfManager manager)
{
  guint8 key[WGD_KEY_LEN];

  memset (key, n, sizeof key);
  g_assert_nonnull (peer);
  g_assert_cmpmem (peer->public_key, WGD_KEY_LEN, key, WGD_KEY_LEN);
  g_assert_cmpstr (peer->endpoint->host, ==, host);
  g_assert_cmpuint (peer->endpoint->port, ==, port);
  g_assert_cmpint (peer->manager, ==, manager);
}

static void
assert_message (const GError *error, const gchar *text, const gchar *expected)
{
  g_assert_nonnull (error);
  if (strstr (error->message, expected) == NULL)
    g_error ("for\n%s\nthe message '%s' lacks '%s'", text, error->message, expected);
  /* Whatever the file holds, the message is one line without escapes. */
  for (const gchar *p = error->message; *p != '\0'; p++)
    g_assert_false (g_ascii_iscntrl (*p));
}

/* --- wg-quick ------------------------------------------------------------- */

static void
test_wg_quick_good (void)
{
  g_autofree gchar *text = test_with_keys (
    "# wg0, made by hand\n"
    "[Interface]\n"
    "PrivateKey = @9\n"
    "Address = 10.0.0.1/24\n"
    "PostUp = iptables -A FORWARD -i %i -j ACCEPT # with a comment\n"
    "Table = off\n"
    "\n"
    "[peer]\r\n"
    "publickey = @1\n"
    "ENDPOINT = vpn.example.org : 51820 # home\n"
    "AllowedIPs = 10.0.0.2/32\n"
    "[ Peer ]\n"
    "PublicKey=@2\n"
    "Endpoint=[2001:db8::1]:51820\n"
    "[Peer]\n"
    "PublicKey = @3\n"
    "AllowedIPs = 10.0.0.3/32\n"
    "[Peer]\n"
    "PublicKey = @4\n"
    "Endpoint = first.example:1\n"
    "Endpoint = second.example:2\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) peers = wgd_ifconf_wg_quick_parse ("/etc/wireguard/wg0.conf", text,
                                                           strlen (text), &error);
  const WgdIfconfPeer *p;

  g_assert_no_error (error);
  /* @3 has no endpoint: nothing to resolve. */
  g_assert_cmpuint (peers->len, ==, 3);
  p = g_ptr_array_index (peers, 0);
  assert_peer (p, 0x11, "vpn.example.org", 51820, WGD_IFCONF_WG_QUICK);
  g_assert_false (p->endpoint->literal);
  g_assert_cmpstr (p->path, ==, "/etc/wireguard/wg0.conf");
  g_assert_cmpuint (p->line, ==, 10);
  p = g_ptr_array_index (peers, 1);
  assert_peer (p, 0x22, "2001:db8::1", 51820, WGD_IFCONF_WG_QUICK);
  g_assert_true (p->endpoint->literal);
  /* As in wg(8), the last Endpoint= of a [Peer] counts. */
  p = g_ptr_array_index (peers, 2);
  assert_peer (p, 0x44, "second.example", 2, WGD_IFCONF_WG_QUICK);
  g_assert_cmpuint (p->line, ==, 21);
}

static void
test_wg_quick_bad (void)
{
  const struct {
    const gchar *text, *message;
  } cases[] = {
    { "[Interface]\n[Peer]\nPublicKey=@1\nEndpoint=a.example:0\n",
      "wg0.conf:4: [Peer] Endpoint: endpoint 'a.example:0': port 0 is out of range" },
    { "[Peer]\nPublicKey=@1\nEndpoint=bad_name:1\n", "wg0.conf:3: [Peer] Endpoint: endpoint" },
    { "[Peer]\nPublicKey=@1\nEndpoint=\n", "wg0.conf:3: [Peer] Endpoint: endpoint '': is empty" },
    { "[Peer]\nPublicKey=nope\n", "wg0.conf:2: [Peer] PublicKey: not a key" },
    { "[Peer]\nEndpoint=a.example:1\n", "wg0.conf:1: [Peer]: no PublicKey=" },
    { "[Peer]\nPublicKey=@1\n[Peer]\nPublicKey=@1\n",
      "wg0.conf:3: [Peer]: peer " },
    { "[Peer]\nPublicKey=@1\n\n[Peer]\nPublicKey=@1\n", "is listed twice (first at line 1)" },
    { "[Interface]\n[Wireguard]\n", "wg0.conf:2: [Wireguard]: unknown section" },
    { "PublicKey=@1\n[Peer]\n", "wg0.conf:1: an assignment before the first [section] header" },
    { "[Peer]\nPublicKey\n", "wg0.conf:2: neither KEY=VALUE" },
    { "[Peer\n", "wg0.conf:1: a section header '[' does not end with ']'" },
    { "[]\n", "wg0.conf:1: a section header '[]' without a name" },
    { "[Peer]\n=x\n", "wg0.conf:2: no key before '='" },
    { "[Peer]\nPublicKey=@1\nEndpoint=a.example:1\xff\n", "wg0.conf: invalid UTF-8 at offset" },
    { "[Peer\x1b[2J]\n", "wg0.conf: a control character at offset 5" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *text = test_with_keys (cases[i].text);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) peers = wgd_ifconf_wg_quick_parse ("/etc/wireguard/wg0.conf", text,
                                                               strlen (text), &error);

      g_assert_null (peers);
      assert_message (error, text, cases[i].message);
      g_assert_true (g_str_has_prefix (error->message, "/etc/wireguard/wg0.conf"));
    }
  {
    g_autoptr (GError) error = NULL;
    gsize big = 1024 * 1024 + 1;
    g_autofree gchar *text = g_malloc (big);

    memset (text, '#', big);
    g_assert_null (wgd_ifconf_wg_quick_parse ("x.conf", text, big, &error));
    g_assert_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE);
    assert_message (error, "(1 MiB of '#')", "x.conf: larger than 1 MiB");
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (wgd_ifconf_wg_quick_parse ("x.conf", "[Peer]\0", 7, &error));
    assert_message (error, "[Peer]\\0", "x.conf: a NUL byte at offset 6");
  }
}

/* --- networkd ------------------------------------------------------------- */

static WgdIfconfNetdev *
netdev_parse (const gchar *root, const gchar *ifname, const gchar *text, GError **error)
{
  g_autofree gchar *keyed = test_with_keys (text);
  g_autoptr (GBytes) bytes = g_bytes_new (keyed, strlen (keyed));
  const gchar *path = "/etc/systemd/network/wg0.netdev";

  return wgd_ifconf_networkd_parse (root, ifname, 1, &path, &bytes, error);
}

static void
test_networkd_good (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdIfconfNetdev) nd = NULL;
  const WgdIfconfPeer *p;

  nd = netdev_parse ("/nonexistent", "wg0",
                     "\xef\xbb\xbf"
                     "; networkd's own comments\n"
                     "[Match]\n"
                     "Host=example\n"
                     "[NetDev]\n"
                     "Name=wg1\n"
                     "Name = wg0\n"
                     "Kind=wireguard\n"
                     "[WireGuard]\n"
                     "PrivateKeyFile=/etc/systemd/network/wg0.key\n"
                     "  # an indented comment\n"
                     "[WireGuardPeer]\n"
                     "PublicKey=@1\n"
                     "AllowedIPs=10.0.0.0/8,\\\n"
                     "# skipped inside the continuation\n"
                     "           10.1.0.0/16\n"
                     "Endpoint=\\\n"
                     "  vpn.example.org:51820\n"
                     "[WireGuardPeer]\n"
                     "PublicKey=@2\n"
                     "Endpoint=old.example:1\n"
                     "Endpoint=\n"
                     "[WireGuardPeer]\n"
                     "PublicKey=@3\n"
                     "Endpoint=192.0.2.7:51820\n"
                     "[X-Vendor]\n"
                     "Anything=goes\n",
                     &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nd->name, ==, "wg0");
  g_assert_cmpstr (nd->kind, ==, "wireguard");
  /* @2's empty Endpoint= reset it. */
  g_assert_cmpuint (nd->peers->len, ==, 2);
  p = g_ptr_array_index (nd->peers, 0);
  assert_peer (p, 0x11, "vpn.example.org", 51820, WGD_IFCONF_NETWORKD);
  /* A continued line counts from where it starts. */
  g_assert_cmpuint (p->line, ==, 16);
  p = g_ptr_array_index (nd->peers, 1);
  assert_peer (p, 0x33, "192.0.2.7", 51820, WGD_IFCONF_NETWORKD);
  g_assert_true (p->endpoint->literal);
  g_clear_pointer (&nd, wgd_ifconf_netdev_free);

  /* Another kind, or another interface: its peers are not read, so not
   * refused either. */
  nd = netdev_parse ("/nonexistent", "wg0",
                     "[NetDev]\nName=br0\nKind=bridge\n[WireGuardPeer]\nEndpoint=x:0\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nd->kind, ==, "bridge");
  g_assert_cmpuint (nd->peers->len, ==, 0);
  g_clear_pointer (&nd, wgd_ifconf_netdev_free);
  nd = netdev_parse ("/nonexistent", "wg0",
                     "[NetDev]\nName=wg7\nKind=wireguard\n[WireGuardPeer]\nEndpoint=x:0\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nd->name, ==, "wg7");
  g_assert_cmpuint (nd->peers->len, ==, 0);
  g_clear_pointer (&nd, wgd_ifconf_netdev_free);
  /* An even number of '\\' at the end does not continue the line. */
  nd = netdev_parse ("/nonexistent", "wg0",
                     "[NetDev]\nDescription=x\\\\\nName=wg0\r\nKind=wireguard\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nd->name, ==, "wg0");
  g_clear_pointer (&nd, wgd_ifconf_netdev_free);
  /* Without an interface name, every wireguard .netdev is checked. */
  nd = netdev_parse ("/nonexistent", NULL,
                     "[NetDev]\nName=wg7\nKind=wireguard\n[WireGuardPeer]\nEndpoint=x:0\n", &error);
  g_assert_null (nd);
  assert_message (error, "", "wg0.netdev:5: [WireGuardPeer] Endpoint: endpoint 'x:0'");
}

static void
test_networkd_bad (void)
{
  const gchar *head = "[NetDev]\nName=wg0\nKind=wireguard\n";
  const struct {
    const gchar *text, *message;
  } cases[] = {
    { "[WireGuardPeer]\nPublicKey=@1\nEndpoint=a.example:65536\n",
      "wg0.netdev:6: [WireGuardPeer] Endpoint: endpoint 'a.example:65536': port 65536" },
    { "[WireGuardPeer]\nPublicKey=@1\nEndpoint=a.example:\\\n1\n",
      "wg0.netdev:6: [WireGuardPeer] Endpoint: endpoint 'a.example: 1'" },
    { "[WireGuardPeer]\nPublicKey=AAAA\n", "wg0.netdev:5: [WireGuardPeer] PublicKey: not a key" },
    { "[WireGuardPeer]\nPublicKey=@1\nPublicKey=\n",
      "wg0.netdev:4: [WireGuardPeer]: no PublicKey= or PublicKeyFile=" },
    { "[WireGuardPeer]\nPublicKey=@1\n[WireGuardPeer]\nPublicKey=@1\n",
      "wg0.netdev:6: [WireGuardPeer]: peer " },
    { "[WireGuardPeer]\nPublicKeyFile=relative/key\n",
      "wg0.netdev:5: [WireGuardPeer] PublicKeyFile: 'relative/key' is not an absolute path" },
    { "[WireGuardPeer]\nPublicKeyFile=/etc/../../key\n",
      "wg0.netdev:5: [WireGuardPeer] PublicKeyFile: '/etc/../../key' is not an absolute path "
      "without '..'" },
    { "[WireGuardPeer]\nPublicKeyFile=/missing.key\n",
      "wg0.netdev:5: [WireGuardPeer] PublicKeyFile: cannot open " },
    { "[WireGuardPeer]\nPublicKey=@1\n# \\\nEndpoint=a.example:1\nstray\n",
      "wg0.netdev:8: neither KEY=VALUE" },
    { "[WireGuardPeer\n", "wg0.netdev:4: a section header '[' does not end with ']'" },
    { "[WireGuardPeer]\n = x\n", "wg0.netdev:5: no key before '='" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *text = g_strconcat (head, cases[i].text, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (WgdIfconfNetdev) nd = netdev_parse ("/nonexistent", "wg0", text, &error);

      g_assert_null (nd);
      assert_message (error, text, cases[i].message);
    }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (WgdIfconfNetdev) nd = netdev_parse ("/nonexistent", "wg0", "Name=wg0\n", &error);

    g_assert_null (nd);
    assert_message (error, "", "wg0.netdev:1: an assignment before the first [section]");
  }
}

/* --- NetworkManager ------------------------------------------------------- */

static void
test_nm (void)
{
  const gchar *path = "/etc/NetworkManager/system-connections/wg0.nmconnection";
  g_autofree gchar *good = test_with_keys (
    "[connection]\n"
    "id=wg0\n"
    "uuid=0c7a7c57-7f2f-4d5b-9b4c-2c7e4c4b1a11\n"
    "type=wireguard\n"
    "interface-name=wg0\n"
    "\n"
    "[wireguard]\n"
    "private-key=@9\n"
    "\n"
    "[wireguard-peer.@1]\n"
    "endpoint=vpn.example.org:51820\n"
    "allowed-ips=10.0.0.0/8;\n"
    "\n"
    "[wireguard-peer.@2]\n"
    "allowed-ips=10.1.0.0/16;\n"
    "\n"
    "[wireguard-peer.@3]\n"
    "endpoint=[fe80::1%wlan0]:51820\n"
    "\n"
    "[ipv4]\n"
    "method=manual\n");
  const struct {
    const gchar *text, *message;
  } bad[] = {
    { "[connection]\ntype=wireguard\n[wireguard-peer.@1]\nendpoint=a.example:0\n",
      "wg0.nmconnection:3: [wireguard-peer.@1] endpoint: endpoint 'a.example:0': port 0" },
    { "[connection]\ntype=wireguard\n[wireguard-peer.AAAA]\n",
      "wg0.nmconnection:3: [wireguard-peer.AAAA]: 'AAAA' after 'wireguard-peer.' is not a "
      "public key" },
    { "[connection]\ntype=wireguard\n[wireguard-peer.@1]\nendpoint=a.example:1\n"
      "[wireguard-peer.@1]\n",
      "wg0.nmconnection:5: [wireguard-peer.@1]: the peer's group is given twice (first at "
      "line 3)" },
    { "[wireguard]\nprivate-key=@9\n", "wg0.nmconnection: no [connection] group" },
    { "[connection]\ntype=wireguard\nno equals sign\n", "wg0.nmconnection: " },
    /* Found by fuzz-ifconf: GKeyFile quotes the line, CR and all. */
    { "\r\r0\nA", "\\x0d\\x0d0" },
    { "[connection]\ntype=wireguard\n[wireguard-peer.@1]\nendpoint=a\\qb:1\n",
      "wg0.nmconnection:3: [wireguard-peer.@1] endpoint: " },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdIfconfNmConnection) c = wgd_ifconf_nm_parse (path, good, strlen (good), &error);
  const WgdIfconfPeer *p;

  g_assert_no_error (error);
  g_assert_cmpstr (c->type, ==, "wireguard");
  g_assert_cmpstr (c->interface_name, ==, "wg0");
  g_assert_cmpstr (c->uuid, ==, "0c7a7c57-7f2f-4d5b-9b4c-2c7e4c4b1a11");
  g_assert_cmpuint (c->peers->len, ==, 2);
  p = g_ptr_array_index (c->peers, 0);
  assert_peer (p, 0x11, "vpn.example.org", 51820, WGD_IFCONF_NM);
  g_assert_cmpuint (p->line, ==, 10);
  p = g_ptr_array_index (c->peers, 1);
  assert_peer (p, 0x33, "fe80::1%wlan0", 51820, WGD_IFCONF_NM);
  g_clear_pointer (&c, wgd_ifconf_nm_connection_free);

  /* Another type: peers are neither read nor refused. */
  {
    const gchar *ethernet = "[connection]\ntype=ethernet\n[wireguard-peer.x]\n";

    c = wgd_ifconf_nm_parse (path, ethernet, strlen (ethernet), &error);
  }
  g_assert_no_error (error);
  g_assert_cmpstr (c->type, ==, "ethernet");
  g_assert_cmpuint (c->peers->len, ==, 0);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree gchar *text = test_with_keys (bad[i].text);
      g_autofree gchar *message = test_with_keys (bad[i].message);
      g_autoptr (GError) local = NULL;
      g_autoptr (WgdIfconfNmConnection) none = wgd_ifconf_nm_parse (path, text, strlen (text),
                                                                    &local);

      g_assert_null (none);
      assert_message (local, text, message);
      g_assert_true (g_str_has_prefix (local->message, path));
    }
}

/* --- the merge under a root ------------------------------------------------ */

static gboolean
errors_mention (const WgdIfconf *conf, const gchar *a, const gchar *b)
{
  for (guint i = 0; i < conf->errors->len; i++)
    {
      const GError *e = g_ptr_array_index (conf->errors, i);

      if (strstr (e->message, a) != NULL && strstr (e->message, b) != NULL)
        return TRUE;
    }
  return FALSE;
}

static const WgdIfconfPeer *
find_on (const WgdIfconf *conf, const gchar *ifname, guint8 n)
{
  guint8 key[WGD_KEY_LEN];

  memset (key, n, sizeof key);
  return wgd_ifconf_find_peer (conf, ifname, key);
}

static const WgdIfconfPeer *
find (const WgdIfconf *conf, guint8 n)
{
  return find_on (conf, "wg0", n);
}

static void
test_read (void)
{
  g_autofree gchar *root = g_dir_make_tmp ("wgd-ifconf-XXXXXX", NULL);
  const gchar *netdev_head = "[NetDev]\nName=wg0\nKind=wireguard\n";
  g_autofree gchar *netdev_etc = NULL;
  g_autoptr (WgdIfconf) conf = NULL;

  /* wg-quick: @1 and @2; the copy in /usr/local/etc is not read. */
  test_put (root, "etc/wireguard/wg0.conf",
       "[Interface]\nPrivateKey=@9\n"
       "[Peer]\nPublicKey=@1\nEndpoint=a.wg-quick.example:1\n"
       "[Peer]\nPublicKey=@2\nEndpoint=b.wg-quick.example:1\n", 0600);
  test_put (root, "usr/local/etc/wireguard/wg0.conf",
       "[Peer]\nPublicKey=@7\nEndpoint=shadowed.example:1\n", 0600);
  /* networkd: @2 (wg-quick wins), @3; @4 from a drop-in in /run. */
  netdev_etc = g_strconcat (netdev_head,
                            "[WireGuardPeer]\nPublicKey=@2\nEndpoint=b.networkd.example:2\n"
                            "[WireGuardPeer]\nPublicKeyFile=/etc/keys/peer3.pub\n"
                            "PublicKey=@8\nEndpoint=c.networkd.example:2\n", NULL);
  test_put (root, "etc/systemd/network/50-wg0.netdev", netdev_etc, 0644);
  test_put (root, "etc/keys/peer3.pub", "@3\n", 0644);
  /* Masked by the same name in /etc. */
  test_put (root, "usr/lib/systemd/network/50-wg0.netdev",
       "[NetDev]\nName=wg0\nKind=wireguard\n"
       "[WireGuardPeer]\nPublicKey=@6\nEndpoint=masked.example:1\n", 0644);
  test_put (root, "run/systemd/network/50-wg0.netdev.d/10-extra.conf",
       "[WireGuardPeer]\nPublicKey=@4\nEndpoint=d.dropin.example:3\n", 0644);
  /* Drop-ins mask by name too: the /usr/lib copy of 10-extra.conf is
   * not read, and a link to /dev/null masks 20-off.conf. */
  test_put (root, "usr/lib/systemd/network/50-wg0.netdev.d/10-extra.conf",
       "[WireGuardPeer]\nPublicKey=@6\nEndpoint=masked.example:1\n", 0644);
  test_put (root, "usr/lib/systemd/network/50-wg0.netdev.d/20-off.conf", "broken\n", 0644);
  test_put_link (root, "etc/systemd/network/50-wg0.netdev.d/20-off.conf", "/dev/null");
  test_put (root, "run/systemd/network/50-wg0.netdev.d/notes.txt", "not a drop-in\n", 0644);
  /* A second .netdev for wg0 is refused, as networkd refuses it. */
  test_put (root, "usr/lib/systemd/network/70-again.netdev",
       "[NetDev]\nName=wg0\nKind=wireguard\n"
       "[WireGuardPeer]\nPublicKey=@6\nEndpoint=again.example:1\n", 0644);
  /* Other interfaces' files are read too: a broken one is reported. */
  test_put (root, "usr/lib/systemd/network/60-wg1.netdev",
       "[NetDev]\nName=wg1\nKind=wireguard\n[WireGuardPeer]\nEndpoint=x:0\n", 0644);
  /* wg2's peer @8 on wg-quick's own; another link kind is not read, nor
   * a file whose name wg-quick would not take, nor a bad Name=. */
  test_put (root, "etc/wireguard/wg2.conf", "[Peer]\nPublicKey=@8\nEndpoint=w.example:2\n", 0600);
  test_put (root, "etc/wireguard/not an interface.conf", "broken\n", 0600);
  test_put (root, "etc/systemd/network/80-br.netdev",
       "[NetDev]\nName=br0\nKind=bridge\n[WireGuardPeer]\nEndpoint=x:0\n", 0644);
  test_put (root, "etc/systemd/network/81-bad.netdev",
       "[NetDev]\nName=../x\nKind=wireguard\n", 0644);
  /* A masked .netdev that would have been wg0's. */
  test_put (root, "usr/lib/systemd/network/40-gone.netdev",
       "[NetDev]\nName=wg0\nKind=wireguard\n[WireGuardPeer]\nEndpoint=x:0\n", 0644);
  test_put_link (root, "etc/systemd/network/40-gone.netdev", "/dev/null");
  /* NetworkManager: @3 (networkd wins), @5. */
  test_put (root, "etc/NetworkManager/system-connections/wg0.nmconnection",
       "[connection]\nuuid=u-1\ntype=wireguard\ninterface-name=wg0\n"
       "[wireguard-peer.@3]\nendpoint=c.nm.example:4\n"
       "[wireguard-peer.@5]\nendpoint=e.nm.example:4\n", 0600);
  /* The same UUID in /usr/lib is shadowed; the one in /run would win,
   * but its file is broken and reported. */
  test_put (root, "usr/lib/NetworkManager/system-connections/wg0.nmconnection",
       "[connection]\nuuid=u-1\ntype=wireguard\ninterface-name=wg0\n"
       "[wireguard-peer.@6]\nendpoint=shadowed.example:1\n", 0600);
  test_put (root, "run/NetworkManager/system-connections/broken.nmconnection",
       "[connection]\ntype=wireguard\ninterface-name=wg0\n[wireguard-peer.@6]\nendpoint=x:0\n",
       0600);
  test_put (root, "etc/NetworkManager/system-connections/open.nmconnection",
       "[connection]\ntype=wireguard\ninterface-name=wg0\n[wireguard-peer.@6]\nendpoint=o.example:1\n",
       0644);
  test_put (root, "etc/NetworkManager/system-connections/other.nmconnection",
       "[connection]\ntype=wireguard\ninterface-name=wg1\n[wireguard-peer.@6]\nendpoint=o.example:1\n",
       0600);

  conf = wgd_ifconf_read (root);
  g_assert_cmpuint (conf->peers->len, ==, 7);
  assert_peer (find (conf, 0x11), 0x11, "a.wg-quick.example", 1, WGD_IFCONF_WG_QUICK);
  assert_peer (find (conf, 0x22), 0x22, "b.wg-quick.example", 1, WGD_IFCONF_WG_QUICK);
  assert_peer (find (conf, 0x33), 0x33, "c.networkd.example", 2, WGD_IFCONF_NETWORKD);
  g_assert_true (g_str_has_suffix (find (conf, 0x33)->path, "/etc/systemd/network/50-wg0.netdev"));
  g_assert_null (find (conf, 0x88));
  assert_peer (find (conf, 0x44), 0x44, "d.dropin.example", 3, WGD_IFCONF_NETWORKD);
  g_assert_true (g_str_has_suffix (find (conf, 0x44)->path,
                                   "/run/systemd/network/50-wg0.netdev.d/10-extra.conf"));
  assert_peer (find (conf, 0x55), 0x55, "e.nm.example", 4, WGD_IFCONF_NM);
  g_assert_null (find (conf, 0x66));
  g_assert_null (find (conf, 0x77));
  g_assert_cmpstr (wgd_ifconf_manager_to_string (find (conf, 0x55)->manager), ==,
                   "NetworkManager");
  /* Other interfaces keep their own peers, even under the same key. */
  assert_peer (find_on (conf, "wg1", 0x66), 0x66, "o.example", 1, WGD_IFCONF_NM);
  assert_peer (find_on (conf, "wg2", 0x88), 0x88, "w.example", 2, WGD_IFCONF_WG_QUICK);
  g_assert_null (find_on (conf, "wg2", 0x11));
  g_assert_null (find_on (conf, "wg5", 0x11));
  {
    g_auto (GStrv) names = wgd_ifconf_dup_interfaces (conf);

    g_assert_cmpuint (g_strv_length (names), ==, 3);
    g_assert_cmpstr (names[0], ==, "wg0");
    g_assert_cmpstr (names[1], ==, "wg1");
    g_assert_cmpstr (names[2], ==, "wg2");
  }

  {
    g_auto (GStrv) paths = wgd_ifconf_dup_watch_paths (root);
    g_autofree gchar *etc_wg = g_build_filename (root, "etc/wireguard", NULL);
    g_autofree gchar *nm_lib = g_build_filename (root, "usr/lib/NetworkManager/system-connections",
                                                 NULL);
    g_autofree gchar *dropins = g_build_filename (root, "run/systemd/network/50-wg0.netdev.d",
                                                  NULL);
    g_autofree gchar *usr_dropins = g_build_filename (root,
                                                      "usr/lib/systemd/network/50-wg0.netdev.d",
                                                      NULL);

    /* Nine directories, and the drop-in directories there are. */
    g_assert_cmpuint (g_strv_length (paths), ==, 12);
    g_assert_true (g_strv_contains ((const gchar *const *) paths, etc_wg));
    g_assert_true (g_strv_contains ((const gchar *const *) paths, nm_lib));
    g_assert_true (g_strv_contains ((const gchar *const *) paths, dropins));
    g_assert_true (g_strv_contains ((const gchar *const *) paths, usr_dropins));
  }

  g_assert_cmpuint (conf->errors->len, ==, 5);
  g_assert_true (errors_mention (conf, "70-again.netdev", "already defined by"));
  g_assert_true (errors_mention (conf, "60-wg1.netdev:5:", "port 0"));
  g_assert_true (errors_mention (conf, "81-bad.netdev", "Name= '../x' is not an interface name"));
  g_assert_true (errors_mention (conf, "broken.nmconnection:4:", "port 0"));
  g_assert_true (errors_mention (conf, "open.nmconnection", "mode 644"));

  /* A file that breaks takes only itself out. */
  test_put (root, "etc/wireguard/wg0.conf", "[Peer]\nPublicKey=@1\nEndpoint=a.example:0\n", 0600);
  {
    g_autoptr (WgdIfconf) old = g_steal_pointer (&conf);

    conf = wgd_ifconf_read (root);
    g_assert_null (find (conf, 0x11));
    assert_peer (find (conf, 0x22), 0x22, "b.networkd.example", 2, WGD_IFCONF_NETWORKD);
    g_assert_cmpuint (conf->errors->len, ==, 6);
    g_assert_true (errors_mention (conf, "etc/wireguard/wg0.conf:3: [Peer] Endpoint:",
                                   "port 0"));
    /* What it gave before stays, even @2 over networkd's. */
    wgd_ifconf_keep_failed (conf, old);
    g_assert_cmpuint (old->peers->len, ==, 0);
    assert_peer (find (conf, 0x11), 0x11, "a.wg-quick.example", 1, WGD_IFCONF_WG_QUICK);
    assert_peer (find (conf, 0x22), 0x22, "b.wg-quick.example", 1, WGD_IFCONF_WG_QUICK);
    g_assert_cmpuint (conf->peers->len, ==, 7);
  }
  g_clear_pointer (&conf, wgd_ifconf_free);

  /* A drop-in that breaks fails its whole .netdev: what any of its files
   * gave is kept, before NetworkManager's @3 that it hid. */
  {
    g_autoptr (WgdIfconf) before = wgd_ifconf_read (root);
    g_autoptr (WgdIfconf) after = NULL;

    assert_peer (find (before, 0x44), 0x44, "d.dropin.example", 3, WGD_IFCONF_NETWORKD);
    test_put (root, "run/systemd/network/50-wg0.netdev.d/10-extra.conf", "broken\n", 0644);
    after = wgd_ifconf_read (root);
    g_assert_null (find (after, 0x44));
    assert_peer (find (after, 0x33), 0x33, "c.nm.example", 4, WGD_IFCONF_NM);
    wgd_ifconf_keep_failed (after, before);
    assert_peer (find (after, 0x33), 0x33, "c.networkd.example", 2, WGD_IFCONF_NETWORKD);
    assert_peer (find (after, 0x44), 0x44, "d.dropin.example", 3, WGD_IFCONF_NETWORKD);
    assert_peer (find (after, 0x22), 0x22, "b.networkd.example", 2, WGD_IFCONF_NETWORKD);
    /* The .netdev that came second defines wg0 now, as for networkd. */
    assert_peer (find (after, 0x66), 0x66, "again.example", 1, WGD_IFCONF_NETWORKD);
    g_assert_cmpuint (after->peers->len, ==, 7);
  }

  /* Nothing configured anywhere: nothing found, nothing wrong. */
  test_remove_tree (root);
  conf = wgd_ifconf_read (root);
  g_assert_cmpuint (conf->peers->len, ==, 0);
  g_assert_cmpuint (conf->errors->len, ==, 0);
  g_clear_pointer (&conf, wgd_ifconf_free);
}

static void
test_read_refused (void)
{
  g_autofree gchar *root = g_dir_make_tmp ("wgd-ifconf-XXXXXX", NULL);
  const gchar *bad[] = { "", "..", ".", "../etc", "a/b", "0123456789abcdef", "wg 0", "wg\n" };
  const gchar *good[] = { "wg0", "a", "0123456789abcde", "x_=+.-y" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (wgd_ifconf_is_interface_name (bad[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (wgd_ifconf_is_interface_name (good[i]));
  {
    g_autoptr (WgdIfconf) conf = NULL;

    /* A FIFO where a file should be is refused, not waited on. */
    g_autofree gchar *dir = g_build_filename (root, "etc", "wireguard", NULL);
    g_autofree gchar *fifo = g_build_filename (dir, "wg0.conf", NULL);

    g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
    conf = wgd_ifconf_read (root);
    g_assert_cmpuint (conf->errors->len, ==, 1);
    g_assert_true (errors_mention (conf, "wg0.conf", "not a regular file"));
  }
  test_remove_tree (root);
}

/* A directory that could not be listed keeps what its files gave; a
 * sibling with the same prefix is not below it. */
static void
test_keep_failed_directory (void)
{
  g_autoptr (WgdIfconf) old = wgd_ifconf_new ();
  g_autoptr (WgdIfconf) conf = wgd_ifconf_new ();
  const gchar *paths[] = { "/etc/wireguard/wg0.conf", "/etc/wireguard2/wg1.conf" };

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      guint8 key[WGD_KEY_LEN];
      WgdIfconfPeer *peer;

      memset (key, 0x11 * (i + 1), sizeof key);
      peer = wgd_ifconf_peer_new (WGD_IFCONF_WG_QUICK, paths[i], 3, key,
                                  wgd_host_endpoint_parse ("a.example:1", NULL));
      peer->ifname = g_strdup (i == 0 ? "wg0" : "wg1");
      g_ptr_array_add (old->peers, peer);
    }
  g_ptr_array_add (conf->failed, g_strdup ("/etc/wireguard"));
  wgd_ifconf_keep_failed (conf, old);
  g_assert_cmpuint (conf->peers->len, ==, 1);
  assert_peer (find (conf, 0x11), 0x11, "a.example", 1, WGD_IFCONF_WG_QUICK);
  g_assert_null (find_on (conf, "wg1", 0x22));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ifconf/wg-quick/good", test_wg_quick_good);
  g_test_add_func ("/ifconf/wg-quick/bad", test_wg_quick_bad);
  g_test_add_func ("/ifconf/networkd/good", test_networkd_good);
  g_test_add_func ("/ifconf/networkd/bad", test_networkd_bad);
  g_test_add_func ("/ifconf/nm", test_nm);
  g_test_add_func ("/ifconf/read", test_read);
  g_test_add_func ("/ifconf/read-refused", test_read_refused);
  g_test_add_func ("/ifconf/keep-failed-directory", test_keep_failed_directory);
  return g_test_run ();
}
