/* mdns.c — publishing and browsing _wireguard._udp with avahi-client on
 * the GLib main loop, and looking up each service's TXT record within
 * bounds that no flood of names breaks (docs/architecture.md §4). */
#include "config.h"

#include <net/if.h>
#include <string.h>
#include <sodium.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/defs.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-glib/glib-watch.h>

#include "mdns.h"
#include "wgd-error.h"

/* A TXT with more strings than a record needs is not ours to read. */
#define TXT_ITEMS_MAX 32

/* avahi-daemon refuses a client more than objects-per-client-max
 * browsers, resolvers and entry groups at once (avahi-daemon.conf; 1024
 * unless set: DEFAULT_OBJECTS_PER_CLIENT_MAX, avahi-daemon/dbus-internal.h).
 * We hold at most one entry group, one service browser and, after a
 * silence, one question for the names announced meanwhile; every other
 * object is a TXT browser, counted below, so that the sum stays under the
 * limit by construction. The spare ones stand for objects that a call
 * which timed out may have made in avahi-daemon all the same: avahi-client
 * cannot free them, it never got their path. */
#define AVAHI_OBJECTS_MAX 1024
#define OWN_OBJECTS 3
#define SPARE_OBJECTS 29
/* Lookups in flight: browsers reading avahi-daemon's cache, waiting for
 * the network, or asking a watched service again (a kick). At most 64
 * wait for the network, one second each (ANSWER_MS): 64 names that never
 * answer a second. The other 32 read the cache, which avahi-daemon does
 * 10 ms after a browser is made (DEFAULT_START_DELAY_MS,
 * avahi-daemon/dbus-internal.h): a new name never waits long for one. */
#define LOOKUPS_MAX 96
#define ASKING_MAX 64
/* Services watched: their TXT browser stays open, so that every new TXT
 * record is heard (peers first, then strangers, then refused ones). As
 * many as the limit leaves. */
#define WATCHED_MAX 896
G_STATIC_ASSERT (OWN_OBJECTS + WATCHED_MAX + LOOKUPS_MAX + SPARE_OBJECTS == AVAHI_OBJECTS_MAX);

/* How long a lookup waits for the network, from when avahi-daemon has
 * read its cache and asked. avahi-core asks within 100 ms
 * (AVAHI_QUERY_DEFER_MSEC, avahi-core/query-sched.c), a responder answers
 * for a unique record such as a TXT at once (RFC 6762 §6), and avahi-core
 * itself reports "all for now" one second after asking (ALL_FOR_NOW,
 * avahi-core/multicast-lookup.c): a host on the LAN that has the record
 * has answered by then. */
#define ANSWER_MS 1000
/* A kick asks one question: avahi-core sends it within 100 ms of reading
 * its cache and would ask again after a second (avahi-core/querier.c),
 * so it ends in between. */
#define KICK_MS 500
/* After a silence the services followed are asked at once and again
 * this many seconds later: the first answers may still meet a receive
 * buffer that filled while avahi-daemon did not read it, and be lost. */
static const guint kick_again_s[] = { 3, 10 };
/* Probing our service takes avahi-daemon about a second (three probes
 * 250 ms apart, RFC 6762 §8.1). avahi-daemon 0.8 never ends it when an
 * interface goes while it probes there (an address moved: fixed upstream
 * after 0.8, avahi commit cb15988c): a service still registering after
 * this long is added anew, on the interfaces there are now. */
#define PROBE_MAX_S 5
/* Until avahi-daemon has read its cache, a lookup waits as long as
 * avahi-client waits for any answer (25 s): a busy avahi-daemon (a
 * flooded LAN keeps it busy for seconds at a time) is no name that did
 * not answer. */
#define CACHE_MS 25000
/* Names that gave nothing to watch, or found no room, are looked at again
 * after 15 s, 30 s, … 960 s: never dropped, cheap
 * when they are many, and still looked at several times while avahi-core
 * keeps a PTR record announced with avahi's own lifetime (75 min,
 * AVAHI_DEFAULT_TTL in avahi-common/defs.h). */
#define RETRY_FIRST_S 15
#define RETRY_LEVELS 7
/* avahi-client's calls wait for avahi-daemon's answer for up to 25 s
 * (libdbus's default). What avahi-daemon said in the last 2 s shows it
 * answers; after that, a call that no event of avahi-daemon's prompted
 * waits for a liveness check (GetState, answered within 2 s, or asked
 * again every 2 s until it is). */
#define HEARD_FRESH_US (2 * G_USEC_PER_SEC)
/* Lookups that timed out are summed up this long after the first of
 * them: a flood of names that never answer is one line. */
#define UNANSWERED_WINDOW_S 15
#define CHECK_TIMEOUT_MS 2000
#define CHECK_RETRY_S 2
/* We browse as soon as avahi-daemon is there, before our own service is
 * announced: the names already announced are answered from avahi-daemon's
 * cache or within a few hundred milliseconds, while announcing a new name
 * takes a second of probing (three questions 250 ms apart, RFC 6762
 * §8.1). A peer found meanwhile gets a handshake at once (handshake.h),
 * and its WireGuard learns our endpoint from it before our announcement
 * arrives. */
/* RFC 6762 §5.4: the top bit of a question's class asks for a unicast
 * answer. For avahi-daemon it makes a key of its own (see service_kick). */
#define CLASS_IN_QU (AVAHI_DNS_CLASS_IN | 0x8000)

typedef enum {
  SERVICE_WAITING,              /* in a lane, nothing open */
  SERVICE_PROBING,              /* its browser reads avahi-daemon's cache */
  SERVICE_ASKING,               /* nothing cached: its browser waits for the network */
  SERVICE_WATCHED,              /* its browser stays open: every new TXT is judged */
} ServiceState;

/* The queues a service waits or is watched in (Service.lane). */
enum {
  LANE_KNOWN,                   /* waiting; carried a peer's record before: first in line */
  LANE_FRESH,                   /* waiting; never looked at: the newest and the oldest in turn */
  LANE_UNASKED,                 /* nothing cached: waits for room to ask the network */
  LANE_RETRY,                   /* resting, one lane per back-off level */
  LANE_WATCHED = LANE_RETRY + RETRY_LEVELS,     /* + its WgdMdnsInterest */
  N_LANES = LANE_WATCHED + WGD_MDNS_FOLLOW + 1,
  LANE_NONE = N_LANES,          /* in no lane: a lookup runs */
};

/* Whose turn it is after the known lane, in rotation. */
typedef enum {
  TURN_NEWEST,
  TURN_OLDEST,
  TURN_RETRY,
  TURN_UNASKED,
} Turn;
#define N_TURNS 4

typedef struct _Service Service;

struct _WgdMdns {
  AvahiGLibPoll *poll;
  AvahiClient *client;
  AvahiEntryGroup *group;
  AvahiServiceBrowser *browser;
  gchar *browser_type;          /* what browser browses for */
  gboolean browse;
  gchar *browse_type;           /* what to browse for: the service type or a mesh subtype */
  gboolean published;
  gboolean publication_stale;   /* avahi-daemon may not have what we publish */
  gboolean group_reset;         /* a new port or subtype: a new service */
  /* Whether group holds our service, known without asking avahi-daemon
   * (avahi_entry_group_is_empty is a call, and the re-signing of our
   * record every 300 s would wait for its answer); once a call on it
   * failed, only avahi-daemon knows (group_unsure). */
  gboolean group_filled;
  gboolean group_unsure;
  gchar *group_host;            /* the host name its SRV record names */
  guint probe_source;           /* while our service registers (see PROBE_MAX_S) */
  gboolean probe_stuck_said;
  /* What we publish, once avahi-daemon is there. */
  gchar *name;
  guint16 port;
  gchar *subtype;
  GStrv txt;
  /* Every service the browser reports, at most as many as avahi-daemon's
   * cache holds PTR records for (cache-entries-max, 4096 per interface
   * and protocol unless set). */
  GHashTable *services;         /* service_key () → Service */
  GQueue lanes[N_LANES];
  GQueue kicks;                 /* watched services to ask again */
  GQueue overdue;               /* deadlines that passed while avahi-daemon did not answer */
  guint turn;
  guint n_lookups;
  guint n_asking;
  guint n_watched;
  guint unanswered;             /* lookups that timed out in this window */
  guint unanswered_source;      /* the window's end */
  GHashTable *peer_services;    /* keys of services that carried a peer's record */
  gboolean peers_full_said;
  gboolean refusal_said;
  guint retry_source;
  gint64 retry_at;
  /* Whether avahi-daemon answers (see mdns_can_call). */
  GDBusConnection *bus;
  GCancellable *cancellable;
  gboolean answering;
  gboolean checking;
  gint64 check_started;
  gint64 heard;                 /* when avahi-daemon last said something (monotonic) */
  guint recheck_source;
  guint kick_again_source;
  AvahiRecordBrowser *browse_kick; /* asking for the names of the type again */
  guint browse_kick_deadline;
  guint kick_round;             /* the next of kick_again_s */
  guint reconnect_source;
  WgdMdnsRecordFunc on_record;
  WgdMdnsBadTxtFunc on_bad_txt;
  WgdMdnsUnansweredFunc on_unanswered;
  gpointer user_data;
};

/* One service instance as the browser reports it: each interface and
 * protocol has its own. */
struct _Service {
  WgdMdns *mdns;
  gchar *key;                   /* service_key () */
  AvahiIfIndex interface;
  AvahiProtocol protocol;
  gchar *fullname;              /* <instance>.<type>.<domain>, escaped */
  gchar ifname[IF_NAMESIZE];
  ServiceState state;
  guint lane;
  GList link;                   /* in lanes[lane] */
  WgdMdnsInterest interest;     /* the most its records claimed: in this lookup, or while watched */
  gboolean answered;            /* this lookup heard a TXT record */
  gboolean cache_read;          /* avahi-daemon read its cache for it, and asked */
  guint retries;                /* back-off level of its next rest */
  gint64 due;                   /* resting until then (monotonic) */
  AvahiRecordBrowser *browser;  /* its TXT, class IN */
  guint deadline;               /* of the lookup in flight */
  AvahiRecordBrowser *kick;
  guint kick_deadline;
  gboolean kick_wanted;
  GList kick_link;              /* in kicks */
  gboolean overdue;
  GList overdue_link;           /* in overdue */
};

static void mdns_pump (WgdMdns *mdns);
static void mdns_resume (WgdMdns *mdns);
static void mdns_check (WgdMdns *mdns);
static void mdns_kick_browse (WgdMdns *mdns);
static gboolean lookup_deadline_cb (gpointer user_data);
static void txt_callback (AvahiRecordBrowser *b, AvahiIfIndex interface, AvahiProtocol protocol,
                          AvahiBrowserEvent event, const char *name, uint16_t clazz,
                          uint16_t type, const void *rdata, size_t size,
                          AvahiLookupResultFlags flags, void *user_data);

static gchar *
service_key (AvahiIfIndex interface, AvahiProtocol protocol, const char *name,
             const char *domain)
{
  return g_strdup_printf ("%d %d %s.%s", interface, protocol, name, domain);
}

/* An instance name is the announcer's to choose: in logs, control
 * characters and backslashes are escaped, text beyond ASCII kept. */
static gchar *
service_printable (const Service *s)
{
  char name[AVAHI_LABEL_MAX];
  char type[AVAHI_DOMAIN_NAME_MAX];
  char domain[AVAHI_DOMAIN_NAME_MAX];
  g_autofree gchar *valid = NULL;
  gchar beyond_ascii[129];

  /* Not kept with each of a thousand services: made again for the
   * records judged, from the name they are looked up by. */
  if (avahi_service_name_split (s->fullname, name, sizeof name, type, sizeof type, domain,
                                sizeof domain) < 0)
    g_strlcpy (name, s->fullname, sizeof name);
  valid = g_utf8_make_valid (name, -1);

  for (guint i = 0; i < 128; i++)
    beyond_ascii[i] = (gchar) (0x80 + i);
  beyond_ascii[128] = '\0';
  return g_strescape (valid, beyond_ascii);
}

static Service *
service_new (WgdMdns *mdns, AvahiIfIndex interface, AvahiProtocol protocol, const char *name,
             const char *domain)
{
  char fullname[AVAHI_DOMAIN_NAME_MAX];
  Service *s;

  if (avahi_service_name_join (fullname, sizeof fullname, name, WGD_MDNS_SERVICE_TYPE,
                               domain) < 0)
    return NULL;
  s = g_new0 (Service, 1);
  s->mdns = mdns;
  s->key = service_key (interface, protocol, name, domain);
  s->interface = interface;
  s->protocol = protocol;
  s->fullname = g_strdup (fullname);
  if (if_indextoname ((unsigned) interface, s->ifname) == NULL)
    g_snprintf (s->ifname, sizeof s->ifname, "#%d", interface);
  s->lane = LANE_NONE;
  s->link.data = s;
  s->kick_link.data = s;
  s->overdue_link.data = s;
  return s;
}

static void
lane_enter (WgdMdns *mdns, Service *s, guint lane)
{
  s->lane = lane;
  g_queue_push_tail_link (&mdns->lanes[lane], &s->link);
}

static void
lane_leave (WgdMdns *mdns, Service *s)
{
  if (s->lane == LANE_NONE)
    return;
  g_queue_unlink (&mdns->lanes[s->lane], &s->link);
  s->lane = LANE_NONE;
}

/* Frees the service's TXT browser, whatever it was doing. */
static void
service_close (WgdMdns *mdns, Service *s)
{
  g_clear_handle_id (&s->deadline, g_source_remove);
  switch (s->state)
    {
    case SERVICE_WAITING:
      return;
    case SERVICE_ASKING:
      mdns->n_asking--;
      G_GNUC_FALLTHROUGH;
    case SERVICE_PROBING:
      mdns->n_lookups--;
      break;
    case SERVICE_WATCHED:
      lane_leave (mdns, s);
      mdns->n_watched--;
      break;
    }
  if (s->browser != NULL)
    avahi_record_browser_free (g_steal_pointer (&s->browser));
  s->state = SERVICE_WAITING;
}

static void
service_end_kick (WgdMdns *mdns, Service *s)
{
  g_clear_handle_id (&s->kick_deadline, g_source_remove);
  if (s->kick == NULL)
    return;
  avahi_record_browser_free (g_steal_pointer (&s->kick));
  mdns->n_lookups--;
}

static void
service_free (Service *s)
{
  WgdMdns *mdns = s->mdns;

  lane_leave (mdns, s);
  if (s->kick_wanted)
    g_queue_unlink (&mdns->kicks, &s->kick_link);
  if (s->overdue)
    g_queue_unlink (&mdns->overdue, &s->overdue_link);
  service_close (mdns, s);
  service_end_kick (mdns, s);
  g_free (s->key);
  g_free (s->fullname);
  g_free (s);
}

/* A service that gave nothing to watch, or found no room: looked at
 * again later, less often each time. */
static void
service_rest (WgdMdns *mdns, Service *s)
{
  guint level = MIN (s->retries, RETRY_LEVELS - 1);

  s->retries = level + 1;
  s->due = g_get_monotonic_time () + (gint64) (RETRY_FIRST_S << level) * G_USEC_PER_SEC;
  lane_enter (mdns, s, LANE_RETRY + level);
}

static void
mdns_remember_peer (WgdMdns *mdns, const gchar *key)
{
  /* Bounded: past that many, start over. */
  if (g_hash_table_size (mdns->peer_services) >= WATCHED_MAX)
    g_hash_table_remove_all (mdns->peer_services);
  g_hash_table_add (mdns->peer_services, g_strdup (key));
}

/* A place among the services watched for one of this interest: a free
 * one, or that of the one watched longest with less interest, which
 * rests and is looked at again later. */
static gboolean
mdns_make_room (WgdMdns *mdns, WgdMdnsInterest interest)
{
  if (mdns->n_watched < WATCHED_MAX)
    return TRUE;
  for (guint lane = LANE_WATCHED; lane < LANE_WATCHED + interest; lane++)
    {
      Service *weaker = g_queue_peek_head (&mdns->lanes[lane]);

      if (weaker != NULL)
        {
          service_close (mdns, weaker);
          service_rest (mdns, weaker);
          return TRUE;
        }
    }
  if (interest == WGD_MDNS_FOLLOW && !mdns->peers_full_said)
    /* Translators: "mdns:" names the part of wgdiscoverd that speaks mDNS
       through avahi-daemon; keep it at the start of its messages. */
    g_warning (_("mdns: already watching %u services of peers; the others are looked at again "
                 "from time to time instead"), WATCHED_MAX);
  mdns->peers_full_said |= interest == WGD_MDNS_FOLLOW;
  return FALSE;
}

/* A lookup heard what it could: the service is watched if it may be,
 * else it rests. */
static void
service_settle (WgdMdns *mdns, Service *s)
{
  WgdMdnsInterest interest = s->interest;

  if (interest == WGD_MDNS_FOLLOW)
    mdns_remember_peer (mdns, s->key);
  if (!mdns_make_room (mdns, interest))
    {
      service_close (mdns, s);
      service_rest (mdns, s);
      return;
    }
  g_clear_handle_id (&s->deadline, g_source_remove);
  if (s->state == SERVICE_ASKING)
    mdns->n_asking--;
  mdns->n_lookups--;
  mdns->n_watched++;
  s->state = SERVICE_WATCHED;
  s->retries = 0;
  lane_enter (mdns, s, LANE_WATCHED + interest);
}

/* A watched service's record claims more than its earlier ones. */
static void
service_rewatch (WgdMdns *mdns, Service *s, WgdMdnsInterest interest)
{
  if (interest <= s->interest)
    return;
  s->interest = interest;
  lane_leave (mdns, s);
  lane_enter (mdns, s, LANE_WATCHED + interest);
  if (interest == WGD_MDNS_FOLLOW)
    mdns_remember_peer (mdns, s->key);
}

/* avahi-daemon read its cache (and asked the network): what it had is
 * judged. With nothing, the answer is waited for while there is room,
 * else the service waits for room. */
static void
service_probed (WgdMdns *mdns, Service *s)
{
  s->cache_read = TRUE;
  if (s->answered)
    service_settle (mdns, s);
  else if (s->state == SERVICE_ASKING || mdns->n_asking < ASKING_MAX)
    {
      mdns->n_asking += s->state == SERVICE_PROBING;
      s->state = SERVICE_ASKING;
      g_clear_handle_id (&s->deadline, g_source_remove);
      s->deadline = g_timeout_add (ANSWER_MS, lookup_deadline_cb, s);
    }
  else
    {
      service_close (mdns, s);
      lane_enter (mdns, s, LANE_UNASKED);
    }
}

static gboolean
unanswered_cb (gpointer user_data)
{
  WgdMdns *mdns = user_data;
  guint unanswered = mdns->unanswered;

  mdns->unanswered_source = 0;
  mdns->unanswered = 0;
  if (mdns->on_unanswered != NULL)
    mdns->on_unanswered (unanswered, UNANSWERED_WINDOW_S, mdns->user_data);
  return G_SOURCE_REMOVE;
}

/* The lookup's deadline passed. */
static void
service_expire (WgdMdns *mdns, Service *s)
{
  if (s->answered)
    {
      service_settle (mdns, s);
      return;
    }
  if (s->cache_read && mdns->unanswered++ == 0)
    mdns->unanswered_source = g_timeout_add_seconds (UNANSWERED_WINDOW_S, unanswered_cb, mdns);
  service_close (mdns, s);
  service_rest (mdns, s);
}

/* The TXT record as strings, to the daemon: a record, or not one. */
static WgdMdnsInterest
service_judge (WgdMdns *mdns, Service *s, const void *rdata, size_t size)
{
  g_autofree gchar *printable = service_printable (s);
  WgdMdnsOrigin origin = { .service = printable, .ifindex = (guint32) s->interface,
                           .ifname = s->ifname };
  AvahiStringList *txt = NULL;
  WgdTxtItem items[TXT_ITEMS_MAX];
  gsize n = 0;
  guint8 record[WGD_RECORD_MAX];
  gsize len = 0;
  guint8 hint[WGD_KEY_LEN];
  gboolean has_hint = FALSE;
  g_autoptr (GError) error = NULL;
  WgdMdnsInterest interest = WGD_MDNS_IGNORE;

  if (size > 0 && avahi_string_list_parse (rdata, size, &txt) < 0)
    g_set_error (&error, WGD_ERROR, WGD_ERROR_MALFORMED, "bad TXT record: not a list of strings");
  else if (avahi_string_list_length (txt) > TXT_ITEMS_MAX)
    g_set_error (&error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                 "bad TXT record: %u strings, more than a record needs",
                 avahi_string_list_length (txt));
  else
    {
      for (AvahiStringList *l = txt; l != NULL; l = avahi_string_list_get_next (l))
        {
          items[n].data = avahi_string_list_get_text (l);
          items[n].len = avahi_string_list_get_size (l);
          n++;
        }
      if (wgd_txt_decode (items, n, record, &len, hint, &has_hint, &error))
        interest = mdns->on_record (record, len, has_hint ? hint : NULL, &origin,
                                    mdns->user_data);
    }
  if (error != NULL && mdns->on_bad_txt != NULL)
    mdns->on_bad_txt (error, &origin, mdns->user_data);
  avahi_string_list_free (txt);
  return interest;
}

static void
service_heard_txt (WgdMdns *mdns, Service *s, const void *rdata, size_t size)
{
  WgdMdnsInterest interest = service_judge (mdns, s, rdata, size);

  switch (s->state)
    {
    case SERVICE_PROBING:
      /* More of the cache may follow; settled once it is read. */
      s->answered = TRUE;
      s->interest = MAX (s->interest, interest);
      break;
    case SERVICE_ASKING:
      s->answered = TRUE;
      s->interest = MAX (s->interest, interest);
      service_settle (mdns, s);
      break;
    case SERVICE_WATCHED:
      service_rewatch (mdns, s, interest);
      break;
    case SERVICE_WAITING:
      break;
    }
}

static gboolean
recheck_cb (gpointer user_data)
{
  mdns_check (user_data);
  return G_SOURCE_CONTINUE;
}

/* Queues every service followed to be asked again for its TXT record
 * (service_kick); returns how many wait for that. */
static guint
mdns_kick_followed (WgdMdns *mdns)
{
  static const WgdMdnsInterest followed[] = { WGD_MDNS_FOLLOW, WGD_MDNS_FOLLOW_IF_ROOM };

  for (guint i = 0; i < G_N_ELEMENTS (followed); i++)
    for (GList *l = mdns->lanes[LANE_WATCHED + followed[i]].head; l != NULL; l = l->next)
      {
        Service *s = l->data;

        if (s->kick_wanted)
          continue;
        s->kick_wanted = TRUE;
        g_queue_push_tail_link (&mdns->kicks, &s->kick_link);
      }
  return g_queue_get_length (&mdns->kicks);
}

static gboolean
kick_again_cb (gpointer user_data)
{
  WgdMdns *mdns = user_data;

  mdns->kick_again_source = 0;
  mdns->kick_round++;
  if (mdns->kick_round < G_N_ELEMENTS (kick_again_s))
    mdns->kick_again_source =
      g_timeout_add_seconds (kick_again_s[mdns->kick_round] - kick_again_s[mdns->kick_round - 1],
                             kick_again_cb, mdns);
  mdns_kick_followed (mdns);
  mdns_kick_browse (mdns);
  mdns_pump (mdns);
  return G_SOURCE_REMOVE;
}

/* Asks the LAN afresh: the names of the type at once, the services
 * followed for their TXT records at once and again kick_again_s later.
 * Returns how many services are to be asked. */
static guint
mdns_ask_again (WgdMdns *mdns)
{
  guint followed = mdns_kick_followed (mdns);

  g_clear_handle_id (&mdns->kick_again_source, g_source_remove);
  mdns->kick_round = 0;
  mdns->kick_again_source = g_timeout_add_seconds (kick_again_s[0], kick_again_cb, mdns);
  mdns_kick_browse (mdns);
  return followed;
}

/* Whether avahi-daemon answers: it is that, or not, until an event of
 * its own or a liveness check says otherwise. Once it answers again
 * after a silence, the services followed are asked again for their TXT
 * record: what they announced meanwhile may never have reached it. */
static void
mdns_set_answering (WgdMdns *mdns, gboolean answering, const gchar *why)
{
  if (answering == mdns->answering)
    return;
  mdns->answering = answering;
  if (!answering)
    {
      g_warning (_("mdns: avahi-daemon does not answer (%s); nothing is asked of it until it "
                   "does"), why);
      g_clear_handle_id (&mdns->kick_again_source, g_source_remove);
      mdns->recheck_source = g_timeout_add_seconds (CHECK_RETRY_S, recheck_cb, mdns);
      return;
    }
  g_clear_handle_id (&mdns->recheck_source, g_source_remove);
  g_message ("mdns: avahi-daemon answers again; asking the %u services followed for what "
             "they announced meanwhile", mdns_ask_again (mdns));
}

/* avahi-daemon said something: it answers. */
static void
mdns_heard (WgdMdns *mdns)
{
  mdns->heard = g_get_monotonic_time ();
  mdns_set_answering (mdns, TRUE, NULL);
}

static void
check_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);
  WgdMdns *mdns;

  /* Cancelled: mdns is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  mdns = user_data;
  mdns->checking = FALSE;
  /* Busy with a flood, avahi-daemon may be slow to answer, but what it
   * said meanwhile shows it is there. */
  if (reply == NULL && mdns->heard < mdns->check_started)
    {
      mdns_set_answering (mdns, FALSE, error->message);
      return;
    }
  if (reply != NULL)
    mdns_heard (mdns);
  mdns_resume (mdns);
}

/* Asks avahi-daemon for its state, without waiting for the answer. */
static void
mdns_check (WgdMdns *mdns)
{
  if (mdns->bus == NULL || mdns->checking)
    return;
  mdns->checking = TRUE;
  mdns->check_started = g_get_monotonic_time ();
  g_dbus_connection_call (mdns->bus, "org.freedesktop.Avahi", "/", "org.freedesktop.Avahi.Server",
                          "GetState", NULL, G_VARIANT_TYPE ("(i)"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, CHECK_TIMEOUT_MS, mdns->cancellable,
                          check_cb, mdns);
}

/* Connected to avahi-daemon, whatever becomes of its host name. */
static gboolean
mdns_is_connected (WgdMdns *mdns)
{
  AvahiClientState state;

  if (mdns->client == NULL)
    return FALSE;
  state = avahi_client_get_state (mdns->client);
  return state == AVAHI_CLIENT_S_REGISTERING || state == AVAHI_CLIENT_S_RUNNING
         || state == AVAHI_CLIENT_S_COLLISION;
}

/* Whether avahi-client may be called now. Its calls block until
 * avahi-daemon answers, for up to 25 s: so only while avahi-daemon is
 * connected (browsing works while it registers its host name, which an
 * address change can hold up for long) and answers, and, when it last
 * said something a while ago, only after a liveness check (the work
 * resumes on its answer). */
static gboolean
mdns_can_call (WgdMdns *mdns)
{
  if (!mdns_is_connected (mdns) || !mdns->answering)
    return FALSE;
  if (mdns->bus == NULL || g_get_monotonic_time () - mdns->heard < HEARD_FRESH_US)
    return TRUE;
  mdns_check (mdns);
  return FALSE;
}

/* A call to avahi-daemon failed: if it did not answer, nothing more is
 * asked of it until it does; any other refusal is said once. */
static void
mdns_call_failed (WgdMdns *mdns, const gchar *what)
{
  int err = avahi_client_errno (mdns->client);

  if (err == AVAHI_ERR_DBUS_ERROR || err == AVAHI_ERR_TIMEOUT || err == AVAHI_ERR_DISCONNECTED
      || err == AVAHI_ERR_NO_DAEMON)
    {
      g_autofree gchar *why = g_strdup_printf ("%s: %s", what, avahi_strerror (err));

      mdns_set_answering (mdns, FALSE, why);
      return;
    }
  if (!mdns->refusal_said)
    g_warning (_("mdns: avahi-daemon refused %s: %s"), what, avahi_strerror (err));
  mdns->refusal_said = TRUE;
}

static gboolean
browse_kick_deadline_cb (gpointer user_data)
{
  WgdMdns *mdns = user_data;

  /* Freeing it is a call to avahi-daemon: only once it answers. */
  if (!mdns_can_call (mdns))
    return G_SOURCE_CONTINUE;
  mdns->browse_kick_deadline = 0;
  avahi_record_browser_free (g_steal_pointer (&mdns->browse_kick));
  return G_SOURCE_REMOVE;
}

static void
browse_kick_callback (AvahiRecordBrowser *b, AvahiIfIndex interface, AvahiProtocol protocol,
                      AvahiBrowserEvent event, const char *name, uint16_t clazz, uint16_t type,
                      const void *rdata, size_t size, AvahiLookupResultFlags flags,
                      void *user_data)
{
  WgdMdns *mdns = user_data;

  mdns_heard (mdns);
  /* Its cache read, avahi-daemon asks now (see KICK_MS). */
  if (event == AVAHI_BROWSER_CACHE_EXHAUSTED && mdns->browse_kick_deadline != 0)
    {
      g_source_remove (mdns->browse_kick_deadline);
      mdns->browse_kick_deadline = g_timeout_add (KICK_MS, browse_kick_deadline_cb, mdns);
    }
}

/* Asks for the names of the type browsed for, as service_kick asks for a
 * TXT record: at once, without known answers. A peer that took another
 * name while avahi-daemon did not listen (a name conflict after its
 * address moved: "h2 #2") is otherwise heard of only when avahi-daemon's
 * own browser asks again, which may be an hour away. The answers land in
 * its cache, where the service browser sees the new names. */
static void
mdns_kick_browse (WgdMdns *mdns)
{
  g_autofree gchar *name = NULL;

  if (mdns->browser_type == NULL || mdns->browse_kick != NULL || !mdns_can_call (mdns))
    return;
  name = g_strdup_printf ("%s.local", mdns->browser_type);
  mdns->browse_kick = avahi_record_browser_new (mdns->client, AVAHI_IF_UNSPEC,
                                                AVAHI_PROTO_UNSPEC, name, CLASS_IN_QU,
                                                AVAHI_DNS_TYPE_PTR, 0, browse_kick_callback, mdns);
  if (mdns->browse_kick == NULL)
    {
      mdns_call_failed (mdns, "a question for new names");
      return;
    }
  mdns_heard (mdns);
  mdns->browse_kick_deadline = g_timeout_add (CACHE_MS, browse_kick_deadline_cb, mdns);
}

/* The deadline of something in flight passed while avahi-daemon could
 * not be called: it is ended once it can. */
static void
service_defer (WgdMdns *mdns, Service *s)
{
  if (s->overdue)
    return;
  s->overdue = TRUE;
  g_queue_push_tail_link (&mdns->overdue, &s->overdue_link);
}

/* A deadline passed: end what it was for (end), now if avahi-daemon can
 * be called, else once it can (mdns_end_overdue). */
static gboolean
service_deadline_passed (Service *s, guint *source, void (*end) (WgdMdns *, Service *))
{
  WgdMdns *mdns = s->mdns;

  *source = 0;
  if (!mdns_can_call (mdns))
    service_defer (mdns, s);
  else
    {
      end (mdns, s);
      mdns_pump (mdns);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
lookup_deadline_cb (gpointer user_data)
{
  Service *s = user_data;

  return service_deadline_passed (s, &s->deadline, service_expire);
}

static gboolean
kick_deadline_cb (gpointer user_data)
{
  Service *s = user_data;

  return service_deadline_passed (s, &s->kick_deadline, service_end_kick);
}

static void
mdns_end_overdue (WgdMdns *mdns)
{
  GList *link;

  if (!mdns_can_call (mdns))
    return;
  while (mdns->answering && (link = g_queue_pop_head_link (&mdns->overdue)) != NULL)
    {
      Service *s = link->data;

      s->overdue = FALSE;
      if ((s->state == SERVICE_PROBING || s->state == SERVICE_ASKING) && s->deadline == 0)
        service_expire (mdns, s);
      if (s->kick != NULL && s->kick_deadline == 0)
        service_end_kick (mdns, s);
    }
}

/* Reads the service's TXT record from avahi-daemon's cache, then, if
 * there was none, waits for it from the network. With ask (nothing was
 * cached before), it takes a place among those that wait from the start. */
static void
service_look_up (WgdMdns *mdns, Service *s, gboolean ask)
{
  s->browser = avahi_record_browser_new (mdns->client, s->interface, s->protocol, s->fullname,
                                         AVAHI_DNS_CLASS_IN, AVAHI_DNS_TYPE_TXT, 0, txt_callback,
                                         s);
  if (s->browser == NULL)
    {
      /* Translators: what avahi-daemon refused, in "mdns: avahi-daemon refused %s: %s". */
      mdns_call_failed (mdns, _("a TXT lookup"));
      service_rest (mdns, s);
      return;
    }
  mdns_heard (mdns);
  mdns->refusal_said = FALSE;
  s->state = ask ? SERVICE_ASKING : SERVICE_PROBING;
  s->answered = FALSE;
  s->cache_read = FALSE;
  s->interest = WGD_MDNS_IGNORE;
  mdns->n_lookups++;
  mdns->n_asking += ask;
  s->deadline = g_timeout_add (CACHE_MS, lookup_deadline_cb, s);
}

static void
kick_callback (AvahiRecordBrowser *b, AvahiIfIndex interface, AvahiProtocol protocol,
               AvahiBrowserEvent event, const char *name, uint16_t clazz, uint16_t type,
               const void *rdata, size_t size, AvahiLookupResultFlags flags, void *user_data)
{
  Service *s = user_data;

  mdns_heard (s->mdns);
  /* Its cache read, avahi-daemon asks now. */
  if (event == AVAHI_BROWSER_CACHE_EXHAUSTED && s->kick_deadline != 0)
    {
      g_source_remove (s->kick_deadline);
      s->kick_deadline = g_timeout_add (KICK_MS, kick_deadline_cb, s);
    }
}

/* Asks a watched service's TXT record again, with no answer known. A new
 * browser for the TXT would not: avahi-daemon keeps one querier per key
 * and interface, shared by every browser of it, and keeps it after its
 * last browser went until it would ask next (avahi-core/querier.c), so a
 * new browser of the same key often asks nothing. With the unicast bit
 * in its class (RFC 6762 §5.4) the question is a key of its own to
 * avahi-daemon: it asks at once, without known answers, the responder
 * answers with its TXT record of class IN, and the watching browser
 * hears it if it is new. */
static void
service_kick (WgdMdns *mdns, Service *s)
{
  if (s->state != SERVICE_WATCHED || s->kick != NULL)
    return;
  s->kick = avahi_record_browser_new (mdns->client, s->interface, s->protocol, s->fullname,
                                      CLASS_IN_QU, AVAHI_DNS_TYPE_TXT, 0, kick_callback, s);
  if (s->kick == NULL)
    {
      mdns_call_failed (mdns, _("a TXT question"));
      return;
    }
  mdns_heard (mdns);
  mdns->n_lookups++;
  s->kick_deadline = g_timeout_add (CACHE_MS, kick_deadline_cb, s);
}

/* The resting service due first, if one is due. */
static Service *
mdns_next_due (WgdMdns *mdns)
{
  gint64 now = g_get_monotonic_time ();
  Service *due = NULL;

  for (guint level = 0; level < RETRY_LEVELS; level++)
    {
      Service *s = g_queue_peek_head (&mdns->lanes[LANE_RETRY + level]);

      if (s != NULL && s->due <= now && (due == NULL || s->due < due->due))
        due = s;
    }
  return due;
}

/* The next service to look up: one that was a peer's, else in turn the
 * newest name (a host that just started), the oldest (nothing waits
 * forever), one whose rest is over, and one to ask the network about. */
static Service *
mdns_next_waiting (WgdMdns *mdns, gboolean *ask)
{
  GQueue *fresh = &mdns->lanes[LANE_FRESH];

  *ask = FALSE;
  if (!g_queue_is_empty (&mdns->lanes[LANE_KNOWN]))
    return g_queue_peek_head (&mdns->lanes[LANE_KNOWN]);
  for (guint i = 0; i < N_TURNS; i++)
    {
      Service *s = NULL;

      switch ((Turn) (mdns->turn++ % N_TURNS))
        {
        case TURN_NEWEST:
          s = g_queue_peek_tail (fresh);
          break;
        case TURN_OLDEST:
          s = g_queue_peek_head (fresh);
          break;
        case TURN_RETRY:
          s = mdns_next_due (mdns);
          break;
        case TURN_UNASKED:
          if (mdns->n_asking < ASKING_MAX)
            s = g_queue_peek_head (&mdns->lanes[LANE_UNASKED]);
          *ask = s != NULL;
          break;
        }
      if (s != NULL)
        return s;
    }
  return NULL;
}

static gboolean
retry_cb (gpointer user_data)
{
  WgdMdns *mdns = user_data;

  mdns->retry_source = 0;
  mdns_pump (mdns);
  return G_SOURCE_REMOVE;
}

/* Wakes up when the first resting service is due (whole seconds: a
 * flood's rests end together). */
static void
mdns_arm_retry (WgdMdns *mdns)
{
  gint64 next = G_MAXINT64;
  gint64 wait;

  for (guint level = 0; level < RETRY_LEVELS; level++)
    {
      Service *s = g_queue_peek_head (&mdns->lanes[LANE_RETRY + level]);

      if (s != NULL)
        next = MIN (next, s->due);
    }
  if (next == G_MAXINT64 || (mdns->retry_source != 0 && mdns->retry_at <= next))
    return;
  g_clear_handle_id (&mdns->retry_source, g_source_remove);
  mdns->retry_at = next;
  wait = (next - g_get_monotonic_time () + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  mdns->retry_source = g_timeout_add_seconds ((guint) CLAMP (wait, 1, G_MAXUINT), retry_cb, mdns);
}

/* Starts what waits, while there is room: kicks first, then lookups. */
static void
mdns_pump (WgdMdns *mdns)
{
  if (!mdns_can_call (mdns))
    return;
  while (mdns->answering && mdns->n_lookups < LOOKUPS_MAX)
    {
      GList *kick = g_queue_pop_head_link (&mdns->kicks);
      Service *s;
      gboolean ask;

      if (kick != NULL)
        {
          s = kick->data;
          s->kick_wanted = FALSE;
          service_kick (mdns, s);
          continue;
        }
      s = mdns_next_waiting (mdns, &ask);
      if (s == NULL)
        break;
      lane_leave (mdns, s);
      service_look_up (mdns, s, ask);
    }
  mdns_arm_retry (mdns);
}

static void
txt_callback (AvahiRecordBrowser *b, AvahiIfIndex interface, AvahiProtocol protocol,
              AvahiBrowserEvent event, const char *name, uint16_t clazz, uint16_t type,
              const void *rdata, size_t size, AvahiLookupResultFlags flags, void *user_data)
{
  Service *s = user_data;
  WgdMdns *mdns = s->mdns;

  mdns_heard (mdns);
  switch (event)
    {
    case AVAHI_BROWSER_NEW:
      service_heard_txt (mdns, s, rdata, size);
      break;
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
      if ((s->state == SERVICE_PROBING || s->state == SERVICE_ASKING) && !s->cache_read)
        service_probed (mdns, s);
      break;
    case AVAHI_BROWSER_FAILURE:
      service_close (mdns, s);
      service_rest (mdns, s);
      break;
    case AVAHI_BROWSER_REMOVE:
      /* Gone from the cache: the endpoints it gave age out on their own. */
    case AVAHI_BROWSER_ALL_FOR_NOW:
      /* Our deadline decides: a querier avahi-daemon kept from before
       * says this at once. */
      break;
    }
  mdns_resume (mdns);
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
static void mdns_sync_publication (WgdMdns *mdns);

static gboolean
probe_over_cb (gpointer user_data)
{
  WgdMdns *mdns = user_data;

  mdns->probe_source = 0;
  if (!mdns->probe_stuck_said)
    g_message (_("mdns: avahi-daemon did not finish registering '%s' within %d s; adding it "
                 "anew"), mdns->name, PROBE_MAX_S);
  mdns->probe_stuck_said = TRUE;
  mdns->group_reset = TRUE;
  mdns->publication_stale = TRUE;
  mdns_sync_publication (mdns);
  return G_SOURCE_REMOVE;
}

static void
group_callback (AvahiEntryGroup *group, AvahiEntryGroupState state, void *user_data)
{
  WgdMdns *mdns = user_data;

  mdns_heard (mdns);
  if (state != AVAHI_ENTRY_GROUP_REGISTERING)
    g_clear_handle_id (&mdns->probe_source, g_source_remove);
  switch (state)
    {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
      mdns->published = TRUE;
      mdns->probe_stuck_said = FALSE;
      g_info ("mdns: published '%s' on port %u", mdns->name, mdns->port);
      break;
    case AVAHI_ENTRY_GROUP_COLLISION:
      {
        gchar *alt = avahi_alternative_service_name (mdns->name);

        g_message (_("mdns: service name '%s' is taken; publishing as '%s'"), mdns->name, alt);
        g_free (mdns->name);
        mdns->name = g_strdup (alt);
        avahi_free (alt);
        if (avahi_entry_group_reset (group) != AVAHI_OK)
          mdns->group_unsure = TRUE;
        mdns->group_filled = FALSE;
        mdns->published = FALSE;
        mdns_register (mdns);
      }
      break;
    case AVAHI_ENTRY_GROUP_FAILURE:
      g_warning (_("mdns: publishing failed: %s"),
                 avahi_strerror (avahi_client_errno (avahi_entry_group_get_client (group))));
      mdns->published = FALSE;
      break;
    case AVAHI_ENTRY_GROUP_REGISTERING:
      if (mdns->probe_source == 0)
        mdns->probe_source = g_timeout_add_seconds (PROBE_MAX_S, probe_over_cb, mdns);
      break;
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
      break;
    }
}

static void
mdns_register (WgdMdns *mdns)
{
  AvahiStringList *txt;
  gboolean filled;
  int err;

  if (mdns->name == NULL)
    return;
  if (mdns->group == NULL)
    {
      mdns->group = avahi_entry_group_new (mdns->client, group_callback, mdns);
      mdns->group_filled = FALSE;
      mdns->group_unsure = FALSE;
    }
  if (mdns->group == NULL)
    {
      mdns_call_failed (mdns, _("an entry group"));
      mdns->publication_stale = TRUE;
      return;
    }
  txt = txt_to_strlst (mdns->txt);
  filled = mdns->group_unsure ? avahi_entry_group_is_empty (mdns->group) == 0 : mdns->group_filled;
  mdns->group_unsure = FALSE;
  if (filled)
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
      mdns->group_filled = err == AVAHI_OK;
      if (err == AVAHI_OK && mdns->subtype != NULL)
        err = avahi_entry_group_add_service_subtype (mdns->group, AVAHI_IF_UNSPEC,
                                                     AVAHI_PROTO_UNSPEC, 0, mdns->name,
                                                     WGD_MDNS_SERVICE_TYPE, NULL, mdns->subtype);
      if (err == AVAHI_OK)
        err = avahi_entry_group_commit (mdns->group);
      g_free (mdns->group_host);
      mdns->group_host = g_strdup (avahi_client_get_host_name_fqdn (mdns->client));
    }
  avahi_string_list_free (txt);
  if (err == AVAHI_ERR_COLLISION)
    group_callback (mdns->group, AVAHI_ENTRY_GROUP_COLLISION, mdns);
  else if (err == AVAHI_ERR_DBUS_ERROR || err == AVAHI_ERR_TIMEOUT)
    {
      mdns_call_failed (mdns, _("publishing"));
      mdns->publication_stale = TRUE;
      mdns->group_unsure = TRUE;
    }
  else if (err != AVAHI_OK)
    g_warning (_("mdns: cannot publish '%s': %s"), mdns->name, avahi_strerror (err));
}

/* Brings avahi-daemon up to what we publish, once it can be asked:
 * also while it registers its host name, which avahi-daemon 0.8 can hold
 * up for good (an interface that goes while its address record is
 * probed leaves it registering: avahi commit cb15988c, not in 0.8). The
 * signed record in the TXT is all a peer needs; the SRV record names the
 * host name of the moment, and a service is added anew when that
 * changed (see client_callback). */
static void
mdns_sync_publication (WgdMdns *mdns)
{
  if (!mdns->publication_stale || !mdns_can_call (mdns))
    return;
  mdns->publication_stale = FALSE;
  if (mdns->group != NULL && (mdns->group_reset || mdns->name == NULL))
    {
      if (avahi_entry_group_reset (mdns->group) != AVAHI_OK)
        mdns->group_unsure = TRUE;
      mdns->group_filled = FALSE;
      mdns->published = FALSE;
      g_clear_pointer (&mdns->group_host, g_free);
      g_clear_handle_id (&mdns->probe_source, g_source_remove);
    }
  mdns->group_reset = FALSE;
  mdns_register (mdns);
}

static void
mdns_add_service (WgdMdns *mdns, AvahiIfIndex interface, AvahiProtocol protocol,
                  const char *name, const char *domain)
{
  g_autofree gchar *key = service_key (interface, protocol, name, domain);
  Service *s;

  if (g_hash_table_contains (mdns->services, key))
    return;
  s = service_new (mdns, interface, protocol, name, domain);
  if (s == NULL)
    {
      g_debug ("mdns: '%s' makes no DNS name; passed over", name);
      return;
    }
  g_hash_table_insert (mdns->services, s->key, s);
  lane_enter (mdns, s, g_hash_table_contains (mdns->peer_services, s->key) ? LANE_KNOWN
                                                                          : LANE_FRESH);
}

static void
browse_callback (AvahiServiceBrowser *b, AvahiIfIndex interface, AvahiProtocol protocol,
                 AvahiBrowserEvent event, const char *name, const char *type,
                 const char *domain, AvahiLookupResultFlags flags, void *user_data)
{
  WgdMdns *mdns = user_data;

  mdns_heard (mdns);
  switch (event)
    {
    case AVAHI_BROWSER_NEW:
      if (!(flags & AVAHI_LOOKUP_RESULT_OUR_OWN))
        mdns_add_service (mdns, interface, protocol, name, domain);
      break;
    case AVAHI_BROWSER_REMOVE:
      {
        g_autofree gchar *key = service_key (interface, protocol, name, domain);

        /* Its candidates age out on their own; only the lookups go. */
        g_hash_table_remove (mdns->services, key);
      }
      break;
    case AVAHI_BROWSER_FAILURE:
      /* A failed browser is dead: the next check makes a new one. */
      g_warning (_("mdns: browsing failed: %s"), avahi_strerror (avahi_client_errno (mdns->client)));
      if (b == mdns->browser)
        {
          mdns->browser = NULL;
          g_clear_pointer (&mdns->browser_type, g_free);
        }
      avahi_service_browser_free (b);
      break;
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
    case AVAHI_BROWSER_ALL_FOR_NOW:
      break;
    }
  mdns_resume (mdns);
}

/* Brings the service browser up to what is to be browsed for. */
static void
mdns_sync_browsing (WgdMdns *mdns)
{
  gboolean right = mdns->browser != NULL ? mdns->browse
                                           && g_strcmp0 (mdns->browser_type,
                                                         mdns->browse_type) == 0
                                         : !mdns->browse;

  if (right || !mdns_can_call (mdns))
    return;
  if (mdns->browser != NULL)
    {
      avahi_service_browser_free (g_steal_pointer (&mdns->browser));
      g_clear_pointer (&mdns->browser_type, g_free);
    }
  if (!mdns->browse)
    return;
  mdns->browser = avahi_service_browser_new (mdns->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                             mdns->browse_type, NULL, 0, browse_callback, mdns);
  if (mdns->browser == NULL)
    mdns_call_failed (mdns, "browsing");
  else
    mdns->browser_type = g_strdup (mdns->browse_type);
}

/* Everything that waited for avahi-daemon to answer; browsing first,
 * as its answers come first. */
static void
mdns_resume (WgdMdns *mdns)
{
  mdns_sync_browsing (mdns);
  mdns_sync_publication (mdns);
  mdns_end_overdue (mdns);
  mdns_pump (mdns);
}

/* Everything that belonged to a connection to avahi-daemon. Not
 * connected, avahi-client frees its objects without asking it. */
static void
mdns_drop_connection_state (WgdMdns *mdns)
{
  g_hash_table_remove_all (mdns->services);
  g_clear_handle_id (&mdns->retry_source, g_source_remove);
  if (mdns->browser != NULL)
    avahi_service_browser_free (g_steal_pointer (&mdns->browser));
  g_clear_pointer (&mdns->browser_type, g_free);
  g_clear_handle_id (&mdns->browse_kick_deadline, g_source_remove);
  if (mdns->browse_kick != NULL)
    avahi_record_browser_free (g_steal_pointer (&mdns->browse_kick));
  if (mdns->group != NULL)
    avahi_entry_group_free (g_steal_pointer (&mdns->group));
  mdns->published = FALSE;
  mdns->publication_stale = TRUE;
  mdns->group_reset = FALSE;
  g_clear_pointer (&mdns->group_host, g_free);
  g_clear_handle_id (&mdns->probe_source, g_source_remove);
}

/* avahi-daemon is there: what we publish goes to it, and browsing
 * starts at once. */
static void
mdns_connected (WgdMdns *mdns)
{
  mdns_heard (mdns);
  mdns->publication_stale = TRUE;
  mdns_resume (mdns);
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
      g_warning (_("mdns: cannot talk to avahi-daemon: %s; retrying in 5 s"), avahi_strerror (err));
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
      g_message (_("mdns: connected to avahi-daemon (host name %s)"),
                 avahi_client_get_host_name_fqdn (client));
      /* A conflict renamed the host: the SRV record names the new name. */
      if (mdns->group_host != NULL
          && g_strcmp0 (mdns->group_host, avahi_client_get_host_name_fqdn (client)) != 0)
        mdns->group_reset = TRUE;
      mdns_connected (mdns);
      break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
      /* Our service stays: see mdns_sync_publication. */
      mdns_connected (mdns);
      break;
    case AVAHI_CLIENT_FAILURE:
      /* The objects of the old connection died with it. A client that
       * lost the daemon does not come back by itself: a new one, made
       * with AVAHI_CLIENT_NO_FAIL, waits for the daemon to return. */
      g_warning (_("mdns: lost avahi-daemon: %s; waiting for it to come back"),
                 avahi_strerror (avahi_client_errno (client)));
      mdns_drop_connection_state (mdns);
      if (mdns->reconnect_source == 0)
        mdns->reconnect_source = g_idle_add_full (G_PRIORITY_DEFAULT, mdns_reconnect, mdns, NULL);
      break;
    case AVAHI_CLIENT_CONNECTING:
      g_info ("mdns: waiting for avahi-daemon");
      mdns_drop_connection_state (mdns);
      break;
    }
}

static void
bus_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *bus = g_bus_get_finish (result, &error);
  WgdMdns *mdns;

  /* Cancelled: mdns is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  mdns = user_data;
  if (bus == NULL)
    {
      g_warning (_("mdns: no system bus to check on avahi-daemon (%s): a stopped avahi-daemon "
                   "will hold wgdiscoverd up"), error->message);
      return;
    }
  /* The bus going away is avahi-client's to notice, not a reason to exit. */
  g_dbus_connection_set_exit_on_close (bus, FALSE);
  mdns->bus = bus;
}

WgdMdns *
wgd_mdns_new (WgdMdnsRecordFunc on_record, WgdMdnsBadTxtFunc on_bad_txt,
              WgdMdnsUnansweredFunc on_unanswered, gpointer user_data, GError **error)
{
  g_autoptr (WgdMdns) mdns = g_new0 (WgdMdns, 1);
  int err = 0;

  mdns->on_record = on_record;
  mdns->on_bad_txt = on_bad_txt;
  mdns->on_unanswered = on_unanswered;
  mdns->user_data = user_data;
  mdns->browse = TRUE;
  mdns->browse_type = g_strdup (WGD_MDNS_SERVICE_TYPE);
  mdns->answering = TRUE;
  mdns->services = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) service_free);
  for (guint i = 0; i < N_LANES; i++)
    g_queue_init (&mdns->lanes[i]);
  g_queue_init (&mdns->kicks);
  g_queue_init (&mdns->overdue);
  mdns->peer_services = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  mdns->cancellable = g_cancellable_new ();
  g_bus_get (G_BUS_TYPE_SYSTEM, mdns->cancellable, bus_ready_cb, mdns);
  mdns->poll = avahi_glib_poll_new (NULL, G_PRIORITY_DEFAULT);
  mdns->client = avahi_client_new (avahi_glib_poll_get (mdns->poll), AVAHI_CLIENT_NO_FAIL,
                                   client_callback, mdns, &err);
  if (mdns->client == NULL)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, _("cannot talk to avahi-daemon: %s"),
                   avahi_strerror (err));
      return NULL;
    }
  return g_steal_pointer (&mdns);
}

void
wgd_mdns_free (WgdMdns *mdns)
{
  GHashTableIter iter;
  gpointer value;

  if (mdns == NULL)
    return;
  g_cancellable_cancel (mdns->cancellable);
  g_clear_handle_id (&mdns->reconnect_source, g_source_remove);
  g_clear_handle_id (&mdns->recheck_source, g_source_remove);
  g_clear_handle_id (&mdns->kick_again_source, g_source_remove);
  g_clear_handle_id (&mdns->browse_kick_deadline, g_source_remove);
  g_clear_handle_id (&mdns->probe_source, g_source_remove);
  g_clear_handle_id (&mdns->retry_source, g_source_remove);
  g_clear_handle_id (&mdns->unanswered_source, g_source_remove);
  /* avahi-client closes the connection first and frees every object
   * of it without asking avahi-daemon, which may not answer. */
  if (mdns->client != NULL)
    avahi_client_free (mdns->client);
  g_hash_table_iter_init (&iter, mdns->services);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Service *s = value;

      s->browser = NULL;
      s->kick = NULL;
    }
  g_hash_table_unref (mdns->services);
  g_hash_table_unref (mdns->peer_services);
  g_clear_object (&mdns->bus);
  g_clear_object (&mdns->cancellable);
  if (mdns->poll != NULL)
    avahi_glib_poll_free (mdns->poll);
  g_free (mdns->browser_type);
  g_free (mdns->group_host);
  g_free (mdns->name);
  g_free (mdns->subtype);
  g_strfreev (mdns->txt);
  g_free (mdns->browse_type);
  g_free (mdns);
}

void
wgd_mdns_publish (WgdMdns *mdns, const gchar *name, guint16 port, const gchar *subtype,
                  const guint8 *record, gsize len, const guint8 wg_key[WGD_KEY_LEN])
{
  /* A new port or subtype is a new service; a new record only a new TXT. */
  mdns->group_reset |= mdns->port != port || g_strcmp0 (mdns->subtype, subtype) != 0;
  if (mdns->name == NULL)
    mdns->name = g_strdup (name);
  mdns->port = port;
  g_free (mdns->subtype);
  mdns->subtype = g_strdup (subtype);
  g_strfreev (mdns->txt);
  mdns->txt = wgd_txt_encode (record, len, wg_key);
  mdns->publication_stale = TRUE;
  mdns_sync_publication (mdns);
}

void
wgd_mdns_withdraw (WgdMdns *mdns)
{
  mdns->published = FALSE;
  g_clear_pointer (&mdns->name, g_free);
  mdns->publication_stale = TRUE;
  mdns_sync_publication (mdns);
}

guint
wgd_mdns_ask_again (WgdMdns *mdns)
{
  guint followed;

  /* Not answering: it asks again by itself once avahi-daemon answers. */
  if (!mdns->answering)
    return 0;
  followed = mdns_ask_again (mdns);
  mdns_pump (mdns);
  return followed;
}

void
wgd_mdns_set_browsing (WgdMdns *mdns, gboolean browse, const gchar *subtype)
{
  mdns->browse = browse;
  g_free (mdns->browse_type);
  mdns->browse_type = g_strdup (subtype != NULL ? subtype : WGD_MDNS_SERVICE_TYPE);
  mdns_sync_browsing (mdns);
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
