/* txt.h — a record as DNS-SD TXT strings (docs/record-format.md §8): "txtvers=1",
 * "pub=" and the record's WireGuard key (an unsigned hint: a receiver
 * drops the records of keys it has no use for before checking their
 * signature), then the record as unpadded base64url in chunks "a0=",
 * "a1=", … of at most 240 characters each. */
#pragma once

#include <glib.h>

#include "announcement.h"
#include "trust.h"

#define WGD_TXT_VERSION "1"
#define WGD_TXT_CHUNK_MAX 240

/* One TXT string as it came off the wire: bytes, not necessarily text. */
typedef struct {
  const guint8 *data;
  gsize len;
} WgdTxtItem;

/* The TXT strings for a record whose WireGuard key is wg_key (NULL:
 * no pub=, as senders before it wrote), NULL-terminated. */
GStrv wgd_txt_encode (const guint8 *record, gsize len, const guint8 *wg_key);

/* Reassembles the record from TXT strings in any order; other keys are
 * ignored, as DNS-SD asks. Writes at most WGD_RECORD_MAX bytes to out,
 * and the key of pub= to hint (*has_hint says whether there was one;
 * nothing checks it against the record). */
gboolean wgd_txt_decode (const WgdTxtItem *items, gsize n_items,
                         guint8 out[WGD_RECORD_MAX], gsize *out_len,
                         guint8 hint[WGD_KEY_LEN], gboolean *has_hint, GError **error);

/* A record whose pub= names another key than its own WireGuard key
 * (field 2) is malformed, whatever else the verdict on its decoded
 * record said: a hint that lies would let a sender have its records
 * dropped, or checked, at will. ann and v are what
 * wgd_trust_check_record made of the record. */
void wgd_txt_check_hint (const guint8 hint[WGD_KEY_LEN], const WgdAnnouncement *ann,
                         WgdVerdict *v);
