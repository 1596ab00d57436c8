/* announcement.h — the signed announcement record (docs/record-format.md §2): the one
 * format every transport carries, binding a signing key to a WireGuard
 * key and the endpoints where that peer can be reached. */
#pragma once

#include <glib.h>

#include "certificate.h"
#include "keys.h"
#include "wire.h"

#define WGD_RECORD_VERSION 1
#define WGD_RECORD_CONTEXT "wgdiscover-announcement-v1"
#define WGD_RECORD_MAX 1024
#define WGD_ENDPOINTS_MAX 8

typedef enum {
  WGD_FIELD_SIGNING_KEY = 1,
  WGD_FIELD_WG_KEY = 2,
  WGD_FIELD_TIMESTAMP = 3,
  WGD_FIELD_LIFETIME = 4,
  WGD_FIELD_ENDPOINT = 5,
  WGD_FIELD_NAME = 6,
  WGD_FIELD_CERTIFICATE = 7,
  WGD_FIELD_MESH = 8,
  /* Types from here up are optional extensions a reader may skip. */
  WGD_FIELD_EXTENSION_FIRST = 128,
} WgdFieldType;

typedef enum {
  WGD_ENDPOINT_HOST = 1,        /* an address of the node's LAN interface */
  WGD_ENDPOINT_REFLEXIVE = 2,   /* the public address others see it from */
  WGD_ENDPOINT_CONFIGURED = 3,  /* set by the administrator */
} WgdEndpointKind;

typedef struct {
  WgdEndpointKind kind;
  guint8 family;                /* 4 or 6 */
  guint8 address[16];           /* network byte order */
  guint16 port;
} WgdEndpoint;

typedef struct {
  guint8 signing_key[WGD_KEY_LEN];
  guint8 wg_key[WGD_KEY_LEN];
  guint64 timestamp;
  guint32 lifetime;
  gsize n_endpoints;
  WgdEndpoint endpoints[WGD_ENDPOINTS_MAX];
  gchar name[WGD_NAME_MAX + 1];         /* empty when absent */
  gboolean has_certificate;
  WgdCertificate certificate;
  gboolean has_mesh;
  guint8 mesh_key[WGD_KEY_LEN];
  guint8 signature[WGD_SIGNATURE_LEN];
  /* The encoded record, signature included: what travels and is signed. */
  guint8 record[WGD_RECORD_MAX];
  gsize record_len;
} WgdAnnouncement;

WgdAnnouncement *wgd_announcement_new (void);
void wgd_announcement_free (WgdAnnouncement *ann);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdAnnouncement, wgd_announcement_free)

/* Encodes the fields, signs them with the identity (setting signing_key)
 * and fills signature and record. Fails on a field the decoder would
 * refuse, so whatever is signed also decodes. */
gboolean wgd_announcement_sign (WgdAnnouncement *ann, const WgdKeyPair *identity,
                                GError **error);

/* Parses data[0..len) into out, checking the format but not the
 * signature or any trust: a pure function over the buffer. */
gboolean wgd_announcement_decode (WgdAnnouncement *out, const guint8 *data, gsize len,
                                  GError **error);

gboolean wgd_announcement_verify_signature (const WgdAnnouncement *ann);

/* "192.0.2.1:51820" or "[2001:db8::1]:51820"; kind is left as HOST. */
gboolean wgd_endpoint_parse (const gchar *text, WgdEndpoint *out, GError **error);
gchar *wgd_endpoint_to_string (const WgdEndpoint *endpoint);
const gchar *wgd_endpoint_kind_to_string (WgdEndpointKind kind);
