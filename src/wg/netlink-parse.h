/* netlink-parse.h — decoding the kernel's WG_CMD_GET_DEVICE replies.
 * Pure: it reads netlink messages from memory, so the parser is unit
 * tested and fuzzed without a kernel. */
#pragma once

#include <glib.h>
#include <linux/netlink.h>

#include "wg-device.h"

/* Adds what one reply message says to device: device attributes, and
 * peers, continuing the last peer when the kernel split it across
 * messages. The message must be a whole one (nlmsg_len checked). */
gboolean wgd_netlink_parse_device (const struct nlmsghdr *nlh, WgdDevice *device,
                                   GError **error);
