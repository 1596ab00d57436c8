/* resolver.c — c-ares on the GLib main loop.
 *
 * One c-ares channel per resolver, carried by one GSource: every socket
 * c-ares opens is a unix fd of that source (ares_set_socket_state_cb
 * says which and whether to watch for reading or writing), and the
 * source's ready time is c-ares's next timeout, or none while nothing is
 * pending, so an idle resolver neither polls nor wakes up. c-ares closes
 * its sockets when no query is left (no ARES_FLAG_STAYOPEN).
 *
 * c-ares 1.18 (Debian 12) shapes a few things here. An IPv4 literal
 * looked up with AF_UNSPEC still goes to DNS (its fake_addrinfo() lets the
 * IPv6 test override the IPv4 one), so literals never reach it. Its
 * ares_getaddrinfo() appends resolv.conf's search domains even to a
 * dotted name that got NXDOMAIN and ignores ARES_FLAG_NOSEARCH, so the
 * channel gets an empty domain list. A SERVFAIL or REFUSED from every
 * server ends as ARES_ECONNREFUSED (ARES_FLAG_NOCHECKRESP would keep the
 * code but stop the failover to the next server), so all of these are
 * one error, WGD_RESOLVER_ERROR_SERVER_FAILED. There is no ares_reinit():
 * a reload makes a new channel. An address's TTL is its record's, not
 * the CNAMEs' that led to it; the smallest along the chain is taken here.
 *
 * Answers are collected in c-ares's callback and handed on only after
 * ares_process_fd() has returned, so a caller may look up, cancel, reload
 * or free the resolver from its callback. */
#include "config.h"

#include <ares.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "resolver.h"
#include "wgd-error.h"

G_DEFINE_QUARK (wgd-resolver-error-quark, wgd_resolver_error)

/* Per try; c-ares doubles it for each round through the servers, so a
 * single dead server gives WGD_RESOLVER_ERROR_TIMEOUT after 2 + 4 s. */
#define RESOLVER_TIMEOUT_MS 2000
#define RESOLVER_TRIES 2

typedef enum {
  LOOKUP_QUERYING,              /* c-ares has it */
  LOOKUP_ANSWERED,              /* in completed, for the main loop */
  LOOKUP_CANCELLED,             /* c-ares still has it; freed when it ends */
} LookupState;

struct _WgdResolverLookup {
  WgdResolver *resolver;
  gchar *host;                  /* as the caller wrote it, for messages */
  gchar *query;                 /* what goes to c-ares: ASCII (IDNA) */
  WgdResolverFunc func;
  gpointer user_data;
  LookupState state;
  GArray *addresses;            /* the answer, or */
  GError *error;
};

struct _WgdResolver {
  gint refs;                    /* the owner's, and a dispatch's running */
  ares_channel channel;         /* NULL once freed */
  gchar *resolv_conf;           /* NULL: c-ares's own (/etc/resolv.conf) */
  GSource *source;
  GHashTable *sockets;          /* fd → the source's tag for it */
  GHashTable *pending;          /* lookups given out: neither answered nor cancelled */
  GQueue completed;             /* answered lookups, in order */
  gboolean discarding;          /* destroying a channel: its answers are not ours */
};

typedef struct {
  GSource source;
  WgdResolver *resolver;
} ResolverSource;

typedef struct {
  int fd;
  GIOCondition revents;
} ReadyFd;

static void
address_clear (gpointer data)
{
  WgdResolverAddress *a = data;

  g_clear_object (&a->address);
}

static GArray *
addresses_new (void)
{
  GArray *addresses = g_array_new (FALSE, FALSE, sizeof (WgdResolverAddress));

  g_array_set_clear_func (addresses, address_clear);
  return addresses;
}

static void
addresses_add (GArray *addresses, GInetAddress *address, guint32 ttl)
{
  WgdResolverAddress a = {
    .address = address,
    .family = g_inet_address_get_family (address),
    .ttl = ttl,
  };

  g_array_append_val (addresses, a);
}

/* RFC 2181 §8: a TTL with its top bit set counts as zero. */
static guint32
ttl_from_wire (int ttl)
{
  return ttl < 0 ? 0 : (guint32) ttl;
}

static GArray *
addresses_from_addrinfo (const struct ares_addrinfo *result)
{
  GArray *addresses = addresses_new ();
  guint32 chain_ttl = G_MAXUINT32;

  for (const struct ares_addrinfo_cname *c = result->cnames; c != NULL; c = c->next)
    chain_ttl = MIN (chain_ttl, ttl_from_wire (c->ttl));
  for (const struct ares_addrinfo_node *n = result->nodes; n != NULL; n = n->ai_next)
    {
      GInetAddress *address;

      if (n->ai_family == AF_INET && n->ai_addrlen >= sizeof (struct sockaddr_in))
        address = g_inet_address_new_from_bytes (
          (const guint8 *) &((const struct sockaddr_in *) (gconstpointer) n->ai_addr)->sin_addr,
          G_SOCKET_FAMILY_IPV4);
      else if (n->ai_family == AF_INET6 && n->ai_addrlen >= sizeof (struct sockaddr_in6))
        address = g_inet_address_new_from_bytes (
          (const guint8 *) &((const struct sockaddr_in6 *) (gconstpointer) n->ai_addr)->sin6_addr,
          G_SOCKET_FAMILY_IPV6);
      else
        continue;
      addresses_add (addresses, address, MIN (ttl_from_wire (n->ai_ttl), chain_ttl));
    }
  return addresses;
}

static GError *
lookup_error_new (const gchar *host, int status)
{
  switch (status)
    {
    case ARES_ENOTFOUND:
      return g_error_new (WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_NOT_FOUND,
                          "%s: no such name in DNS (NXDOMAIN)", host);
    case ARES_ENODATA:
      return g_error_new (WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_NO_DATA,
                          "%s: the name has no address (no A or AAAA record)", host);
    case ARES_ETIMEOUT:
      return g_error_new (WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_TIMEOUT,
                          "%s: no DNS server answered in time", host);
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_ECONNREFUSED:
    case ARES_ENOTIMP:
    case ARES_EFORMERR:
    case ARES_EBADRESP:
      return g_error_new (WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_SERVER_FAILED,
                          "%s: the DNS servers failed, refused or could not be reached (%s)",
                          host, ares_strerror (status));
    case ARES_EBADNAME:
      return g_error_new (WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_INVALID_NAME,
                          "%s: not a host name (%s)", host, ares_strerror (status));
    default:
      return g_error_new (WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_FAILED,
                          "%s: the lookup failed (%s)", host, ares_strerror (status));
    }
}

static void
lookup_free (WgdResolverLookup *l)
{
  g_free (l->host);
  g_free (l->query);
  g_clear_pointer (&l->addresses, g_array_unref);
  g_clear_error (&l->error);
  g_free (l);
}

static void
resolver_schedule (WgdResolver *r)
{
  struct timeval tv;
  struct timeval *next;

  if (!g_queue_is_empty (&r->completed))
    {
      g_source_set_ready_time (r->source, 0);
      return;
    }
  next = ares_timeout (r->channel, NULL, &tv);
  if (next == NULL)
    g_source_set_ready_time (r->source, -1);
  else
    /* ares_timeout() rounds down to the millisecond: one more, or the
     * source wakes just before the timeout, for nothing. */
    g_source_set_ready_time (r->source, g_get_monotonic_time () + 1000
                             + (gint64) next->tv_sec * G_USEC_PER_SEC + next->tv_usec);
}

static void
lookup_answer (WgdResolverLookup *l, GArray *addresses, GError *error)
{
  l->addresses = addresses;
  l->error = error;
  l->state = LOOKUP_ANSWERED;
  g_queue_push_tail (&l->resolver->completed, l);
  g_source_set_ready_time (l->resolver->source, 0);
}

static void
lookup_on_addrinfo (void *arg, int status, int timeouts, struct ares_addrinfo *result)
{
  WgdResolverLookup *l = arg;

  if (l->state == LOOKUP_CANCELLED)
    lookup_free (l);
  else if (!l->resolver->discarding)
    {
      g_autoptr (GArray) addresses = NULL;

      if (status == ARES_SUCCESS)
        addresses = addresses_from_addrinfo (result);
      if (addresses != NULL && addresses->len > 0)
        lookup_answer (l, g_steal_pointer (&addresses), NULL);
      else
        lookup_answer (l, NULL, lookup_error_new (l->host,
                                                  status == ARES_SUCCESS ? ARES_ENODATA : status));
    }
  ares_freeaddrinfo (result);
}

static void
lookup_query (WgdResolverLookup *l)
{
  const struct ares_addrinfo_hints hints = {
    /* Which address works is the caller's to find, not RFC 6724's. */
    .ai_flags = ARES_AI_NOSORT,
    .ai_family = AF_UNSPEC,
  };

  l->state = LOOKUP_QUERYING;
  ares_getaddrinfo (l->resolver->channel, l->query, NULL, &hints, lookup_on_addrinfo, l);
}

static gboolean
label_is_numeric (const gchar *label, gsize length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isdigit (label[i]))
      return FALSE;
  return TRUE;
}

/* The ASCII form of host if it is a host name, whose labels are letters,
 * digits, hyphens and underscores (SRV-style names have them); the last
 * label must not be all digits (RFC 3696 §2), which also keeps forms
 * like 127.1 that inet_aton() reads as addresses away from DNS. */
static gchar *
name_to_query (const gchar *host, GError **error)
{
  g_autofree gchar *ascii = g_hostname_to_ascii (host);
  gsize length;
  const gchar *label;
  const gchar *last = NULL;
  gsize last_length = 0;

  if (ascii == NULL)
    {
      g_set_error (error, WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_INVALID_NAME,
                   "%s: not a host name (invalid UTF-8 or internationalised name)", host);
      return NULL;
    }
  length = strlen (ascii);
  if (length > 0 && ascii[length - 1] == '.')
    length--;
  if (length == 0 || length > 253)
    {
      g_set_error (error, WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_INVALID_NAME,
                   "%s: not a host name (%s)", host,
                   length == 0 ? "empty" : "longer than 253 characters");
      return NULL;
    }
  label = ascii;
  while (label < ascii + length)
    {
      const gchar *end = memchr (label, '.', (gsize) (ascii + length - label));
      gsize label_length;

      if (end == NULL)
        end = ascii + length;
      label_length = (gsize) (end - label);
      if (label_length == 0 || label_length > 63)
        {
          g_set_error (error, WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_INVALID_NAME,
                       "%s: not a host name (a label is %s)", host,
                       label_length == 0 ? "empty" : "longer than 63 characters");
          return NULL;
        }
      for (gsize i = 0; i < label_length; i++)
        if (!g_ascii_isalnum (label[i]) && label[i] != '-' && label[i] != '_')
          {
            g_set_error (error, WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_INVALID_NAME,
                         "%s: not a host name (character 0x%02x)", host, (guchar) label[i]);
            return NULL;
          }
      last = label;
      last_length = label_length;
      label = end + 1;
    }
  if (label_is_numeric (last, last_length))
    {
      g_set_error (error, WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_INVALID_NAME,
                   "%s: not a host name (its last label is a number)", host);
      return NULL;
    }
  return g_steal_pointer (&ascii);
}

static void
resolver_on_socket_state (void *data, ares_socket_t fd, int readable, int writable)
{
  WgdResolver *r = data;
  gpointer tag = g_hash_table_lookup (r->sockets, GINT_TO_POINTER (fd));
  GIOCondition events = (readable ? G_IO_IN : 0) | (writable ? G_IO_OUT : 0);

  if (events == 0)
    {
      if (tag != NULL)
        {
          g_source_remove_unix_fd (r->source, tag);
          g_hash_table_remove (r->sockets, GINT_TO_POINTER (fd));
        }
    }
  else if (tag != NULL)
    g_source_modify_unix_fd (r->source, tag, events);
  else
    g_hash_table_insert (r->sockets, GINT_TO_POINTER (fd),
                         g_source_add_unix_fd (r->source, fd, events));
}

static ares_channel
resolver_open_channel (WgdResolver *r, GError **error)
{
  struct ares_options options = {
    .flags = ARES_FLAG_NOALIASES,   /* no $HOSTALIASES in a daemon */
    .timeout = RESOLVER_TIMEOUT_MS,
    .tries = RESOLVER_TRIES,
    /* With no search domains, ndots no longer matters but for the order
     * of tries: a name is only ever tried as written. */
    .ndots = 1,
    .ndomains = 0,
    .sock_state_cb = resolver_on_socket_state,
    .sock_state_cb_data = r,
  };
  int optmask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS
                | ARES_OPT_DOMAINS | ARES_OPT_SOCK_STATE_CB;
  ares_channel channel = NULL;
  int status;

  if (r->resolv_conf != NULL)
    {
      /* c-ares takes a missing file for an empty one, with a server on
       * 127.0.0.1: right for /etc/resolv.conf, not for a path given. */
      FILE *f = fopen (r->resolv_conf, "re");

      if (f == NULL)
        {
          int saved = errno;

          g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "cannot read %s: %s", r->resolv_conf,
                       g_strerror (saved));
          return NULL;
        }
      fclose (f);
      options.resolvconf_path = r->resolv_conf;
      optmask |= ARES_OPT_RESOLVCONF;
    }
  status = ares_init_options (&channel, &options, optmask);
  if (status != ARES_SUCCESS)
    {
      g_set_error (error, WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_FAILED,
                   "cannot set up DNS lookups from %s: %s",
                   r->resolv_conf != NULL ? r->resolv_conf : "/etc/resolv.conf",
                   ares_strerror (status));
      return NULL;
    }
  return channel;
}

static WgdResolver *
resolver_ref (WgdResolver *r)
{
  r->refs++;
  return r;
}

static void
resolver_unref (WgdResolver *r)
{
  if (--r->refs > 0)
    return;
  g_hash_table_unref (r->sockets);
  g_hash_table_unref (r->pending);
  g_free (r->resolv_conf);
  g_free (r);
}

static void
resolver_deliver (WgdResolver *r)
{
  WgdResolverLookup *l;

  /* A callback may free the resolver: that empties completed. */
  while ((l = g_queue_pop_head (&r->completed)) != NULL)
    {
      g_hash_table_remove (r->pending, l);
      l->func (r, l->addresses, l->error, l->user_data);
      lookup_free (l);
    }
}

static gboolean
resolver_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  WgdResolver *r = resolver_ref (((ResolverSource *) source)->resolver);
  g_autoptr (GArray) ready = g_array_new (FALSE, FALSE, sizeof (ReadyFd));
  GHashTableIter iter;
  gpointer fd;
  gpointer tag;

  /* Collected first: processing one socket may close others. */
  g_hash_table_iter_init (&iter, r->sockets);
  while (g_hash_table_iter_next (&iter, &fd, &tag))
    {
      ReadyFd ready_fd = { GPOINTER_TO_INT (fd), g_source_query_unix_fd (source, tag) };

      if (ready_fd.revents != 0)
        g_array_append_val (ready, ready_fd);
    }
  /* With no socket ready this is a timeout (or answers to hand on):
   * c-ares checks its timeouts on every call. */
  if (ready->len == 0)
    ares_process_fd (r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  for (guint i = 0; i < ready->len; i++)
    {
      const ReadyFd *rf = &g_array_index (ready, ReadyFd, i);

      if (!g_hash_table_contains (r->sockets, GINT_TO_POINTER (rf->fd)))
        continue;
      /* An error or hang-up is read, for c-ares to see it. */
      ares_process_fd (r->channel,
                       (rf->revents & (G_IO_IN | G_IO_ERR | G_IO_HUP)) ? rf->fd : ARES_SOCKET_BAD,
                       (rf->revents & G_IO_OUT) ? rf->fd : ARES_SOCKET_BAD);
    }
  resolver_deliver (r);
  if (r->channel != NULL)
    resolver_schedule (r);
  resolver_unref (r);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs resolver_source_funcs = {
  .dispatch = resolver_source_dispatch,
};

WgdResolver *
wgd_resolver_new (const gchar *resolv_conf, GError **error)
{
  static gsize initialised;
  WgdResolver *r;

  if (g_once_init_enter (&initialised))
    {
      int status = ares_library_init (ARES_LIB_INIT_ALL);

      if (status != ARES_SUCCESS)
        g_error ("c-ares cannot start: %s", ares_strerror (status));
      g_once_init_leave (&initialised, 1);
    }
  r = g_new0 (WgdResolver, 1);
  r->refs = 1;
  r->resolv_conf = g_strdup (resolv_conf);
  r->sockets = g_hash_table_new (NULL, NULL);
  r->pending = g_hash_table_new (NULL, NULL);
  g_queue_init (&r->completed);
  r->source = g_source_new (&resolver_source_funcs, sizeof (ResolverSource));
  ((ResolverSource *) r->source)->resolver = r;
  g_source_set_static_name (r->source, "wgd-resolver");
  r->channel = resolver_open_channel (r, error);
  if (r->channel == NULL)
    {
      g_source_unref (r->source);
      resolver_unref (r);
      return NULL;
    }
  g_source_attach (r->source, g_main_context_get_thread_default ());
  return r;
}

void
wgd_resolver_free (WgdResolver *r)
{
  GHashTableIter iter;
  gpointer key;

  if (r == NULL)
    return;
  /* Those c-ares still has are freed by the callback ares_destroy()
   * calls for each; the answered ones here. */
  g_hash_table_iter_init (&iter, r->pending);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      WgdResolverLookup *l = key;

      if (l->state == LOOKUP_QUERYING)
        l->state = LOOKUP_CANCELLED;
    }
  g_hash_table_remove_all (r->pending);
  g_queue_clear_full (&r->completed, (GDestroyNotify) lookup_free);
  ares_destroy (r->channel);
  r->channel = NULL;
  g_source_destroy (r->source);
  g_source_unref (r->source);
  r->source = NULL;
  resolver_unref (r);
}

WgdResolverLookup *
wgd_resolver_lookup (WgdResolver *r, const gchar *host, WgdResolverFunc func,
                     gpointer user_data)
{
  WgdResolverLookup *l;
  g_autoptr (GInetAddress) literal = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (host != NULL && func != NULL, NULL);

  l = g_new0 (WgdResolverLookup, 1);
  l->resolver = r;
  l->host = g_strdup (host);
  l->func = func;
  l->user_data = user_data;
  g_hash_table_add (r->pending, l);
  literal = g_inet_address_new_from_string (host);
  if (literal != NULL)
    {
      GArray *addresses = addresses_new ();

      addresses_add (addresses, g_steal_pointer (&literal), WGD_RESOLVER_TTL_NONE);
      lookup_answer (l, addresses, NULL);
      return l;
    }
  l->query = name_to_query (host, &error);
  if (l->query == NULL)
    {
      lookup_answer (l, NULL, g_steal_pointer (&error));
      return l;
    }
  lookup_query (l);
  resolver_schedule (r);
  return l;
}

void
wgd_resolver_cancel (WgdResolver *r, WgdResolverLookup *l)
{
  g_return_if_fail (g_hash_table_contains (r->pending, l));

  g_hash_table_remove (r->pending, l);
  if (l->state == LOOKUP_QUERYING)
    l->state = LOOKUP_CANCELLED;
  else
    {
      g_queue_remove (&r->completed, l);
      lookup_free (l);
    }
}

gboolean
wgd_resolver_reload (WgdResolver *r, GError **error)
{
  ares_channel fresh = resolver_open_channel (r, error);
  g_autoptr (GList) pending = NULL;

  if (fresh == NULL)
    return FALSE;
  /* ares_destroy() ends every query of the old channel through its
   * callback: cancelled lookups are freed, the others stay pending and
   * are asked again below. */
  r->discarding = TRUE;
  ares_destroy (r->channel);
  r->discarding = FALSE;
  r->channel = fresh;
  pending = g_hash_table_get_keys (r->pending);
  for (GList *i = pending; i != NULL; i = i->next)
    {
      WgdResolverLookup *l = i->data;

      if (l->state == LOOKUP_QUERYING)
        lookup_query (l);
    }
  resolver_schedule (r);
  return TRUE;
}
