/* uapi-parse.h — the reply to a UAPI "get=1" (the cross-platform
 * WireGuard configuration protocol) as a WgdDevice. Pure, so it is unit
 * tested and fuzzed without a socket. */
#pragma once

#include <glib.h>

#include "wg-device.h"

/* Parses text[0..len), which ends with "errno=N\n\n". A reply carrying a
 * non-zero errno is a WGD_WG_ERROR_FAILED error; anything malformed is
 * WGD_WG_ERROR_PROTOCOL naming the line. */
WgdDevice *wgd_uapi_parse_get_reply (const gchar *ifname, const gchar *text, gsize len,
                                     GError **error);

/* The errno of a "set=1" reply (which holds only "errno=N"), or -1 with
 * error set when the reply is malformed. */
gint wgd_uapi_parse_errno (const gchar *text, gsize len, GError **error);
