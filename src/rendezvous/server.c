/* server.c — the rendezvous server's routes on libsoup.
 *
 * Every answer is JSON but /metrics; every error is
 * {"error": CODE, "message": TEXT} with the status of the code's table
 * (refusal.c). A PUT is stored (and on disk) before it is answered. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "accept.h"
#include "base64.h"
#include "clock.h"
#include "listener.h"
#include "membership.h"
#include "mesh-access.h"
#include "metrics.h"
#include "push-redis.h"
#include "rate-limit.h"
#include "record-json.h"
#include "route.h"
#include "server.h"
#include "watch.h"
#include "wgd-error.h"

#define LOG_DOMAIN "wgdiscover-rendezvous"
#define PURGE_SECONDS 60
/* A store that failed is usually away for a moment (Redis restarting,
 * a failover): soon, but not at once. */
#define STORE_RETRY_AFTER "2"
/* A watch slot's lease in the shared store, in periods of its renewal
 * (WebSocketKeepalive=): a server that died frees its slots after about
 * this many, and one that misses a renewal or two keeps them. */
#define WATCH_LEASE_PERIODS 3
#define WATCH_SLOT_KEY "wgd-rdv-watch-slot"

struct _RdvServer {
  gchar *listen_host;
  guint16 listen_port;
  gchar *certificate_file;
  gchar *private_key_file;
  gboolean allow_plain_http;
  gboolean loopback;
  RdvStoreCaps caps;
  guint max_websockets;
  guint max_websockets_per_source;
  guint watch_lease;            /* seconds */
  gdouble requests_per_second;
  gdouble request_burst;
  GStrv trusted_proxies;
  RdvStore *store;
  RdvPolicy *policy;
  RdvRateLimit *rate_limit;
  RdvMetrics *metrics;
  gchar *public_host;           /* what membership proofs bind; NULL: none */
  WgdMembershipCache *proofs;   /* the one replay cache of the mesh routes */
  RdvWatchers *watchers;
  RdvPushRedis *push;           /* on a shared store: the records of every server */
  SoupServer *soup;
  RdvListener *listener;
  guint purge_source;
  guint watch_refresh_source;
  gint64 store_warned_at;       /* monotonic: the last line on a store failure */
  guint store_failures;         /* failures not logged since */
};

typedef struct {
  gchar *address;
  guint16 port;                 /* 0: not known (behind a proxy) */
} Source;

static void
source_clear (Source *src)
{
  g_clear_pointer (&src->address, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Source, source_clear)

static void
respond (RdvServer *s, SoupServerMessage *msg, RdvRoute route, guint status,
         const gchar *content_type, gchar *body)
{
  /* libsoup knows no phrase for some statuses of the code table. */
  soup_server_message_set_status (msg, status, status == 429 ? "Too Many Requests"
                                  : status == 422 ? "Unprocessable Content" : NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, body,
                                    body ? strlen (body) : 0);
  rdv_metrics_count_request (s->metrics, route, status);
}

static void
respond_json (RdvServer *s, SoupServerMessage *msg, RdvRoute route, guint status,
              JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);

  respond (s, msg, route, status, "application/json", g_strconcat (text, "\n", NULL));
  g_free (text);
}

/* A store that failed: while it is away every request fails, and one
 * line a second says so, with how many failed since the last. */
static void
store_warn (RdvServer *s, const GError *error)
{
  gint64 now = g_get_monotonic_time ();

  if (s->store_warned_at == 0 || now - s->store_warned_at >= G_USEC_PER_SEC)
    {
      g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "store: %s (%u more "
                        "failures since the last line)", error->message, s->store_failures);
      s->store_warned_at = now;
      s->store_failures = 0;
    }
  else
    s->store_failures++;
}

/* Before a 503 for a store that failed: the log line and Retry-After.
 * Nothing was stored; the server stays up and asks the store again at
 * the next request. */
static void
store_failed (RdvServer *s, SoupServerMessage *msg, const GError *error)
{
  store_warn (s, error);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                STORE_RETRY_AFTER);
}

static void
respond_error (RdvServer *s, SoupServerMessage *msg, RdvRoute route, RdvCode code,
               const gchar *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, rdv_code_to_string (code));
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  respond_json (s, msg, route, rdv_code_http_status (code), b);
}

static gboolean
proxy_is_trusted (const RdvServer *s, GInetAddress *peer)
{
  for (guint i = 0; s->trusted_proxies != NULL && s->trusted_proxies[i] != NULL; i++)
    {
      g_autoptr (GInetAddress) proxy = g_inet_address_new_from_string (s->trusted_proxies[i]);

      if (proxy != NULL && g_inet_address_equal (proxy, peer))
        return TRUE;
    }
  return FALSE;
}

/* Who sent the request: the peer of the connection, or, from a trusted
 * proxy, the last address of X-Forwarded-For (the one that proxy saw;
 * earlier ones are whatever the client claimed). */
static void
source_get (const RdvServer *s, SoupServerMessage *msg, Source *src)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  GInetAddress *peer = NULL;
  const gchar *forwarded;

  src->address = NULL;
  src->port = 0;
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    {
      peer = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
      src->address = g_inet_address_to_string (peer);
      src->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));
    }
  if (src->address == NULL)
    src->address = g_strdup ("unknown");
  forwarded = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                             "X-Forwarded-For");
  if (peer != NULL && forwarded != NULL && proxy_is_trusted (s, peer))
    {
      const gchar *last = strrchr (forwarded, ',');
      g_autofree gchar *text = g_strstrip (g_strdup (last ? last + 1 : forwarded));
      g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (text);

      if (inet != NULL)
        {
          g_free (src->address);
          src->address = g_inet_address_to_string (inet);
          src->port = 0;
        }
    }
}

static void
audit (const Source *src, const WgdAnnouncement *ann, RdvCode code, const gchar *detail)
{
  g_autofree gchar *wg = ann ? wgd_key_to_base64 (ann->wg_key) : g_strdup ("-");
  const gchar *reason = rdv_code_to_string (code);

  /* g_log_structured adds PRIORITY, which the journal needs. */
  if (code == RDV_CODE_OK)
    g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "WGD_RDV_RESULT", "accepted",
                      "WGD_RDV_WIREGUARD_KEY", wg, "WGD_RDV_SOURCE", src->address,
                      "MESSAGE", "PUT accepted: key %s from %s", wg, src->address);
  else
    g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "WGD_RDV_RESULT", "refused",
                      "WGD_RDV_REASON", reason, "WGD_RDV_WIREGUARD_KEY", wg,
                      "WGD_RDV_SOURCE", src->address,
                      "MESSAGE", "PUT refused (%s): key %s from %s: %s", reason, wg,
                      src->address, detail);
}

static void
refuse_put (RdvServer *s, SoupServerMessage *msg, const Source *src, const WgdAnnouncement *ann,
            RdvCode code, const gchar *detail)
{
  audit (src, ann, code, detail);
  rdv_metrics_count_put (s->metrics, code);
  respond_error (s, msg, RDV_ROUTE_ANNOUNCE, code, detail);
}

static void
answer_put (RdvServer *s, SoupServerMessage *msg, const Source *src, const RdvStoredRecord *r,
            gboolean already_known)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *wg = wgd_key_to_base64 (r->wg_key);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, already_known ? "already-known" : "stored");
  json_builder_set_member_name (b, "wireguard_key");
  json_builder_add_string_value (b, wg);
  json_builder_set_member_name (b, "timestamp");
  json_builder_add_int_value (b, (gint64) r->timestamp);
  json_builder_set_member_name (b, "expires");
  json_builder_add_int_value (b, (gint64) r->expires);
  json_builder_set_member_name (b, "seen_from");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "address");
  json_builder_add_string_value (b, src->address);
  json_builder_set_member_name (b, "port");
  if (src->port != 0)
    json_builder_add_int_value (b, src->port);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  respond_json (s, msg, RDV_ROUTE_ANNOUNCE, 200, b);
}

static void
handle_put (RdvServer *s, SoupServerMessage *msg, const Source *src, gint64 arrival_us)
{
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (RdvStoredRecord) r = NULL;
  g_autoptr (GError) error = NULL;
  guint8 digest[WGD_KEY_LEN] = { 0 };
  guint64 now = wgd_clock_now ();
  guint64 held = 0;
  gboolean found = FALSE;
  RdvDecision d;
  RdvPutResult result;
  gsize len;
  const guint8 *data = g_bytes_get_data (body, &len);

  if (!rdv_accept_decode (data, len, ann, &d))
    {
      refuse_put (s, msg, src, NULL, d.code, d.detail);
      return;
    }
  if (!rdv_store_get_signer (s->store, ann->signing_key, &found, &held, digest, &error))
    goto unavailable;
  rdv_accept_decide (s->policy, ann, found, held, digest, now, &d);
  if (d.code != RDV_CODE_OK)
    {
      refuse_put (s, msg, src, ann, d.code, d.detail);
      return;
    }
  r = rdv_accept_to_stored (ann, &d);
  if (!rdv_store_put_if_newer (s->store, r, &s->caps, now, &result, &error))
    goto unavailable;
  switch (result)
    {
    case RDV_PUT_STALE:
      refuse_put (s, msg, src, ann, RDV_CODE_REPLAYED,
                  "a newer record of this key is stored");
      return;
    case RDV_PUT_KEY_HELD:
      refuse_put (s, msg, src, ann, RDV_CODE_KEY_HELD,
                  "the key is held by a record signed with the key it derives from");
      return;
    case RDV_PUT_MESH_FULL:
      refuse_put (s, msg, src, ann, RDV_CODE_MESH_FULL,
                  "the mesh has as many records as this server keeps for one");
      return;
    case RDV_PUT_SERVER_FULL:
      refuse_put (s, msg, src, ann, RDV_CODE_SERVER_FULL, "this server keeps no more records");
      return;
    case RDV_PUT_STORED:
    case RDV_PUT_ALREADY_KNOWN:
      break;
    }
  audit (src, ann, RDV_CODE_OK, NULL);
  rdv_metrics_count_put (s->metrics, RDV_CODE_OK);
  /* On a shared store the put script published the record, and it comes
   * back through the subscription, to this server's watchers too: pushed
   * from there only, never twice. */
  if (result == RDV_PUT_STORED && s->push == NULL)
    rdv_watchers_push (s->watchers, r, arrival_us);
  answer_put (s, msg, src, r, result == RDV_PUT_ALREADY_KNOWN);
  return;

unavailable:
  store_failed (s, msg, error);
  refuse_put (s, msg, src, ann, RDV_CODE_UNAVAILABLE, "the store is unavailable; retry later");
}

static void
handle_peer (RdvServer *s, SoupServerMessage *msg, const guint8 key[WGD_KEY_LEN])
{
  g_autoptr (RdvStoredRecord) r = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = NULL;

  if (!rdv_store_get (s->store, key, wgd_clock_now (), &r, &error))
    {
      store_failed (s, msg, error);
      respond_error (s, msg, RDV_ROUTE_PEER, RDV_CODE_UNAVAILABLE,
                     "the store is unavailable; retry later");
      return;
    }
  if (r == NULL)
    {
      respond_error (s, msg, RDV_ROUTE_PEER, RDV_CODE_NOT_FOUND,
                     "no unexpired record of this key is stored");
      return;
    }
  b = json_builder_new ();
  rdv_record_json_add (b, r);
  respond_json (s, msg, RDV_ROUTE_PEER, 200, b);
}

/* Every refusal of a mesh route is this one answer, whatever the reason,
 * so that a stranger learns nothing of the mesh; the reason goes to the
 * log and the metrics only. */
static gboolean
mesh_access (RdvServer *s, SoupServerMessage *msg, RdvRoute route, const Source *src,
             const guint8 mesh_key[WGD_KEY_LEN])
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree gchar *mesh = NULL;
  const gchar *reason;
  RdvAccess access;

  if (rdv_access_check (s->policy, s->public_host, soup_server_message_get_method (msg),
                        g_uri_get_path (soup_server_message_get_uri (msg)),
                        soup_message_headers_get_list (headers, "Authorization"), mesh_key,
                        wgd_clock_now (), s->proofs, &access))
    return TRUE;
  rdv_metrics_count_mesh_refusal (s->metrics, access.served, access.verdict.reason);
  mesh = wgd_key_to_base64 (mesh_key);
  reason = access.served ? wgd_membership_reason_to_string (access.verdict.reason) : "not-served";
  g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_INFO, "WGD_RDV_RESULT", "refused",
                    "WGD_RDV_REASON", reason, "WGD_RDV_MESH", mesh,
                    "WGD_RDV_SOURCE", src->address,
                    "MESSAGE", "%s refused (%s): mesh %s from %s: %s",
                    rdv_route_to_string (route), reason, mesh, src->address,
                    access.verdict.detail);
  respond_error (s, msg, route, RDV_CODE_FORBIDDEN,
                 "this request does not prove membership in this mesh");
  return FALSE;
}

static void
handle_mesh_list (RdvServer *s, SoupServerMessage *msg, const guint8 mesh_key[WGD_KEY_LEN])
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *mesh = wgd_key_to_base64 (mesh_key);

  if (!rdv_store_list_mesh (s->store, mesh_key, wgd_clock_now (), (guint) s->caps.max_per_mesh,
                            &records, &error))
    {
      store_failed (s, msg, error);
      respond_error (s, msg, RDV_ROUTE_MESH_LIST, RDV_CODE_UNAVAILABLE,
                     "the store is unavailable; retry later");
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "mesh");
  json_builder_add_string_value (b, mesh);
  json_builder_set_member_name (b, "records");
  json_builder_begin_array (b);
  for (guint i = 0; i < records->len; i++)
    rdv_record_json_add (b, g_ptr_array_index (records, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  respond_json (s, msg, RDV_ROUTE_MESH_LIST, 200, b);
}

/* A slot of the shared store's, held by a watch request until its watch
 * opens (on_websocket hands it on) or the request ends without one. */
typedef struct {
  RdvStore *store;
  guint64 id;
} WatchSlot;

static void
watch_slot_free (WatchSlot *slot)
{
  rdv_store_release_watch (slot->store, slot->id);
  g_free (slot);
}

/* Room for one more watch from source: on a shared store a slot of the
 * fleet's, which msg holds; while that store fails, and on a store of
 * this server's own, this server's own count. */
static gboolean
watch_claim (RdvServer *s, SoupServerMessage *msg, const gchar *source)
{
  g_autoptr (GError) error = NULL;
  gboolean claimed = FALSE;
  WatchSlot *slot;

  if (!rdv_store_is_shared (s->store))
    return rdv_watchers_has_room (s->watchers, source);
  slot = g_new0 (WatchSlot, 1);
  slot->store = s->store;
  if (!rdv_store_claim_watch (s->store, source, s->max_websockets,
                              s->max_websockets_per_source, s->watch_lease, &claimed, &slot->id,
                              &error))
    {
      store_warn (s, error);
      claimed = rdv_watchers_has_room (s->watchers, source);
    }
  if (!claimed)
    {
      watch_slot_free (slot);
      return FALSE;
    }
  g_object_set_data_full (G_OBJECT (msg), WATCH_SLOT_KEY, slot, (GDestroyNotify) watch_slot_free);
  return TRUE;
}

/* Before the upgrade: a handshake, a member, room for one more watch.
 * Leaving the status unset lets libsoup answer 101. */
static void
handle_mesh_watch (RdvServer *s, SoupServerMessage *msg, const Source *src,
                   const guint8 mesh_key[WGD_KEY_LEN])
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *bucket = rdv_rate_limit_source (src->address);

  if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &error))
    {
      respond_error (s, msg, RDV_ROUTE_MESH_WATCH, RDV_CODE_NOT_WEBSOCKET, error->message);
      return;
    }
  if (!mesh_access (s, msg, RDV_ROUTE_MESH_WATCH, src, mesh_key))
    return;
  if (!watch_claim (s, msg, bucket))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "30");
      respond_error (s, msg, RDV_ROUTE_MESH_WATCH, RDV_CODE_TOO_MANY_WEBSOCKETS,
                     "this server or this address has as many watches as it allows");
      return;
    }
  rdv_metrics_count_request (s->metrics, RDV_ROUTE_MESH_WATCH, 101);
}

static void
on_websocket (SoupServer *soup, SoupServerMessage *msg, const char *path,
              SoupWebsocketConnection *conn, gpointer user_data)
{
  RdvServer *s = user_data;
  GSocket *socket = rdv_listener_lookup_socket (s->listener, msg);
  g_auto (Source) src = { 0 };
  g_autofree gchar *bucket = NULL;
  g_autofree WatchSlot *slot = NULL;
  guint8 key[WGD_KEY_LEN];
  RdvCode code;

  /* Only handle_mesh_watch lets a request get here. */
  if (rdv_route_parse (soup_server_message_get_method (msg), path, key, &code)
      != RDV_ROUTE_MESH_WATCH || code != RDV_CODE_OK)
    {
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, NULL);
      return;
    }
  source_get (s, msg, &src);
  bucket = rdv_rate_limit_source (src.address);
  slot = g_object_steal_data (G_OBJECT (msg), WATCH_SLOT_KEY);
  rdv_watchers_add (s->watchers, conn, socket, key, bucket, slot ? slot->id : 0);
}

static void
handle_metrics (RdvServer *s, SoupServerMessage *msg)
{
  g_autoptr (GError) error = NULL;
  guint64 n = 0;

  if (!rdv_store_count (s->store, NULL, wgd_clock_now (), &n, &error))
    g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "store: %s", error->message);
  rdv_metrics_set_websockets (s->metrics, rdv_watchers_count (s->watchers));
  respond (s, msg, RDV_ROUTE_METRICS, 200, "text/plain; version=0.0.4",
           rdv_metrics_render (s->metrics, n));
}

/* On a shared store the bucket is the fleet's, in the store; while the
 * store fails, this server's own (every request needing the store is
 * answered 503 then anyway: the local bucket keeps even those cheap). */
static gboolean
rate_limit_take (RdvServer *s, const gchar *bucket, guint *retry_after)
{
  g_autoptr (GError) error = NULL;
  gboolean taken = FALSE;

  if (rdv_store_is_shared (s->store)
      && rdv_store_take_token (s->store, bucket, s->requests_per_second, s->request_burst,
                               &taken, retry_after, &error))
    return taken;
  return rdv_rate_limit_take (s->rate_limit, bucket, g_get_monotonic_time (), retry_after);
}

static void
on_request (SoupServer *soup, SoupServerMessage *msg, const char *path_decoded,
            GHashTable *query, gpointer user_data)
{
  RdvServer *s = user_data;
  const gchar *path = g_uri_get_path (soup_server_message_get_uri (msg));
  guint8 key[WGD_KEY_LEN];
  g_auto (Source) src = { 0 };
  RdvCode code;
  RdvRoute route = rdv_route_parse (soup_server_message_get_method (msg), path, key, &code);
  gint64 arrival_us = g_get_monotonic_time ();
  guint retry_after = 0;
  g_autofree gchar *bucket = NULL;

  source_get (s, msg, &src);
  bucket = rdv_rate_limit_source (src.address);
  if (route != RDV_ROUTE_METRICS && !rate_limit_take (s, bucket, &retry_after))
    {
      g_autofree gchar *seconds = g_strdup_printf ("%u", retry_after);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", seconds);
      if (route == RDV_ROUTE_ANNOUNCE)
        {
          audit (&src, NULL, RDV_CODE_RATE_LIMITED, "too many requests");
          rdv_metrics_count_put (s->metrics, RDV_CODE_RATE_LIMITED);
        }
      respond_error (s, msg, route, RDV_CODE_RATE_LIMITED,
                     "too many requests from this address; retry later");
    }
  else if (code == RDV_CODE_METHOD_NOT_ALLOWED)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    route == RDV_ROUTE_ANNOUNCE ? "PUT"
                                    : route == RDV_ROUTE_MESH_WATCH ? "GET" : "GET, HEAD");
      respond_error (s, msg, route, code, "this method is not allowed here");
    }
  else if (code == RDV_CODE_NOT_FOUND)
    respond_error (s, msg, route, code, "no such route");
  else if (code == RDV_CODE_BAD_KEY)
    respond_error (s, msg, route, code,
                   "not a WireGuard key: 43 characters of base64url, or 44 of base64");
  else if (route == RDV_ROUTE_ANNOUNCE)
    handle_put (s, msg, &src, arrival_us);
  else if (route == RDV_ROUTE_PEER)
    handle_peer (s, msg, key);
  else if (route == RDV_ROUTE_MESH_LIST || route == RDV_ROUTE_MESH_WATCH)
    {
      /* What members fetch is for them only. */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Cache-Control", "no-store");
      if (route == RDV_ROUTE_MESH_WATCH)
        handle_mesh_watch (s, msg, &src, key);
      else if (mesh_access (s, msg, route, &src, key))
        handle_mesh_list (s, msg, key);
    }
  else
    handle_metrics (s, msg);
  /* Every answer but a WebSocket upgrade closes its connection.
   * libsoup 3.2 (Debian 12) never frees a kept-alive connection that
   * the client closes while idle: its socket stays in CLOSE-WAIT and
   * its memory is lost, one per connection, until descriptors run out
   * (fixed in libsoup 3.3, commit d20c6601). No record request needs a
   * second request on the same connection. */
  if (route != RDV_ROUTE_MESH_WATCH || soup_server_message_get_status (msg) != 0)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                  "close");
}

/* Before the body is read: a body larger than any record is refused
 * unread, and so is one of unknown length (chunked), which could
 * otherwise grow without bound in memory. */
static void
on_early (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
          gpointer user_data)
{
  RdvServer *s = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  RdvRoute route = RDV_ROUTE_OTHER;
  RdvCode code;
  guint8 key[WGD_KEY_LEN];
  g_auto (Source) src = { 0 };

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_NONE:
      return;
    case SOUP_ENCODING_CONTENT_LENGTH:
      if (soup_message_headers_get_content_length (headers) <= WGD_RECORD_MAX)
        return;
      break;
    case SOUP_ENCODING_UNRECOGNIZED:
    case SOUP_ENCODING_EOF:
    case SOUP_ENCODING_CHUNKED:
    case SOUP_ENCODING_BYTERANGES:
      break;
    }
  route = rdv_route_parse (soup_server_message_get_method (msg),
                           g_uri_get_path (soup_server_message_get_uri (msg)), key, &code);
  source_get (s, msg, &src);
  /* Nothing is read after this answer: the connection closes. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  if (route == RDV_ROUTE_ANNOUNCE)
    {
      audit (&src, NULL, RDV_CODE_TOO_LARGE, "body larger than a record, or of unknown length");
      rdv_metrics_count_put (s->metrics, RDV_CODE_TOO_LARGE);
    }
  respond_error (s, msg, route, RDV_CODE_TOO_LARGE,
                 "the body must be a record of at most 1024 bytes, with Content-Length");
}

static gboolean
on_purge (gpointer user_data)
{
  RdvServer *s = user_data;
  g_autoptr (GError) error = NULL;
  guint64 removed = 0;

  if (!rdv_store_purge_expired (s->store, wgd_clock_now (), &removed, &error))
    g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "store: %s", error->message);
  else if (removed > 0)
    g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
                      "purged %" G_GUINT64_FORMAT " expired records", removed);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_watch_refresh (gpointer user_data)
{
  RdvServer *s = user_data;
  g_autoptr (GError) error = NULL;

  if (!rdv_store_refresh_watches (s->store, s->watch_lease, &error))
    store_warn (s, error);
  return G_SOURCE_CONTINUE;
}

static void
on_push_record (const RdvStoredRecord *r, gpointer user_data)
{
  RdvServer *s = user_data;

  rdv_watchers_push (s->watchers, r, g_get_monotonic_time ());
}

/* What was published while the subscription was down is lost: the
 * mesh's records are pushed again from the store, and a watcher gets
 * some twice, as it may after its own listing (the same record). */
static void
on_push_resumed (const guint8 mesh_key[WGD_KEY_LEN], gpointer user_data)
{
  RdvServer *s = user_data;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now_us = g_get_monotonic_time ();

  if (!rdv_store_list_mesh (s->store, mesh_key, wgd_clock_now (), (guint) s->caps.max_per_mesh,
                            &list, &error))
    {
      g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                        "store: %s; the mesh's watchers do not catch up", error->message);
      return;
    }
  for (guint i = 0; i < list->len; i++)
    rdv_watchers_push (s->watchers, g_ptr_array_index (list, i), now_us);
}

static void
on_watched (const guint8 mesh_key[WGD_KEY_LEN], gboolean watched, gpointer user_data)
{
  RdvServer *s = user_data;

  rdv_push_redis_want (s->push, mesh_key, watched);
}

RdvServer *
rdv_server_new (const RdvConfig *config, RdvStore *store, GError **error)
{
  g_autoptr (RdvServer) s = g_new0 (RdvServer, 1);
  g_autoptr (GTlsCertificate) cert = NULL;
  RdvWatchLimits limits;

  s->store = store;
  s->listen_host = g_strdup (config->listen_host);
  s->listen_port = config->listen_port;
  s->certificate_file = g_strdup (config->certificate_file);
  s->private_key_file = g_strdup (config->private_key_file);
  s->allow_plain_http = config->allow_plain_http;
  s->loopback = rdv_config_listen_is_loopback (config);
  s->caps.max_records = config->max_records;
  s->caps.max_per_mesh = config->max_records_per_mesh;
  s->requests_per_second = config->requests_per_second;
  s->request_burst = config->request_burst;
  s->trusted_proxies = g_strdupv (config->trusted_proxies);
  s->policy = rdv_policy_new ();
  for (guint i = 0; i < config->meshes->len; i++)
    {
      const RdvMeshConfig *m = g_ptr_array_index (config->meshes, i);

      rdv_policy_add_mesh (s->policy, m->ca_key);
      if (m->revocations != NULL
          && !rdv_policy_add_revocations (s->policy, m->revocations, error))
        return NULL;
    }
  s->rate_limit = rdv_rate_limit_new (config->requests_per_second, config->request_burst,
                                      config->max_sources);
  s->metrics = rdv_metrics_new ();
  s->public_host = g_strdup (config->public_host);
  s->proofs = wgd_membership_cache_new (WGD_MEMBERSHIP_CACHE_DEFAULT);
  limits.max = config->max_websockets;
  limits.max_per_source = config->max_websockets_per_source;
  limits.keepalive = config->websocket_keepalive;
  limits.timeout = config->websocket_timeout;
  s->max_websockets = config->max_websockets;
  s->max_websockets_per_source = config->max_websockets_per_source;
  s->watch_lease = WATCH_LEASE_PERIODS * config->websocket_keepalive;
  s->watchers = rdv_watchers_new (&limits, s->metrics,
                                  rdv_store_is_shared (store) ? store : NULL);
  if (rdv_store_is_shared (store))
    {
      s->watch_refresh_source = g_timeout_add_seconds (config->websocket_keepalive,
                                                       on_watch_refresh, s);
      s->push = rdv_push_redis_new (config->store, config->store_password, on_push_record,
                                    on_push_resumed, s);
      rdv_watchers_set_watched_func (s->watchers, on_watched, s);
    }
  if (s->public_host == NULL)
    g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE",
                      "no PublicURL= and Listen= names no single address: mesh listings and "
                      "watches are refused to everyone");
  if (s->certificate_file != NULL)
    {
      cert = g_tls_certificate_new_from_files (s->certificate_file, s->private_key_file, error);
      if (cert == NULL)
        {
          g_prefix_error (error, "%s: ", s->certificate_file);
          return NULL;
        }
    }
  s->soup = soup_server_new ("server-header", "wgdiscover-rendezvous", "raw-paths", TRUE, NULL);
  s->listener = rdv_listener_new (s->soup, cert);
  /* Paths stay as sent: a membership proof signs them so. No
   * compression: its state per watch would cost far more than a watch. */
  soup_server_remove_websocket_extension (s->soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_early_handler (s->soup, NULL, on_early, s, NULL);
  soup_server_add_handler (s->soup, NULL, on_request, s, NULL);
  soup_server_add_websocket_handler (s->soup, NULL, NULL, NULL, on_websocket, s, NULL);
  s->purge_source = g_timeout_add_seconds (PURGE_SECONDS, on_purge, s);
  on_purge (s);
  return g_steal_pointer (&s);
}

void
rdv_server_free (RdvServer *s)
{
  if (s == NULL)
    return;
  g_clear_handle_id (&s->purge_source, g_source_remove);
  g_clear_handle_id (&s->watch_refresh_source, g_source_remove);
  rdv_listener_free (s->listener);
  if (s->soup != NULL)
    soup_server_disconnect (s->soup);
  g_clear_object (&s->soup);
  rdv_watchers_free (s->watchers);
  rdv_push_redis_free (s->push);
  wgd_membership_cache_free (s->proofs);
  g_free (s->public_host);
  rdv_store_close (s->store);
  rdv_policy_free (s->policy);
  rdv_rate_limit_free (s->rate_limit);
  rdv_metrics_free (s->metrics);
  g_free (s->listen_host);
  g_free (s->certificate_file);
  g_free (s->private_key_file);
  g_strfreev (s->trusted_proxies);
  g_free (s);
}

gboolean
rdv_server_listen (RdvServer *s, GError **error)
{
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new_from_string (s->listen_host,
                                                                             s->listen_port);
  gboolean tls = s->certificate_file != NULL;

  if (address == NULL)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, "'%s' is not an address",
                   s->listen_host);
      return FALSE;
    }
  if (!tls && !s->loopback && !s->allow_plain_http)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INSECURE,
                   "plain HTTP on %s, which is not a loopback address, is refused: set "
                   "Certificate= and PrivateKey= in [Server], or AllowPlainHTTP=true "
                   "(behind a reverse proxy that does TLS)", s->listen_host);
      return FALSE;
    }
  if (!rdv_listener_listen (s->listener, s->listen_host, s->listen_port, error))
    return FALSE;
  g_log_structured (LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "listening on %s port %u (%s)",
                    s->listen_host, s->listen_port, tls ? "HTTPS" : "plain HTTP");
  return TRUE;
}
