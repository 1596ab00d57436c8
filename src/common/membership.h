/* membership.h — the membership proof (docs/record-format.md §10): what a
 * request to list or watch a mesh on a rendezvous server carries to show
 * that its sender holds a key the mesh CA certified.
 *
 *   proof = version:u8 (=1) | timestamp:u64 | nonce:16 |
 *           certificate_length:u16 | certificate | signature:64
 *
 * signed by the certificate's signing key over "wgdiscover-membership-v1\0",
 * every byte before the signature, and the request it is for (method,
 * the server's host, path), so that it is good for one request to one
 * server for a few minutes, and only once.
 *
 * Pure: the clock, the request and the replay cache are inputs. */
#pragma once

#include <glib.h>

#include "certificate.h"
#include "keys.h"
#include "trust.h"

#define WGD_MEMBERSHIP_VERSION 1
#define WGD_MEMBERSHIP_CONTEXT "wgdiscover-membership-v1"
#define WGD_MEMBERSHIP_NONCE_LEN 16
/* version, timestamp, nonce, certificate length, signature */
#define WGD_MEMBERSHIP_FIXED_LEN (1 + 8 + WGD_MEMBERSHIP_NONCE_LEN + 2 + WGD_SIGNATURE_LEN)
#define WGD_MEMBERSHIP_MAX (WGD_MEMBERSHIP_FIXED_LEN + WGD_CERTIFICATE_MAX)
/* How far a proof's timestamp may lie from the verifier's clock, either
 * way: a proof is good for at most twice this long. */
#define WGD_MEMBERSHIP_WINDOW_SECONDS 120
/* The HTTP authentication scheme: "Authorization: WGD-Membership <proof
 * in unpadded base64url>". */
#define WGD_MEMBERSHIP_SCHEME "WGD-Membership"
/* Limits of the request fields the proof is bound to. */
#define WGD_MEMBERSHIP_METHOD_MAX 16
#define WGD_MEMBERSHIP_HOST_MAX 255
#define WGD_MEMBERSHIP_PATH_MAX 2048
/* A server's replay cache unless it asks for another size. */
#define WGD_MEMBERSHIP_CACHE_DEFAULT 16384

/* Stable: the strings name refusals in logs and metrics. */
typedef enum {
  WGD_MEMBERSHIP_ACCEPTED,
  WGD_MEMBERSHIP_MALFORMED,
  WGD_MEMBERSHIP_WRONG_MESH,
  WGD_MEMBERSHIP_BAD_CERTIFICATE,
  WGD_MEMBERSHIP_NOT_YET_VALID,
  WGD_MEMBERSHIP_EXPIRED_CERTIFICATE,
  WGD_MEMBERSHIP_REVOKED,
  WGD_MEMBERSHIP_BAD_SIGNATURE,
  WGD_MEMBERSHIP_STALE,
  WGD_MEMBERSHIP_FUTURE,
  WGD_MEMBERSHIP_REPLAYED,
  WGD_MEMBERSHIP_CROWDED,
  WGD_MEMBERSHIP_REASON_COUNT,
} WgdMembershipReason;

/* What a proof is for: the request line's method and path (without
 * query) byte for byte, and the server's host as
 * wgd_membership_host_from_url() writes it. */
typedef struct {
  const gchar *method;
  const gchar *host;
  const gchar *path;
} WgdMembershipRequest;

typedef struct {
  guint64 timestamp;
  guint8 nonce[WGD_MEMBERSHIP_NONCE_LEN];
  WgdCertificate certificate;
  guint8 signature[WGD_SIGNATURE_LEN];
  /* The encoded proof, signature included. */
  guint8 raw[WGD_MEMBERSHIP_MAX];
  gsize raw_len;
} WgdMembershipProof;

typedef struct {
  WgdMembershipReason reason;
  gchar detail[160];            /* a sentence for the log */
} WgdMembershipVerdict;

typedef struct _WgdMembershipCache WgdMembershipCache;

WgdMembershipProof *wgd_membership_proof_new (void);
void wgd_membership_proof_free (WgdMembershipProof *proof);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdMembershipProof, wgd_membership_proof_free)

/* The client's side: a proof for request at timestamp, signed by
 * identity, whose signing key the certificate must name. nonce is
 * WGD_MEMBERSHIP_NONCE_LEN bytes, or NULL for random ones (always, but
 * in tests: two proofs for the same request in the same second must
 * differ, or the second is a replay). */
gboolean wgd_membership_proof_sign (WgdMembershipProof *proof, const WgdKeyPair *identity,
                                    const WgdCertificate *certificate,
                                    const WgdMembershipRequest *request, guint64 timestamp,
                                    const guint8 *nonce, GError **error);
/* The value of the Authorization header for a signed proof. */
gchar *wgd_membership_proof_to_header (const WgdMembershipProof *proof);

/* The Authorization header's value for request, with a fresh proof (a
 * random nonce) signed at timestamp: what a client sends. */
gchar *wgd_membership_authorization (const WgdKeyPair *identity,
                                     const WgdCertificate *certificate,
                                     const WgdMembershipRequest *request, guint64 timestamp,
                                     GError **error);
/* The path of a mesh route: "/v1/meshes/<mesh key in unpadded
 * base64url>/<what>" (what: "announcements" or "watch"). */
gchar *wgd_membership_mesh_path (const guint8 mesh[WGD_KEY_LEN], const gchar *what);

/* Parses data[0..len) into out; checks format only. */
gboolean wgd_membership_proof_decode (WgdMembershipProof *out, const guint8 *data, gsize len,
                                      GError **error);
/* Parses an Authorization header's value: the scheme (any case), one or
 * more spaces, the proof in unpadded base64url. */
gboolean wgd_membership_proof_from_header (WgdMembershipProof *out, const gchar *value,
                                           GError **error);

/* The host a proof binds, from the URL the client uses or the public
 * URL a server is configured with (never from a request's Host header,
 * which the sender chooses): the host in lowercase, an IPv6 address in
 * brackets, and ":port" when the URL names a port other than its
 * scheme's default (http 80, https 443, ws 80, wss 443). */
gchar *wgd_membership_host_from_url (const gchar *url, GError **error);

/* A bounded memory of the proofs accepted within the window. When full,
 * the oldest is forgotten and every proof no newer than it is refused
 * from then on (crowded), so a forgotten proof can never be replayed. */
WgdMembershipCache *wgd_membership_cache_new (gsize max_entries);
void wgd_membership_cache_free (WgdMembershipCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdMembershipCache, wgd_membership_cache_free)
gsize wgd_membership_cache_size (const WgdMembershipCache *cache);

/* The server's side, on a decoded proof: whether it proves membership in
 * the mesh of mesh_key for this request at now. revocations (may be
 * NULL) is asked whether the certificate's serial is revoked. An
 * accepted proof is remembered in cache, and refused if seen again.
 * Returns verdict->reason. */
WgdMembershipReason wgd_membership_check (const WgdMembershipProof *proof,
                                          const WgdMembershipRequest *request,
                                          const guint8 mesh_key[WGD_KEY_LEN],
                                          const WgdTrustStore *revocations, guint64 now,
                                          WgdMembershipCache *cache,
                                          WgdMembershipVerdict *verdict);
/* The entry point for a header off the wire: an absent (NULL) or
 * malformed header is a verdict too. proof receives what was decoded. */
WgdMembershipReason wgd_membership_check_header (const gchar *value,
                                                 const WgdMembershipRequest *request,
                                                 const guint8 mesh_key[WGD_KEY_LEN],
                                                 const WgdTrustStore *revocations,
                                                 guint64 now, WgdMembershipCache *cache,
                                                 WgdMembershipProof *proof,
                                                 WgdMembershipVerdict *verdict);

const gchar *wgd_membership_reason_to_string (WgdMembershipReason reason);
gboolean wgd_membership_reason_from_string (const gchar *text, WgdMembershipReason *reason);
