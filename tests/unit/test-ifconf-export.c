/* test-ifconf-export.c — the file wgdiscover-ifconf.service writes for
 * the daemon: what wgd_ifconf_read finds under a temporary root comes
 * back the same (odd file names included) and without the private keys
 * the files hold; each kind of bad input is refused with its message;
 * the managers' names map both ways. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "base64.h"
#include "ifconf.h"
#include "ifconf-export.h"
#include "test-util.h"
#include "wgd-error.h"

static void
test_manager_names (void)
{
  const gchar *unknown[] = { "", "wg_quick", "WG-QUICK", "networkmanager", "nm", "wg-quick " };
  WgdIfconfManager managers[] = { WGD_IFCONF_WG_QUICK, WGD_IFCONF_NETWORKD, WGD_IFCONF_NM };
  WgdIfconfManager back;

  /* The names are in logs and export files already written: fixed. */
  g_assert_cmpstr (wgd_ifconf_manager_to_string (WGD_IFCONF_WG_QUICK), ==, "wg-quick");
  g_assert_cmpstr (wgd_ifconf_manager_to_string (WGD_IFCONF_NETWORKD), ==, "networkd");
  g_assert_cmpstr (wgd_ifconf_manager_to_string (WGD_IFCONF_NM), ==, "NetworkManager");
  for (gsize i = 0; i < G_N_ELEMENTS (managers); i++)
    {
      g_assert_true (wgd_ifconf_manager_from_string (wgd_ifconf_manager_to_string (managers[i]),
                                                     &back));
      g_assert_cmpint (back, ==, managers[i]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (unknown); i++)
    g_assert_false (wgd_ifconf_manager_from_string (unknown[i], &back));
}

static void
assert_same_peer (const WgdIfconfPeer *a, const WgdIfconfPeer *b)
{
  g_assert_cmpstr (a->ifname, ==, b->ifname);
  g_assert_cmpmem (a->public_key, WGD_KEY_LEN, b->public_key, WGD_KEY_LEN);
  g_assert_cmpstr (a->endpoint->host, ==, b->endpoint->host);
  g_assert_cmpuint (a->endpoint->port, ==, b->endpoint->port);
  g_assert_cmpint (a->endpoint->literal, ==, b->endpoint->literal);
  g_assert_cmpint (a->manager, ==, b->manager);
  g_assert_cmpuint (a->line, ==, b->line);
}

static void
test_round_trip (void)
{
  g_autofree gchar *root = g_dir_make_tmp ("wgd-ifconf-export-XXXXXX", NULL);
  /* Characters GKeyFile escapes or treats specially, and ones it cannot
   * hold: a newline and a byte that is not UTF-8. */
  const gchar *odd = "etc/systemd/network/ 50 w\\g#=[x]\xc3\xa9.netdev";
  const gchar *bad = "etc/systemd/network/60 \n\xff.netdev";
  g_autofree gchar *data = NULL;
  g_autofree gchar *again = NULL;
  g_autofree gchar *private_key = test_key_text (0x99);
  g_autoptr (WgdIfconf) conf = NULL;
  g_autoptr (WgdIfconf) back = NULL;
  g_autoptr (GError) error = NULL;
  gsize len, again_len;

  test_put (root, "etc/wireguard/wg0.conf",
       "[Interface]\nPrivateKey=@9\n"
       "[Peer]\nPublicKey=@1\nPresharedKey=@9\nEndpoint=a.wg-quick.example:51820\n"
       "[Peer]\nPublicKey=@2\nEndpoint=[fe80::1%wg0]:7\n", 0600);
  test_put (root, odd,
       "[NetDev]\nName=wg1\nKind=wireguard\n[WireGuard]\nPrivateKey=@9\n"
       "[WireGuardPeer]\nPublicKey=@3\nEndpoint=b.networkd.example.:2\n", 0640);
  test_put (root, bad,
       "[NetDev]\nName=wg2\nKind=wireguard\n"
       "[WireGuardPeer]\nPublicKey=@4\nEndpoint=192.0.2.1:3\n", 0640);
  test_put (root, "etc/NetworkManager/system-connections/wg0.nmconnection",
       "[connection]\ntype=wireguard\ninterface-name=wg3\n"
       "[wireguard]\nprivate-key=@9\n"
       "[wifi-security]\npsk=a-wifi-password\n"
       "[wireguard-peer.@5]\nendpoint=c.nm.example:4\npreshared-key=@9\n", 0600);

  conf = wgd_ifconf_read (root);
  g_assert_cmpuint (conf->errors->len, ==, 0);
  g_assert_cmpuint (conf->peers->len, ==, 5);
  data = wgd_ifconf_export_to_data (conf, &len);
  g_assert_cmpuint (len, ==, strlen (data));
  g_test_message ("%s", data);
  /* Only the public part crosses. */
  g_assert_null (strstr (data, private_key));
  g_assert_null (strstr (data, "a-wifi-password"));
  g_assert_null (strstr (data, "rivate"));
  g_assert_true (g_str_has_prefix (data, "# Written by wgdiscoverctl ifconf --export"));

  back = wgd_ifconf_export_parse ("peers", data, len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->errors->len, ==, 0);
  g_assert_cmpuint (back->peers->len, ==, conf->peers->len);
  for (guint i = 0; i < conf->peers->len; i++)
    {
      const WgdIfconfPeer *a = g_ptr_array_index (conf->peers, i);
      const WgdIfconfPeer *b = g_ptr_array_index (back->peers, i);
      g_autofree gchar *odd_path = g_build_filename (root, odd, NULL);
      g_autofree gchar *bad_path = g_build_filename (root, "etc/systemd/network", NULL);

      assert_same_peer (a, b);
      /* A path GKeyFile can hold comes back as it was; the other one
       * readable, with \xNN for what is not. */
      if (strstr (a->path, "\n") != NULL)
        {
          g_autofree gchar *expected = g_strconcat (bad_path, "/60 \\x0a\\xff.netdev", NULL);

          g_assert_cmpstr (b->path, ==, expected);
        }
      else
        g_assert_cmpstr (b->path, ==, a->path);
      if (a->manager == WGD_IFCONF_NETWORKD && strstr (a->path, "#") != NULL)
        g_assert_cmpstr (a->path, ==, odd_path);
    }
  /* And what was read back writes the same file. */
  again = wgd_ifconf_export_to_data (back, &again_len);
  g_clear_pointer (&back, wgd_ifconf_free);
  back = wgd_ifconf_export_parse ("peers", again, again_len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->peers->len, ==, 5);
  g_clear_pointer (&data, g_free);
  g_clear_pointer (&back, wgd_ifconf_free);
  g_clear_pointer (&conf, wgd_ifconf_free);

  /* Nothing configured: a file of comments, read as no peer. */
  test_remove_tree (root);
  conf = wgd_ifconf_read (root);
  data = wgd_ifconf_export_to_data (conf, &len);
  back = wgd_ifconf_export_parse ("peers", data, len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->peers->len, ==, 0);
  g_assert_cmpuint (back->errors->len, ==, 0);
}

static void
test_refused (void)
{
  /* A good group, then each line of it changed in some way. */
  const gchar *good =
    "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=wg-quick\nFile=/etc/wireguard/wg0.conf\n"
    "Line=7\n";
  static const struct {
    const gchar *text;
    const gchar *message;
  } cases[] = {
    { "[Interface]\nEndpoint=a.example:1\n",
      "peers:1: [Interface]: unknown group; only [Peer IFNAME KEY] groups are allowed" },
    { "[Peer wg0]\nEndpoint=a.example:1\n", "peers:1: [Peer wg0]: not [Peer IFNAME KEY]" },
    { "[Peer wg0  @1]\n", "one space" },
    { "[Peer ../x @1]\n", "'../x' is not an interface name" },
    { "[Peer wg0 notakey]\n", "'notakey' is not a public key (44 characters of base64)" },
    /* 0x11… ends in "E="; "F=" would decode to the same key. */
    { "[Peer wg0 ERERERERERERERERERERERERERERERERERERERERERF=]\n",
      "'ERERERERERERERERERERERERERERERERERERERERERF=' is not a public key" },
    { "[Peer wg0 @1]\nManager=wg-quick\nFile=/f\nLine=1\n",
      "peers:1: [Peer wg0 ERERERERERERERERERERERERERERERERERERERERERE=] Endpoint: missing" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nFile=/f\nLine=1\n", "] Manager: missing" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=networkd\nLine=1\n", "] File: missing" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=networkd\nFile=/f\n", "] Line: missing" },
    { "[Peer wg0 @1]\nEndpoint=a.example:0\nManager=networkd\nFile=/f\nLine=1\n",
      "] Endpoint: endpoint 'a.example:0': port 0 is out of range" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=systemd\nFile=/f\nLine=1\n",
      "] Manager: 'systemd' is not wg-quick, networkd or NetworkManager" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=networkd\nFile=f\nLine=1\n",
      "] File: 'f' is not an absolute path" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=networkd\nFile=/a\\nb\nLine=1\n",
      "] File: a control character" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=networkd\nFile=/a\\qb\nLine=1\n",
      "] File: " },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=networkd\nFile=/f\nLine=-1\n",
      "] Line: " },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=networkd\nFile=/f\nLine=4294967296\n",
      "] Line: " },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=networkd\nFile=/f\nLine=1\nPrivateKey=x\n",
      "peers:6: [Peer wg0 ERERERERERERERERERERERERERERERERERERERERERE=] PrivateKey: unknown key" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=networkd\nFile=/f\nLine=1\nLine[de]=2\n",
      "] Line[de]: unknown key" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nEndpoint=b.example:1\nManager=networkd\nFile=/f\n"
      "Line=1\n",
      "peers:3: [Peer wg0 ERERERERERERERERERERERERERERERERERERERERERE=] Endpoint: given twice "
      "(first at line 2)" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\nManager=networkd\nFile=/f\nLine=1\n"
      "[Peer wg1 @1]\nEndpoint=a.example:1\nManager=networkd\nFile=/f\nLine=1\n"
      "[Peer wg0 @1]\nEndpoint=b.example:1\nManager=networkd\nFile=/f\nLine=1\n",
      "the group is given twice (first at line 1)" },
    { "Endpoint=a.example:1\n", "peers: " },
    { "[Peer wg0 @1]\r\nEndpoint=a.example:1\n", "peers:1: a carriage return" },
    { "[Peer wg0 @1]\nEndpoint=a.example:1\x1b[31m\n", "peers: a control character at offset" },
    { "[Peer wg0 @1]\nEndpoint=\xff\n", "peers: invalid UTF-8 at offset" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *text = test_with_keys (cases[i].text);
      g_autoptr (GError) error = NULL;
      g_autoptr (WgdIfconf) conf = wgd_ifconf_export_parse ("peers", text, strlen (text),
                                                            &error);

      if (conf != NULL)
        g_error ("accepted:\n%s", text);
      g_assert_error (error, WGD_ERROR, error->code);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("for\n%s\nthe message '%s' lacks '%s'", text, error->message, cases[i].message);
      g_assert_true (g_str_has_prefix (error->message, "peers"));
      for (const gchar *p = error->message; *p != '\0'; p++)
        g_assert_false (g_ascii_iscntrl (*p));
    }

  /* The good group is good; padded over the size limit, it is refused. */
  {
    g_autofree gchar *text = test_with_keys (good);
    g_autoptr (GError) error = NULL;
    g_autoptr (WgdIfconf) conf = wgd_ifconf_export_parse ("peers", text, strlen (text), &error);
    g_autoptr (GString) big = g_string_new (text);

    g_assert_no_error (error);
    g_assert_cmpuint (conf->peers->len, ==, 1);
    g_assert_cmpstr (((WgdIfconfPeer *) g_ptr_array_index (conf->peers, 0))->ifname, ==, "wg0");
    g_assert_cmpuint (((WgdIfconfPeer *) g_ptr_array_index (conf->peers, 0))->line, ==, 7);
    g_clear_pointer (&conf, wgd_ifconf_free);
    while (big->len <= 1024 * 1024)
      g_string_append (big, "# padding padding padding padding padding padding padding\n");
    conf = wgd_ifconf_export_parse ("peers", big->str, big->len, &error);
    g_assert_null (conf);
    g_assert_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE);
    g_assert_cmpstr (error->message, ==, "peers: larger than 1 MiB");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ifconf-export/manager-names", test_manager_names);
  g_test_add_func ("/ifconf-export/round-trip", test_round_trip);
  g_test_add_func ("/ifconf-export/refused", test_refused);
  return g_test_run ();
}
