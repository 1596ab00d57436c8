/* test-rendezvous.c — the rendezvous server's pure parts: the code
 * table, routes and keys in paths, the acceptance decision under an open
 * and a mesh policy, who may list or watch a mesh, the rate limit, the
 * metrics text and the configuration's errors. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "accept.h"
#include "base64.h"
#include "mesh-access.h"
#include "metrics.h"
#include "rate-limit.h"
#include "rdv-config.h"
#include "refusal.h"
#include "route.h"
#include "test-util.h"
#include "wgd-error.h"

#define NOW 1700000000

static void
test_codes_round_trip (void)
{
  for (guint c = 0; c < RDV_CODE_COUNT; c++)
    {
      RdvCode back;

      g_assert_true (rdv_code_from_string (rdv_code_to_string (c), &back));
      g_assert_cmpint (back, ==, c);
      g_assert_cmpuint (rdv_code_http_status (c), >=, c == RDV_CODE_OK ? 200 : 400);
      for (guint d = c + 1; d < RDV_CODE_COUNT; d++)
        g_assert_cmpstr (rdv_code_to_string (c), !=, rdv_code_to_string (d));
    }
  g_assert_false (rdv_code_from_string ("nonsense", &(RdvCode) { 0 }));
  /* A refusal the daemon also knows has the daemon's name. */
  for (guint r = WGD_REASON_NONE + 1; r < WGD_REASON_COUNT; r++)
    g_assert_cmpstr (rdv_code_to_string (rdv_code_from_reason (r)), ==, wgd_reason_to_string (r));
  g_assert_cmpuint (rdv_code_http_status (RDV_CODE_TOO_LARGE), ==, 413);
  g_assert_cmpuint (rdv_code_http_status (RDV_CODE_RATE_LIMITED), ==, 429);
  g_assert_cmpuint (rdv_code_http_status (RDV_CODE_NOT_FOUND), ==, 404);
}

static void
test_routes (void)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (4);
  g_autofree gchar *b64 = wgd_key_to_base64 (id->public_key);
  g_autofree gchar *url = wgd_base64url_encode (id->public_key, WGD_KEY_LEN);
  g_autofree gchar *escaped = g_uri_escape_string (b64, NULL, FALSE);
  guint8 key[WGD_KEY_LEN];
  RdvCode code;
  const struct {
    const gchar *method, *path;
    RdvRoute route;
    RdvCode code;
  } cases[] = {
    { "PUT", "/v1/announcements", RDV_ROUTE_ANNOUNCE, RDV_CODE_OK },
    { "GET", "/v1/announcements", RDV_ROUTE_ANNOUNCE, RDV_CODE_METHOD_NOT_ALLOWED },
    { "GET", "/metrics", RDV_ROUTE_METRICS, RDV_CODE_OK },
    { "HEAD", "/metrics", RDV_ROUTE_METRICS, RDV_CODE_OK },
    { "PUT", "/metrics", RDV_ROUTE_METRICS, RDV_CODE_METHOD_NOT_ALLOWED },
    { "GET", "/v1/peers/", RDV_ROUTE_PEER, RDV_CODE_BAD_KEY },
    { "GET", "/v1/peers/AAAA", RDV_ROUTE_PEER, RDV_CODE_BAD_KEY },
    { "GET", "/v1/peers/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", RDV_ROUTE_PEER,
      RDV_CODE_BAD_KEY },
    { "GET", "/v1/peers/%00AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", RDV_ROUTE_PEER,
      RDV_CODE_BAD_KEY },
    { "GET", "/v1/peers/%20AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", RDV_ROUTE_PEER,
      RDV_CODE_BAD_KEY },
    { "GET", "/v1/meshes/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/announcements",
      RDV_ROUTE_MESH_LIST, RDV_CODE_OK },
    { "HEAD", "/v1/meshes/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/announcements",
      RDV_ROUTE_MESH_LIST, RDV_CODE_OK },
    { "GET", "/v1/meshes/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/watch", RDV_ROUTE_MESH_WATCH,
      RDV_CODE_OK },
    { "HEAD", "/v1/meshes/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/watch", RDV_ROUTE_MESH_WATCH,
      RDV_CODE_METHOD_NOT_ALLOWED },
    { "PUT", "/v1/meshes/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/announcements",
      RDV_ROUTE_MESH_LIST, RDV_CODE_METHOD_NOT_ALLOWED },
    /* standard base64 with its '/' as it is, and percent-encoded */
    { "GET", "/v1/meshes/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/A=/watch",
      RDV_ROUTE_MESH_WATCH, RDV_CODE_OK },
    { "GET", "/v1/meshes/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%2FA%3D/announcements",
      RDV_ROUTE_MESH_LIST, RDV_CODE_OK },
    { "GET", "/v1/meshes/AAAA/announcements", RDV_ROUTE_MESH_LIST, RDV_CODE_BAD_KEY },
    { "GET", "/v1/meshes//watch", RDV_ROUTE_MESH_WATCH, RDV_CODE_BAD_KEY },
    { "GET", "/v1/meshes/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/members", RDV_ROUTE_OTHER,
      RDV_CODE_NOT_FOUND },
    { "GET", "/v1/meshes/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", RDV_ROUTE_OTHER,
      RDV_CODE_NOT_FOUND },
    { "GET", "/", RDV_ROUTE_OTHER, RDV_CODE_NOT_FOUND },
    { "GET", "/v1/announcements/", RDV_ROUTE_OTHER, RDV_CODE_NOT_FOUND },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s %s", cases[i].method, cases[i].path);
      g_assert_cmpint (rdv_route_parse (cases[i].method, cases[i].path, key, &code), ==,
                       cases[i].route);
      g_assert_cmpint (code, ==, cases[i].code);
    }
  for (guint r = 0; r < RDV_ROUTE_COUNT; r++)
    {
      RdvRoute back;

      g_assert_true (rdv_route_from_string (rdv_route_to_string (r), &back));
      g_assert_cmpint (back, ==, r);
    }
  /* The key in every form a client may send. */
  memset (key, 0, sizeof key);
  g_assert_true (rdv_route_parse_key (url, key));
  g_assert_cmpmem (key, WGD_KEY_LEN, id->public_key, WGD_KEY_LEN);
  memset (key, 0, sizeof key);
  g_assert_true (rdv_route_parse_key (escaped, key));
  g_assert_cmpmem (key, WGD_KEY_LEN, id->public_key, WGD_KEY_LEN);
  memset (key, 0, sizeof key);
  g_assert_true (rdv_route_parse_key (b64, key));
  g_assert_cmpmem (key, WGD_KEY_LEN, id->public_key, WGD_KEY_LEN);
}

/* A record of node certified by ca (its own derived WireGuard key, or
 * wg when given). */
static GBytes *
certified (const WgdKeyPair *node, const WgdKeyPair *ca, const guint8 *wg, guint64 timestamp)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  WgdCertificate *c = &ann->certificate;
  g_autoptr (GError) error = NULL;

  memcpy (c->signing_key, node->public_key, WGD_KEY_LEN);
  if (wg != NULL)
    memcpy (c->wg_key, wg, WGD_KEY_LEN);
  else
    g_assert_true (wgd_wg_key_from_signing_key (node->public_key, c->wg_key));
  c->serial = 7;
  c->not_before = NOW - 1000;
  c->not_after = NOW + 100000;
  g_strlcpy (c->name, "node", sizeof c->name);
  g_assert_true (wgd_certificate_sign (c, ca, &error));
  ann->has_certificate = TRUE;
  memcpy (ann->wg_key, c->wg_key, WGD_KEY_LEN);
  ann->timestamp = timestamp;
  ann->lifetime = 600;
  g_assert_true (wgd_announcement_sign (ann, node, &error));
  g_assert_no_error (error);
  return g_bytes_new (ann->record, ann->record_len);
}

static GBytes *
derived (const WgdKeyPair *node, guint64 timestamp)
{
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (node, timestamp, 600);

  return g_bytes_new (ann->record, ann->record_len);
}

/* Decides on record as a PUT with nothing stored (or the given newest). */
static RdvCode
decide (const RdvPolicy *policy, GBytes *record, gboolean found, guint64 held, RdvDecision *d)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (GBytes) owned = record;
  guint8 digest[WGD_KEY_LEN] = { 0 };
  gsize len;
  const guint8 *data = g_bytes_get_data (owned, &len);

  if (!rdv_accept_decode (data, len, ann, d))
    return d->code;
  if (found && held == ann->timestamp)
    rdv_record_digest (owned, digest);
  rdv_accept_decide (policy, ann, found, held, digest, NOW, d);
  return d->code;
}

static void
test_accept_open (void)
{
  g_autoptr (RdvPolicy) open = rdv_policy_new ();
  g_autoptr (WgdKeyPair) node = test_key_pair (5);
  g_autoptr (WgdKeyPair) ca = test_key_pair (6);
  g_autoptr (WgdKeyPair) other = test_key_pair (7);
  g_autoptr (GBytes) forged = NULL;
  guint8 *bytes;
  gsize len;
  RdvDecision d;

  g_assert_true (rdv_policy_is_open (open));
  g_assert_cmpint (decide (open, derived (node, NOW), FALSE, 0, &d), ==, RDV_CODE_OK);
  g_assert_cmpint (d.binding, ==, WGD_BINDING_DERIVED);
  /* Certified for a WireGuard key not derived from the signing key: only
   * the certificate binds them, checked against the CA it names. */
  g_assert_cmpint (decide (open, certified (node, ca, other->public_key, NOW), FALSE, 0, &d),
                   ==, RDV_CODE_OK);
  g_assert_cmpint (d.binding, ==, WGD_BINDING_CERTIFICATE);
  g_assert_cmpint (decide (open, derived (node, NOW), TRUE, NOW, &d), ==, RDV_CODE_OK);
  g_assert_true (d.already_known);
  g_assert_cmpint (decide (open, derived (node, NOW - 1), TRUE, NOW, &d), ==, RDV_CODE_REPLAYED);
  g_assert_cmpint (decide (open, derived (node, NOW + 1), TRUE, NOW, &d), ==, RDV_CODE_OK);
  g_assert_false (d.already_known);
  g_assert_cmpint (decide (open, derived (node, NOW - 600), FALSE, 0, &d), ==, RDV_CODE_EXPIRED);
  g_assert_cmpint (decide (open, derived (node, NOW + 301), FALSE, 0, &d), ==, RDV_CODE_FUTURE);
  forged = derived (node, NOW);
  bytes = g_bytes_unref_to_data (g_steal_pointer (&forged), &len);
  bytes[len - 1] ^= 1;
  g_assert_cmpint (decide (open, g_bytes_new_take (bytes, len), FALSE, 0, &d), ==,
                   RDV_CODE_BAD_SIGNATURE);
  g_assert_cmpint (decide (open, g_bytes_new ("\1", 1), FALSE, 0, &d), ==, RDV_CODE_MALFORMED);
  g_assert_cmpint (decide (open, g_bytes_new_take (g_malloc0 (1025), 1025), FALSE, 0, &d), ==,
                   RDV_CODE_TOO_LARGE);
}

/* Whether the record (taken) as stored says its WireGuard key is derived. */
static gboolean
stored_derived (RdvPolicy *policy, GBytes *record)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (RdvStoredRecord) stored = NULL;
  RdvDecision d;

  g_assert_true (rdv_accept_decode (g_bytes_get_data (record, NULL), g_bytes_get_size (record),
                                    ann, &d));
  g_bytes_unref (record);
  rdv_accept_decide (policy, ann, FALSE, 0, NULL, NOW, &d);
  g_assert_cmpint (d.code, ==, RDV_CODE_OK);
  stored = rdv_accept_to_stored (ann, &d);
  return stored->derived;
}

static void
test_accept_derived (void)
{
  g_autoptr (RdvPolicy) open = rdv_policy_new ();
  g_autoptr (WgdKeyPair) node = test_key_pair (5);
  g_autoptr (WgdKeyPair) ca = test_key_pair (6);
  g_autoptr (WgdKeyPair) other = test_key_pair (7);

  g_assert_true (stored_derived (open, derived (node, NOW)));
  g_assert_true (stored_derived (open, certified (node, ca, NULL, NOW)));
  g_assert_false (stored_derived (open, certified (node, ca, other->public_key, NOW)));
}

static void
test_accept_mesh (void)
{
  g_autoptr (RdvPolicy) mesh = rdv_policy_new ();
  g_autoptr (WgdKeyPair) node = test_key_pair (5);
  g_autoptr (WgdKeyPair) ca = test_key_pair (6);
  g_autoptr (WgdKeyPair) other = test_key_pair (7);
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (RdvStoredRecord) stored = NULL;
  g_autoptr (GBytes) record = NULL;
  RdvDecision d;

  rdv_policy_add_mesh (mesh, ca->public_key);
  g_assert_false (rdv_policy_is_open (mesh));
  g_assert_cmpint (decide (mesh, derived (node, NOW), FALSE, 0, &d), ==, RDV_CODE_NO_BINDING);
  g_assert_cmpint (decide (mesh, certified (node, other, NULL, NOW), FALSE, 0, &d), ==,
                   RDV_CODE_WRONG_MESH);
  g_assert_cmpint (decide (mesh, certified (node, ca, NULL, NOW), FALSE, 0, &d), ==, RDV_CODE_OK);
  g_assert_cmpint (d.binding, ==, WGD_BINDING_CERTIFICATE);
  /* What is stored: keys, the mesh of the certifying CA, expiry. */
  record = certified (node, ca, NULL, NOW);
  g_assert_true (rdv_accept_decode (g_bytes_get_data (record, NULL), g_bytes_get_size (record),
                                    ann, &d));
  rdv_accept_decide (mesh, ann, FALSE, 0, NULL, NOW, &d);
  stored = rdv_accept_to_stored (ann, &d);
  g_assert_true (stored->has_mesh && stored->derived);
  g_assert_cmpmem (stored->mesh_key, WGD_KEY_LEN, ca->public_key, WGD_KEY_LEN);
  g_assert_cmpuint (stored->expires, ==, NOW + 600);
  g_assert_true (g_bytes_equal (stored->record, record));
}

static void
test_rate_limit (void)
{
  g_autoptr (RdvRateLimit) rl = rdv_rate_limit_new (2, 3, 2);
  guint retry = 0;
  g_autofree gchar *v6 = rdv_rate_limit_source ("2001:db8:1:2:3:4:5:6");
  g_autofree gchar *v4 = rdv_rate_limit_source ("192.0.2.1");

  for (guint i = 0; i < 3; i++)
    g_assert_true (rdv_rate_limit_take (rl, "a", 0, &retry));
  g_assert_false (rdv_rate_limit_take (rl, "a", 0, &retry));
  g_assert_cmpuint (retry, ==, 1);
  /* Half a second gives one token at 2 a second. */
  g_assert_true (rdv_rate_limit_take (rl, "a", 500000, &retry));
  g_assert_false (rdv_rate_limit_take (rl, "a", 500000, &retry));
  /* Bounded: a third source evicts the oldest, never grows the table. */
  g_assert_true (rdv_rate_limit_take (rl, "b", 600000, &retry));
  g_assert_true (rdv_rate_limit_take (rl, "c", 700000, &retry));
  g_assert_cmpuint (rdv_rate_limit_size (rl), ==, 2);
  g_assert_cmpstr (v6, ==, "2001:db8:1:2::/64");
  g_assert_cmpstr (v4, ==, "192.0.2.1");
}

static void
test_metrics (void)
{
  g_autoptr (RdvMetrics) m = rdv_metrics_new ();
  g_autofree gchar *text = NULL;

  rdv_metrics_count_request (m, RDV_ROUTE_ANNOUNCE, 200);
  rdv_metrics_count_request (m, RDV_ROUTE_ANNOUNCE, 200);
  rdv_metrics_count_request (m, RDV_ROUTE_PEER, 404);
  rdv_metrics_count_put (m, RDV_CODE_OK);
  rdv_metrics_count_put (m, RDV_CODE_REPLAYED);
  g_assert_cmpuint (rdv_metrics_get_put (m, RDV_CODE_REPLAYED), ==, 1);
  text = rdv_metrics_render (m, 17);
  g_assert_nonnull (strstr (text, "wgdiscover_rendezvous_requests_total{route=\"announce\","
                                  "status=\"200\"} 2\n"));
  g_assert_nonnull (strstr (text, "{route=\"peer\",status=\"404\"} 1\n"));
  g_assert_nonnull (strstr (text, "wgdiscover_rendezvous_records 17\n"));
  g_assert_nonnull (strstr (text, "wgdiscover_rendezvous_puts_accepted_total 1\n"));
  g_assert_nonnull (strstr (text, "puts_refused_total{reason=\"replayed\"} 1\n"));
  g_assert_nonnull (strstr (text, "puts_refused_total{reason=\"malformed\"} 0\n"));
}

static WgdCertificate *
member_certificate (const WgdKeyPair *ca, const WgdKeyPair *node)
{
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();

  memcpy (cert->signing_key, node->public_key, WGD_KEY_LEN);
  wgd_key_pair_wg_public (node, cert->wg_key);
  cert->not_before = NOW - 3600;
  cert->not_after = NOW + 3600;
  g_strlcpy (cert->name, "carol", sizeof cert->name);
  g_assert_true (wgd_certificate_sign (cert, ca, NULL));
  return g_steal_pointer (&cert);
}

static gchar *
member_header (const WgdKeyPair *node, const WgdCertificate *cert, const gchar *path)
{
  g_autoptr (WgdMembershipProof) proof = wgd_membership_proof_new ();
  WgdMembershipRequest request = { "GET", "rdv.example.org", path };

  g_assert_true (wgd_membership_proof_sign (proof, node, cert, &request, NOW, NULL, NULL));
  return wgd_membership_proof_to_header (proof);
}

static void
test_mesh_access (void)
{
  g_autoptr (WgdKeyPair) ca = test_key_pair (6);
  g_autoptr (WgdKeyPair) stranger_ca = test_key_pair (7);
  g_autoptr (WgdKeyPair) node = test_key_pair (8);
  g_autoptr (WgdCertificate) cert = member_certificate (ca, node);
  g_autoptr (WgdCertificate) stranger = member_certificate (stranger_ca, node);
  g_autoptr (RdvPolicy) open = rdv_policy_new ();
  g_autoptr (RdvPolicy) mesh = rdv_policy_new ();
  g_autoptr (WgdMembershipCache) cache = wgd_membership_cache_new (16);
  const gchar *path = "/v1/meshes/x/announcements";
  g_autofree gchar *header = NULL;
  g_autofree gchar *foreign = member_header (node, stranger, path);
  RdvAccess a;

  rdv_policy_add_mesh (mesh, ca->public_key);
  g_assert_true (rdv_policy_serves_mesh (open, stranger_ca->public_key));
  g_assert_false (rdv_policy_serves_mesh (mesh, stranger_ca->public_key));
  /* A member, once; the same proof again is a replay. */
  header = member_header (node, cert, path);
  g_assert_true (rdv_access_check (mesh, "rdv.example.org", "GET", path, header, ca->public_key,
                                   NOW, cache, &a));
  g_assert_false (rdv_access_check (mesh, "rdv.example.org", "GET", path, header,
                                    ca->public_key, NOW, cache, &a));
  g_assert_cmpint (a.verdict.reason, ==, WGD_MEMBERSHIP_REPLAYED);
  g_clear_pointer (&header, g_free);
  header = member_header (node, cert, path);
  g_assert_false (rdv_access_check (mesh, "rdv.example.org", "GET", "/v1/meshes/y/announcements",
                                    header, ca->public_key, NOW, cache, &a));
  g_assert_cmpint (a.verdict.reason, ==, WGD_MEMBERSHIP_BAD_SIGNATURE);
  g_assert_false (rdv_access_check (mesh, NULL, "GET", path, header, ca->public_key, NOW, cache,
                                    &a));
  g_assert_false (a.served);
  g_assert_false (rdv_access_check (mesh, "rdv.example.org", "GET", path, NULL, ca->public_key,
                                    NOW, cache, &a));
  g_assert_cmpint (a.verdict.reason, ==, WGD_MEMBERSHIP_MALFORMED);
  /* A mesh not served here: refused, and its valid proof takes no place
   * in the cache; an open server takes it. */
  g_assert_cmpuint (wgd_membership_cache_size (cache), ==, 1);
  g_assert_false (rdv_access_check (mesh, "rdv.example.org", "GET", path, foreign,
                                    stranger_ca->public_key, NOW, cache, &a));
  g_assert_false (a.served);
  g_assert_cmpuint (wgd_membership_cache_size (cache), ==, 1);
  g_assert_false (rdv_access_check (mesh, "rdv.example.org", "GET", path, foreign,
                                    ca->public_key, NOW, cache, &a));
  g_assert_true (a.served);
  g_assert_cmpint (a.verdict.reason, ==, WGD_MEMBERSHIP_WRONG_MESH);
  g_assert_true (rdv_access_check (open, "rdv.example.org", "GET", path, foreign,
                                   stranger_ca->public_key, NOW, cache, &a));
  g_assert_cmpuint (wgd_membership_cache_size (cache), ==, 2);
}

static void
test_watch_metrics (void)
{
  g_autoptr (RdvMetrics) m = rdv_metrics_new ();
  g_autofree gchar *text = NULL;

  for (guint d = 0; d < RDV_DROP_COUNT; d++)
    {
      RdvDrop back;

      g_assert_true (rdv_drop_from_string (rdv_drop_to_string (d), &back));
      g_assert_cmpint (back, ==, d);
    }
  g_assert_false (rdv_drop_from_string ("nonsense", &(RdvDrop) { 0 }));
  rdv_metrics_observe_push (m, 0.0002);
  rdv_metrics_observe_push (m, 0.003);
  rdv_metrics_observe_push (m, 7);
  rdv_metrics_set_websockets (m, 4);
  rdv_metrics_count_drop (m, RDV_DROP_SLOW);
  rdv_metrics_count_mesh_refusal (m, TRUE, WGD_MEMBERSHIP_STALE);
  rdv_metrics_count_mesh_refusal (m, FALSE, WGD_MEMBERSHIP_ACCEPTED);
  text = rdv_metrics_render (m, 0);
  g_assert_nonnull (strstr (text, "push_latency_seconds_bucket{le=\"0.0005\"} 1\n"));
  g_assert_nonnull (strstr (text, "push_latency_seconds_bucket{le=\"0.0025\"} 1\n"));
  g_assert_nonnull (strstr (text, "push_latency_seconds_bucket{le=\"0.005\"} 2\n"));
  g_assert_nonnull (strstr (text, "push_latency_seconds_bucket{le=\"1\"} 2\n"));
  g_assert_nonnull (strstr (text, "push_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
  g_assert_nonnull (strstr (text, "push_latency_seconds_count 3\n"));
  g_assert_nonnull (strstr (text, "wgdiscover_rendezvous_websocket_clients 4\n"));
  g_assert_nonnull (strstr (text, "websockets_dropped_total{reason=\"slow\"} 1\n"));
  g_assert_nonnull (strstr (text, "mesh_refused_total{reason=\"stale\"} 1\n"));
  g_assert_nonnull (strstr (text, "mesh_refused_total{reason=\"not-served\"} 1\n"));
}

static void
test_config (void)
{
  g_autoptr (WgdKeyPair) ca = test_key_pair (6);
  g_autofree gchar *ca_text = wgd_key_to_base64 (ca->public_key);
  g_autofree gchar *good = g_strdup_printf ("[Server]\nListen=[::1]:443\nAllowPlainHTTP=yes\n"
                                            "RequestsPerSecond=9\nTrustedProxies=127.0.0.1;::1\n"
                                            "[Mesh office]\nCA=%s\n", ca_text);
  g_autoptr (RdvConfig) c = NULL;
  const struct {
    const gchar *text, *error;
  } bad[] = {
    { "[Server]\n\nColour=blue\n", "f:3: [Server] Colour: unknown key" },
    { "[Servers]\n", "f:1: [Servers]: unknown group" },
    { "[Server]\nListen=::1:80\n", "f:2: [Server] Listen: '::1:80': an IPv6 address" },
    { "[Server]\nListen=host:80\n", "f:2: [Server] Listen: 'host' is not an IP address" },
    { "[Server]\nListen=127.0.0.1:0\n", "f:2: [Server] Listen: '0' is not a port" },
    { "[Server]\nAllowPlainHTTP=maybe\n", "f:2: [Server] AllowPlainHTTP: 'maybe' is not true" },
    { "[Server]\nCertificate=/c.pem\n", "f:1: [Server] PrivateKey: Certificate= and" },
    { "[Server]\nCertificate=c.pem\n", "f:2: [Server] Certificate: 'c.pem' is not an absolute" },
    { "[Server]\nRequestBurst=0\n", "f:2: [Server] RequestBurst: '0' is not a number" },
    { "[Server]\nTrustedProxies=proxy\n", "f:2: [Server] TrustedProxies: 'proxy' is not an IP" },
    { "[Mesh x]\n", "f:1: [Mesh x] CA: is required" },
    { "[Mesh x]\nCA=nokey\n", "f:2: [Mesh x] CA: 'nokey' is not a key" },
    { "[Mesh x]\nCA=2inpWwLgD/oVZFd1+x0roiKhlDOV7qBrlOLAV7e+adA=\nRevocations=r\n",
      "f:3: [Mesh x] Revocations: 'r' is not an absolute path" },
    { "[Mesh x]\nCA=2inpWwLgD/oVZFd1+x0roiKhlDOV7qBrlOLAV7e+adA=\nRevocations=/nonexistent\n",
      "f:3: [Mesh x] Revocations: /nonexistent: No such file" },
    { "[Mesh x]\nCA=2inpWwLgD/oVZFd1+x0roiKhlDOV7qBrlOLAV7e+adA=\nRevocations=/dev/zero\n",
      "f:3: [Mesh x] Revocations: /dev/zero: not a file" },
    { "[Server]\nPublicURL=rdv.example.org\n", "f:2: [Server] PublicURL: 'rdv.example.org'" },
    { "[Server]\nWebSocketKeepalive=90\n", "f:1: [Server] WebSocketTimeout: must be longer" },
    { "[Server]\nMaxWebSocketsPerSource=0\n", "f:2: [Server] MaxWebSocketsPerSource: '0'" },
    { "[Server]\nStore=mysql\n", "f:2: [Server] Store: 'mysql': not sqlite, redis://" },
    { "[Server]\nStore=redis://:secret@h/0\n", "f:2: [Server] Store: 'redis://:secret@h/0': a "
      "password or user goes in StorePasswordFile=" },
    { "[Server]\nStorePasswordFile=/etc/passwd\n", "f:2: [Server] StorePasswordFile: only a "
      "Redis store" },
    { "[Server]\nStore=unix:/run/redis.sock\nStorePasswordFile=pw\n",
      "f:3: [Server] StorePasswordFile: 'pw' is not an absolute path" },
    { "[Server]\nStore=unix:/run/redis.sock\nStorePasswordFile=/nonexistent\n",
      "f:3: [Server] StorePasswordFile: /nonexistent: No such file" },
    { "[Server]\nStore=unix:/run/redis.sock\nStorePasswordFile=/dev/zero\n",
      "f:3: [Server] StorePasswordFile: /dev/zero: not a file" },
  };

  c = rdv_config_load_data ("f", good, strlen (good), NULL);
  g_assert_nonnull (c);
  g_assert_cmpstr (c->listen_host, ==, "::1");
  g_assert_cmpuint (c->listen_port, ==, 443);
  g_assert_true (c->allow_plain_http);
  g_assert_true (rdv_config_listen_is_loopback (c));
  g_assert_cmpfloat (c->requests_per_second, ==, 9);
  g_assert_cmpuint (g_strv_length (c->trusted_proxies), ==, 2);
  g_assert_cmpuint (c->meshes->len, ==, 1);
  /* Without PublicURL= the URL of Listen=, the scheme's port left out. */
  g_assert_cmpstr (c->public_host, ==, "[::1]:443");
  g_clear_pointer (&c, rdv_config_free);
  c = rdv_config_load_data ("f", "[Server]\nListen=0.0.0.0:80\n", 27, NULL);
  g_assert_null (c->public_host);
  g_assert_cmpint (c->store->kind, ==, RDV_STORE_KIND_SQLITE);
  g_assert_null (c->store_password);
  g_assert_cmpuint (c->max_websockets, ==, 1000);
  g_clear_pointer (&c, rdv_config_free);
  c = rdv_config_load_data ("f", "[Server]\nPublicURL=https://RDV.example.org:443/\n", 48, NULL);
  g_assert_cmpstr (c->public_host, ==, "rdv.example.org");
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (RdvConfig) none = rdv_config_load_data ("f", bad[i].text, strlen (bad[i].text),
                                                         &error);

      g_assert_null (none);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, bad[i].error));
    }
}

/* config_with_password TEXT MODE: a configuration for a Redis store
 * whose StorePasswordFile= holds text with this mode. */
static RdvConfig *
config_with_password (const gchar *dir, const gchar *text, int mode, GError **error)
{
  g_autofree gchar *path = g_build_filename (dir, "password", NULL);
  g_autofree gchar *conf = g_strdup_printf ("[Server]\nStore=redis://127.0.0.1:6380/2\n"
                                            "StorePasswordFile=%s\n", path);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return rdv_config_load_data ("f", conf, strlen (conf), error);
}

static void
test_config_store (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("test-rendezvous-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "password", NULL);
  const gchar *const bad[] = { "", "\n", "two\nlines\n", "s3cret\x01" };
  g_autoptr (RdvConfig) c = NULL;
  g_autoptr (GError) error = NULL;

  c = config_with_password (dir, "s3cret\n", 0600, &error);
  g_assert_no_error (error);
  g_assert_cmpint (c->store->kind, ==, RDV_STORE_KIND_REDIS_TCP);
  g_assert_cmpstr (c->store->host, ==, "127.0.0.1");
  g_assert_cmpuint (c->store->port, ==, 6380);
  g_assert_cmpuint (c->store->db, ==, 2);
  g_assert_cmpstr (c->store_password, ==, "s3cret");
  g_clear_pointer (&c, rdv_config_free);
  /* A secret others can read is refused, and no message quotes it. */
  c = config_with_password (dir, "s3cret\n", 0644, &error);
  g_assert_null (c);
  g_assert_nonnull (strstr (error->message, "others may read"));
  g_assert_null (strstr (error->message, "s3cret"));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_clear_error (&error);
      c = config_with_password (dir, bad[i], 0600, &error);
      g_assert_null (c);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_null (strstr (error->message, "s3cret"));
      g_assert_null (strstr (error->message, "lines"));
    }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/rendezvous/codes-round-trip", test_codes_round_trip);
  g_test_add_func ("/rendezvous/routes", test_routes);
  g_test_add_func ("/rendezvous/accept-open", test_accept_open);
  g_test_add_func ("/rendezvous/accept-derived", test_accept_derived);
  g_test_add_func ("/rendezvous/accept-mesh", test_accept_mesh);
  g_test_add_func ("/rendezvous/rate-limit", test_rate_limit);
  g_test_add_func ("/rendezvous/metrics", test_metrics);
  g_test_add_func ("/rendezvous/mesh-access", test_mesh_access);
  g_test_add_func ("/rendezvous/watch-metrics", test_watch_metrics);
  g_test_add_func ("/rendezvous/config", test_config);
  g_test_add_func ("/rendezvous/config-store", test_config_store);
  return g_test_run ();
}
