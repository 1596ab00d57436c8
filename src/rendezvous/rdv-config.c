/* rdv-config.c — reading and checking rendezvous.conf.
 *
 * GKeyFile keeps no line numbers, so the text is scanned once for the
 * lines of groups and keys, only to point messages there. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "base64.h"
#include "membership.h"
#include "rdv-config.h"
#include "wgd-error.h"

#define DEFAULT_LISTEN_HOST "::"
#define DEFAULT_LISTEN_PORT 8443
#define CONFIG_MAX_BYTES (1024 * 1024)
#define MESHES_MAX 64
#define STORE_PASSWORD_MAX 512

typedef struct {
  const gchar *name;
  GKeyFile *kf;
  GHashTable *lines;            /* "group\nkey" or "group\n" → line */
} Reader;

static void
reader_note_lines (Reader *r, const gchar *data)
{
  g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
  g_autofree gchar *group = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      gchar *line = g_strstrip (lines[i]);
      gchar *eq = strchr (line, '=');

      if (line[0] == '[' && line[strlen (line) - 1] == ']')
        {
          g_free (group);
          group = g_strndup (line + 1, strlen (line) - 2);
          g_hash_table_insert (r->lines, g_strconcat (group, "\n", NULL), GUINT_TO_POINTER (i + 1));
        }
      else if (group != NULL && line[0] != '#' && eq != NULL)
        {
          *eq = '\0';
          g_hash_table_insert (r->lines, g_strconcat (group, "\n", g_strstrip (line), NULL),
                               GUINT_TO_POINTER (i + 1));
        }
    }
}

static gboolean G_GNUC_PRINTF (5, 6)
reader_error (const Reader *r, GError **error, const gchar *group, const gchar *key,
              const gchar *format, ...)
{
  g_autofree gchar *at = g_strconcat (group, "\n", key, NULL);
  g_autofree gchar *at_group = g_strconcat (group, "\n", NULL);
  g_autofree gchar *what = NULL;
  guint line = GPOINTER_TO_UINT (g_hash_table_lookup (r->lines, at));
  va_list args;

  /* A key that is missing: the line of its group. */
  if (line == 0)
    line = GPOINTER_TO_UINT (g_hash_table_lookup (r->lines, at_group));

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (key != NULL)
    g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, "%s:%u: [%s] %s: %s", r->name, line,
                 group, key, what);
  else
    g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, "%s:%u: [%s]: %s", r->name, line,
                 group, what);
  return FALSE;
}

static gboolean
reader_check_keys (const Reader *r, const gchar *group, const gchar *const *allowed,
                   GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (r->kf, group, NULL, NULL);

  for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
    if (!g_strv_contains (allowed, keys[k]))
      return reader_error (r, error, group, keys[k], "unknown key");
  return TRUE;
}

static gboolean
get_bool (const Reader *r, const gchar *group, const gchar *key, gboolean *out, GError **error)
{
  g_autofree gchar *v = g_key_file_get_string (r->kf, group, key, NULL);

  if (v == NULL)
    return TRUE;
  if (g_strcmp0 (v, "true") == 0 || g_strcmp0 (v, "yes") == 0)
    *out = TRUE;
  else if (g_strcmp0 (v, "false") == 0 || g_strcmp0 (v, "no") == 0)
    *out = FALSE;
  else
    return reader_error (r, error, group, key, "'%s' is not true or false", v);
  return TRUE;
}

static gboolean
get_uint (const Reader *r, const gchar *group, const gchar *key, guint min, guint max,
          guint *out, GError **error)
{
  g_autofree gchar *v = g_key_file_get_string (r->kf, group, key, NULL);
  guint64 n;

  if (v == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (v, 10, min, max, &n, NULL))
    return reader_error (r, error, group, key, "'%s' is not a number from %u to %u", v, min,
                         max);
  *out = (guint) n;
  return TRUE;
}

static gboolean
get_path (const Reader *r, const gchar *group, const gchar *key, gchar **out, GError **error)
{
  g_autofree gchar *v = g_key_file_get_string (r->kf, group, key, NULL);

  if (v == NULL)
    return TRUE;
  if (!g_path_is_absolute (v))
    return reader_error (r, error, group, key, "'%s' is not an absolute path", v);
  g_free (*out);
  *out = g_steal_pointer (&v);
  return TRUE;
}

/* ADDRESS:PORT, an IPv6 address in brackets. */
static gboolean
get_listen (const Reader *r, RdvConfig *c, GError **error)
{
  g_autofree gchar *v = g_key_file_get_string (r->kf, "Server", "Listen", NULL);
  g_autofree gchar *host = NULL;
  g_autoptr (GInetAddress) inet = NULL;
  const gchar *colon;
  guint64 port;

  if (v == NULL)
    return TRUE;
  colon = strrchr (v, ':');
  if (colon == NULL)
    return reader_error (r, error, "Server", "Listen", "'%s' is not ADDRESS:PORT", v);
  host = g_strndup (v, (gsize) (colon - v));
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      memmove (host, host + 1, strlen (host) - 2);
      host[strlen (host) - 2] = '\0';
    }
  else if (strchr (host, ':') != NULL)
    return reader_error (r, error, "Server", "Listen",
                         "'%s': an IPv6 address goes in brackets, [ADDRESS]:PORT", v);
  inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    return reader_error (r, error, "Server", "Listen", "'%s' is not an IP address", host);
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    return reader_error (r, error, "Server", "Listen", "'%s' is not a port from 1 to 65535",
                         colon + 1);
  g_free (c->listen_host);
  c->listen_host = g_steal_pointer (&host);
  c->listen_port = (guint16) port;
  return TRUE;
}

/* PublicURL= as a client writes it; without it, the URL of Listen=. */
static gboolean
get_public_host (const Reader *r, RdvConfig *c, GError **error)
{
  g_autofree gchar *v = g_key_file_get_string (r->kf, "Server", "PublicURL", NULL);
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GError) local = NULL;

  g_clear_pointer (&c->public_host, g_free);
  if (v != NULL)
    {
      c->public_host = wgd_membership_host_from_url (v, &local);
      if (c->public_host == NULL)
        return reader_error (r, error, "Server", "PublicURL", "'%s': %s", v, local->message);
      return TRUE;
    }
  inet = g_inet_address_new_from_string (c->listen_host);
  if (inet != NULL && !g_inet_address_get_is_any (inet))
    {
      gboolean v6 = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6;
      g_autofree gchar *url = g_strdup_printf ("%s://%s%s%s:%u",
                                               c->certificate_file ? "https" : "http",
                                               v6 ? "[" : "", c->listen_host, v6 ? "]" : "",
                                               c->listen_port);

      c->public_host = wgd_membership_host_from_url (url, NULL);
    }
  return TRUE;
}

static gboolean
get_store (const Reader *r, RdvConfig *c, GError **error)
{
  g_autofree gchar *v = g_key_file_get_string (r->kf, "Server", "Store", NULL);
  g_autoptr (GError) local = NULL;
  RdvStoreLocation *where;

  if (v == NULL)
    return TRUE;
  where = rdv_store_location_parse (v, &local);
  if (where == NULL)
    return reader_error (r, error, "Server", "Store", "%s", local->message);
  rdv_store_location_free (c->store);
  c->store = where;
  return TRUE;
}

static void
password_free (gchar *password)
{
  if (password != NULL)
    sodium_memzero (password, strlen (password));
  g_free (password);
}

/* The whole file but one final newline is the password; no message
 * ever quotes it. Read here, at start, so that a bad file stops the
 * start and not the first request. */
static gboolean
get_store_password (const Reader *r, RdvConfig *c, GError **error)
{
  g_autofree gchar *path = NULL;
  g_autoptr (GError) local = NULL;
  gchar *text = NULL;
  gsize len = 0;
  GStatBuf st;

  if (!get_path (r, "Server", "StorePasswordFile", &path, error))
    return FALSE;
  if (path == NULL)
    return TRUE;
  if (c->store->kind == RDV_STORE_KIND_SQLITE)
    return reader_error (r, error, "Server", "StorePasswordFile",
                         "only a Redis store (Store=redis://..., unix:... or "
                         "sentinel://...) takes a password");
  if (g_stat (path, &st) != 0)
    return reader_error (r, error, "Server", "StorePasswordFile", "%s: %s", path,
                         g_strerror (errno));
  if (!S_ISREG (st.st_mode) || st.st_size > STORE_PASSWORD_MAX)
    return reader_error (r, error, "Server", "StorePasswordFile",
                         "%s: not a file of at most %d bytes", path, STORE_PASSWORD_MAX);
  if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0)
    return reader_error (r, error, "Server", "StorePasswordFile",
                         "%s: others may read or write it (chmod o-rw)", path);
  if (!g_file_get_contents (path, &text, &len, &local))
    return reader_error (r, error, "Server", "StorePasswordFile", "%s", local->message);
  if (len > 0 && text[len - 1] == '\n')
    text[--len] = '\0';
  if (len > 0 && text[len - 1] == '\r')
    text[--len] = '\0';
  for (gsize i = 0; i < len; i++)
    if (g_ascii_iscntrl (text[i]))
      {
        password_free (text);
        return reader_error (r, error, "Server", "StorePasswordFile",
                             "%s: a control character or a second line in the password", path);
      }
  if (len == 0)
    {
      password_free (text);
      return reader_error (r, error, "Server", "StorePasswordFile", "%s: empty", path);
    }
  password_free (c->store_password);
  c->store_password = text;
  return TRUE;
}

static gboolean
parse_server (const Reader *r, RdvConfig *c, GError **error)
{
  static const gchar *const keys[] = { "Listen", "Certificate", "PrivateKey", "AllowPlainHTTP",
    "StateDirectory", "RequestsPerSecond", "RequestBurst", "MaxSources", "MaxRecords",
    "MaxRecordsPerMesh", "TrustedProxies", "PublicURL", "MaxWebSockets",
    "MaxWebSocketsPerSource", "WebSocketKeepalive", "WebSocketTimeout", "Store",
    "StorePasswordFile", NULL };
  guint rate = (guint) c->requests_per_second;

  if (!reader_check_keys (r, "Server", keys, error) || !get_listen (r, c, error)
      || !get_path (r, "Server", "Certificate", &c->certificate_file, error)
      || !get_path (r, "Server", "PrivateKey", &c->private_key_file, error)
      || !get_bool (r, "Server", "AllowPlainHTTP", &c->allow_plain_http, error)
      || !get_path (r, "Server", "StateDirectory", &c->state_directory, error)
      || !get_store (r, c, error) || !get_store_password (r, c, error)
      || !get_uint (r, "Server", "RequestsPerSecond", 1, 100000, &rate, error)
      || !get_uint (r, "Server", "RequestBurst", 1, 100000, &c->request_burst, error)
      || !get_uint (r, "Server", "MaxSources", 1, 10000000, &c->max_sources, error)
      || !get_uint (r, "Server", "MaxRecords", 1, G_MAXINT32, &c->max_records, error)
      || !get_uint (r, "Server", "MaxRecordsPerMesh", 1, G_MAXINT32, &c->max_records_per_mesh,
                    error)
      || !get_uint (r, "Server", "MaxWebSockets", 0, 1000000, &c->max_websockets, error)
      || !get_uint (r, "Server", "MaxWebSocketsPerSource", 1, 1000000,
                    &c->max_websockets_per_source, error)
      || !get_uint (r, "Server", "WebSocketKeepalive", 1, 3600, &c->websocket_keepalive, error)
      || !get_uint (r, "Server", "WebSocketTimeout", 2, 86400, &c->websocket_timeout, error)
      || !get_public_host (r, c, error))
    return FALSE;
  if (c->websocket_timeout <= c->websocket_keepalive)
    return reader_error (r, error, "Server", "WebSocketTimeout",
                         "must be longer than WebSocketKeepalive= (%u s)",
                         c->websocket_keepalive);
  c->requests_per_second = rate;
  if ((c->certificate_file == NULL) != (c->private_key_file == NULL))
    return reader_error (r, error, "Server", c->certificate_file ? "PrivateKey" : "Certificate",
                         "Certificate= and PrivateKey= go together");
  if (g_key_file_has_key (r->kf, "Server", "TrustedProxies", NULL))
    {
      g_auto (GStrv) list = g_key_file_get_string_list (r->kf, "Server", "TrustedProxies",
                                                        NULL, NULL);

      for (guint i = 0; list != NULL && list[i] != NULL; i++)
        {
          g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (g_strstrip (list[i]));

          if (inet == NULL)
            return reader_error (r, error, "Server", "TrustedProxies",
                                 "'%s' is not an IP address", list[i]);
        }
      g_strfreev (c->trusted_proxies);
      c->trusted_proxies = g_steal_pointer (&list);
    }
  return TRUE;
}

static void
mesh_config_free (RdvMeshConfig *m)
{
  g_free (m->name);
  wgd_revocation_list_free (m->revocations);
  g_free (m);
}

/* The list as `wgdiscoverctl ca revoke` writes it, by the mesh's CA. */
static gboolean
load_revocations (const Reader *r, const gchar *group, RdvMeshConfig *m, GError **error)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *text = NULL;
  g_autofree guint8 *raw = g_malloc (WGD_REVOCATION_MAX);
  g_autoptr (GError) local = NULL;
  gsize text_len = 0, len = 0;
  GStatBuf st;

  if (!get_path (r, group, "Revocations", &path, error))
    return FALSE;
  if (path == NULL)
    return TRUE;
  /* Checked first, so that /dev/zero or a FIFO cannot stall the start. */
  if (g_stat (path, &st) != 0)
    return reader_error (r, error, group, "Revocations", "%s: %s", path, g_strerror (errno));
  if (!S_ISREG (st.st_mode) || (guint64) st.st_size > WGD_REVOCATION_MAX / 3 * 4 + 8)
    return reader_error (r, error, group, "Revocations", "%s: not a file of a revocation list",
                         path);
  if (!g_file_get_contents (path, &text, &text_len, &local))
    return reader_error (r, error, group, "Revocations", "%s", local->message);
  g_strstrip (text);
  if (!wgd_base64url_decode (text, strlen (text), raw, WGD_REVOCATION_MAX, &len, &local))
    return reader_error (r, error, group, "Revocations", "%s: %s", path, local->message);
  m->revocations = wgd_revocation_list_decode (raw, len, &local);
  if (m->revocations == NULL)
    return reader_error (r, error, group, "Revocations", "%s: not a revocation list: %s", path,
                         local->message);
  if (memcmp (m->revocations->ca_key, m->ca_key, WGD_KEY_LEN) != 0
      || !wgd_revocation_list_verify_signature (m->revocations))
    return reader_error (r, error, group, "Revocations", "%s: not signed by this mesh's CA",
                         path);
  return TRUE;
}

static gboolean
parse_mesh (const Reader *r, const gchar *group, RdvConfig *c, GError **error)
{
  static const gchar *const keys[] = { "CA", "Revocations", NULL };
  g_autofree gchar *ca = g_key_file_get_string (r->kf, group, "CA", NULL);
  RdvMeshConfig *m;

  if (!reader_check_keys (r, group, keys, error))
    return FALSE;
  if (c->meshes->len >= MESHES_MAX)
    return reader_error (r, error, group, NULL, "more than %d meshes", MESHES_MAX);
  m = g_new0 (RdvMeshConfig, 1);
  m->name = g_strdup (group + strlen ("Mesh "));
  g_ptr_array_add (c->meshes, m);
  if (ca == NULL)
    return reader_error (r, error, group, "CA", "is required");
  if (!wgd_key_from_base64 (ca, m->ca_key, NULL))
    return reader_error (r, error, group, "CA", "'%s' is not a key (44 characters of base64)",
                         ca);
  return load_revocations (r, group, m, error);
}

RdvConfig *
rdv_config_new (void)
{
  RdvConfig *c = g_new0 (RdvConfig, 1);

  c->listen_host = g_strdup (DEFAULT_LISTEN_HOST);
  c->listen_port = DEFAULT_LISTEN_PORT;
  c->state_directory = g_strdup (RDV_STATE_DIR);
  c->store = rdv_store_location_new ();
  c->requests_per_second = 5;
  c->request_burst = 20;
  c->max_sources = 65536;
  c->max_records = 100000;
  c->max_records_per_mesh = 10000;
  c->max_websockets = 1000;
  c->max_websockets_per_source = 8;
  c->websocket_keepalive = 30;
  c->websocket_timeout = 90;
  c->meshes = g_ptr_array_new_with_free_func ((GDestroyNotify) mesh_config_free);
  return c;
}

void
rdv_config_free (RdvConfig *c)
{
  if (c == NULL)
    return;
  g_free (c->listen_host);
  g_free (c->certificate_file);
  g_free (c->private_key_file);
  g_free (c->state_directory);
  rdv_store_location_free (c->store);
  password_free (c->store_password);
  g_strfreev (c->trusted_proxies);
  g_free (c->public_host);
  g_ptr_array_unref (c->meshes);
  g_free (c);
}

RdvConfig *
rdv_config_load_data (const gchar *name, const gchar *data, gsize len, GError **error)
{
  g_autoptr (RdvConfig) c = rdv_config_new ();
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GHashTable) lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) groups = NULL;
  g_autofree gchar *text = NULL;
  Reader r = { name, kf, lines };

  if (memchr (data, '\0', len) != NULL || !g_utf8_validate_len (data, len, NULL))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED, "%s: not UTF-8 text", name);
      return NULL;
    }
  if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED, "%s: %s", name, local->message);
      return NULL;
    }
  text = g_strndup (data, len);
  reader_note_lines (&r, text);
  groups = g_key_file_get_groups (kf, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      gboolean ok;

      if (g_strcmp0 (groups[g], "Server") == 0)
        ok = parse_server (&r, c, error);
      else if (g_str_has_prefix (groups[g], "Mesh ") && groups[g][strlen ("Mesh ")] != '\0')
        ok = parse_mesh (&r, groups[g], c, error);
      else
        ok = reader_error (&r, error, groups[g], NULL, "unknown group");
      if (!ok)
        return NULL;
    }
  return g_steal_pointer (&c);
}

RdvConfig *
rdv_config_load (const gchar *path, gboolean missing_ok, GError **error)
{
  g_autofree gchar *data = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      if (missing_ok && g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return rdv_config_new ();
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "%s", local->message);
      return NULL;
    }
  if (len > CONFIG_MAX_BYTES)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE, "%s: larger than %d bytes", path,
                   CONFIG_MAX_BYTES);
      return NULL;
    }
  return rdv_config_load_data (path, data, len, error);
}

gboolean
rdv_config_listen_is_loopback (const RdvConfig *config)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (config->listen_host);

  return inet != NULL && g_inet_address_get_is_loopback (inet);
}
