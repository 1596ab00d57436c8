/* fuzz-uapi.c — libFuzzer target for the userspace backend's reply
 * parser: raw bytes into wgd_uapi_parse_get_reply and
 * wgd_uapi_parse_errno; whatever parses must hold valid values. */
#include "config.h"

#include <stdlib.h>

#include "uapi-parse.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdDevice) device =
    wgd_uapi_parse_get_reply ("fuzz0", (const gchar *) data, size, &error);

  if (device == NULL && error == NULL)
    abort ();
  if (device != NULL)
    for (guint i = 0; i < device->peers->len; i++)
      {
        const WgdPeer *peer = g_ptr_array_index (device->peers, i);

        for (guint j = 0; j < peer->allowed_ips->len; j++)
          {
            if (!wgd_prefix_is_valid (&g_array_index (peer->allowed_ips, WgdPrefix, j)))
              abort ();
          }
        if (peer->last_handshake_nsec < 0 || peer->last_handshake_nsec > 999999999)
          abort ();
      }
  g_clear_error (&error);
  if (wgd_uapi_parse_errno ((const gchar *) data, size, &error) < 0 && error == NULL)
    abort ();
  return 0;
}
