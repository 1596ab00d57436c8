/* store-location.c — parsing Store= strictly: every part is checked
 * and every refusal says which part and why. */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "store-location.h"
#include "wgd-error.h"

#define FORMS "sqlite, redis://HOST[:PORT][/DB], unix:/PATH[?db=N] or " \
  "sentinel://HOST[:PORT][,HOST[:PORT]]/NAME[/DB]"

static const gchar *const kind_names[RDV_STORE_KIND_COUNT] = {
  [RDV_STORE_KIND_SQLITE] = "sqlite",
  [RDV_STORE_KIND_REDIS_TCP] = "redis",
  [RDV_STORE_KIND_REDIS_UNIX] = "unix",
  [RDV_STORE_KIND_REDIS_SENTINEL] = "sentinel",
};

const gchar *
rdv_store_kind_to_string (RdvStoreKind kind)
{
  g_return_val_if_fail (kind < RDV_STORE_KIND_COUNT, "sqlite");
  return kind_names[kind];
}

gboolean
rdv_store_kind_from_string (const gchar *text, RdvStoreKind *kind)
{
  for (guint i = 0; i < RDV_STORE_KIND_COUNT; i++)
    if (g_strcmp0 (text, kind_names[i]) == 0)
      {
        *kind = i;
        return TRUE;
      }
  return FALSE;
}

RdvStoreLocation *
rdv_store_location_new (void)
{
  return g_new0 (RdvStoreLocation, 1);
}

RdvStoreLocation *
rdv_store_location_copy (const RdvStoreLocation *where)
{
  RdvStoreLocation *copy = g_memdup2 (where, sizeof *where);

  copy->host = g_strdup (where->host);
  copy->socket_path = g_strdup (where->socket_path);
  copy->primary_name = g_strdup (where->primary_name);
  for (guint i = 0; i < where->n_sentinels; i++)
    copy->sentinels[i].host = g_strdup (where->sentinels[i].host);
  return copy;
}

void
rdv_store_location_free (RdvStoreLocation *where)
{
  if (where == NULL)
    return;
  g_free (where->host);
  g_free (where->socket_path);
  g_free (where->primary_name);
  for (guint i = 0; i < where->n_sentinels; i++)
    g_free (where->sentinels[i].host);
  g_free (where);
}

static gboolean G_GNUC_PRINTF (3, 4)
location_error (GError **error, const gchar *text, const gchar *format, ...)
{
  g_autofree gchar *why = NULL;
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, "'%s': %s", text, why);
  return FALSE;
}

static gboolean
parse_db (const gchar *text, const gchar *db, guint *out, GError **error)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (db, 10, 0, RDV_STORE_DB_MAX, &n, NULL))
    return location_error (error, text, "the database '%s' is not a number from 0 to %d", db,
                           RDV_STORE_DB_MAX);
  *out = (guint) n;
  return TRUE;
}

/* A DNS name: letters, digits, hyphens and dots, no empty label, no
 * label starting or ending with a hyphen. */
static gboolean
host_name_is_valid (const gchar *host)
{
  gsize len = strlen (host);

  if (len == 0 || len > RDV_STORE_HOST_MAX)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      gchar c = host[i];
      gboolean label_edge = i == 0 || i == len - 1 || host[i - 1] == '.' || host[i + 1] == '.';

      if (c == '.' && label_edge)
        return FALSE;
      if (c == '-' && label_edge)
        return FALSE;
      if (c != '.' && c != '-' && !g_ascii_isalnum (c))
        return FALSE;
    }
  return TRUE;
}

/* HOST[:PORT], HOST a name, an IPv4 address or [an IPv6 address];
 * the port default_port when not given. */
static gboolean
parse_authority (const gchar *text, const gchar *authority, guint16 default_port,
                 gchar **host_out, guint16 *port_out, GError **error)
{
  g_autofree gchar *host = NULL;
  const gchar *port = NULL;
  guint64 n;

  if (authority[0] == '[')
    {
      const gchar *end = strchr (authority, ']');
      g_autoptr (GInetAddress) inet = NULL;

      if (end == NULL)
        return location_error (error, text, "'[' without ']'");
      host = g_strndup (authority + 1, (gsize) (end - authority - 1));
      inet = g_inet_address_new_from_string (host);
      if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6)
        return location_error (error, text, "'%s' in brackets is not an IPv6 address", host);
      if (end[1] == ':')
        port = end + 2;
      else if (end[1] != '\0')
        return location_error (error, text, "after ']' comes ':PORT' or nothing");
    }
  else
    {
      const gchar *colon = strchr (authority, ':');

      if (colon != NULL && strchr (colon + 1, ':') != NULL)
        return location_error (error, text, "an IPv6 address goes in brackets, [ADDRESS]");
      host = colon ? g_strndup (authority, (gsize) (colon - authority)) : g_strdup (authority);
      if (colon != NULL)
        port = colon + 1;
      if (host[0] == '\0')
        return location_error (error, text, "a host is missing");
      if (!host_name_is_valid (host))
        return location_error (error, text, "'%s' is not a host name or an IPv4 address",
                               host);
    }
  *port_out = default_port;
  if (port != NULL)
    {
      if (!g_ascii_string_to_unsigned (port, 10, 1, 65535, &n, NULL))
        return location_error (error, text, "the port '%s' is not a number from 1 to 65535",
                               port);
      *port_out = (guint16) n;
    }
  *host_out = g_steal_pointer (&host);
  return TRUE;
}

/* text up to the first c (all of it without one); *at: that c or NULL. */
static gchar *
split_at (const gchar *text, gchar c, const gchar **at)
{
  *at = strchr (text, c);
  return *at ? g_strndup (text, (gsize) (*at - text)) : g_strdup (text);
}

static gboolean
parse_redis_url (const gchar *text, const gchar *rest, RdvStoreLocation *where, GError **error)
{
  const gchar *slash;
  g_autofree gchar *authority = split_at (rest, '/', &slash);

  where->kind = RDV_STORE_KIND_REDIS_TCP;
  /* A password in the URL would be logged and shown by ps; it has a
   * file of its own. */
  if (strchr (rest, '@') != NULL)
    return location_error (error, text, "a password or user goes in StorePasswordFile=, "
                           "never in the URL");
  if (strpbrk (rest, "?#") != NULL)
    return location_error (error, text, "a redis:// URL has no query and no fragment");
  if (!parse_authority (text, authority, RDV_STORE_REDIS_DEFAULT_PORT, &where->host,
                        &where->port, error))
    return FALSE;
  if (slash != NULL && !parse_db (text, slash + 1, &where->db, error))
    return FALSE;
  return TRUE;
}

/* Sentinel's own names are free-form; these go into logs and commands. */
static gboolean
primary_name_is_valid (const gchar *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > RDV_STORE_PRIMARY_NAME_MAX)
    return FALSE;
  for (const gchar *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
parse_sentinel_url (const gchar *text, const gchar *rest, RdvStoreLocation *where,
                    GError **error)
{
  const gchar *slash;
  g_autofree gchar *authorities = split_at (rest, '/', &slash);
  g_auto (GStrv) hosts = NULL;
  const gchar *db_slash;
  g_autofree gchar *name = NULL;

  where->kind = RDV_STORE_KIND_REDIS_SENTINEL;
  if (strchr (rest, '@') != NULL)
    return location_error (error, text, "a password or user goes in StorePasswordFile=, "
                           "never in the URL");
  if (strpbrk (rest, "?#") != NULL)
    return location_error (error, text, "a sentinel:// URL has no query and no fragment");
  hosts = g_strsplit (authorities, ",", -1);
  if (g_strv_length (hosts) > RDV_STORE_SENTINELS_MAX)
    return location_error (error, text, "more than %d Sentinels", RDV_STORE_SENTINELS_MAX);
  for (guint i = 0; hosts[i] != NULL; i++)
    {
      RdvStoreHost *h = &where->sentinels[where->n_sentinels];

      if (!parse_authority (text, hosts[i], RDV_STORE_SENTINEL_DEFAULT_PORT, &h->host, &h->port,
                            error))
        return FALSE;
      where->n_sentinels++;
    }
  if (where->n_sentinels == 0)
    return location_error (error, text, "a host is missing");
  if (slash == NULL)
    return location_error (error, text, "the primary's name is missing: "
                           "sentinel://HOST[:PORT][,HOST[:PORT]]/NAME[/DB]");
  name = split_at (slash + 1, '/', &db_slash);
  if (!primary_name_is_valid (name))
    return location_error (error, text, "the primary's name '%s' is not 1 to %d letters, "
                           "digits, '-', '_' or '.'", name, RDV_STORE_PRIMARY_NAME_MAX);
  if (db_slash != NULL && !parse_db (text, db_slash + 1, &where->db, error))
    return FALSE;
  where->primary_name = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
parse_unix (const gchar *text, const gchar *rest, RdvStoreLocation *where, GError **error)
{
  const gchar *query;
  g_autofree gchar *path = split_at (rest, '?', &query);

  where->kind = RDV_STORE_KIND_REDIS_UNIX;
  if (path[0] != '/')
    return location_error (error, text, "the socket '%s' is not an absolute path", path);
  if (strlen (path) >= RDV_STORE_SOCKET_PATH_MAX)
    return location_error (error, text, "the socket's path is longer than %d bytes",
                           RDV_STORE_SOCKET_PATH_MAX - 1);
  for (const gchar *p = path; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      return location_error (error, text, "the socket's path has a control character");
  if (query != NULL)
    {
      if (!g_str_has_prefix (query, "?db="))
        return location_error (error, text, "the only parameter is ?db=N");
      if (!parse_db (text, query + strlen ("?db="), &where->db, error))
        return FALSE;
    }
  where->socket_path = g_steal_pointer (&path);
  return TRUE;
}

RdvStoreLocation *
rdv_store_location_parse (const gchar *text, GError **error)
{
  g_autoptr (RdvStoreLocation) where = rdv_store_location_new ();

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, "not UTF-8 text: not " FORMS);
      return NULL;
    }
  if (g_strcmp0 (text, "sqlite") == 0)
    where->kind = RDV_STORE_KIND_SQLITE;
  else if (g_str_has_prefix (text, "redis://"))
    {
      if (!parse_redis_url (text, text + strlen ("redis://"), where, error))
        return NULL;
    }
  else if (g_str_has_prefix (text, "sentinel://"))
    {
      if (!parse_sentinel_url (text, text + strlen ("sentinel://"), where, error))
        return NULL;
    }
  else if (g_str_has_prefix (text, "unix:"))
    {
      if (!parse_unix (text, text + strlen ("unix:"), where, error))
        return NULL;
    }
  else
    {
      location_error (error, text, "not " FORMS);
      return NULL;
    }
  return g_steal_pointer (&where);
}

static void
append_host (GString *out, const gchar *host, guint16 port)
{
  gboolean v6 = strchr (host, ':') != NULL;

  g_string_append_printf (out, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

gchar *
rdv_store_location_to_string (const RdvStoreLocation *where)
{
  GString *out;

  switch (where->kind)
    {
    case RDV_STORE_KIND_SQLITE:
      return g_strdup ("sqlite");
    case RDV_STORE_KIND_REDIS_TCP:
      out = g_string_new ("redis://");
      append_host (out, where->host, where->port);
      g_string_append_printf (out, "/%u", where->db);
      return g_string_free (out, FALSE);
    case RDV_STORE_KIND_REDIS_UNIX:
      return g_strdup_printf ("unix:%s?db=%u", where->socket_path, where->db);
    case RDV_STORE_KIND_REDIS_SENTINEL:
      out = g_string_new ("sentinel://");
      for (guint i = 0; i < where->n_sentinels; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          append_host (out, where->sentinels[i].host, where->sentinels[i].port);
        }
      g_string_append_printf (out, "/%s/%u", where->primary_name, where->db);
      return g_string_free (out, FALSE);
    case RDV_STORE_KIND_COUNT:
      break;
    }
  g_return_val_if_reached (g_strdup ("sqlite"));
}

gboolean
rdv_store_location_equal (const RdvStoreLocation *a, const RdvStoreLocation *b)
{
  if (a->kind != b->kind || g_strcmp0 (a->host, b->host) != 0 || a->port != b->port
      || g_strcmp0 (a->socket_path, b->socket_path) != 0 || a->db != b->db
      || g_strcmp0 (a->primary_name, b->primary_name) != 0 || a->n_sentinels != b->n_sentinels)
    return FALSE;
  for (guint i = 0; i < a->n_sentinels; i++)
    if (g_strcmp0 (a->sentinels[i].host, b->sentinels[i].host) != 0
        || a->sentinels[i].port != b->sentinels[i].port)
      return FALSE;
  return TRUE;
}
