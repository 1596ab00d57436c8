/* fuzz-netlink.c — libFuzzer target for the kernel backend's reply
 * parser: the input is taken as a stream of netlink messages, each
 * handed to wgd_netlink_parse_device as the kernel's dump would be. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "netlink-parse.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* Netlink messages are 4-byte aligned in the kernel's buffers. */
  g_autofree guint32 *buf = g_malloc (size + sizeof (guint32));
  g_autoptr (WgdDevice) device = wgd_device_new ("fuzz0");
  const struct nlmsghdr *nlh;
  int len = (int) MIN (size, (size_t) G_MAXINT);

  memcpy (buf, data, size);
  nlh = (const struct nlmsghdr *) buf;
  while (mnl_nlmsg_ok (nlh, len))
    {
      g_autoptr (GError) error = NULL;

      if (!wgd_netlink_parse_device (nlh, device, &error))
        {
          if (error == NULL)
            abort ();
          break;
        }
      nlh = mnl_nlmsg_next (nlh, &len);
    }
  for (guint i = 0; i < device->peers->len; i++)
    {
      const WgdPeer *peer = g_ptr_array_index (device->peers, i);

      for (guint j = 0; j < peer->allowed_ips->len; j++)
        {
          const WgdPrefix *p = &g_array_index (peer->allowed_ips, WgdPrefix, j);

          if ((p->family != 4 && p->family != 6) || p->length > (p->family == 4 ? 32 : 128))
            abort ();
        }
    }
  return 0;
}
