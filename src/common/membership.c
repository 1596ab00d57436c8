/* membership.c — sign, encode, decode and check membership proofs, and
 * the bounded replay cache a server checks them against. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "base64.h"
#include "membership.h"
#include "wgd-error.h"

WgdMembershipProof *
wgd_membership_proof_new (void)
{
  return g_new0 (WgdMembershipProof, 1);
}

void
wgd_membership_proof_free (WgdMembershipProof *proof)
{
  g_free (proof);
}

static gboolean
is_visible_ascii (const gchar *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (s[i] <= 0x20 || s[i] >= 0x7f)
      return FALSE;
  return TRUE;
}

/* The same rules for signer and verifier: what is signed must be
 * unambiguous and what a server compares must be plain. */
static gboolean
request_is_valid (const WgdMembershipRequest *request, GError **error)
{
  gsize method_len = request->method ? strlen (request->method) : 0;
  gsize host_len = request->host ? strlen (request->host) : 0;
  gsize path_len = request->path ? strlen (request->path) : 0;

  if (method_len < 1 || method_len > WGD_MEMBERSHIP_METHOD_MAX)
    goto bad_method;
  for (gsize i = 0; i < method_len; i++)
    if (!g_ascii_isupper (request->method[i]))
      goto bad_method;
  if (host_len < 1 || host_len > WGD_MEMBERSHIP_HOST_MAX
      || !is_visible_ascii (request->host, host_len) || strchr (request->host, '/'))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "the host must be 1 to %d visible ASCII characters without '/'",
                   WGD_MEMBERSHIP_HOST_MAX);
      return FALSE;
    }
  if (path_len < 1 || path_len > WGD_MEMBERSHIP_PATH_MAX || request->path[0] != '/'
      || !is_visible_ascii (request->path, path_len) || strpbrk (request->path, "?#"))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "the path must be 1 to %d visible ASCII characters from '/', "
                   "without query or fragment", WGD_MEMBERSHIP_PATH_MAX);
      return FALSE;
    }
  return TRUE;

bad_method:
  g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
               "the method must be 1 to %d uppercase letters", WGD_MEMBERSHIP_METHOD_MAX);
  return FALSE;
}

/* Every byte of the proof before its signature, then the request. */
#define MESSAGE_MAX (WGD_MEMBERSHIP_MAX - WGD_SIGNATURE_LEN + 1 + WGD_MEMBERSHIP_METHOD_MAX \
                     + 1 + WGD_MEMBERSHIP_HOST_MAX + 2 + WGD_MEMBERSHIP_PATH_MAX)

static gsize
message_write (guint8 out[MESSAGE_MAX], const guint8 *body, gsize body_len,
               const WgdMembershipRequest *request)
{
  WgdWriter w;
  gsize method_len = strlen (request->method);
  gsize host_len = strlen (request->host);
  gsize path_len = strlen (request->path);

  wgd_writer_init (&w, out, MESSAGE_MAX);
  wgd_writer_bytes (&w, body, body_len);
  wgd_writer_u8 (&w, (guint8) method_len);
  wgd_writer_bytes (&w, request->method, method_len);
  wgd_writer_u8 (&w, (guint8) host_len);
  wgd_writer_bytes (&w, request->host, host_len);
  wgd_writer_u16 (&w, (guint16) path_len);
  wgd_writer_bytes (&w, request->path, path_len);
  g_assert (!w.overflow);
  return w.len;
}

gboolean
wgd_membership_proof_sign (WgdMembershipProof *proof, const WgdKeyPair *identity,
                           const WgdCertificate *certificate,
                           const WgdMembershipRequest *request, guint64 timestamp,
                           const guint8 *nonce, GError **error)
{
  guint8 message[MESSAGE_MAX];
  gsize message_len;
  WgdWriter w;

  if (!request_is_valid (request, error))
    return FALSE;
  if (certificate->raw_len == 0)
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           "the certificate has not been signed");
      return FALSE;
    }
  if (sodium_memcmp (certificate->signing_key, identity->public_key, WGD_KEY_LEN) != 0)
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           "the certificate was issued for another signing key");
      return FALSE;
    }

  memset (proof, 0, sizeof *proof);
  proof->timestamp = timestamp;
  if (nonce != NULL)
    memcpy (proof->nonce, nonce, WGD_MEMBERSHIP_NONCE_LEN);
  else
    randombytes_buf (proof->nonce, WGD_MEMBERSHIP_NONCE_LEN);
  proof->certificate = *certificate;

  wgd_writer_init (&w, proof->raw, sizeof proof->raw - WGD_SIGNATURE_LEN);
  wgd_writer_u8 (&w, WGD_MEMBERSHIP_VERSION);
  wgd_writer_u64 (&w, timestamp);
  wgd_writer_bytes (&w, proof->nonce, WGD_MEMBERSHIP_NONCE_LEN);
  wgd_writer_u16 (&w, (guint16) certificate->raw_len);
  wgd_writer_bytes (&w, certificate->raw, certificate->raw_len);
  g_assert (!w.overflow);

  message_len = message_write (message, proof->raw, w.len, request);
  wgd_wire_sign (WGD_MEMBERSHIP_CONTEXT, message, message_len, identity->secret_key,
                 proof->signature);
  memcpy (proof->raw + w.len, proof->signature, WGD_SIGNATURE_LEN);
  proof->raw_len = w.len + WGD_SIGNATURE_LEN;
  return TRUE;
}

gchar *
wgd_membership_proof_to_header (const WgdMembershipProof *proof)
{
  g_autofree gchar *text = wgd_base64url_encode (proof->raw, proof->raw_len);

  return g_strconcat (WGD_MEMBERSHIP_SCHEME " ", text, NULL);
}

gchar *
wgd_membership_authorization (const WgdKeyPair *identity, const WgdCertificate *certificate,
                              const WgdMembershipRequest *request, guint64 timestamp,
                              GError **error)
{
  g_autoptr (WgdMembershipProof) proof = wgd_membership_proof_new ();

  if (!wgd_membership_proof_sign (proof, identity, certificate, request, timestamp, NULL, error))
    return NULL;
  return wgd_membership_proof_to_header (proof);
}

gchar *
wgd_membership_mesh_path (const guint8 mesh[WGD_KEY_LEN], const gchar *what)
{
  g_autofree gchar *key = wgd_base64url_encode (mesh, WGD_KEY_LEN);

  return g_strdup_printf ("/v1/meshes/%s/%s", key, what);
}

static gboolean
malformed (GError **error, const gchar *what)
{
  g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED, "malformed membership proof: %s", what);
  return FALSE;
}

gboolean
wgd_membership_proof_decode (WgdMembershipProof *out, const guint8 *data, gsize len,
                             GError **error)
{
  g_autoptr (GError) cert_error = NULL;
  WgdReader r;
  const guint8 *p;
  guint8 version;
  guint16 cert_len;

  memset (out, 0, sizeof *out);
  if (len > WGD_MEMBERSHIP_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                   "membership proof of %" G_GSIZE_FORMAT " bytes exceeds %d", len,
                   WGD_MEMBERSHIP_MAX);
      return FALSE;
    }
  wgd_reader_init (&r, data, len);
  if (!wgd_reader_u8 (&r, &version))
    return malformed (error, "empty");
  if (version != WGD_MEMBERSHIP_VERSION)
    return malformed (error, "unsupported version");
  if (!wgd_reader_u64 (&r, &out->timestamp))
    return malformed (error, "truncated timestamp");
  if (!wgd_reader_bytes (&r, WGD_MEMBERSHIP_NONCE_LEN, &p))
    return malformed (error, "truncated nonce");
  memcpy (out->nonce, p, WGD_MEMBERSHIP_NONCE_LEN);
  if (!wgd_reader_u16 (&r, &cert_len) || !wgd_reader_bytes (&r, cert_len, &p))
    return malformed (error, "truncated certificate");
  if (!wgd_certificate_decode (&out->certificate, p, cert_len, &cert_error))
    return malformed (error, cert_error->message);
  if (!wgd_reader_bytes (&r, WGD_SIGNATURE_LEN, &p))
    return malformed (error, "truncated signature");
  memcpy (out->signature, p, WGD_SIGNATURE_LEN);
  if (r.left != 0)
    return malformed (error, "trailing bytes after the signature");
  memcpy (out->raw, data, len);
  out->raw_len = len;
  return TRUE;
}

gboolean
wgd_membership_proof_from_header (WgdMembershipProof *out, const gchar *value, GError **error)
{
  gsize scheme_len = strlen (WGD_MEMBERSHIP_SCHEME);
  guint8 bytes[WGD_MEMBERSHIP_MAX];
  gsize len;
  const gchar *text;

  memset (out, 0, sizeof *out);
  if (g_ascii_strncasecmp (value, WGD_MEMBERSHIP_SCHEME, scheme_len) != 0
      || value[scheme_len] != ' ')
    return malformed (error, "the Authorization header is not of the scheme "
                             WGD_MEMBERSHIP_SCHEME);
  for (text = value + scheme_len; *text == ' '; text++)
    ;
  if (!wgd_base64url_decode (text, strlen (text), bytes, sizeof bytes, &len, error))
    return FALSE;
  return wgd_membership_proof_decode (out, bytes, len, error);
}

gchar *
wgd_membership_host_from_url (const gchar *url, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, error);
  g_autofree gchar *scheme = NULL;
  g_autofree gchar *host = NULL;
  gint port, default_port;

  if (uri == NULL)
    return NULL;
  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  if (g_str_equal (scheme, "http") || g_str_equal (scheme, "ws"))
    default_port = 80;
  else if (g_str_equal (scheme, "https") || g_str_equal (scheme, "wss"))
    default_port = 443;
  else
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "'%s': the scheme must be http, https, ws or wss", url);
      return NULL;
    }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, "'%s' names no host", url);
      return NULL;
    }
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  if (strchr (host, ':') != NULL)
    {
      gchar *bracketed = g_strdup_printf ("[%s]", host);

      g_free (host);
      host = bracketed;
    }
  port = g_uri_get_port (uri);
  if (port > 0 && port != default_port)
    {
      gchar *with_port = g_strdup_printf ("%s:%d", host, port);

      g_free (host);
      host = with_port;
    }
  if (strlen (host) > WGD_MEMBERSHIP_HOST_MAX || !is_visible_ascii (host, strlen (host)))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "'%s': the host must be at most %d visible ASCII characters", url,
                   WGD_MEMBERSHIP_HOST_MAX);
      return NULL;
    }
  return g_steal_pointer (&host);
}

/* --- the replay cache ------------------------------------------------------ */

typedef struct {
  guint64 timestamp;
  guint8 signature[WGD_SIGNATURE_LEN];
} CacheKey;

struct _WgdMembershipCache {
  /* CacheKey → nothing, ordered by timestamp, so the oldest is first. */
  GTree *seen;
  gsize max_entries;
  /* Every proof with a timestamp up to here is refused: the cache has
   * forgotten some of them. */
  gboolean has_horizon;
  guint64 horizon;
};

static gint
cache_key_compare (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const CacheKey *x = a, *y = b;

  if (x->timestamp != y->timestamp)
    return x->timestamp < y->timestamp ? -1 : 1;
  return memcmp (x->signature, y->signature, WGD_SIGNATURE_LEN);
}

WgdMembershipCache *
wgd_membership_cache_new (gsize max_entries)
{
  WgdMembershipCache *cache;

  g_return_val_if_fail (max_entries > 0, NULL);
  cache = g_new0 (WgdMembershipCache, 1);
  cache->seen = g_tree_new_full (cache_key_compare, NULL, g_free, NULL);
  cache->max_entries = max_entries;
  return cache;
}

void
wgd_membership_cache_free (WgdMembershipCache *cache)
{
  if (cache == NULL)
    return;
  g_tree_destroy (cache->seen);
  g_free (cache);
}

gsize
wgd_membership_cache_size (const WgdMembershipCache *cache)
{
  return (gsize) g_tree_nnodes (cache->seen);
}

static gboolean
is_stale (guint64 timestamp, guint64 now)
{
  return timestamp < now && now - timestamp > WGD_MEMBERSHIP_WINDOW_SECONDS;
}

/* Forgets what the window would refuse anyway. */
static void
cache_expire (WgdMembershipCache *cache, guint64 now)
{
  GTreeNode *first;

  while ((first = g_tree_node_first (cache->seen)) != NULL
         && is_stale (((const CacheKey *) g_tree_node_key (first))->timestamp, now))
    g_tree_remove (cache->seen, g_tree_node_key (first));
}

static void
cache_add (WgdMembershipCache *cache, const CacheKey *key)
{
  if ((gsize) g_tree_nnodes (cache->seen) >= cache->max_entries)
    {
      GTreeNode *first = g_tree_node_first (cache->seen);
      guint64 oldest = ((const CacheKey *) g_tree_node_key (first))->timestamp;

      if (!cache->has_horizon || oldest > cache->horizon)
        cache->horizon = oldest;
      cache->has_horizon = TRUE;
      g_tree_remove (cache->seen, g_tree_node_key (first));
    }
  g_tree_insert (cache->seen, g_memdup2 (key, sizeof *key), NULL);
}

/* --- the check ------------------------------------------------------------- */

static WgdMembershipReason
verdict_set (WgdMembershipVerdict *v, WgdMembershipReason reason, const gchar *format, ...)
G_GNUC_PRINTF (3, 4);

static WgdMembershipReason
verdict_set (WgdMembershipVerdict *v, WgdMembershipReason reason, const gchar *format, ...)
{
  va_list args;

  v->reason = reason;
  va_start (args, format);
  g_vsnprintf (v->detail, sizeof v->detail, format, args);
  va_end (args);
  return reason;
}

WgdMembershipReason
wgd_membership_check (const WgdMembershipProof *proof, const WgdMembershipRequest *request,
                      const guint8 mesh_key[WGD_KEY_LEN], const WgdTrustStore *revocations,
                      guint64 now, WgdMembershipCache *cache, WgdMembershipVerdict *verdict)
{
  const WgdCertificate *c = &proof->certificate;
  g_autoptr (GError) error = NULL;
  guint8 message[MESSAGE_MAX];
  gsize message_len;
  CacheKey key;

  memset (verdict, 0, sizeof *verdict);
  if (proof->raw_len < WGD_MEMBERSHIP_FIXED_LEN)
    return verdict_set (verdict, WGD_MEMBERSHIP_MALFORMED, "no membership proof");
  if (!request_is_valid (request, &error))
    return verdict_set (verdict, WGD_MEMBERSHIP_MALFORMED, "%s", error->message);
  /* The cheap checks first: a stranger's proof costs no signature check. */
  if (is_stale (proof->timestamp, now))
    return verdict_set (verdict, WGD_MEMBERSHIP_STALE,
                        "timestamp %" G_GUINT64_FORMAT " is %" G_GUINT64_FORMAT
                        " s behind our clock", proof->timestamp, now - proof->timestamp);
  if (proof->timestamp > now && proof->timestamp - now > WGD_MEMBERSHIP_WINDOW_SECONDS)
    return verdict_set (verdict, WGD_MEMBERSHIP_FUTURE,
                        "timestamp %" G_GUINT64_FORMAT " is %" G_GUINT64_FORMAT
                        " s ahead of our clock", proof->timestamp, proof->timestamp - now);
  if (sodium_memcmp (c->ca_key, mesh_key, WGD_KEY_LEN) != 0)
    return verdict_set (verdict, WGD_MEMBERSHIP_WRONG_MESH,
                        "the certificate is signed by another CA than the mesh's");
  if (!wgd_certificate_verify_signature (c))
    return verdict_set (verdict, WGD_MEMBERSHIP_BAD_CERTIFICATE,
                        "the certificate's signature does not verify");
  if (now < c->not_before)
    return verdict_set (verdict, WGD_MEMBERSHIP_NOT_YET_VALID,
                        "the certificate is valid only from %" G_GUINT64_FORMAT, c->not_before);
  if (now > c->not_after)
    return verdict_set (verdict, WGD_MEMBERSHIP_EXPIRED_CERTIFICATE,
                        "the certificate expired at %" G_GUINT64_FORMAT, c->not_after);
  if (revocations != NULL && wgd_trust_store_is_revoked (revocations, c->ca_key, c->serial))
    return verdict_set (verdict, WGD_MEMBERSHIP_REVOKED,
                        "certificate serial %" G_GUINT64_FORMAT " is revoked", c->serial);

  message_len = message_write (message, proof->raw, proof->raw_len - WGD_SIGNATURE_LEN,
                               request);
  if (!wgd_wire_verify (WGD_MEMBERSHIP_CONTEXT, message, message_len, proof->signature,
                        c->signing_key))
    return verdict_set (verdict, WGD_MEMBERSHIP_BAD_SIGNATURE,
                        "the signature does not verify for %s %s at %s", request->method,
                        request->path, request->host);

  /* Replay last, so that nothing forged takes a place in the cache. */
  cache_expire (cache, now);
  if (cache->has_horizon && proof->timestamp <= cache->horizon)
    return verdict_set (verdict, WGD_MEMBERSHIP_CROWDED,
                        "too many proofs were seen to tell one from %" G_GUINT64_FORMAT
                        " from a replay; a new one will do", proof->timestamp);
  key.timestamp = proof->timestamp;
  memcpy (key.signature, proof->signature, WGD_SIGNATURE_LEN);
  if (g_tree_lookup_extended (cache->seen, &key, NULL, NULL))
    return verdict_set (verdict, WGD_MEMBERSHIP_REPLAYED, "this proof was used before");
  cache_add (cache, &key);
  verdict->reason = WGD_MEMBERSHIP_ACCEPTED;
  return WGD_MEMBERSHIP_ACCEPTED;
}

WgdMembershipReason
wgd_membership_check_header (const gchar *value, const WgdMembershipRequest *request,
                             const guint8 mesh_key[WGD_KEY_LEN],
                             const WgdTrustStore *revocations, guint64 now,
                             WgdMembershipCache *cache, WgdMembershipProof *proof,
                             WgdMembershipVerdict *verdict)
{
  g_autoptr (GError) error = NULL;

  memset (verdict, 0, sizeof *verdict);
  if (value == NULL)
    {
      memset (proof, 0, sizeof *proof);
      return verdict_set (verdict, WGD_MEMBERSHIP_MALFORMED, "no membership proof");
    }
  if (!wgd_membership_proof_from_header (proof, value, &error))
    return verdict_set (verdict, WGD_MEMBERSHIP_MALFORMED, "%s", error->message);
  return wgd_membership_check (proof, request, mesh_key, revocations, now, cache, verdict);
}

static const gchar *const reason_names[WGD_MEMBERSHIP_REASON_COUNT] = {
  [WGD_MEMBERSHIP_ACCEPTED] = "accepted",
  [WGD_MEMBERSHIP_MALFORMED] = "malformed",
  [WGD_MEMBERSHIP_WRONG_MESH] = "wrong-mesh",
  [WGD_MEMBERSHIP_BAD_CERTIFICATE] = "bad-certificate",
  [WGD_MEMBERSHIP_NOT_YET_VALID] = "not-yet-valid",
  [WGD_MEMBERSHIP_EXPIRED_CERTIFICATE] = "expired-certificate",
  [WGD_MEMBERSHIP_REVOKED] = "revoked",
  [WGD_MEMBERSHIP_BAD_SIGNATURE] = "bad-signature",
  [WGD_MEMBERSHIP_STALE] = "stale",
  [WGD_MEMBERSHIP_FUTURE] = "future",
  [WGD_MEMBERSHIP_REPLAYED] = "replayed",
  [WGD_MEMBERSHIP_CROWDED] = "crowded",
};

const gchar *
wgd_membership_reason_to_string (WgdMembershipReason reason)
{
  g_return_val_if_fail (reason < WGD_MEMBERSHIP_REASON_COUNT, "unknown");
  return reason_names[reason];
}

gboolean
wgd_membership_reason_from_string (const gchar *text, WgdMembershipReason *reason)
{
  for (guint i = 0; i < WGD_MEMBERSHIP_REASON_COUNT; i++)
    if (g_strcmp0 (text, reason_names[i]) == 0)
      {
        *reason = (WgdMembershipReason) i;
        return TRUE;
      }
  return FALSE;
}
