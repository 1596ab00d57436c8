/* fuzz-netlink.c — libFuzzer target for the kernel backend's reply
 * parser: the input is taken as a stream of netlink messages, each
 * handed to wgd_netlink_parse_device as the kernel's dump would be. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink-parse.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* Netlink messages are 4-byte aligned in the kernel's buffers. */
  g_autofree guint32 *buf = g_malloc (size + sizeof (guint32));
  g_autoptr (WgdDevice) device = wgd_device_new ("fuzz0");
  const guint8 *p = (const guint8 *) buf;
  gsize left = size;

  memcpy (buf, data, size);
  /* Whole messages only, as the kernel sends them: mnl_nlmsg_ok takes a
   * length past 2^31 for a negative one, so the walk is done here. */
  while (left >= sizeof (struct nlmsghdr))
    {
      const struct nlmsghdr *nlh = (const void *) p;
      g_autoptr (GError) error = NULL;
      gsize step;

      if (nlh->nlmsg_len < sizeof *nlh || nlh->nlmsg_len > left)
        break;
      if (!wgd_netlink_parse_device (nlh, device, &error))
        {
          if (error == NULL)
            abort ();
          break;
        }
      step = NLMSG_ALIGN (nlh->nlmsg_len);
      if (step >= left)
        break;
      p += step;
      left -= step;
    }
  for (guint i = 0; i < device->peers->len; i++)
    {
      const WgdPeer *peer = g_ptr_array_index (device->peers, i);

      for (guint j = 0; j < peer->allowed_ips->len; j++)
        {
          if (!wgd_prefix_is_valid (&g_array_index (peer->allowed_ips, WgdPrefix, j)))
            abort ();
        }
    }
  return 0;
}
