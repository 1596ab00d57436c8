/* dyndns.c — configured endpoints kept resolved (see the header): one
 * entry per configured peer, each with its schedule (resolve-policy.h)
 * and the addresses of its last answer; one timer for the earliest
 * entry due, none while nothing is. */
#include "config.h"

#include "dyndns.h"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n.h>
#include <sodium.h>

#include "base64.h"
#include "clock.h"
#include "peer-table.h"
#include "resolve-policy.h"

#define G_LOG_DOMAIN_DYNDNS "wgdiscoverd"

typedef struct {
  WgdDyndns *owner;
  WgdDyndnsPeer *peer;
  WgdResolveSchedule schedule;
  WgdResolverLookup *lookup;    /* in flight; NULL: none */
  GArray *addresses;            /* WgdSockaddr of the last answer, sorted */
  guint32 ttl;
  gboolean failing;             /* the current run of failures was logged */
  gboolean tx_known;
  guint64 tx_bytes;             /* the device's count at its last read */
  gboolean sending;             /* it grew at that read */
} Entry;

struct _WgdDyndns {
  WgdResolver *resolver;
  WgdDyndnsFunc func;
  gpointer user_data;
  GHashTable *entries;          /* wg key (the entry's peer's own) → Entry */
  guint timer;
  gint64 timer_at;
};

WgdDyndnsPeer *
wgd_dyndns_peer_new (const guint8 wg_key[WGD_KEY_LEN], const gchar *name,
                     const WgdHostEndpoint *endpoint, const gchar *origin)
{
  WgdDyndnsPeer *peer = g_new0 (WgdDyndnsPeer, 1);

  memcpy (peer->wg_key, wg_key, WGD_KEY_LEN);
  peer->name = g_strdup (name);
  peer->endpoint = g_new0 (WgdHostEndpoint, 1);
  peer->endpoint->host = g_strdup (endpoint->host);
  peer->endpoint->port = endpoint->port;
  peer->endpoint->literal = endpoint->literal;
  peer->origin = g_strdup (origin);
  return peer;
}

void
wgd_dyndns_peer_free (WgdDyndnsPeer *peer)
{
  if (peer == NULL)
    return;
  g_free (peer->name);
  wgd_host_endpoint_free (peer->endpoint);
  g_free (peer->origin);
  g_free (peer);
}

static void
entry_free (Entry *e)
{
  if (e->lookup != NULL)
    wgd_resolver_cancel (e->owner->resolver, e->lookup);
  wgd_dyndns_peer_free (e->peer);
  g_array_unref (e->addresses);
  g_free (e);
}

/* One journal entry per decision, with the fields the core's have. */
static void G_GNUC_PRINTF (4, 5)
dyndns_log (const gchar *peer_key, const gchar *reason, GLogLevelFlags level,
            const gchar *format, ...)
{
  g_autofree gchar *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_log_structured (G_LOG_DOMAIN_DYNDNS, level, "WGD_PEER_KEY", peer_key, "WGD_SOURCE", "config",
                    "WGD_REASON", reason, "MESSAGE", "%s", message);
}

static guint32
dyndns_random (guint32 upper, gpointer user_data)
{
  return randombytes_uniform (upper);
}

static const gchar *
entry_name (const Entry *e)
{
  return e->peer->name != NULL ? e->peer->name : "unnamed";
}

static gchar *
entry_key (const Entry *e)
{
  return wgd_key_to_base64 (e->peer->wg_key);
}

static gchar *
addresses_to_string (const GArray *addresses)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < addresses->len; i++)
    {
      const WgdSockaddr *a = &g_array_index (addresses, WgdSockaddr, i);
      g_autofree gchar *text = wgd_sockaddr_to_string (a);

      g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", text);
    }
  return g_string_free (out, FALSE);
}

static gint
sockaddr_compare (gconstpointer a, gconstpointer b)
{
  const WgdSockaddr *x = a, *y = b;

  if (x->sa.sa_family != y->sa.sa_family)
    return x->sa.sa_family == AF_INET ? -1 : 1;
  if (x->sa.sa_family == AF_INET)
    return memcmp (&x->in.sin_addr, &y->in.sin_addr, sizeof x->in.sin_addr);
  return memcmp (&x->in6.sin6_addr, &y->in6.sin6_addr, sizeof x->in6.sin6_addr);
}

static gboolean
addresses_equal (const GArray *a, const GArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (!wgd_sockaddr_equal (&g_array_index (a, WgdSockaddr, i),
                             &g_array_index (b, WgdSockaddr, i)))
      return FALSE;
  return TRUE;
}

/* The entry's addresses are new: the core hears of them. */
static void
entry_take_addresses (Entry *e, GArray *addresses, guint32 ttl)
{
  g_autofree gchar *key = entry_key (e);
  g_autofree gchar *list = NULL;
  g_autofree gchar *endpoint = wgd_host_endpoint_to_string (e->peer->endpoint);

  g_array_sort (addresses, sockaddr_compare);
  e->ttl = ttl;
  if (addresses_equal (addresses, e->addresses))
    return;
  g_array_set_size (e->addresses, 0);
  g_array_append_vals (e->addresses, addresses->data, addresses->len);
  list = addresses_to_string (e->addresses);
  if (e->peer->endpoint->literal)
    dyndns_log (key, "configured", G_LOG_LEVEL_INFO,
                  _("peer %s (%s): configured endpoint %s (%s)"), entry_name (e), key, list,
                  e->peer->origin);
  else
    dyndns_log (key, "resolved", G_LOG_LEVEL_MESSAGE,
                  _("peer %s (%s): %s resolved to %s (TTL %u s; %s)"), entry_name (e), key,
                  endpoint, list, ttl, e->peer->origin);
  e->owner->func (e->peer->wg_key, e->peer->name, &g_array_index (e->addresses, WgdSockaddr, 0),
                  e->addresses->len, e->owner->user_data);
}

static void dyndns_run (WgdDyndns *dyndns);

static gboolean
timer_cb (gpointer user_data)
{
  WgdDyndns *dyndns = user_data;

  dyndns->timer = 0;
  dyndns_run (dyndns);
  return G_SOURCE_REMOVE;
}

static void
on_resolved (WgdResolver *resolver, GArray *answer, const GError *error, gpointer user_data)
{
  Entry *e = user_data;
  gint64 now = (gint64) wgd_clock_now ();
  g_autofree gchar *key = entry_key (e);

  e->lookup = NULL;
  if (error != NULL)
    {
      gint64 due = wgd_resolve_schedule_failed (&e->schedule, now, dyndns_random, NULL);
      g_autofree gchar *kept = e->addresses->len > 0 ? addresses_to_string (e->addresses)
                                                     : g_strdup (_("no address"));

      /* Once per run of failures: a dead name must not fill the journal. */
      if (!e->failing)
        dyndns_log (key, "resolve-failed", G_LOG_LEVEL_WARNING,
                      _("peer %s (%s): %s; keeping %s, trying again in %" PRId64 " s"),
                      entry_name (e), key, error->message, kept, due - now);
      e->failing = TRUE;
    }
  else
    {
      g_autoptr (GArray) addresses = g_array_new (FALSE, TRUE, sizeof (WgdSockaddr));
      guint32 ttl = G_MAXUINT32;

      if (e->failing)
        dyndns_log (key, "resolved-again", G_LOG_LEVEL_MESSAGE,
                      _("peer %s (%s): %s resolves again"), entry_name (e), key,
                      e->peer->endpoint->host);
      e->failing = FALSE;
      for (guint i = 0; i < answer->len; i++)
        {
          const WgdResolverAddress *r = &g_array_index (answer, WgdResolverAddress, i);
          g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (r->address,
                                                                     e->peer->endpoint->port);
          WgdSockaddr a;

          memset (&a, 0, sizeof a);
          if (!g_socket_address_to_native (sa, &a, sizeof a, NULL))
            continue;
          g_array_append_val (addresses, a);
          ttl = MIN (ttl, r->ttl);
        }
      wgd_resolve_schedule_answered (&e->schedule, ttl, now);
      if (addresses->len > 0)
        entry_take_addresses (e, addresses, ttl);
    }
  dyndns_run (e->owner);
}

/* Starts the lookups due, and sets the timer for the next one. */
static void
dyndns_run (WgdDyndns *dyndns)
{
  gint64 now = (gint64) wgd_clock_now ();
  gint64 next = G_MAXINT64;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, dyndns->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *e = value;

      if (e->peer->endpoint->literal)
        continue;
      if (wgd_resolve_schedule_is_due (&e->schedule, now))
        {
          wgd_resolve_schedule_started (&e->schedule);
          e->lookup = wgd_resolver_lookup (dyndns->resolver, e->peer->endpoint->host,
                                           on_resolved, e);
        }
      else if (!e->schedule.in_flight)
        next = MIN (next, e->schedule.due);
    }
  if (dyndns->timer != 0 && dyndns->timer_at == next)
    return;
  g_clear_handle_id (&dyndns->timer, g_source_remove);
  if (next == G_MAXINT64)
    return;
  dyndns->timer_at = next;
  dyndns->timer = g_timeout_add_seconds ((guint) MIN (MAX (next - now, 0), G_MAXUINT32 / 2),
                                         timer_cb, dyndns);
}

WgdDyndns *
wgd_dyndns_new (WgdResolver *resolver, WgdDyndnsFunc func, gpointer user_data)
{
  WgdDyndns *dyndns = g_new0 (WgdDyndns, 1);

  dyndns->resolver = resolver;
  dyndns->func = func;
  dyndns->user_data = user_data;
  dyndns->entries = g_hash_table_new_full (wgd_key_hash, wgd_key_equal, NULL,
                                           (GDestroyNotify) entry_free);
  return dyndns;
}

void
wgd_dyndns_free (WgdDyndns *dyndns)
{
  if (dyndns == NULL)
    return;
  g_clear_handle_id (&dyndns->timer, g_source_remove);
  g_hash_table_unref (dyndns->entries);
  g_free (dyndns);
}

static gboolean
same_endpoint (const WgdHostEndpoint *a, const WgdHostEndpoint *b)
{
  return a->port == b->port && g_ascii_strcasecmp (a->host, b->host) == 0;
}

/* An address needs no DNS: its one candidate at once. */
static void
entry_take_literal (Entry *e)
{
  g_autoptr (GArray) addresses = g_array_new (FALSE, TRUE, sizeof (WgdSockaddr));
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (e->peer->endpoint->host);
  g_autoptr (GSocketAddress) sa = NULL;
  WgdSockaddr a;

  /* An address with a scope (fe80::1%eth0) names an interface of this
   * machine; GInetAddress takes none, and a link-local peer is found on
   * its link by mDNS anyway. */
  if (inet == NULL)
    {
      g_autofree gchar *key = entry_key (e);

      dyndns_log (key, "configured", G_LOG_LEVEL_WARNING,
                  _("peer %s (%s): %s: an address with a scope is not used (%s)"),
                  entry_name (e), key, e->peer->endpoint->host, e->peer->origin);
      return;
    }
  sa = g_inet_socket_address_new (inet, e->peer->endpoint->port);
  memset (&a, 0, sizeof a);
  if (!g_socket_address_to_native (sa, &a, sizeof a, NULL))
    return;
  g_array_append_val (addresses, a);
  entry_take_addresses (e, addresses, 0);
}

void
wgd_dyndns_set_peers (WgdDyndns *dyndns, GPtrArray *peers)
{
  g_autoptr (GHashTable) old = g_steal_pointer (&dyndns->entries);
  g_autoptr (GPtrArray) fresh = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  dyndns->entries = g_hash_table_new_full (wgd_key_hash, wgd_key_equal, NULL,
                                           (GDestroyNotify) entry_free);
  for (guint i = 0; i < peers->len; i++)
    {
      WgdDyndnsPeer *peer = g_ptr_array_index (peers, i);
      Entry *e = g_hash_table_lookup (old, peer->wg_key);

      if (g_hash_table_contains (dyndns->entries, peer->wg_key))
        continue;
      if (e != NULL && same_endpoint (e->peer->endpoint, peer->endpoint))
        {
          g_hash_table_steal (old, peer->wg_key);
          g_free (e->peer->name);
          e->peer->name = g_strdup (peer->name);
          g_free (e->peer->origin);
          e->peer->origin = g_strdup (peer->origin);
        }
      else
        {
          e = g_new0 (Entry, 1);
          e->owner = dyndns;
          e->peer = wgd_dyndns_peer_new (peer->wg_key, peer->name, peer->endpoint,
                                         peer->origin);
          e->addresses = g_array_new (FALSE, TRUE, sizeof (WgdSockaddr));
          wgd_resolve_schedule_init (&e->schedule);
          g_ptr_array_add (fresh, e);
        }
      g_hash_table_insert (dyndns->entries, e->peer->wg_key, e);
    }
  g_ptr_array_unref (peers);
  /* Gone, or changed: the core forgets what they gave. */
  g_hash_table_iter_init (&iter, old);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *e = value;

      if (e->addresses->len > 0 && !g_hash_table_contains (dyndns->entries, e->peer->wg_key))
        dyndns->func (e->peer->wg_key, e->peer->name, NULL, 0, dyndns->user_data);
    }
  for (guint i = 0; i < fresh->len; i++)
    {
      Entry *e = g_ptr_array_index (fresh, i);

      if (e->peer->endpoint->literal)
        entry_take_literal (e);
    }
  dyndns_run (dyndns);
}

void
wgd_dyndns_network_changed (WgdDyndns *dyndns)
{
  g_autoptr (GError) error = NULL;
  gint64 now = (gint64) wgd_clock_now ();
  GHashTableIter iter;
  gpointer value;

  if (g_hash_table_size (dyndns->entries) == 0)
    return;
  if (!wgd_resolver_reload (dyndns->resolver, &error))
    g_log_structured (G_LOG_DOMAIN_DYNDNS, G_LOG_LEVEL_WARNING, "MESSAGE",
                      _("cannot read the DNS configuration again: %s"), error->message);
  g_hash_table_iter_init (&iter, dyndns->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    wgd_resolve_schedule_network_changed (&((Entry *) value)->schedule, now);
  dyndns_run (dyndns);
}

void
wgd_dyndns_note_device_peer (WgdDyndns *dyndns, const WgdPeer *peer)
{
  Entry *e = g_hash_table_lookup (dyndns->entries, peer->public_key);
  gint64 now = (gint64) wgd_clock_now ();
  gboolean stale, sent;

  if (e == NULL || e->peer->endpoint->literal)
    return;
  stale = peer->last_handshake_sec == 0
          || now - peer->last_handshake_sec >= WGD_HANDSHAKE_FRESH_SECONDS;
  /* A count that went back started again (the peer was removed and
   * added): what it holds now was sent since. */
  sent = e->tx_known && (peer->tx_bytes > e->tx_bytes
                         || (peer->tx_bytes < e->tx_bytes && peer->tx_bytes > 0));
  e->sending = sent;
  e->tx_known = TRUE;
  e->tx_bytes = peer->tx_bytes;
  if (stale && sent && wgd_resolve_schedule_stale (&e->schedule, now))
    {
      g_autofree gchar *key = entry_key (e);

      dyndns_log (key, "stale", G_LOG_LEVEL_INFO,
                    _("peer %s (%s): no handshake while sending; resolving %s again"),
                    entry_name (e), key, e->peer->endpoint->host);
      dyndns_run (dyndns);
    }
}

gint64
wgd_dyndns_next_look (WgdDyndns *dyndns, const WgdPeer *peer, gint64 now)
{
  Entry *e = g_hash_table_lookup (dyndns->entries, peer->public_key);

  if (e == NULL || e->peer->endpoint->literal)
    return G_MAXINT64;
  if (peer->last_handshake_sec != 0
      && now - peer->last_handshake_sec < WGD_HANDSHAKE_FRESH_SECONDS)
    return peer->last_handshake_sec + WGD_HANDSHAKE_FRESH_SECONDS;
  return e->sending ? now + WGD_RESOLVE_TTL_MIN_S : G_MAXINT64;
}

gchar *
wgd_dyndns_describe (WgdDyndns *dyndns, const guint8 wg_key[WGD_KEY_LEN])
{
  Entry *e = g_hash_table_lookup (dyndns->entries, wg_key);
  g_autofree gchar *endpoint = NULL;
  g_autofree gchar *list = NULL;

  if (e == NULL)
    return NULL;
  endpoint = wgd_host_endpoint_to_string (e->peer->endpoint);
  if (e->peer->endpoint->literal)
    return g_steal_pointer (&endpoint);
  list = e->addresses->len > 0 ? addresses_to_string (e->addresses) : g_strdup (_("unresolved"));
  return g_strdup_printf (_("%s (%s; TTL %u s)"), endpoint, list, e->ttl);
}

/* STATUS= is one line a person reads: a few names, then a count; in
 * English, as the rest of it. */
#define SUMMARY_NAMES_MAX 3

static gint
compare_entries (gconstpointer a, gconstpointer b)
{
  const Entry *x = *(const Entry *const *) a, *y = *(const Entry *const *) b;
  gint c = g_ascii_strcasecmp (x->peer->endpoint->host, y->peer->endpoint->host);

  return c != 0 ? c : (gint) x->peer->endpoint->port - (gint) y->peer->endpoint->port;
}

gchar *
wgd_dyndns_summarize (WgdDyndns *dyndns)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GString *out;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, dyndns->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!((Entry *) value)->peer->endpoint->literal)
      g_ptr_array_add (names, value);
  if (names->len == 0)
    return NULL;
  g_ptr_array_sort (names, compare_entries);
  out = g_string_new ("names: ");
  for (guint i = 0; i < names->len && i < SUMMARY_NAMES_MAX; i++)
    {
      g_autofree gchar *text = wgd_dyndns_describe (dyndns,
                                                    ((Entry *) g_ptr_array_index (names, i))->peer->wg_key);

      g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", text);
    }
  if (names->len > SUMMARY_NAMES_MAX)
    g_string_append_printf (out, " and %u more", names->len - SUMMARY_NAMES_MAX);
  return g_string_free (out, FALSE);
}
