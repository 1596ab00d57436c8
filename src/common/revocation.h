/* revocation.h — a mesh CA's signed list of revoked certificate serials
 * (docs/record-format.md §4).
 *
 *   list = version:u8 (=1) | ca key:32 | issued:u64 | count:u32 |
 *          serial:u64 * count (strictly ascending) | signature:64
 *
 * signed over "wgdiscover-revocation-v1\0" and every byte before the
 * signature. A newer list (larger issued) from the same CA replaces an
 * older one. */
#pragma once

#include <glib.h>

#include "keys.h"
#include "wire.h"

#define WGD_REVOCATION_VERSION 1
#define WGD_REVOCATION_CONTEXT "wgdiscover-revocation-v1"
/* 64 KiB: eight thousand serials, far beyond any real mesh. */
#define WGD_REVOCATION_MAX 65536

typedef struct {
  guint8 ca_key[WGD_KEY_LEN];
  guint64 issued;
  GArray *serials;              /* guint64, strictly ascending */
  guint8 signature[WGD_SIGNATURE_LEN];
  GBytes *raw;                  /* the encoded list, signature included */
} WgdRevocationList;

WgdRevocationList *wgd_revocation_list_new (void);
void wgd_revocation_list_free (WgdRevocationList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdRevocationList, wgd_revocation_list_free)

/* Sorts and de-duplicates the serials, encodes and signs with the CA. */
gboolean wgd_revocation_list_sign (WgdRevocationList *list, const WgdKeyPair *ca,
                                   GError **error);
WgdRevocationList *wgd_revocation_list_decode (const guint8 *data, gsize len, GError **error);
gboolean wgd_revocation_list_verify_signature (const WgdRevocationList *list);
gboolean wgd_revocation_list_contains (const WgdRevocationList *list, guint64 serial);
