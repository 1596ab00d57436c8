/* txt.h — a record as DNS-SD TXT strings (docs/record-format.md §8): "txtvers=1", then
 * the record as unpadded base64url in chunks "a0=", "a1=", … of at most
 * 240 characters each. */
#pragma once

#include <glib.h>

#include "announcement.h"

#define WGD_TXT_VERSION "1"
#define WGD_TXT_CHUNK_MAX 240

/* One TXT string as it came off the wire: bytes, not necessarily text. */
typedef struct {
  const guint8 *data;
  gsize len;
} WgdTxtItem;

/* The TXT strings for a record, NULL-terminated. */
GStrv wgd_txt_encode (const guint8 *record, gsize len);

/* Reassembles the record from TXT strings in any order; other keys are
 * ignored, as DNS-SD asks. Writes at most WGD_RECORD_MAX bytes to out. */
gboolean wgd_txt_decode (const WgdTxtItem *items, gsize n_items,
                         guint8 out[WGD_RECORD_MAX], gsize *out_len, GError **error);
