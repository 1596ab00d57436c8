/* certificate.h — the mesh certificate (docs/record-format.md §3): a mesh CA's
 * signature binding a node's signing key to its WireGuard key, name,
 * tunnel addresses and validity period. */
#pragma once

#include <glib.h>

#include "keys.h"
#include "wire.h"

#define WGD_CERTIFICATE_VERSION 1
#define WGD_CERTIFICATE_CONTEXT "wgdiscover-certificate-v1"
/* A certificate travels inside a record, so it can never be larger. */
#define WGD_CERTIFICATE_MAX 1024
/* Enough for any real node, and a certificate of 32 IPv6 prefixes and
 * the longest name still fits in a record beside the required fields. */
#define WGD_CERTIFICATE_PREFIXES_MAX 32

typedef struct {
  guint8 family;                /* 4 or 6 */
  guint8 length;                /* prefix length in bits */
  guint8 address[16];           /* network byte order; host bits zero */
} WgdPrefix;

typedef struct {
  guint8 ca_key[WGD_KEY_LEN];
  guint8 signing_key[WGD_KEY_LEN];
  guint8 wg_key[WGD_KEY_LEN];
  guint64 serial;
  guint64 not_before;
  guint64 not_after;
  gchar name[WGD_NAME_MAX + 1];
  gsize n_prefixes;
  WgdPrefix prefixes[WGD_CERTIFICATE_PREFIXES_MAX];
  guint8 signature[WGD_SIGNATURE_LEN];
  /* The encoded certificate, signature included. */
  guint8 raw[WGD_CERTIFICATE_MAX];
  gsize raw_len;
} WgdCertificate;

WgdCertificate *wgd_certificate_new (void);
void wgd_certificate_free (WgdCertificate *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdCertificate, wgd_certificate_free)

/* Encodes the fields and signs them with the CA key, setting ca_key,
 * signature and raw. Fails on a field the decoder would refuse. */
gboolean wgd_certificate_sign (WgdCertificate *cert, const WgdKeyPair *ca, GError **error);

/* Parses data[0..len) into out; checks format only, not the signature. */
gboolean wgd_certificate_decode (WgdCertificate *out, const guint8 *data, gsize len,
                                 GError **error);

gboolean wgd_certificate_verify_signature (const WgdCertificate *cert);

/* "10.0.0.1/32", "fd00::/64"; a bare address means a host prefix. */
gboolean wgd_prefix_parse (const gchar *text, WgdPrefix *out, GError **error);
gchar *wgd_prefix_to_string (const WgdPrefix *prefix);
/* Whether the family is 4 or 6 and the length fits the address. */
gboolean wgd_prefix_is_valid (const WgdPrefix *prefix);
/* Valid, and the bits past the prefix length are zero. */
gboolean wgd_prefix_is_canonical (const WgdPrefix *prefix);
/* Whether two valid prefixes share any address (one contains the other). */
gboolean wgd_prefix_overlaps (const WgdPrefix *a, const WgdPrefix *b);
