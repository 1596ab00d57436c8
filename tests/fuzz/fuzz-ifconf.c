/* fuzz-ifconf.c — libFuzzer target for the other managers' files
 * (src/common/ifconf*.c) and Endpoint= values. The first byte picks the
 * parser (modulo 4): 0 wg-quick, 1 networkd .netdev, 2 NetworkManager
 * keyfile, 3 an endpoint; the rest is the input. A file is either refused
 * with a message that starts with its path, or gives peers with valid
 * endpoints, each listed once; an endpoint prints back to itself.
 * Inputs naming PublicKeyFile= are skipped: that key reads another file,
 * which is not the parser's job (tests/unit covers it). */
#include "config.h"

#include <stdio.h>

#include "endpoint-host.h"
#include "fuzz-common.h"
#include "ifconf.h"
#include "keys.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

static void
check_endpoint (const WgdHostEndpoint *e)
{
  g_autofree gchar *text = wgd_host_endpoint_to_string (e);
  g_autoptr (WgdHostEndpoint) back = wgd_host_endpoint_parse (text, NULL);

  FUZZ_ASSERT (e->host[0] != '\0' && e->port != 0);
  FUZZ_ASSERT (back != NULL);
  FUZZ_ASSERT (strcmp (back->host, e->host) == 0);
  FUZZ_ASSERT (back->port == e->port && back->literal == e->literal);
}

static void
check_peers (const GPtrArray *peers, WgdIfconfManager manager, const gchar *path)
{
  g_autoptr (GHashTable) keys = g_hash_table_new (wgd_key_hash, wgd_key_equal);

  for (guint i = 0; i < peers->len; i++)
    {
      const WgdIfconfPeer *p = g_ptr_array_index (peers, i);

      FUZZ_ASSERT (p->manager == manager);
      FUZZ_ASSERT (strcmp (p->path, path) == 0);
      FUZZ_ASSERT (p->line > 0);
      FUZZ_ASSERT (g_hash_table_add (keys, (gpointer) p->public_key));
      check_endpoint (p->endpoint);
    }
}

static void
check_error (const GError *error, const gchar *prefix)
{
  FUZZ_ASSERT (error != NULL);
  FUZZ_ASSERT (g_str_has_prefix (error->message, prefix));
  FUZZ_ASSERT (g_utf8_validate (error->message, -1, NULL));
  for (const gchar *p = error->message; *p != '\0'; p++)
    FUZZ_ASSERT (!g_ascii_iscntrl (*p));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  const gchar *text = (const gchar *) data + 1;
  gsize len = size - 1;

  if (size == 0 || memmem (data, size, "PublicKeyFile", strlen ("PublicKeyFile")) != NULL)
    return 0;
  switch (data[0] % 4)
    {
    case 0:
      {
        g_autoptr (GPtrArray) peers = wgd_ifconf_wg_quick_parse ("wg0.conf", text, len, &error);

        if (peers == NULL)
          check_error (error, "wg0.conf");
        else
          check_peers (peers, WGD_IFCONF_WG_QUICK, "wg0.conf");
        break;
      }
    case 1:
      {
        g_autoptr (GBytes) bytes = g_bytes_new (text, len);
        const gchar *path = "wg0.netdev";
        g_autoptr (WgdIfconfNetdev) netdev = wgd_ifconf_networkd_parse ("/nonexistent", NULL, 1,
                                                                        &path, &bytes, &error);

        if (netdev == NULL)
          check_error (error, path);
        else
          {
            FUZZ_ASSERT (g_strcmp0 (netdev->kind, "wireguard") == 0 || netdev->peers->len == 0);
            check_peers (netdev->peers, WGD_IFCONF_NETWORKD, path);
          }
        break;
      }
    case 2:
      {
        g_autoptr (WgdIfconfNmConnection) c = wgd_ifconf_nm_parse ("wg0.nmconnection", text, len,
                                                                   &error);

        if (c == NULL)
          check_error (error, "wg0.nmconnection");
        else
          {
            FUZZ_ASSERT (g_strcmp0 (c->type, "wireguard") == 0 || c->peers->len == 0);
            check_peers (c->peers, WGD_IFCONF_NM, "wg0.nmconnection");
          }
        break;
      }
    default:
      {
        g_autofree gchar *value = g_strndup (text, len);
        g_autoptr (WgdHostEndpoint) e = wgd_host_endpoint_parse (value, &error);

        if (e == NULL)
          check_error (error, "endpoint '");
        else
          check_endpoint (e);
        break;
      }
    }
  return 0;
}
