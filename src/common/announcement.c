/* announcement.c — encode, decode and verify the signed announcement
 * record. The decoder is the first thing untrusted network bytes meet:
 * it checks every length before use and allocates nothing. */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "announcement.h"
#include "wgd-error.h"

WgdAnnouncement *
wgd_announcement_new (void)
{
  return g_new0 (WgdAnnouncement, 1);
}

void
wgd_announcement_free (WgdAnnouncement *ann)
{
  g_free (ann);
}

static gsize
endpoint_value_len (guint8 family)
{
  return family == 4 ? 2 + 4 + 2 : family == 6 ? 2 + 16 + 2 : 0;
}

static gboolean
endpoint_is_valid (const WgdEndpoint *ep)
{
  return ep->kind >= WGD_ENDPOINT_HOST && ep->kind <= WGD_ENDPOINT_CONFIGURED
         && endpoint_value_len (ep->family) != 0 && ep->port != 0;
}

static void
write_field_header (WgdWriter *w, guint8 type, gsize len)
{
  wgd_writer_u8 (w, type);
  wgd_writer_u16 (w, (guint16) len);
}

static void
write_key_field (WgdWriter *w, guint8 type, const guint8 key[WGD_KEY_LEN])
{
  write_field_header (w, type, WGD_KEY_LEN);
  wgd_writer_bytes (w, key, WGD_KEY_LEN);
}

gboolean
wgd_announcement_sign (WgdAnnouncement *ann, const WgdKeyPair *identity, GError **error)
{
  WgdWriter w;
  gsize name_len = strnlen (ann->name, sizeof ann->name);

  if (ann->n_endpoints > WGD_ENDPOINTS_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "an announcement carries at most %d endpoints", WGD_ENDPOINTS_MAX);
      return FALSE;
    }
  for (gsize i = 0; i < ann->n_endpoints; i++)
    if (!endpoint_is_valid (&ann->endpoints[i]))
      {
        g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                     "endpoint %" G_GSIZE_FORMAT " has an invalid kind, family or port", i + 1);
        return FALSE;
      }
  if (name_len > 0 && !wgd_name_is_valid ((const guint8 *) ann->name, name_len))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "name must be 1 to %d bytes of UTF-8 without control characters",
                   WGD_NAME_MAX);
      return FALSE;
    }
  if (ann->has_certificate && ann->certificate.raw_len == 0)
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           "the certificate has not been signed");
      return FALSE;
    }

  memcpy (ann->signing_key, identity->public_key, WGD_KEY_LEN);
  wgd_writer_init (&w, ann->record, sizeof ann->record - WGD_SIGNATURE_LEN);
  wgd_writer_u8 (&w, WGD_RECORD_VERSION);
  write_key_field (&w, WGD_FIELD_SIGNING_KEY, ann->signing_key);
  write_key_field (&w, WGD_FIELD_WG_KEY, ann->wg_key);
  write_field_header (&w, WGD_FIELD_TIMESTAMP, 8);
  wgd_writer_u64 (&w, ann->timestamp);
  write_field_header (&w, WGD_FIELD_LIFETIME, 4);
  wgd_writer_u32 (&w, ann->lifetime);
  for (gsize i = 0; i < ann->n_endpoints; i++)
    {
      const WgdEndpoint *ep = &ann->endpoints[i];
      gsize alen = endpoint_value_len (ep->family) - 4;

      write_field_header (&w, WGD_FIELD_ENDPOINT, endpoint_value_len (ep->family));
      wgd_writer_u8 (&w, (guint8) ep->kind);
      wgd_writer_u8 (&w, ep->family);
      wgd_writer_bytes (&w, ep->address, alen);
      wgd_writer_u16 (&w, ep->port);
    }
  if (name_len > 0)
    {
      write_field_header (&w, WGD_FIELD_NAME, name_len);
      wgd_writer_bytes (&w, ann->name, name_len);
    }
  if (ann->has_certificate)
    {
      write_field_header (&w, WGD_FIELD_CERTIFICATE, ann->certificate.raw_len);
      wgd_writer_bytes (&w, ann->certificate.raw, ann->certificate.raw_len);
    }
  if (ann->has_mesh)
    write_key_field (&w, WGD_FIELD_MESH, ann->mesh_key);
  if (w.overflow)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                   "announcement does not fit in %d bytes", WGD_RECORD_MAX);
      return FALSE;
    }
  ann->record_len = wgd_writer_sign (&w, WGD_RECORD_CONTEXT, identity->secret_key,
                                     ann->signature);
  return TRUE;
}

static gboolean
malformed (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
malformed (GError **error, const gchar *format, ...)
{
  g_autofree gchar *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED, "malformed announcement: %s", what);
  return FALSE;
}

static gboolean
decode_endpoint (WgdEndpoint *ep, const guint8 *value, guint16 len)
{
  WgdReader r;
  const guint8 *addr;
  guint8 kind;

  wgd_reader_init (&r, value, len);
  if (!wgd_reader_u8 (&r, &kind) || !wgd_reader_u8 (&r, &ep->family))
    return FALSE;
  ep->kind = kind;
  if (endpoint_value_len (ep->family) != len)
    return FALSE;
  wgd_reader_bytes (&r, len - 4u, &addr);
  memcpy (ep->address, addr, len - 4u);
  wgd_reader_u16 (&r, &ep->port);
  return endpoint_is_valid (ep);
}

gboolean
wgd_announcement_decode (WgdAnnouncement *out, const guint8 *data, gsize len, GError **error)
{
  WgdReader r;
  guint8 version;
  gint prev_type = -1;
  guint required = 0;

  memset (out, 0, sizeof *out);
  if (len > WGD_RECORD_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                   "announcement of %" G_GSIZE_FORMAT " bytes exceeds %d", len, WGD_RECORD_MAX);
      return FALSE;
    }
  if (len < 1 + WGD_SIGNATURE_LEN)
    return malformed (error, "%" G_GSIZE_FORMAT " bytes is shorter than a signature", len);

  wgd_reader_init (&r, data, len - WGD_SIGNATURE_LEN);
  wgd_reader_u8 (&r, &version);
  if (version != WGD_RECORD_VERSION)
    return malformed (error, "unsupported version %u", version);

  while (r.left > 0)
    {
      guint8 type;
      guint16 flen;
      const guint8 *value;

      if (!wgd_reader_u8 (&r, &type) || !wgd_reader_u16 (&r, &flen))
        return malformed (error, "truncated field header at byte %" G_GSIZE_FORMAT,
                          len - WGD_SIGNATURE_LEN - r.left);
      if (!wgd_reader_bytes (&r, flen, &value))
        return malformed (error, "field type %u claims %u bytes, only %" G_GSIZE_FORMAT " remain",
                          type, flen, r.left);
      if (type < prev_type)
        return malformed (error, "field type %u after type %d: fields out of order", type,
                          prev_type);
      if (type == prev_type && type != WGD_FIELD_ENDPOINT)
        return malformed (error, "field type %u repeated", type);
      prev_type = type;

      switch (type)
        {
        case WGD_FIELD_SIGNING_KEY:
        case WGD_FIELD_WG_KEY:
        case WGD_FIELD_MESH:
          if (flen != WGD_KEY_LEN)
            return malformed (error, "field type %u has %u bytes, a key has 32", type, flen);
          memcpy (type == WGD_FIELD_SIGNING_KEY ? out->signing_key
                  : type == WGD_FIELD_WG_KEY    ? out->wg_key
                                                : out->mesh_key,
                  value, WGD_KEY_LEN);
          out->has_mesh |= type == WGD_FIELD_MESH;
          break;
        case WGD_FIELD_TIMESTAMP:
          {
            WgdReader v;

            wgd_reader_init (&v, value, flen);
            if (flen != 8)
              return malformed (error, "timestamp has %u bytes, expected 8", flen);
            wgd_reader_u64 (&v, &out->timestamp);
          }
          break;
        case WGD_FIELD_LIFETIME:
          {
            WgdReader v;

            wgd_reader_init (&v, value, flen);
            if (flen != 4)
              return malformed (error, "lifetime has %u bytes, expected 4", flen);
            wgd_reader_u32 (&v, &out->lifetime);
          }
          break;
        case WGD_FIELD_ENDPOINT:
          if (out->n_endpoints == WGD_ENDPOINTS_MAX)
            return malformed (error, "more than %d endpoints", WGD_ENDPOINTS_MAX);
          if (!decode_endpoint (&out->endpoints[out->n_endpoints], value, flen))
            return malformed (error, "endpoint %" G_GSIZE_FORMAT
                              " has a bad length, kind, family or port", out->n_endpoints + 1);
          out->n_endpoints++;
          break;
        case WGD_FIELD_NAME:
          if (!wgd_name_is_valid (value, flen))
            return malformed (error, "name is not 1-63 bytes of UTF-8 without control characters");
          memcpy (out->name, value, flen);
          break;
        case WGD_FIELD_CERTIFICATE:
          {
            g_autoptr (GError) local = NULL;

            if (!wgd_certificate_decode (&out->certificate, value, flen, &local))
              return malformed (error, "%s", local->message);
            out->has_certificate = TRUE;
          }
          break;
        default:
          if (type < WGD_FIELD_EXTENSION_FIRST)
            return malformed (error, "unknown field type %u", type);
          break;
        }
      if (type <= WGD_FIELD_LIFETIME)
        required |= 1u << type;
    }

  for (guint type = WGD_FIELD_SIGNING_KEY; type <= WGD_FIELD_LIFETIME; type++)
    if (!(required & (1u << type)))
      return malformed (error, "required field type %u is missing", type);

  memcpy (out->signature, data + len - WGD_SIGNATURE_LEN, WGD_SIGNATURE_LEN);
  memcpy (out->record, data, len);
  out->record_len = len;
  return TRUE;
}

gboolean
wgd_announcement_verify_signature (const WgdAnnouncement *ann)
{
  if (ann->record_len < 1 + WGD_SIGNATURE_LEN)
    return FALSE;
  return wgd_wire_verify (WGD_RECORD_CONTEXT, ann->record, ann->record_len - WGD_SIGNATURE_LEN,
                          ann->signature, ann->signing_key);
}

gboolean
wgd_endpoint_parse (const gchar *text, WgdEndpoint *out, GError **error)
{
  g_autofree gchar *host = NULL;
  g_autoptr (GInetAddress) addr = NULL;
  const gchar *port_text;
  guint64 port;
  WgdEndpoint ep = { .kind = WGD_ENDPOINT_HOST };

  if (text[0] == '[')
    {
      const gchar *close = strchr (text, ']');

      if (close == NULL || close[1] != ':')
        goto bad;
      host = g_strndup (text + 1, (gsize) (close - text - 1));
      port_text = close + 2;
    }
  else
    {
      const gchar *colon = strrchr (text, ':');

      if (colon == NULL || memchr (text, ':', (gsize) (colon - text)) != NULL)
        goto bad;
      host = g_strndup (text, (gsize) (colon - text));
      port_text = colon + 1;
    }
  if (strchr (host, '%') != NULL)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "endpoint '%s': a scope (%%interface) cannot be announced; the receiver "
                   "adds its own", text);
      return FALSE;
    }
  addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "endpoint '%s': '%s' is not an IPv4 or IPv6 address", text, host);
      return FALSE;
    }
  if (!g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "endpoint '%s': port must be a number from 1 to 65535", text);
      return FALSE;
    }
  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV4)
    {
      ep.family = 4;
      memcpy (ep.address, g_inet_address_to_bytes (addr), 4);
    }
  else
    {
      ep.family = 6;
      memcpy (ep.address, g_inet_address_to_bytes (addr), 16);
    }
  ep.port = (guint16) port;
  *out = ep;
  return TRUE;

bad:
  g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
               "endpoint '%s' is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)", text);
  return FALSE;
}

gchar *
wgd_endpoint_to_string (const WgdEndpoint *endpoint)
{
  g_autoptr (GInetAddress) addr =
    g_inet_address_new_from_bytes (endpoint->address,
                                   endpoint->family == 4 ? G_SOCKET_FAMILY_IPV4
                                                         : G_SOCKET_FAMILY_IPV6);
  g_autofree gchar *s = g_inet_address_to_string (addr);

  if (endpoint->family == 6)
    return g_strdup_printf ("[%s]:%u", s, endpoint->port);
  return g_strdup_printf ("%s:%u", s, endpoint->port);
}

const gchar *
wgd_endpoint_kind_to_string (WgdEndpointKind kind)
{
  switch (kind)
    {
    case WGD_ENDPOINT_HOST:
      return "host";
    case WGD_ENDPOINT_REFLEXIVE:
      return "reflexive";
    case WGD_ENDPOINT_CONFIGURED:
      return "configured";
    default:
      return "unknown";
    }
}
