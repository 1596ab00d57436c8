/* uapi-parse.c — UAPI replies, strictly: every line is key=value, keys
 * and numbers are checked before use, and the reply must end with its
 * errno line. Keys this code does not know are skipped, as newer
 * implementations may add some. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <sodium.h>

#include "uapi-parse.h"

static gboolean G_GNUC_PRINTF (3, 4)
protocol_error (GError **error, guint line, const gchar *format, ...)
{
  g_autofree gchar *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PROTOCOL,
               "malformed WireGuard UAPI reply, line %u: %s", line, what);
  return FALSE;
}

static gboolean
parse_key (const gchar *value, guint8 out[WGD_KEY_LEN])
{
  size_t len = 0;

  return strlen (value) == 2 * WGD_KEY_LEN
         && sodium_hex2bin (out, WGD_KEY_LEN, value, 2 * WGD_KEY_LEN, NULL, &len, NULL) == 0
         && len == WGD_KEY_LEN;
}

static gboolean
parse_number (const gchar *value, guint64 max, guint64 *out)
{
  return g_ascii_string_to_unsigned (value, 10, 0, max, out, NULL);
}

static gboolean
parse_allowed_ip (const gchar *value, WgdPrefix *out)
{
  g_autofree gchar *addr = NULL;
  const gchar *slash = strchr (value, '/');
  guint64 bits;
  WgdPrefix p = { 0 };

  if (slash == NULL)
    return FALSE;
  addr = g_strndup (value, (gsize) (slash - value));
  if (inet_pton (AF_INET, addr, p.address) == 1)
    p.family = 4;
  else if (inet_pton (AF_INET6, addr, p.address) == 1)
    p.family = 6;
  else
    return FALSE;
  if (!parse_number (slash + 1, p.family == 4 ? 32 : 128, &bits))
    return FALSE;
  p.length = (guint8) bits;
  *out = p;
  return TRUE;
}

/* Splits "key=value"; value points into line. */
static gboolean
split_line (gchar *line, const gchar **key, gchar **value)
{
  gchar *eq = strchr (line, '=');

  if (eq == NULL || eq == line)
    return FALSE;
  *eq = '\0';
  *key = line;
  *value = eq + 1;
  return TRUE;
}

static gboolean
parse_device_key (WgdDevice *device, const gchar *key, gchar *value, guint n,
                  GError **error)
{
  guint64 v;

  if (strcmp (key, "private_key") == 0)
    {
      guint8 secret[WGD_KEY_LEN];
      static const guint8 zero[WGD_KEY_LEN];
      gboolean ok = parse_key (value, secret);

      /* Our copy of the reply is freed without a trace of the key. */
      sodium_memzero (value, strlen (value));
      if (!ok)
        return protocol_error (error, n, "private_key is not 64 hex digits");
      device->has_private_key = memcmp (secret, zero, WGD_KEY_LEN) != 0;
      /* The protocol gives only the private key; keep what it proves. */
      device->has_public_key = device->has_private_key
                               && crypto_scalarmult_base (device->public_key, secret) == 0;
      sodium_memzero (secret, sizeof secret);
    }
  else if (strcmp (key, "listen_port") == 0)
    {
      if (!parse_number (value, G_MAXUINT16, &v))
        return protocol_error (error, n, "listen_port is not a port number");
      device->listen_port = (guint16) v;
    }
  else if (strcmp (key, "fwmark") == 0)
    {
      if (!parse_number (value, G_MAXUINT32, &v))
        return protocol_error (error, n, "fwmark is not a 32-bit number");
      device->fwmark = (guint32) v;
    }
  return TRUE;
}

static gboolean
parse_peer_key (WgdPeer *peer, const gchar *key, const gchar *value, guint n, GError **error)
{
  guint64 v;

  if (strcmp (key, "preshared_key") == 0)
    {
      guint8 psk[WGD_KEY_LEN];
      static const guint8 zero[WGD_KEY_LEN];

      if (!parse_key (value, psk))
        return protocol_error (error, n, "preshared_key is not 64 hex digits");
      peer->has_preshared_key = memcmp (psk, zero, WGD_KEY_LEN) != 0;
      sodium_memzero (psk, sizeof psk);
    }
  else if (strcmp (key, "endpoint") == 0)
    {
      if (!wgd_sockaddr_parse (value, &peer->endpoint))
        return protocol_error (error, n, "endpoint '%s' is not ADDRESS:PORT", value);
    }
  else if (strcmp (key, "persistent_keepalive_interval") == 0)
    {
      if (!parse_number (value, G_MAXUINT16, &v))
        return protocol_error (error, n, "persistent_keepalive_interval is out of range");
      peer->persistent_keepalive = (guint16) v;
    }
  else if (strcmp (key, "last_handshake_time_sec") == 0)
    {
      if (!parse_number (value, G_MAXINT64, &v))
        return protocol_error (error, n, "last_handshake_time_sec is out of range");
      peer->last_handshake_sec = (gint64) v;
    }
  else if (strcmp (key, "last_handshake_time_nsec") == 0)
    {
      if (!parse_number (value, 999999999, &v))
        return protocol_error (error, n, "last_handshake_time_nsec is out of range");
      peer->last_handshake_nsec = (gint64) v;
    }
  else if (strcmp (key, "rx_bytes") == 0 || strcmp (key, "tx_bytes") == 0)
    {
      if (!parse_number (value, G_MAXUINT64, &v))
        return protocol_error (error, n, "%s is not a number", key);
      *(key[0] == 'r' ? &peer->rx_bytes : &peer->tx_bytes) = v;
    }
  else if (strcmp (key, "allowed_ip") == 0)
    {
      WgdPrefix prefix;

      if (!parse_allowed_ip (value, &prefix))
        return protocol_error (error, n, "allowed_ip '%s' is not ADDRESS/LENGTH", value);
      g_array_append_val (peer->allowed_ips, prefix);
    }
  else if (strcmp (key, "private_key") == 0 || strcmp (key, "listen_port") == 0
           || strcmp (key, "fwmark") == 0)
    return protocol_error (error, n, "device key %s inside a peer", key);
  return TRUE;
}

/* The errno line and the empty line after it end every reply. */
static gboolean
parse_errno_line (const gchar *value, guint n, gint *out, GError **error)
{
  guint64 v;

  if (!parse_number (value, G_MAXINT32, &v))
    return protocol_error (error, n, "errno is not a number");
  *out = (gint) v;
  return TRUE;
}

static gboolean
reply_split (const gchar *text, gsize len, gchar ***lines, GError **error)
{
  if (len < 2 || text[len - 1] != '\n' || text[len - 2] != '\n')
    return protocol_error (error, 0, "reply does not end with an empty line");
  if (memchr (text, '\0', len) != NULL)
    return protocol_error (error, 0, "reply contains a NUL byte");
  {
    gchar *copy = g_strndup (text, len - 2);

    *lines = g_strsplit (copy, "\n", -1);
    /* It holds the private key (its line is wiped where it is parsed). */
    sodium_memzero (copy, len - 2);
    g_free (copy);
  }
  return TRUE;
}

WgdDevice *
wgd_uapi_parse_get_reply (const gchar *ifname, const gchar *text, gsize len, GError **error)
{
  g_auto (GStrv) lines = NULL;
  g_autoptr (WgdDevice) device = wgd_device_new (ifname);
  WgdPeer *peer = NULL;
  gint err = -1;
  guint n = 0;

  if (!reply_split (text, len, &lines, error))
    return NULL;
  for (gchar **line = lines; *line != NULL; line++)
    {
      const gchar *key;
      gchar *value;

      n++;
      if (err >= 0)
        {
          protocol_error (error, n, "text after the errno line");
          return NULL;
        }
      if (!split_line (*line, &key, &value))
        {
          protocol_error (error, n, "not key=value");
          return NULL;
        }
      if (strcmp (key, "errno") == 0)
        {
          if (!parse_errno_line (value, n, &err, error))
            return NULL;
        }
      else if (strcmp (key, "public_key") == 0)
        {
          peer = wgd_peer_new ();
          g_ptr_array_add (device->peers, peer);
          if (!parse_key (value, peer->public_key))
            {
              protocol_error (error, n, "public_key is not 64 hex digits");
              return NULL;
            }
        }
      else if (!(peer ? parse_peer_key (peer, key, value, n, error)
                      : parse_device_key (device, key, value, n, error)))
        return NULL;
    }
  if (err < 0)
    {
      protocol_error (error, n, "no errno line");
      return NULL;
    }
  if (err != 0)
    {
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                   "WireGuard interface %s refused to report its configuration: %s", ifname,
                   g_strerror (err));
      return NULL;
    }
  return g_steal_pointer (&device);
}

gint
wgd_uapi_parse_errno (const gchar *text, gsize len, GError **error)
{
  g_auto (GStrv) lines = NULL;
  const gchar *key;
  gchar *value;
  gint err;

  if (!reply_split (text, len, &lines, error))
    return -1;
  if (g_strv_length (lines) != 1 || !split_line (lines[0], &key, &value)
      || strcmp (key, "errno") != 0)
    {
      protocol_error (error, 1, "expected only an errno line");
      return -1;
    }
  if (!parse_errno_line (value, 1, &err, error))
    return -1;
  return err;
}
