/* rendezvous.c — the HTTP side of wgdiscoverd's rendezvous client (see
 * rendezvous.h): one server of RendezvousURL= at a time, the next after
 * a failure (rendezvous-servers), one SoupSession, one timer set for whatever is due
 * next (a lookup, a mesh's watch or listing, the end of a backoff; an
 * idle client does not wake), at most one request per interface's
 * record and per peer in flight, and a follower (rendezvous-mesh.c) per
 * mesh. */
#include "config.h"

#include "rendezvous.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <sodium.h>

#include "base64.h"
#include "rendezvous-answer.h"
#include "rendezvous-mesh.h"
#include "rendezvous-servers.h"
#include "clock.h"

#define G_LOG_DOMAIN_RDV "wgdiscoverd"
#define REQUEST_TIMEOUT_S 10

struct _WgdRendezvous {
  WgdRdvServers *servers;
  WgdRendezvousCallbacks callbacks;
  gpointer user_data;
  SoupSession *session;
  GCancellable *cancellable;
  GHashTable *unsent;           /* ifname → GBytes: the newest record not yet PUT */
  GHashTable *putting;          /* ifname: a PUT in flight */
  GHashTable *published;        /* ifname → GBytes: the record last stored */
  WgdRdvSchedule *schedule;
  GHashTable *meshes;           /* ifname → WgdRdvMesh */
  GHashTable *meshes_wanted;    /* ifnames followed in this round */
  gint64 backoff_until_ms;      /* monotonic; 0: not backing off */
  guint64 backoff_until_wall;   /* the same, on the clock, for people */
  WgdRdvState state;
  gchar *error;
  guint timer;
  gint64 timer_at;              /* monotonic ms, when timer fires */
  gboolean wants_changed;       /* the core's wants are to be asked again */
};

static guint32
random_uniform (guint32 upper, gpointer user_data)
{
  (void) user_data;
  return randombytes_uniform (upper);
}

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static const gchar *
rendezvous_url (const WgdRendezvous *rdv)
{
  return wgd_rdv_servers_current (rdv->servers);
}

/* url: the server that answered, or the one that failed. */
static void
rendezvous_set_state (WgdRendezvous *rdv, WgdRdvState state, const gchar *url,
                      const gchar *error)
{
  gboolean changed = state != rdv->state
                     || (error != NULL && g_strcmp0 (error, rdv->error) != 0);

  rdv->state = state;
  if (error != NULL)
    {
      g_free (rdv->error);
      rdv->error = g_strdup (error);
    }
  if (!changed)
    return;
  switch (state)
    {
    case WGD_RDV_CONNECTED:
      g_log_structured (G_LOG_DOMAIN_RDV, G_LOG_LEVEL_MESSAGE, "WGD_SOURCE", "rendezvous",
                        "WGD_REASON", "connected", "MESSAGE", _("rendezvous server %s: connected"),
                        url);
      break;
    case WGD_RDV_BACKING_OFF:
      {
        g_autoptr (GDateTime) until = g_date_time_new_from_unix_utc ((gint64) rdv->backoff_until_wall);
        g_autofree gchar *when = g_date_time_format_iso8601 (until);

        g_log_structured (G_LOG_DOMAIN_RDV, G_LOG_LEVEL_WARNING, "WGD_SOURCE", "rendezvous",
                          "WGD_REASON", "backing-off", "MESSAGE",
                          _("rendezvous server %s: %s; backing off until %s"), url,
                          rdv->error, when);
        break;
      }
    case WGD_RDV_DISABLED:
    case WGD_RDV_CONNECTING:
    case WGD_RDV_STATE_COUNT:
      break;
    }
  if (rdv->callbacks.state_changed != NULL)
    rdv->callbacks.state_changed (rdv->user_data);
}

/* A server answered. If it is another than the one before, it may not
 * have our records (a store of its own, or one that lost them): they
 * are PUT again, once. */
static void
rendezvous_succeeded (WgdRendezvous *rdv)
{
  rdv->backoff_until_ms = 0;
  if (wgd_rdv_servers_succeeded (rdv->servers))
    {
      GHashTableIter iter;
      const gchar *ifname;
      GBytes *record;

      g_hash_table_iter_init (&iter, rdv->published);
      while (g_hash_table_iter_next (&iter, (gpointer *) &ifname, (gpointer *) &record))
        if (!g_hash_table_contains (rdv->unsent, ifname)
            && !g_hash_table_contains (rdv->putting, ifname))
          g_hash_table_insert (rdv->unsent, g_strdup (ifname), g_bytes_ref (record));
      g_hash_table_remove_all (rdv->published);
    }
  rendezvous_set_state (rdv, WGD_RDV_CONNECTED, rendezvous_url (rdv), "");
}

/* The server did not answer (move), answered 5xx (move) or 429 (stay):
 * nothing is sent until the wait is over. retry_after is the 429's or
 * 503's header, or NULL. */
static void
rendezvous_back_off (WgdRendezvous *rdv, const gchar *error, gboolean move,
                     const gchar *retry_after)
{
  g_autofree gchar *url = g_strdup (rendezvous_url (rdv));
  guint64 wait;

  /* Requests in flight together fail together: the first sets the wait,
   * and counts as one failure. */
  if (rdv->backoff_until_ms > now_ms ())
    return;
  wait = wgd_rdv_servers_failed (rdv->servers, move, retry_after, random_uniform, NULL);
  rdv->backoff_until_ms = now_ms () + (gint64) wait;
  rdv->backoff_until_wall = wgd_clock_now () + (wait + 999) / 1000;
  g_debug ("rendezvous: waiting %" G_GUINT64_FORMAT " ms, then %s (%s)", wait,
           rendezvous_url (rdv), error);
  rendezvous_set_state (rdv, WGD_RDV_BACKING_OFF, url, error);
}

/* Sorts an answer into success (TRUE), or backs off / notes the error. */
static gboolean
rendezvous_check_answer (WgdRendezvous *rdv, SoupMessage *msg, GBytes *body, const GError *error,
                         gsize max, gboolean *refused)
{
  guint status;
  const gchar *retry_after;
  g_autofree gchar *text = NULL;

  *refused = FALSE;
  if (body == NULL)
    {
      rendezvous_back_off (rdv, error->message, TRUE, NULL);
      return FALSE;
    }
  status = soup_message_get_status (msg);
  retry_after = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                              "Retry-After");
  if (status == 429)
    {
      text = g_strdup_printf (_("rate-limited (429, Retry-After %s)"),
                              retry_after != NULL ? retry_after : "-");
      rendezvous_back_off (rdv, text, FALSE, retry_after);
      return FALSE;
    }
  if (status >= 500 || status < 200)
    {
      text = g_strdup_printf (_("server error %u"), status);
      rendezvous_back_off (rdv, text, TRUE, status == 503 ? retry_after : NULL);
      return FALSE;
    }
  if (g_bytes_get_size (body) > max)
    {
      rendezvous_back_off (rdv, _("answer too large"), TRUE, NULL);
      return FALSE;
    }
  rendezvous_succeeded (rdv);
  *refused = status != SOUP_STATUS_OK;
  return TRUE;
}

/* One connection per request: requests are seconds apart at least, and
 * a kept-alive connection the server has meanwhile closed fails the next
 * request, which would count as the server being gone. */
static void
rendezvous_message_prepare (SoupMessage *msg)
{
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Connection", "close");
}

typedef struct {
  WgdRendezvous *rdv;
  gchar *ifname;
} PutCall;

static void
put_call_free (PutCall *call)
{
  g_free (call->ifname);
  g_free (call);
}

static void rendezvous_put (WgdRendezvous *rdv, const gchar *ifname);
static void rendezvous_reschedule (WgdRendezvous *rdv);

static void
put_seen_from (WgdRendezvous *rdv, const gchar *ifname, GBytes *body)
{
  gsize len;
  const gchar *data = g_bytes_get_data (body, &len);
  g_autoptr (GError) error = NULL;
  guint8 family;
  guint8 address[16];

  if (wgd_rdv_answer_parse_seen_from (data, len, &family, address, &error))
    rdv->callbacks.reflexive (ifname, family, address, rdv->user_data);
  else
    g_debug ("rendezvous: %s: %s", ifname, error->message);
}

static void
put_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PutCall *call = user_data;
  WgdRendezvous *rdv = call->rdv;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  gboolean refused;
  gboolean answered;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      put_call_free (call);
      return;
    }
  /* Still putting while the answer is sorted: a first answer from a
   * server we moved to does not send this record's predecessor again. */
  answered = rendezvous_check_answer (rdv, msg, body, error, WGD_RDV_ANSWER_MAX, &refused);
  g_hash_table_remove (rdv->putting, call->ifname);
  if (answered)
    {
      if (refused)
        {
          gsize len;
          const gchar *data = g_bytes_get_data (body, &len);
          g_autofree gchar *code = wgd_rdv_answer_parse_error_code (data, len);

          if (code == NULL)
            code = g_strdup_printf ("%u", soup_message_get_status (msg));

          g_log_structured (G_LOG_DOMAIN_RDV, G_LOG_LEVEL_WARNING, "WGD_SOURCE", "rendezvous",
                            "WGD_REASON", code, "MESSAGE",
                            _("%s: the rendezvous server refused our record: %s"), call->ifname,
                            code);
        }
      else
        {
          GBytes *record = g_object_get_data (G_OBJECT (msg), "wgd-record");

          g_debug ("rendezvous: %s: record stored", call->ifname);
          g_hash_table_replace (rdv->published, g_strdup (call->ifname), g_bytes_ref (record));
          put_seen_from (rdv, call->ifname, body);
        }
    }
  else if (!g_hash_table_contains (rdv->unsent, call->ifname) && msg != NULL)
    {
      /* Sent again once the wait is over, unless a newer one came meanwhile. */
      GBytes *record = g_object_get_data (G_OBJECT (msg), "wgd-record");

      if (record != NULL)
        g_hash_table_insert (rdv->unsent, g_strdup (call->ifname), g_bytes_ref (record));
    }
  if (g_hash_table_contains (rdv->unsent, call->ifname) && rdv->backoff_until_ms == 0)
    rendezvous_put (rdv, call->ifname);
  rendezvous_reschedule (rdv);
  put_call_free (call);
}

static void
rendezvous_put (WgdRendezvous *rdv, const gchar *ifname)
{
  g_autofree gchar *uri = g_strconcat (rendezvous_url (rdv), "/v1/announcements", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("PUT", uri);
  g_autoptr (GBytes) record = NULL;
  g_autofree gchar *unsent_key = NULL;
  PutCall *call;

  if (msg == NULL || g_hash_table_contains (rdv->putting, ifname))
    return;
  g_hash_table_steal_extended (rdv->unsent, ifname, (gpointer *) &unsent_key,
                               (gpointer *) &record);
  if (record == NULL)
    return;
  rendezvous_message_prepare (msg);
  soup_message_set_request_body_from_bytes (msg, "application/octet-stream", record);
  g_object_set_data_full (G_OBJECT (msg), "wgd-record", g_bytes_ref (record),
                          (GDestroyNotify) g_bytes_unref);
  g_hash_table_add (rdv->putting, g_strdup (ifname));
  call = g_new0 (PutCall, 1);
  call->rdv = rdv;
  call->ifname = g_strdup (ifname);
  soup_session_send_and_read_async (rdv->session, msg, G_PRIORITY_DEFAULT, rdv->cancellable,
                                    put_done, call);
}

typedef struct {
  WgdRendezvous *rdv;
  guint8 key[WGD_KEY_LEN];
} GetCall;

static void
get_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree GetCall *call = user_data;
  WgdRendezvous *rdv = call->rdv;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  g_autoptr (GBytes) record = NULL;
  gboolean refused;
  gboolean answered;
  gboolean usable = FALSE;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  answered = rendezvous_check_answer (rdv, msg, body, error, WGD_RDV_ANSWER_MAX, &refused);
  if (answered && !refused)
    {
      g_autoptr (GError) bad = NULL;

      gsize len;
      const gchar *data = g_bytes_get_data (body, &len);

      record = wgd_rdv_answer_parse_peer (data, len, call->key, &bad);
      if (record == NULL)
        {
          g_autofree gchar *key = wgd_key_to_base64 (call->key);

          g_log_structured (G_LOG_DOMAIN_RDV, G_LOG_LEVEL_WARNING, "WGD_PEER_KEY", key,
                            "WGD_SOURCE", "rendezvous", "WGD_REASON", "bad-answer", "MESSAGE",
                            _("rendezvous server %s: a bad answer for peer %s: %s"),
                            rendezvous_url (rdv), key,
                            bad->message);
        }
    }
  if (record != NULL)
    {
      rdv->callbacks.record (g_bytes_get_data (record, NULL), g_bytes_get_size (record),
                             rdv->user_data);
      usable = rdv->callbacks.usable == NULL || rdv->callbacks.usable (call->key, rdv->user_data);
    }
  wgd_rdv_schedule_done (rdv->schedule, call->key,
                         record != NULL && usable ? WGD_RDV_LOOKUP_FOUND
                         : record != NULL || (answered && refused) ? WGD_RDV_LOOKUP_MISSING
                         : WGD_RDV_LOOKUP_FAILED,
                         now_ms (), random_uniform, NULL);
  rendezvous_reschedule (rdv);
}

static void
rendezvous_get (WgdRendezvous *rdv, const guint8 key[WGD_KEY_LEN])
{
  g_autofree gchar *text = wgd_base64url_encode (key, WGD_KEY_LEN);
  g_autofree gchar *uri = g_strconcat (rendezvous_url (rdv), "/v1/peers/", text, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  GetCall *call;

  if (msg == NULL)
    return;
  rendezvous_message_prepare (msg);
  call = g_new0 (GetCall, 1);
  call->rdv = rdv;
  memcpy (call->key, key, WGD_KEY_LEN);
  soup_session_send_and_read_async (rdv->session, msg, G_PRIORITY_DEFAULT, rdv->cancellable,
                                    get_done, call);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const gchar *const *) a, *(const gchar *const *) b);
}

static const gchar *
mesh_url (gpointer user_data)
{
  return rendezvous_url (user_data);
}

static void
mesh_watch_lost (const gchar *why, const gchar *retry_after, gpointer user_data)
{
  rendezvous_back_off (user_data, why, TRUE, retry_after);
}

static gboolean
mesh_may_send (gpointer user_data)
{
  WgdRendezvous *rdv = user_data;

  return rdv->backoff_until_ms <= now_ms ();
}

static gboolean
mesh_answered (SoupMessage *msg, GBytes *body, const GError *error, gboolean *refused,
               gpointer user_data)
{
  return rendezvous_check_answer (user_data, msg, body, error, WGD_RDV_LISTING_MAX, refused);
}

static void
mesh_record (const guint8 *record, gsize len, gpointer user_data)
{
  WgdRendezvous *rdv = user_data;

  rdv->callbacks.record (record, len, rdv->user_data);
}

static void
mesh_state_changed (gpointer user_data)
{
  WgdRendezvous *rdv = user_data;

  if (rdv->callbacks.state_changed != NULL)
    rdv->callbacks.state_changed (rdv->user_data);
}

static void
mesh_rescheduled (gpointer user_data)
{
  rendezvous_reschedule (user_data);
}

static const WgdRdvMeshCallbacks mesh_callbacks = {
  .url = mesh_url,
  .watch_lost = mesh_watch_lost,
  .may_send = mesh_may_send,
  .answered = mesh_answered,
  .record = mesh_record,
  .state_changed = mesh_state_changed,
  .rescheduled = mesh_rescheduled,
  .random = random_uniform,
};

void
wgd_rendezvous_follow_mesh (WgdRendezvous *rdv, const gchar *ifname,
                            const guint8 mesh_key[WGD_KEY_LEN], const WgdKeyPair *identity,
                            const WgdCertificate *certificate)
{
  WgdRdvMesh *mesh = g_hash_table_lookup (rdv->meshes, ifname);

  g_hash_table_add (rdv->meshes_wanted, g_strdup (ifname));
  if (mesh != NULL && wgd_rdv_mesh_is_for (mesh, mesh_key, identity, certificate))
    return;
  g_hash_table_replace (rdv->meshes, g_strdup (ifname),
                        wgd_rdv_mesh_new (rdv->session, ifname, mesh_key, identity,
                                          certificate, &mesh_callbacks, rdv));
}

/* The meshes the core wants followed, and no others, each given its turn. */
static void
rendezvous_tick_meshes (WgdRendezvous *rdv, gint64 now)
{
  GHashTableIter iter;
  WgdRdvMesh *mesh;
  const gchar *ifname;

  g_hash_table_remove_all (rdv->meshes_wanted);
  if (rdv->callbacks.meshes != NULL)
    rdv->callbacks.meshes (rdv, rdv->user_data);
  g_hash_table_iter_init (&iter, rdv->meshes);
  while (g_hash_table_iter_next (&iter, (gpointer *) &ifname, (gpointer *) &mesh))
    if (!g_hash_table_contains (rdv->meshes_wanted, ifname))
      g_hash_table_iter_remove (&iter);
  g_hash_table_iter_init (&iter, rdv->meshes);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &mesh))
    wgd_rdv_mesh_tick (mesh, now);
}

/* Asks the core what to look up and which meshes to follow, then does
 * what is due. */
static void
rendezvous_run (WgdRendezvous *rdv)
{
  gint64 now = now_ms ();
  g_autoptr (GPtrArray) due = NULL;
  g_autofree gpointer *ifnames = NULL;
  guint n_ifnames;

  rdv->wants_changed = FALSE;
  wgd_rdv_schedule_begin_round (rdv->schedule);
  rdv->callbacks.want (rdv->schedule, now, rdv->user_data);
  wgd_rdv_schedule_end_round (rdv->schedule);
  rendezvous_tick_meshes (rdv, now);
  if (rdv->backoff_until_ms > now)
    return;
  rdv->backoff_until_ms = 0;
  ifnames = g_hash_table_get_keys_as_array (rdv->unsent, &n_ifnames);
  for (guint i = 0; i < n_ifnames; i++)
    {
      g_autofree gchar *ifname = g_strdup (ifnames[i]);

      rendezvous_put (rdv, ifname);
    }
  due = wgd_rdv_schedule_take_due (rdv->schedule, now);
  for (guint i = 0; i < due->len; i++)
    rendezvous_get (rdv, g_bytes_get_data (g_ptr_array_index (due, i), NULL));
}

/* When something is due next: a record to PUT (not in flight), a
 * lookup, a mesh's step; requests not before the backoff's end. */
static gint64
rendezvous_next_due (WgdRendezvous *rdv, gint64 now)
{
  GHashTableIter iter;
  const gchar *ifname;
  WgdRdvMesh *mesh;
  gint64 next = wgd_rdv_schedule_next_due (rdv->schedule);

  if (rdv->wants_changed)
    return now;
  g_hash_table_iter_init (&iter, rdv->unsent);
  while (next > now && g_hash_table_iter_next (&iter, (gpointer *) &ifname, NULL))
    if (!g_hash_table_contains (rdv->putting, ifname))
      next = now;
  if (next != G_MAXINT64)
    next = MAX (next, rdv->backoff_until_ms);
  g_hash_table_iter_init (&iter, rdv->meshes);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &mesh))
    next = MIN (next, wgd_rdv_mesh_next_due (mesh, rdv->backoff_until_ms));
  return next;
}

static gboolean
tick_cb (gpointer user_data)
{
  WgdRendezvous *rdv = user_data;

  rdv->timer = 0;
  rendezvous_run (rdv);
  rendezvous_reschedule (rdv);
  return G_SOURCE_REMOVE;
}

/* The timer fires at when (monotonic ms; G_MAXINT64: never), replacing
 * the one set. */
static void
rendezvous_set_timer (WgdRendezvous *rdv, gint64 when, gint64 now)
{
  if (rdv->timer != 0 && rdv->timer_at == when)
    return;
  g_clear_handle_id (&rdv->timer, g_source_remove);
  if (when == G_MAXINT64)
    return;
  rdv->timer_at = when;
  /* GLib counts from the time its loop's turn began, so it may fire a
   * little early: nothing is due then, and it is set again. */
  rdv->timer = g_timeout_add ((guint) CLAMP (when - now, 0, (gint64) G_MAXUINT), tick_cb, rdv);
}

static void
rendezvous_reschedule (WgdRendezvous *rdv)
{
  gint64 now = now_ms ();

  rendezvous_set_timer (rdv, rendezvous_next_due (rdv, now), now);
}

void
wgd_rendezvous_wants_changed (WgdRendezvous *rdv)
{
  /* On the next turn of the main loop: a burst of changes is asked
   * about once, and never from inside one of our own callbacks. */
  rdv->wants_changed = TRUE;
  rendezvous_reschedule (rdv);
}

/* A proxy only from the environment (https_proxy, all_proxy, no_proxy, as
 * curl reads them), never the desktop's resolver: GLib's default loads
 * libproxy, which runs PAC scripts in threads of its own inside a
 * system daemon. NULL: no proxy. */
static GProxyResolver *
rendezvous_proxy_resolver (void)
{
  static GProxyResolver *resolver;
  const gchar *proxy = g_getenv ("https_proxy");
  const gchar *no_proxy = g_getenv ("no_proxy");
  g_auto (GStrv) ignore = NULL;

  if (proxy == NULL || proxy[0] == '\0')
    proxy = g_getenv ("all_proxy");
  if (resolver != NULL || proxy == NULL || proxy[0] == '\0')
    return resolver;
  if (no_proxy != NULL)
    ignore = g_strsplit (no_proxy, ",", -1);
  resolver = g_simple_proxy_resolver_new (proxy, ignore);
  return resolver;
}

WgdRendezvous *
wgd_rendezvous_new (const gchar *const *urls, const WgdRendezvousCallbacks *callbacks,
                    gpointer user_data)
{
  WgdRendezvous *rdv = g_new0 (WgdRendezvous, 1);

  rdv->servers = wgd_rdv_servers_new (urls);
  rdv->callbacks = *callbacks;
  rdv->user_data = user_data;
  rdv->session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_S,
                                                "user-agent", PACKAGE_NAME "/" PACKAGE_VERSION,
                                                "max-conns-per-host", 4,
                                                "proxy-resolver", rendezvous_proxy_resolver (),
                                                NULL);
  rdv->cancellable = g_cancellable_new ();
  rdv->unsent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_bytes_unref);
  rdv->putting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  rdv->published = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_bytes_unref);
  rdv->schedule = wgd_rdv_schedule_new ();
  rdv->meshes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) wgd_rdv_mesh_free);
  rdv->meshes_wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  rdv->state = WGD_RDV_CONNECTING;
  rdv->error = g_strdup ("");
  wgd_rendezvous_wants_changed (rdv);
  return rdv;
}

void
wgd_rendezvous_free (WgdRendezvous *rdv)
{
  if (rdv == NULL)
    return;
  g_clear_handle_id (&rdv->timer, g_source_remove);
  g_cancellable_cancel (rdv->cancellable);
  g_object_unref (rdv->cancellable);
  g_hash_table_unref (rdv->meshes);
  g_hash_table_unref (rdv->meshes_wanted);
  soup_session_abort (rdv->session);
  g_object_unref (rdv->session);
  g_hash_table_unref (rdv->unsent);
  g_hash_table_unref (rdv->putting);
  g_hash_table_unref (rdv->published);
  wgd_rdv_schedule_free (rdv->schedule);
  g_free (rdv->error);
  wgd_rdv_servers_free (rdv->servers);
  g_free (rdv);
}

void
wgd_rendezvous_publish (WgdRendezvous *rdv, const gchar *ifname, const guint8 *record, gsize len)
{
  g_hash_table_replace (rdv->unsent, g_strdup (ifname), g_bytes_new (record, len));
  if (rdv->backoff_until_ms <= now_ms ())
    {
      rdv->backoff_until_ms = 0;
      rendezvous_put (rdv, ifname);
    }
  rendezvous_reschedule (rdv);
}

const gchar *
wgd_rendezvous_get_url (WgdRendezvous *rdv)
{
  return rendezvous_url (rdv);
}

WgdRdvState
wgd_rendezvous_get_state (WgdRendezvous *rdv)
{
  return rdv->state;
}

const gchar *
wgd_rendezvous_get_error (WgdRendezvous *rdv)
{
  return rdv->error;
}

guint64
wgd_rendezvous_get_retry_at (WgdRendezvous *rdv)
{
  return rdv->state == WGD_RDV_BACKING_OFF ? rdv->backoff_until_wall : 0;
}

gboolean
wgd_rendezvous_get_mesh_state (WgdRendezvous *rdv, const gchar *ifname, WgdRdvMeshState *state)
{
  WgdRdvMesh *mesh = g_hash_table_lookup (rdv->meshes, ifname);

  if (mesh == NULL)
    return FALSE;
  *state = wgd_rdv_mesh_get_state (mesh);
  return TRUE;
}

gchar *
wgd_rendezvous_describe (WgdRendezvous *rdv)
{
  GString *text = g_string_new (wgd_rdv_state_to_string (rdv->state));
  g_autofree gpointer *ifnames = NULL;
  guint n;

  if (rdv->state == WGD_RDV_BACKING_OFF)
    {
      g_autoptr (GDateTime) until = g_date_time_new_from_unix_utc ((gint64) rdv->backoff_until_wall);
      g_autofree gchar *when = g_date_time_format_iso8601 (until);

      g_string_append_printf (text, " until %s (%s)", when, rdv->error);
    }
  ifnames = g_hash_table_get_keys_as_array (rdv->meshes, &n);
  qsort (ifnames, n, sizeof *ifnames, compare_names);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, ", mesh %s %s", (const gchar *) ifnames[i],
                            wgd_rdv_mesh_state_to_string (
                              wgd_rdv_mesh_get_state (g_hash_table_lookup (rdv->meshes,
                                                                           ifnames[i]))));
  return g_string_free (text, FALSE);
}
