/* configuration.c — reading and checking wgdiscoverd.conf and its drop-ins.
 *
 * Each file is read with GKeyFile; the files are merged key by key, the
 * later file winning, and each key remembers the file and line it came
 * from (GKeyFile does not keep lines), so every error can point there. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "base64.h"
#include "configuration.h"
#include "wgd-error.h"

typedef struct {
  const gchar *file;            /* owned by Merge.files */
  guint line;
} Origin;

typedef struct {
  GKeyFile *kf;                 /* the merged view */
  GHashTable *origins;          /* "group\nkey" or "group\n" → Origin */
  GPtrArray *files;             /* names, kept for Origin */
} Merge;

static void
merge_clear (Merge *m)
{
  g_clear_pointer (&m->kf, g_key_file_unref);
  g_clear_pointer (&m->origins, g_hash_table_unref);
  g_clear_pointer (&m->files, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Merge, merge_clear)

static void
merge_init (Merge *m)
{
  m->kf = g_key_file_new ();
  m->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  m->files = g_ptr_array_new_with_free_func (g_free);
}

static void
origin_set (Merge *m, const gchar *file, const gchar *group, const gchar *key, guint line)
{
  Origin *o = g_new (Origin, 1);

  o->file = file;
  o->line = line;
  g_hash_table_replace (m->origins, g_strdup_printf ("%s\n%s", group, key ? key : ""), o);
}

/* Lines of groups and keys in one file's text: only for messages. */
static void
merge_note_lines (Merge *m, const gchar *file, const gchar *data)
{
  g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
  g_autofree gchar *group = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      gchar *line = g_strstrip (lines[i]);
      gchar *eq;

      if (line[0] == '#' || line[0] == '\0')
        continue;
      if (line[0] == '[' && line[strlen (line) - 1] == ']')
        {
          g_free (group);
          group = g_strndup (line + 1, strlen (line) - 2);
          origin_set (m, file, group, NULL, i + 1);
        }
      else if (group != NULL && (eq = strchr (line, '=')) != NULL)
        {
          *eq = '\0';
          origin_set (m, file, group, g_strstrip (line), i + 1);
        }
    }
}

static gboolean
merge_add (Merge *m, const gchar *name, const gchar *data, gsize len, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local = NULL;
  g_auto (GStrv) groups = NULL;
  const gchar *nul = memchr (data, '\0', len);
  const gchar *end = NULL;
  gchar *file;

  /* GKeyFile reads past a NUL where line numbers cannot follow. */
  if (nul != NULL)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                   _("%s: a NUL byte at offset %zu; not a text file"), name,
                   (gsize) (nul - data));
      return FALSE;
    }
  /* Nor does GKeyFile read bytes that are not UTF-8 as written. */
  if (!g_utf8_validate_len (data, len, &end))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                   _("%s: invalid UTF-8 at offset %zu"), name, (gsize) (end - data));
      return FALSE;
    }
  if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED, "%s: %s", name, local->message);
      return FALSE;
    }
  file = g_strdup (name);
  g_ptr_array_add (m->files, file);
  {
    g_autofree gchar *text = g_strndup (data, len);

    merge_note_lines (m, file, text);
  }
  groups = g_key_file_get_groups (kf, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      g_auto (GStrv) keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);

      /* An empty group still counts: GKeyFile has no call to add one,
       * but keeps a group whose last key is removed. */
      if (keys == NULL || keys[0] == NULL)
        {
          g_key_file_set_value (m->kf, groups[g], "-", "");
          g_key_file_remove_key (m->kf, groups[g], "-", NULL);
        }
      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          g_autofree gchar *value = g_key_file_get_value (kf, groups[g], keys[k], NULL);

          g_key_file_set_value (m->kf, groups[g], keys[k], value);
        }
    }
  return TRUE;
}

static gboolean G_GNUC_PRINTF (5, 6)
config_error (const Merge *m, GError **error, const gchar *group, const gchar *key,
              const gchar *format, ...)
{
  g_autofree gchar *lookup = g_strdup_printf ("%s\n%s", group, key ? key : "");
  g_autofree gchar *what = NULL;
  const Origin *o = g_hash_table_lookup (m->origins, lookup);
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (o == NULL)
    {
      g_autofree gchar *group_key = g_strdup_printf ("%s\n", group);

      o = g_hash_table_lookup (m->origins, group_key);
    }
  if (key != NULL)
    g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, "%s:%u: [%s] %s: %s",
                 o ? o->file : "?", o ? o->line : 0, group, key, what);
  else
    g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, "%s:%u: [%s]: %s",
                 o ? o->file : "?", o ? o->line : 0, group, what);
  return FALSE;
}

static gboolean
check_keys (const Merge *m, const gchar *group, const gchar *const *allowed, GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (m->kf, group, NULL, NULL);

  for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
    if (!g_strv_contains (allowed, keys[k]))
      /* Translators: the messages about the configuration file follow
         "FILE:LINE: [GROUP] KEY: ", and the names of groups ([Mesh], …) and
         keys (Mesh=, CA=, …) in them stay as they are: they are what the
         file says. */
      return config_error (m, error, group, keys[k], _("unknown key"));
  return TRUE;
}

static gchar *
get_string (const Merge *m, const gchar *group, const gchar *key)
{
  return g_key_file_get_string (m->kf, group, key, NULL);
}

static gboolean
get_bool (const Merge *m, const gchar *group, const gchar *key, gboolean def, gboolean *out,
          GError **error)
{
  g_autofree gchar *v = get_string (m, group, key);

  if (v == NULL)
    *out = def;
  else if (g_strcmp0 (v, "true") == 0 || g_strcmp0 (v, "yes") == 0)
    *out = TRUE;
  else if (g_strcmp0 (v, "false") == 0 || g_strcmp0 (v, "no") == 0)
    *out = FALSE;
  else
    return config_error (m, error, group, key, _("'%s' is not true or false"), v);
  return TRUE;
}

static gboolean
get_key (const Merge *m, const gchar *group, const gchar *key, guint8 out[WGD_KEY_LEN],
         GError **error)
{
  g_autofree gchar *v = get_string (m, group, key);

  if (v == NULL)
    /* Translators: after "FILE:LINE: [GROUP] KEY: ", so the subject is the key. */
    return config_error (m, error, group, key, _("is required"));
  if (!wgd_key_from_base64 (v, out, NULL))
    return config_error (m, error, group, key, _("'%s' is not a key (44 characters of base64)"), v);
  return TRUE;
}

static gboolean
ifname_valid (const gchar *name)
{
  gsize len = strlen (name);

  if (len == 0 || len >= IFNAMSIZ || strchr (name, '/') != NULL)
    return FALSE;
  for (const gchar *p = name; *p; p++)
    if (g_ascii_isspace (*p) || !g_ascii_isprint (*p))
      return FALSE;
  return TRUE;
}

static gboolean
get_ifnames (const Merge *m, const gchar *group, const gchar *key, GStrv *out, GError **error)
{
  g_auto (GStrv) list = g_key_file_get_string_list (m->kf, group, key, NULL, NULL);

  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    if (!ifname_valid (list[i]))
      return config_error (m, error, group, key, _("'%s' is not an interface name"), list[i]);
  *out = g_steal_pointer (&list);
  return TRUE;
}

WgdInterfaceConfig *
wgd_interface_config_new_managed (const gchar *name)
{
  WgdInterfaceConfig *c = g_new0 (WgdInterfaceConfig, 1);

  g_strlcpy (c->name, name, sizeof c->name);
  c->mode = WGD_MODE_ENDPOINT;
  c->rendezvous = WGD_RENDEZVOUS_NEVER;
  return c;
}

void
wgd_interface_config_free (WgdInterfaceConfig *c)
{
  if (c == NULL)
    return;
  g_free (c->mesh);
  g_strfreev (c->allow_interfaces);
  g_strfreev (c->deny_interfaces);
  g_free (c);
}

static void
mesh_config_free (WgdMeshConfig *c)
{
  g_free (c->name);
  g_free (c->certificate_file);
  g_clear_pointer (&c->certificate, wgd_certificate_free);
  g_free (c->revocations_file);
  g_clear_pointer (&c->revocations, wgd_revocation_list_free);
  g_free (c);
}

static void
peer_pin_free (WgdPeerPin *p)
{
  g_free (p->name);
  g_free (p);
}

static void
peer_endpoint_free (WgdPeerEndpoint *p)
{
  g_free (p->name);
  wgd_host_endpoint_free (p->endpoint);
  g_free (p);
}

WgdConfig *
wgd_config_new (void)
{
  WgdConfig *config = g_new0 (WgdConfig, 1);

  config->state_directory = g_strdup (WGD_STATE_DIR);
  config->interfaces = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_interface_config_free);
  config->meshes = g_ptr_array_new_with_free_func ((GDestroyNotify) mesh_config_free);
  config->pins = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_pin_free);
  config->endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_endpoint_free);
  return config;
}

void
wgd_config_free (WgdConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->state_directory);
  g_strfreev (config->rendezvous_urls);
  g_ptr_array_unref (config->interfaces);
  g_ptr_array_unref (config->meshes);
  g_ptr_array_unref (config->pins);
  g_ptr_array_unref (config->endpoints);
  g_free (config);
}

/* RendezvousURL=: one URL or several separated by white space, each
 * http:// or https:// with a host, no two alike. */
static gboolean
parse_rendezvous_urls (const Merge *m, const gchar *group, const gchar *value, WgdConfig *config,
                       GError **error)
{
  g_auto (GStrv) words = g_strsplit_set (value, " \t", -1);
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; words[i] != NULL; i++)
    {
      gsize len = strlen (words[i]);
      g_autoptr (GUri) uri = NULL;
      gchar *url;

      if (len == 0)
        continue;
      uri = g_uri_parse (words[i], G_URI_FLAGS_NONE, NULL);
      if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0'
          || (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0
              && g_strcmp0 (g_uri_get_scheme (uri), "http") != 0))
        return config_error (m, error, group, "RendezvousURL",
                             _("'%s' is not an http:// or https:// URL"), words[i]);
      while (len > 0 && words[i][len - 1] == '/')
        len--;
      url = g_strndup (words[i], len);
      g_ptr_array_add (urls, url);
      for (guint j = 0; j + 1 < urls->len; j++)
        if (strcmp (g_ptr_array_index (urls, j), url) == 0)
          return config_error (m, error, group, "RendezvousURL", _("'%s' is listed twice"),
                               words[i]);
      if (urls->len > WGD_CONFIG_RENDEZVOUS_URLS_MAX)
        return config_error (m, error, group, "RendezvousURL", _("more than %u servers"),
                             (guint) WGD_CONFIG_RENDEZVOUS_URLS_MAX);
    }
  if (urls->len == 0)
    return config_error (m, error, group, "RendezvousURL", _("no URL"));
  g_ptr_array_add (urls, NULL);
  g_strfreev (config->rendezvous_urls);
  config->rendezvous_urls = (GStrv) g_ptr_array_free (g_steal_pointer (&urls), FALSE);
  return TRUE;
}

static gboolean
parse_daemon (const Merge *m, const gchar *group, WgdConfig *config, GError **error)
{
  static const gchar *const keys[] = { "StateDirectory", "RendezvousURL",
                                       "RendezvousPrivateAddresses", NULL };
  g_autofree gchar *dir = get_string (m, group, "StateDirectory");
  g_autofree gchar *url = get_string (m, group, "RendezvousURL");

  if (!check_keys (m, group, keys, error)
      || !get_bool (m, group, "RendezvousPrivateAddresses", FALSE,
                    &config->rendezvous_private_addresses, error))
    return FALSE;
  if (dir != NULL)
    {
      if (!g_path_is_absolute (dir))
        return config_error (m, error, group, "StateDirectory", _("'%s' is not an absolute path"),
                             dir);
      g_free (config->state_directory);
      config->state_directory = g_steal_pointer (&dir);
    }
  if (url != NULL && !parse_rendezvous_urls (m, group, url, config, error))
    return FALSE;
  return TRUE;
}

static gboolean
parse_interface (const Merge *m, const gchar *group, const gchar *name, WgdConfig *config,
                 GError **error)
{
  static const gchar *const keys[] = { "Mode", "Mesh", "Advertise", "Browse", "Rendezvous",
                                       "PersistentKeepalive", "AllowInterfaces",
                                       "DenyInterfaces", NULL };
  g_autofree gchar *mode = get_string (m, group, "Mode");
  g_autofree gchar *rendezvous = get_string (m, group, "Rendezvous");
  g_autofree gchar *keepalive = get_string (m, group, "PersistentKeepalive");
  WgdInterfaceConfig *c;

  if (!check_keys (m, group, keys, error))
    return FALSE;
  if (!ifname_valid (name))
    return config_error (m, error, group, NULL, _("'%s' is not an interface name"), name);
  if (wgd_config_find_interface (config, name) != NULL)
    return config_error (m, error, group, NULL, _("interface %s is configured twice"), name);
  c = g_new0 (WgdInterfaceConfig, 1);
  g_ptr_array_add (config->interfaces, c);
  g_strlcpy (c->name, name, sizeof c->name);
  c->mesh = get_string (m, group, "Mesh");
  if (mode != NULL && !wgd_mode_from_string (mode, &c->mode))
    return config_error (m, error, group, "Mode", _("'%s' is not 'endpoint' or 'mesh'"), mode);
  if (c->mode == WGD_MODE_MESH && c->mesh == NULL)
    return config_error (m, error, group, "Mode", _("mesh mode needs Mesh= naming a [Mesh] group"));
  if (rendezvous == NULL || g_strcmp0 (rendezvous, "fallback") == 0)
    c->rendezvous = WGD_RENDEZVOUS_FALLBACK;
  else if (g_strcmp0 (rendezvous, "never") == 0)
    c->rendezvous = WGD_RENDEZVOUS_NEVER;
  else if (g_strcmp0 (rendezvous, "always") == 0)
    c->rendezvous = WGD_RENDEZVOUS_ALWAYS;
  else
    return config_error (m, error, group, "Rendezvous",
                         _("'%s' is not 'never', 'fallback' or 'always'"), rendezvous);
  if (keepalive != NULL)
    {
      guint64 v;

      if (!g_ascii_string_to_unsigned (keepalive, 10, 0, G_MAXUINT16, &v, NULL))
        return config_error (m, error, group, "PersistentKeepalive",
                             _("'%s' is not a number of seconds from 0 to 65535"), keepalive);
      c->persistent_keepalive = (guint16) v;
    }
  if (!get_bool (m, group, "Advertise", TRUE, &c->advertise, error)
      || !get_bool (m, group, "Browse", TRUE, &c->browse, error)
      || !get_ifnames (m, group, "AllowInterfaces", &c->allow_interfaces, error)
      || !get_ifnames (m, group, "DenyInterfaces", &c->deny_interfaces, error))
    return FALSE;
  if (c->allow_interfaces != NULL && c->deny_interfaces != NULL)
    return config_error (m, error, group, "DenyInterfaces",
                         _("AllowInterfaces and DenyInterfaces exclude each other"));
  return TRUE;
}

/* Reads the base64url file named by group's key (an absolute path) into
 * out[0..*len); on any problem the error names the key and the file. */
static gboolean
read_base64url_file (const Merge *m, const gchar *group, const gchar *key, const gchar *path,
                     guint8 *out, gsize cap, gsize *len, GError **error)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GError) local = NULL;
  gsize text_len = 0;

  GStatBuf st;
  /* base64url of cap bytes, and a line end or two. */
  gsize max = cap / 3 * 4 + 8;

  if (!g_path_is_absolute (path))
    return config_error (m, error, group, key, _("'%s' is not an absolute path"), path);
  /* Checked first, so that /dev/zero or a FIFO cannot stall the start. */
  if (g_stat (path, &st) != 0)
    return config_error (m, error, group, key, "%s: %s", path, g_strerror (errno));
  if (!S_ISREG (st.st_mode))
    return config_error (m, error, group, key, _("%s: not a regular file"), path);
  if ((guint64) st.st_size > max)
    return config_error (m, error, group, key, _("%s: too large (%" PRIu64 " bytes)"),
                         path, (guint64) st.st_size);
  if (!g_file_get_contents (path, &text, &text_len, &local))
    return config_error (m, error, group, key, "%s", local->message);
  if (text_len > max)
    return config_error (m, error, group, key, _("%s: too large"), path);
  g_strstrip (text);
  if (!wgd_base64url_decode (text, strlen (text), out, cap, len, &local))
    return config_error (m, error, group, key, "%s: %s", path, local->message);
  return TRUE;
}

static gboolean
load_certificate (const Merge *m, const gchar *group, WgdMeshConfig *c, GError **error)
{
  g_autofree guint8 *raw = g_malloc (WGD_CERTIFICATE_MAX);
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();
  g_autoptr (GError) local = NULL;
  gsize len = 0;

  if (!read_base64url_file (m, group, "Certificate", c->certificate_file, raw,
                            WGD_CERTIFICATE_MAX, &len, error))
    return FALSE;
  if (!wgd_certificate_decode (cert, raw, len, &local))
    return config_error (m, error, group, "Certificate", _("%s: not a certificate: %s"),
                         c->certificate_file, local->message);
  if (sodium_memcmp (cert->ca_key, c->ca_key, WGD_KEY_LEN) != 0)
    return config_error (m, error, group, "Certificate", _("%s: issued by another CA than CA="),
                         c->certificate_file);
  if (!wgd_certificate_verify_signature (cert))
    return config_error (m, error, group, "Certificate", _("%s: the CA's signature does not verify"),
                         c->certificate_file);
  c->certificate = g_steal_pointer (&cert);
  return TRUE;
}

static gboolean
load_revocations (const Merge *m, const gchar *group, WgdMeshConfig *c, GError **error)
{
  g_autofree guint8 *raw = g_malloc (WGD_REVOCATION_MAX);
  g_autoptr (WgdRevocationList) list = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;

  if (!read_base64url_file (m, group, "Revocations", c->revocations_file, raw,
                            WGD_REVOCATION_MAX, &len, error))
    return FALSE;
  list = wgd_revocation_list_decode (raw, len, &local);
  if (list == NULL)
    return config_error (m, error, group, "Revocations", _("%s: not a revocation list: %s"),
                         c->revocations_file, local->message);
  if (sodium_memcmp (list->ca_key, c->ca_key, WGD_KEY_LEN) != 0)
    return config_error (m, error, group, "Revocations", _("%s: signed by another CA than CA="),
                         c->revocations_file);
  if (!wgd_revocation_list_verify_signature (list))
    return config_error (m, error, group, "Revocations",
                         _("%s: the CA's signature does not verify"), c->revocations_file);
  c->revocations = g_steal_pointer (&list);
  return TRUE;
}

static gboolean
parse_mesh (const Merge *m, const gchar *group, const gchar *name, WgdConfig *config,
            GError **error)
{
  static const gchar *const keys[] = { "CA", "Certificate", "Revocations", NULL };
  WgdMeshConfig *c;

  if (!check_keys (m, group, keys, error))
    return FALSE;
  c = g_new0 (WgdMeshConfig, 1);
  g_ptr_array_add (config->meshes, c);
  c->name = g_strdup (name);
  c->certificate_file = get_string (m, group, "Certificate");
  c->revocations_file = get_string (m, group, "Revocations");
  return get_key (m, group, "CA", c->ca_key, error)
         && (c->certificate_file == NULL || load_certificate (m, group, c, error))
         && (c->revocations_file == NULL || load_revocations (m, group, c, error));
}

static gboolean
parse_peer (const Merge *m, const gchar *group, const gchar *name, WgdConfig *config,
            GError **error)
{
  static const gchar *const keys[] = { "WireGuardKey", "SigningKey", "Endpoint", NULL };
  g_autofree gchar *signing = get_string (m, group, "SigningKey");
  g_autofree gchar *endpoint = get_string (m, group, "Endpoint");
  guint8 wg_key[WGD_KEY_LEN];

  if (!check_keys (m, group, keys, error) || !get_key (m, group, "WireGuardKey", wg_key, error))
    return FALSE;
  if (signing == NULL && endpoint == NULL)
    return config_error (m, error, group, NULL,
                         _("needs SigningKey= (a pin), Endpoint= (where the peer is), or both"));
  if (signing != NULL)
    {
      WgdPeerPin *p = g_new0 (WgdPeerPin, 1);

      g_ptr_array_add (config->pins, p);
      p->name = g_strdup (name);
      memcpy (p->wg_key, wg_key, WGD_KEY_LEN);
      if (!get_key (m, group, "SigningKey", p->signing_key, error))
        return FALSE;
    }
  if (endpoint != NULL)
    {
      g_autoptr (GError) local = NULL;
      WgdPeerEndpoint *p = g_new0 (WgdPeerEndpoint, 1);

      g_ptr_array_add (config->endpoints, p);
      p->name = g_strdup (name);
      memcpy (p->wg_key, wg_key, WGD_KEY_LEN);
      p->endpoint = wgd_host_endpoint_parse (endpoint, &local);
      if (p->endpoint == NULL)
        return config_error (m, error, group, "Endpoint", "%s", local->message);
      for (guint i = 0; i + 1 < config->endpoints->len; i++)
        {
          const WgdPeerEndpoint *other = g_ptr_array_index (config->endpoints, i);

          if (memcmp (other->wg_key, wg_key, WGD_KEY_LEN) == 0)
            return config_error (m, error, group, "WireGuardKey",
                                 _("the peer has an Endpoint= in [Peer %s] already"),
                                 other->name);
        }
    }
  return TRUE;
}

static WgdConfig *
config_from_merge (const Merge *m, GError **error)
{
  g_autoptr (WgdConfig) config = wgd_config_new ();
  g_auto (GStrv) groups = g_key_file_get_groups (m->kf, NULL);
  const gchar *advertising = NULL;

  for (guint g = 0; groups[g] != NULL; g++)
    {
      const gchar *group = groups[g];
      gboolean ok;

      if (g_strcmp0 (group, "Daemon") == 0)
        ok = parse_daemon (m, group, config, error);
      else if (g_str_has_prefix (group, "Interface "))
        ok = parse_interface (m, group, group + strlen ("Interface "), config, error);
      else if (g_str_has_prefix (group, "Mesh ") && group[5] != '\0')
        ok = parse_mesh (m, group, group + strlen ("Mesh "), config, error);
      else if (g_str_has_prefix (group, "Peer ") && group[5] != '\0')
        ok = parse_peer (m, group, group + strlen ("Peer "), config, error);
      else
        ok = config_error (m, error, group, NULL,
                           _("unknown group (expected [Daemon], [Interface NAME], [Mesh NAME] "
                             "or [Peer NAME])"));
      if (!ok)
        return NULL;
    }
  for (guint i = 0; i < config->interfaces->len; i++)
    {
      const WgdInterfaceConfig *c = g_ptr_array_index (config->interfaces, i);
      g_autofree gchar *group = g_strdup_printf ("Interface %s", c->name);

      if (c->mesh != NULL && wgd_config_find_mesh (config, c->mesh) == NULL)
        {
          config_error (m, error, group, "Mesh", _("there is no [Mesh %s] group"), c->mesh);
          return NULL;
        }
      /* One identity gives one WireGuard key, and receivers keep only the
       * newest timestamp per signing key: two records of ours valid at
       * once would make each other look replayed. */
      if (c->advertise && advertising != NULL)
        {
          config_error (m, error, group, "Advertise",
                        _("only one interface can advertise and %s already does "
                          "(set Advertise=false on all others)"), advertising);
          return NULL;
        }
      if (c->advertise)
        advertising = c->name;
    }
  return g_steal_pointer (&config);
}

WgdConfig *
wgd_config_load_data (const gchar *name, const gchar *data, gsize len, GError **error)
{
  g_auto (Merge) m = { 0 };

  merge_init (&m);
  if (!merge_add (&m, name, data, len, error))
    return NULL;
  return config_from_merge (&m, error);
}

static gboolean
merge_add_file (Merge *m, const gchar *path, gboolean missing_ok, GError **error)
{
  g_autofree gchar *data = NULL;
  g_autoptr (GError) local = NULL;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      if (missing_ok && g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "%s", local->message);
      return FALSE;
    }
  return merge_add (m, path, data, len, error);
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  /* g_ptr_array_sort passes pointers to the elements. */
  return g_strcmp0 (*(gchar *const *) a, *(gchar *const *) b);
}

WgdConfig *
wgd_config_load (const gchar *path, gboolean missing_ok, GError **error)
{
  g_auto (Merge) m = { 0 };
  g_autofree gchar *dir_path = g_strconcat (path, ".d", NULL);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) dropins = g_ptr_array_new_with_free_func (g_free);
  const gchar *entry;

  merge_init (&m);
  if (!merge_add_file (&m, path, missing_ok, error))
    return NULL;
  dir = g_dir_open (dir_path, 0, NULL);
  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (entry, ".conf"))
      g_ptr_array_add (dropins, g_build_filename (dir_path, entry, NULL));
  g_ptr_array_sort (dropins, compare_paths);
  for (guint i = 0; i < dropins->len; i++)
    if (!merge_add_file (&m, g_ptr_array_index (dropins, i), FALSE, error))
      return NULL;
  return config_from_merge (&m, error);
}

const WgdInterfaceConfig *
wgd_config_find_interface (const WgdConfig *config, const gchar *name)
{
  for (guint i = 0; i < config->interfaces->len; i++)
    {
      const WgdInterfaceConfig *c = g_ptr_array_index (config->interfaces, i);

      if (g_strcmp0 (c->name, name) == 0)
        return c;
    }
  return NULL;
}

const WgdMeshConfig *
wgd_config_find_mesh (const WgdConfig *config, const gchar *name)
{
  for (guint i = 0; i < config->meshes->len; i++)
    {
      const WgdMeshConfig *c = g_ptr_array_index (config->meshes, i);

      if (g_strcmp0 (c->name, name) == 0)
        return c;
    }
  return NULL;
}

WgdTrustStore *
wgd_config_trust_store_new (const WgdConfig *config)
{
  WgdTrustStore *store = wgd_trust_store_new ();

  for (guint i = 0; i < config->meshes->len; i++)
    {
      const WgdMeshConfig *mesh = g_ptr_array_index (config->meshes, i);

      wgd_trust_store_add_ca (store, mesh->ca_key);
      /* Checked against its CA when read; of two [Mesh] groups with one
       * CA, the newer list stands. */
      if (mesh->revocations != NULL)
        wgd_trust_store_add_revocations (store, mesh->revocations, NULL);
    }
  for (guint i = 0; i < config->pins->len; i++)
    {
      const WgdPeerPin *p = g_ptr_array_index (config->pins, i);

      wgd_trust_store_add_pin (store, p->wg_key, p->signing_key);
    }
  return store;
}
