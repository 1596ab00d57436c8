/* base64.h — the two text encodings on the wire and the command line:
 * keys as standard padded base64 (as `wg` prints them), records and
 * certificates as unpadded base64url (docs/record-format.md §1). */
#pragma once

#include <glib.h>

#include "wire.h"

/* Length of a 32-byte key in standard base64, without the NUL. */
#define WGD_KEY_BASE64_LEN 44

gchar *wgd_key_to_base64 (const guint8 key[WGD_KEY_LEN]);
/* Accepts exactly one key; surrounding whitespace is ignored. */
gboolean wgd_key_from_base64 (const gchar *text, guint8 key_out[WGD_KEY_LEN], GError **error);

gchar *wgd_base64url_encode (const guint8 *data, gsize len);
/* Decodes text[0..text_len) into out (at most out_cap bytes). */
gboolean wgd_base64url_decode (const gchar *text, gsize text_len,
                               guint8 *out, gsize out_cap, gsize *out_len,
                               GError **error);
