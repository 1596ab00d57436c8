/* mdns.c — publishing and browsing _wireguard._udp with avahi-client on
 * the GLib main loop. */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-glib/glib-watch.h>

#include "mdns.h"
#include "wgd-error.h"

/* A TXT with more strings than a record needs is not ours to read. */
#define TXT_ITEMS_MAX 32

typedef struct {
  AvahiIfIndex interface;
  AvahiProtocol protocol;
  gchar *name;
  gchar *domain;
  gchar *key;                   /* service_key () */
} Pending;

typedef struct {
  AvahiServiceResolver *resolver;
  gboolean weak;                /* FOLLOW_IF_ROOM: gives way to a peer's */
} Kept;

struct _WgdMdns {
  AvahiGLibPoll *poll;
  AvahiClient *client;
  AvahiEntryGroup *group;
  AvahiServiceBrowser *browser;
  gboolean browse;
  gboolean published;
  /* What we publish, once avahi-daemon is there. */
  gchar *name;
  guint16 port;
  gchar *subtype;
  GStrv txt;
  gchar *browse_type;           /* the service type or a mesh subtype */
  GQueue pending;               /* Pending, waiting for a resolver */
  GHashTable *pending_index;    /* service_key () → its GList link in pending */
  gboolean pending_full;        /* said so already */
  GHashTable *resolving;        /* AvahiServiceResolver, not answered yet → service_key () */
  GHashTable *kept;             /* service_key () → Kept, following a service */
  guint reconnect_source;
  WgdMdnsRecordFunc on_record;
  WgdMdnsBadTxtFunc on_bad_txt;
  gpointer user_data;
};

static void mdns_start_resolvers (WgdMdns *mdns);

/* One service instance as the browser reports it: each interface and
 * protocol has its own. */
static gchar *
service_key (AvahiIfIndex interface, AvahiProtocol protocol, const char *name,
             const char *domain)
{
  return g_strdup_printf ("%d %d %s.%s", interface, protocol, name, domain);
}

static gboolean
kept_is (gpointer key, gpointer value, gpointer user_data)
{
  return ((Kept *) value)->resolver == user_data;
}

static gboolean
kept_is_weak (gpointer key, gpointer value, gpointer user_data)
{
  return ((Kept *) value)->weak;
}

static gboolean
key_is (gpointer key, gpointer value, gpointer user_data)
{
  return g_str_equal (value, user_data);
}

static void
resolver_free (gpointer r)
{
  avahi_service_resolver_free (r);
}

static void
kept_free (Kept *k)
{
  avahi_service_resolver_free (k->resolver);
  g_free (k);
}

static void
pending_free (Pending *p)
{
  g_free (p->name);
  g_free (p->domain);
  g_free (p->key);
  g_free (p);
}

static AvahiStringList *
txt_to_strlst (GStrv txt)
{
  AvahiStringList *l = NULL;

  /* avahi_string_list_add prepends; add backwards to keep the order. */
  for (guint i = g_strv_length (txt); i > 0; i--)
    l = avahi_string_list_add (l, txt[i - 1]);
  return l;
}

static void mdns_register (WgdMdns *mdns);

static void
group_callback (AvahiEntryGroup *group, AvahiEntryGroupState state, void *user_data)
{
  WgdMdns *mdns = user_data;

  switch (state)
    {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
      mdns->published = TRUE;
      g_info ("mdns: published '%s' on port %u", mdns->name, mdns->port);
      break;
    case AVAHI_ENTRY_GROUP_COLLISION:
      {
        gchar *alt = avahi_alternative_service_name (mdns->name);

        g_message ("mdns: service name '%s' is taken; publishing as '%s'", mdns->name, alt);
        g_free (mdns->name);
        mdns->name = g_strdup (alt);
        avahi_free (alt);
        avahi_entry_group_reset (group);
        mdns->published = FALSE;
        mdns_register (mdns);
      }
      break;
    case AVAHI_ENTRY_GROUP_FAILURE:
      g_warning ("mdns: publishing failed: %s",
                 avahi_strerror (avahi_client_errno (avahi_entry_group_get_client (group))));
      mdns->published = FALSE;
      break;
    default:
      break;
    }
}

static void
mdns_register (WgdMdns *mdns)
{
  AvahiStringList *txt;
  int err;

  if (mdns->name == NULL || mdns->client == NULL
      || avahi_client_get_state (mdns->client) != AVAHI_CLIENT_S_RUNNING)
    return;
  if (mdns->group == NULL)
    mdns->group = avahi_entry_group_new (mdns->client, group_callback, mdns);
  if (mdns->group == NULL)
    {
      g_warning ("mdns: cannot create an entry group: %s",
                 avahi_strerror (avahi_client_errno (mdns->client)));
      return;
    }
  txt = txt_to_strlst (mdns->txt);
  if (!avahi_entry_group_is_empty (mdns->group))
    /* Already there: a new record replaces the TXT in place, no probing. */
    err = avahi_entry_group_update_service_txt_strlst (mdns->group, AVAHI_IF_UNSPEC,
                                                       AVAHI_PROTO_UNSPEC, 0, mdns->name,
                                                       WGD_MDNS_SERVICE_TYPE, NULL, txt);
  else
    {
      err = avahi_entry_group_add_service_strlst (mdns->group, AVAHI_IF_UNSPEC,
                                                  AVAHI_PROTO_UNSPEC, 0, mdns->name,
                                                  WGD_MDNS_SERVICE_TYPE, NULL, NULL, mdns->port,
                                                  txt);
      if (err == AVAHI_OK && mdns->subtype != NULL)
        err = avahi_entry_group_add_service_subtype (mdns->group, AVAHI_IF_UNSPEC,
                                                     AVAHI_PROTO_UNSPEC, 0, mdns->name,
                                                     WGD_MDNS_SERVICE_TYPE, NULL, mdns->subtype);
      if (err == AVAHI_OK)
        err = avahi_entry_group_commit (mdns->group);
    }
  avahi_string_list_free (txt);
  if (err == AVAHI_ERR_COLLISION)
    group_callback (mdns->group, AVAHI_ENTRY_GROUP_COLLISION, mdns);
  else if (err != AVAHI_OK)
    g_warning ("mdns: cannot publish '%s': %s", mdns->name, avahi_strerror (err));
}

/* Whether another service can be followed; one of ours (strong) takes
 * the place of a merely valid one. */
static gboolean
mdns_make_room (WgdMdns *mdns, gboolean strong)
{
  gpointer weak_key;

  if (g_hash_table_size (mdns->kept) < WGD_MDNS_KEPT_MAX)
    return TRUE;
  if (!strong)
    return FALSE;
  weak_key = g_hash_table_find (mdns->kept, kept_is_weak, NULL);
  if (weak_key != NULL)
    {
      g_hash_table_remove (mdns->kept, weak_key);
      return TRUE;
    }
  g_warning ("mdns: already following %u services of peers; a new one is judged once, "
             "its later updates are missed", WGD_MDNS_KEPT_MAX);
  return FALSE;
}

static void
resolve_callback (AvahiServiceResolver *r, AvahiIfIndex interface, AvahiProtocol protocol,
                  AvahiResolverEvent event, const char *name, const char *type,
                  const char *domain, const char *host_name, const AvahiAddress *address,
                  uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags,
                  void *user_data)
{
  WgdMdns *mdns = user_data;
  Kept *kept = g_hash_table_find (mdns->kept, kept_is, r);
  WgdMdnsInterest interest = WGD_MDNS_IGNORE;

  if (event == AVAHI_RESOLVER_FOUND)
    {
      WgdTxtItem items[TXT_ITEMS_MAX];
      gsize n = 0;
      guint8 record[WGD_RECORD_MAX];
      gsize len = 0;
      gchar addr[AVAHI_ADDRESS_STR_MAX] = "";
      g_autoptr (GError) error = NULL;

      avahi_address_snprint (addr, sizeof addr, address);
      for (AvahiStringList *l = txt; l != NULL && n < TXT_ITEMS_MAX;
           l = avahi_string_list_get_next (l))
        {
          items[n].data = avahi_string_list_get_text (l);
          items[n].len = avahi_string_list_get_size (l);
          n++;
        }
      if (avahi_string_list_length (txt) > TXT_ITEMS_MAX)
        g_set_error (&error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                     "bad TXT record: %u strings, more than a record needs",
                     avahi_string_list_length (txt));
      if (error == NULL && wgd_txt_decode (items, n, record, &len, &error))
        interest = mdns->on_record (record, len, (guint32) interface, name, addr,
                                    mdns->user_data);
      else if (mdns->on_bad_txt != NULL)
        mdns->on_bad_txt (error, name, addr, mdns->user_data);
    }
  /* A followed service stays followed, through records we refuse and
   * lookups that time out while its host changes addresses, until the
   * browser says it is gone. A new one is followed, within a bound, once
   * it carried a record worth following; otherwise its resolver is freed. */
  if (kept != NULL && interest != WGD_MDNS_IGNORE)
    kept->weak = interest == WGD_MDNS_FOLLOW_IF_ROOM;
  else if (kept == NULL)
    {
      gchar *key = NULL;

      g_hash_table_steal_extended (mdns->resolving, r, NULL, (gpointer *) &key);
      if (key != NULL && interest != WGD_MDNS_IGNORE
          && mdns_make_room (mdns, interest == WGD_MDNS_FOLLOW))
        {
          Kept *k = g_new (Kept, 1);

          k->resolver = r;
          k->weak = interest == WGD_MDNS_FOLLOW_IF_ROOM;
          g_hash_table_insert (mdns->kept, g_steal_pointer (&key), k);
        }
      else
        avahi_service_resolver_free (r);
      g_free (key);
    }
  mdns_start_resolvers (mdns);
}

static void
mdns_start_resolvers (WgdMdns *mdns)
{
  while (g_hash_table_size (mdns->resolving) < WGD_MDNS_RESOLVERS_MAX
         && !g_queue_is_empty (&mdns->pending))
    {
      Pending *p = g_queue_pop_head (&mdns->pending);
      AvahiServiceResolver *r;

      g_hash_table_remove (mdns->pending_index, p->key);
      r =
        avahi_service_resolver_new (mdns->client, p->interface, p->protocol, p->name,
                                    WGD_MDNS_SERVICE_TYPE, p->domain, AVAHI_PROTO_UNSPEC, 0,
                                    resolve_callback, mdns);

      if (r != NULL)
        g_hash_table_insert (mdns->resolving, r, g_steal_pointer (&p->key));
      else
        g_debug ("mdns: cannot resolve '%s': %s", p->name,
                 avahi_strerror (avahi_client_errno (mdns->client)));
      pending_free (p);
    }
  if (g_queue_is_empty (&mdns->pending))
    mdns->pending_full = FALSE;
}

/* Forgets a service the browser says is gone: followed, waiting or being
 * resolved, it costs nothing from now on. */
static void
mdns_forget_service (WgdMdns *mdns, const gchar *key)
{
  GList *link = g_hash_table_lookup (mdns->pending_index, key);
  gpointer r;

  g_hash_table_remove (mdns->kept, key);
  if (link != NULL)
    {
      g_hash_table_remove (mdns->pending_index, key);
      pending_free (link->data);
      g_queue_delete_link (&mdns->pending, link);
    }
  r = g_hash_table_find (mdns->resolving, key_is, (gpointer) key);
  if (r != NULL)
    g_hash_table_remove (mdns->resolving, r);
}

static void
browse_callback (AvahiServiceBrowser *b, AvahiIfIndex interface, AvahiProtocol protocol,
                 AvahiBrowserEvent event, const char *name, const char *type,
                 const char *domain, AvahiLookupResultFlags flags, void *user_data)
{
  WgdMdns *mdns = user_data;
  g_autofree gchar *key = NULL;
  Pending *p;

  if (event == AVAHI_BROWSER_FAILURE)
    {
      g_warning ("mdns: browsing failed: %s",
                 avahi_strerror (avahi_client_errno (mdns->client)));
      return;
    }
  key = service_key (interface, protocol, name, domain);
  if (event == AVAHI_BROWSER_REMOVE)
    {
      /* Its candidates age out on their own; only the resolver goes. */
      mdns_forget_service (mdns, key);
      mdns_start_resolvers (mdns);
      return;
    }
  if (event != AVAHI_BROWSER_NEW || (flags & AVAHI_LOOKUP_RESULT_OUR_OWN))
    return;
  if (g_hash_table_contains (mdns->kept, key) || g_hash_table_contains (mdns->pending_index, key)
      || g_hash_table_find (mdns->resolving, key_is, key) != NULL)
    return;
  if (g_queue_get_length (&mdns->pending) >= WGD_MDNS_PENDING_MAX)
    {
      if (!mdns->pending_full)
        g_warning ("mdns: %u services are waiting to be resolved; new ones are passed over "
                   "until the queue drains", WGD_MDNS_PENDING_MAX);
      mdns->pending_full = TRUE;
      return;
    }
  p = g_new0 (Pending, 1);
  p->interface = interface;
  p->protocol = protocol;
  p->name = g_strdup (name);
  p->domain = g_strdup (domain);
  p->key = g_steal_pointer (&key);
  g_queue_push_tail (&mdns->pending, p);
  g_hash_table_insert (mdns->pending_index, p->key, g_queue_peek_tail_link (&mdns->pending));
  mdns_start_resolvers (mdns);
}

static void
mdns_start_browsing (WgdMdns *mdns)
{
  if (!mdns->browse || mdns->browser != NULL || mdns->client == NULL
      || avahi_client_get_state (mdns->client) != AVAHI_CLIENT_S_RUNNING)
    return;
  mdns->browser = avahi_service_browser_new (mdns->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                             mdns->browse_type, NULL, 0, browse_callback, mdns);
  if (mdns->browser == NULL)
    g_warning ("mdns: cannot browse: %s", avahi_strerror (avahi_client_errno (mdns->client)));
}

/* Everything that belonged to a connection to avahi-daemon. */
static void
mdns_drop_connection_state (WgdMdns *mdns)
{
  g_hash_table_remove_all (mdns->resolving);
  g_hash_table_remove_all (mdns->kept);
  g_hash_table_remove_all (mdns->pending_index);
  g_queue_clear_full (&mdns->pending, (GDestroyNotify) pending_free);
  mdns->pending_full = FALSE;
  if (mdns->browser != NULL)
    avahi_service_browser_free (g_steal_pointer (&mdns->browser));
  if (mdns->group != NULL)
    avahi_entry_group_free (g_steal_pointer (&mdns->group));
  mdns->published = FALSE;
}

static void client_callback (AvahiClient *client, AvahiClientState state, void *user_data);

/* Outside the client's own callback, which must not free it. */
static gboolean
mdns_reconnect (gpointer user_data)
{
  WgdMdns *mdns = user_data;
  int err = 0;

  mdns->reconnect_source = 0;
  if (mdns->client != NULL)
    avahi_client_free (mdns->client);
  mdns->client = avahi_client_new (avahi_glib_poll_get (mdns->poll), AVAHI_CLIENT_NO_FAIL,
                                   client_callback, mdns, &err);
  if (mdns->client == NULL)
    {
      g_warning ("mdns: cannot talk to avahi-daemon: %s; retrying in 5 s", avahi_strerror (err));
      mdns->reconnect_source = g_timeout_add_seconds (5, mdns_reconnect, mdns);
    }
  return G_SOURCE_REMOVE;
}

static void
client_callback (AvahiClient *client, AvahiClientState state, void *user_data)
{
  WgdMdns *mdns = user_data;

  mdns->client = client;
  switch (state)
    {
    case AVAHI_CLIENT_S_RUNNING:
      g_message ("mdns: connected to avahi-daemon");
      mdns_register (mdns);
      mdns_start_browsing (mdns);
      break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
      if (mdns->group != NULL)
        avahi_entry_group_reset (mdns->group);
      mdns->published = FALSE;
      break;
    case AVAHI_CLIENT_FAILURE:
      /* The objects of the old connection died with it. A client that
       * lost the daemon does not come back by itself: a new one, made
       * with AVAHI_CLIENT_NO_FAIL, waits for the daemon to return. */
      g_warning ("mdns: lost avahi-daemon: %s; waiting for it to come back",
                 avahi_strerror (avahi_client_errno (client)));
      mdns_drop_connection_state (mdns);
      if (mdns->reconnect_source == 0)
        mdns->reconnect_source = g_idle_add (mdns_reconnect, mdns);
      break;
    case AVAHI_CLIENT_CONNECTING:
      g_info ("mdns: waiting for avahi-daemon");
      mdns_drop_connection_state (mdns);
      break;
    default:
      break;
    }
}

WgdMdns *
wgd_mdns_new (WgdMdnsRecordFunc on_record, WgdMdnsBadTxtFunc on_bad_txt, gpointer user_data,
              GError **error)
{
  g_autoptr (WgdMdns) mdns = g_new0 (WgdMdns, 1);
  int err = 0;

  mdns->on_record = on_record;
  mdns->on_bad_txt = on_bad_txt;
  mdns->user_data = user_data;
  mdns->browse = TRUE;
  mdns->browse_type = g_strdup (WGD_MDNS_SERVICE_TYPE);
  g_queue_init (&mdns->pending);
  mdns->pending_index = g_hash_table_new (g_str_hash, g_str_equal);
  mdns->resolving = g_hash_table_new_full (NULL, NULL, resolver_free, g_free);
  mdns->kept = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) kept_free);
  mdns->poll = avahi_glib_poll_new (NULL, G_PRIORITY_DEFAULT);
  mdns->client = avahi_client_new (avahi_glib_poll_get (mdns->poll), AVAHI_CLIENT_NO_FAIL,
                                   client_callback, mdns, &err);
  if (mdns->client == NULL)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "cannot talk to avahi-daemon: %s",
                   avahi_strerror (err));
      return NULL;
    }
  return g_steal_pointer (&mdns);
}

void
wgd_mdns_free (WgdMdns *mdns)
{
  if (mdns == NULL)
    return;
  if (mdns->reconnect_source != 0)
    g_source_remove (mdns->reconnect_source);
  if (mdns->client != NULL)
    {
      mdns_drop_connection_state (mdns);
      avahi_client_free (mdns->client);
    }
  g_hash_table_unref (mdns->resolving);
  g_hash_table_unref (mdns->kept);
  g_hash_table_unref (mdns->pending_index);
  if (mdns->poll != NULL)
    avahi_glib_poll_free (mdns->poll);
  g_free (mdns->name);
  g_free (mdns->subtype);
  g_strfreev (mdns->txt);
  g_free (mdns->browse_type);
  g_free (mdns);
}

void
wgd_mdns_publish (WgdMdns *mdns, const gchar *name, guint16 port, const gchar *subtype,
                  const guint8 *record, gsize len)
{
  /* A new port or subtype is a new service; a new record only a new TXT. */
  gboolean moved = mdns->port != port || g_strcmp0 (mdns->subtype, subtype) != 0;

  if (mdns->name == NULL)
    mdns->name = g_strdup (name);
  mdns->port = port;
  g_free (mdns->subtype);
  mdns->subtype = g_strdup (subtype);
  g_strfreev (mdns->txt);
  mdns->txt = wgd_txt_encode (record, len);
  if (moved && mdns->group != NULL)
    avahi_entry_group_reset (mdns->group);
  mdns_register (mdns);
}

void
wgd_mdns_withdraw (WgdMdns *mdns)
{
  if (mdns->group != NULL)
    avahi_entry_group_reset (mdns->group);
  mdns->published = FALSE;
  g_clear_pointer (&mdns->name, g_free);
}

void
wgd_mdns_set_browsing (WgdMdns *mdns, gboolean browse, const gchar *subtype)
{
  const gchar *type = subtype != NULL ? subtype : WGD_MDNS_SERVICE_TYPE;

  if (mdns->browser != NULL && (!browse || g_strcmp0 (type, mdns->browse_type) != 0))
    avahi_service_browser_free (g_steal_pointer (&mdns->browser));
  mdns->browse = browse;
  g_free (mdns->browse_type);
  mdns->browse_type = g_strdup (type);
  mdns_start_browsing (mdns);
}

gchar *
wgd_mdns_mesh_subtype (const guint8 ca_key[32])
{
  gchar hex[9];

  sodium_bin2hex (hex, sizeof hex, ca_key, 4);
  return g_strdup_printf ("_m%s._sub." WGD_MDNS_SERVICE_TYPE, hex);
}

gboolean
wgd_mdns_is_published (WgdMdns *mdns)
{
  return mdns->published;
}
