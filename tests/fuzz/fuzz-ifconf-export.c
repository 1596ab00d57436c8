/* fuzz-ifconf-export.c — libFuzzer target for the file that
 * wgdiscover-ifconf.service writes for the daemon
 * (src/common/ifconf-export.c). The input is the file: either it is
 * refused with a message that starts with its path and holds no control
 * character, or its peers are valid (interface name, endpoint, absolute
 * File= without control characters, each group once) and writing them
 * out and reading that back gives the same peers in the same order. */
#include "config.h"

#include <stdio.h>

#include "fuzz-common.h"
#include "ifconf.h"
#include "ifconf-export.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

static void
check_peer (const WgdIfconfPeer *p)
{
  FUZZ_ASSERT (p->ifname != NULL && wgd_ifconf_is_interface_name (p->ifname));
  FUZZ_ASSERT (p->endpoint->host[0] != '\0' && p->endpoint->port != 0);
  FUZZ_ASSERT (g_path_is_absolute (p->path));
  for (const gchar *c = p->path; *c != '\0'; c++)
    FUZZ_ASSERT (!g_ascii_iscntrl (*c));
  FUZZ_ASSERT (wgd_ifconf_manager_to_string (p->manager) != NULL);
}

static void
check_same (const WgdIfconfPeer *a, const WgdIfconfPeer *b)
{
  FUZZ_ASSERT (strcmp (a->ifname, b->ifname) == 0);
  FUZZ_ASSERT (memcmp (a->public_key, b->public_key, WGD_KEY_LEN) == 0);
  FUZZ_ASSERT (strcmp (a->endpoint->host, b->endpoint->host) == 0);
  FUZZ_ASSERT (a->endpoint->port == b->endpoint->port);
  FUZZ_ASSERT (a->endpoint->literal == b->endpoint->literal);
  FUZZ_ASSERT (a->manager == b->manager);
  FUZZ_ASSERT (strcmp (a->path, b->path) == 0);
  FUZZ_ASSERT (a->line == b->line);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdIfconf) conf = wgd_ifconf_export_parse ("peers", (const gchar *) data, size,
                                                        &error);
  g_autoptr (WgdIfconf) back = NULL;
  g_autofree gchar *text = NULL;
  gsize len;

  if (conf == NULL)
    {
      FUZZ_ASSERT (error != NULL);
      FUZZ_ASSERT (g_str_has_prefix (error->message, "peers"));
      FUZZ_ASSERT (g_utf8_validate (error->message, -1, NULL));
      for (const gchar *p = error->message; *p != '\0'; p++)
        FUZZ_ASSERT (!g_ascii_iscntrl (*p));
      return 0;
    }
  FUZZ_ASSERT (conf->errors->len == 0);
  for (guint i = 0; i < conf->peers->len; i++)
    check_peer (g_ptr_array_index (conf->peers, i));
  text = wgd_ifconf_export_to_data (conf, &len);
  back = wgd_ifconf_export_parse ("peers", text, len, &error);
  FUZZ_ASSERT (back != NULL);
  FUZZ_ASSERT (back->peers->len == conf->peers->len);
  for (guint i = 0; i < conf->peers->len; i++)
    check_same (g_ptr_array_index (conf->peers, i), g_ptr_array_index (back->peers, i));
  return 0;
}
