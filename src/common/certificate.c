/* certificate.c — encode, decode and verify mesh certificates. */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "certificate.h"
#include "wgd-error.h"

WgdCertificate *
wgd_certificate_new (void)
{
  return g_new0 (WgdCertificate, 1);
}

void
wgd_certificate_free (WgdCertificate *cert)
{
  g_free (cert);
}

static gsize
family_address_len (guint8 family)
{
  return family == 4 ? 4 : family == 6 ? 16 : 0;
}

gboolean
wgd_prefix_is_valid (const WgdPrefix *prefix)
{
  gsize alen = family_address_len (prefix->family);

  return alen != 0 && prefix->length <= alen * 8;
}

gboolean
wgd_prefix_is_canonical (const WgdPrefix *prefix)
{
  gsize alen = family_address_len (prefix->family);
  guint bits = prefix->length;

  if (!wgd_prefix_is_valid (prefix))
    return FALSE;
  for (gsize i = 0; i < alen; i++)
    {
      guint8 mask;

      if (bits >= 8)
        mask = 0xff;
      else
        mask = (guint8) (0xff << (8 - bits));
      if (prefix->address[i] & ~mask)
        return FALSE;
      bits = bits >= 8 ? bits - 8 : 0;
    }
  for (gsize i = alen; i < sizeof prefix->address; i++)
    if (prefix->address[i] != 0)
      return FALSE;
  return TRUE;
}

gboolean
wgd_prefix_overlaps (const WgdPrefix *a, const WgdPrefix *b)
{
  guint bits = MIN (a->length, b->length);
  guint whole = bits / 8, rest = bits % 8;

  if (a->family != b->family)
    return FALSE;
  if (memcmp (a->address, b->address, whole) != 0)
    return FALSE;
  return rest == 0
         || ((a->address[whole] ^ b->address[whole]) & (guint8) (0xff << (8 - rest))) == 0;
}

gboolean
wgd_prefix_parse (const gchar *text, WgdPrefix *out, GError **error)
{
  g_autofree gchar *addr_text = NULL;
  g_autoptr (GInetAddress) addr = NULL;
  const gchar *slash = strchr (text, '/');
  WgdPrefix prefix = { 0 };
  gsize alen;

  addr_text = slash ? g_strndup (text, (gsize) (slash - text)) : g_strdup (text);
  addr = g_inet_address_new_from_string (addr_text);
  if (addr == NULL)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "'%s' is not an IPv4 or IPv6 address", addr_text);
      return FALSE;
    }
  prefix.family = g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV4 ? 4 : 6;
  alen = family_address_len (prefix.family);
  memcpy (prefix.address, g_inet_address_to_bytes (addr), alen);
  if (slash == NULL)
    prefix.length = (guint8) (alen * 8);
  else
    {
      guint64 bits;

      if (!g_ascii_string_to_unsigned (slash + 1, 10, 0, alen * 8, &bits, NULL))
        {
          g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                       "'%s': prefix length must be a number from 0 to %" G_GSIZE_FORMAT,
                       text, alen * 8);
          return FALSE;
        }
      prefix.length = (guint8) bits;
    }
  if (!wgd_prefix_is_canonical (&prefix))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "'%s' has bits set past the prefix length", text);
      return FALSE;
    }
  *out = prefix;
  return TRUE;
}

gchar *
wgd_prefix_to_string (const WgdPrefix *prefix)
{
  g_autoptr (GInetAddress) addr =
    g_inet_address_new_from_bytes (prefix->address,
                                   prefix->family == 4 ? G_SOCKET_FAMILY_IPV4
                                                       : G_SOCKET_FAMILY_IPV6);
  g_autofree gchar *s = g_inet_address_to_string (addr);

  return g_strdup_printf ("%s/%u", s, prefix->length);
}

static void
certificate_write_body (const WgdCertificate *cert, WgdWriter *w)
{
  gsize name_len = strlen (cert->name);

  wgd_writer_u8 (w, WGD_CERTIFICATE_VERSION);
  wgd_writer_bytes (w, cert->ca_key, WGD_KEY_LEN);
  wgd_writer_bytes (w, cert->signing_key, WGD_KEY_LEN);
  wgd_writer_bytes (w, cert->wg_key, WGD_KEY_LEN);
  wgd_writer_u64 (w, cert->serial);
  wgd_writer_u64 (w, cert->not_before);
  wgd_writer_u64 (w, cert->not_after);
  wgd_writer_u8 (w, (guint8) name_len);
  wgd_writer_bytes (w, cert->name, name_len);
  wgd_writer_u8 (w, (guint8) cert->n_prefixes);
  for (gsize i = 0; i < cert->n_prefixes; i++)
    {
      const WgdPrefix *p = &cert->prefixes[i];

      wgd_writer_u8 (w, p->family);
      wgd_writer_u8 (w, p->length);
      wgd_writer_bytes (w, p->address, family_address_len (p->family));
    }
}

gboolean
wgd_certificate_sign (WgdCertificate *cert, const WgdKeyPair *ca, GError **error)
{
  WgdWriter w;
  gsize name_len = strnlen (cert->name, sizeof cert->name);

  if (!wgd_name_is_valid ((const guint8 *) cert->name, name_len))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "certificate name must be 1 to %d bytes of UTF-8 without control characters",
                   WGD_NAME_MAX);
      return FALSE;
    }
  if (cert->n_prefixes > WGD_CERTIFICATE_PREFIXES_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "a certificate holds at most %d prefixes", WGD_CERTIFICATE_PREFIXES_MAX);
      return FALSE;
    }
  for (gsize i = 0; i < cert->n_prefixes; i++)
    if (!wgd_prefix_is_canonical (&cert->prefixes[i]))
      {
        g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                     "certificate prefix %" G_GSIZE_FORMAT " is not a canonical prefix", i + 1);
        return FALSE;
      }
  if (cert->not_before > cert->not_after)
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           "certificate validity ends before it begins");
      return FALSE;
    }

  memcpy (cert->ca_key, ca->public_key, WGD_KEY_LEN);
  wgd_writer_init (&w, cert->raw, sizeof cert->raw - WGD_SIGNATURE_LEN);
  certificate_write_body (cert, &w);
  if (w.overflow)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                   "certificate does not fit in %d bytes", WGD_CERTIFICATE_MAX);
      return FALSE;
    }
  cert->raw_len = wgd_writer_sign (&w, WGD_CERTIFICATE_CONTEXT, ca->secret_key,
                                   cert->signature);
  return TRUE;
}

static gboolean
malformed (GError **error, const gchar *what)
{
  g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED, "malformed certificate: %s", what);
  return FALSE;
}

gboolean
wgd_certificate_decode (WgdCertificate *out, const guint8 *data, gsize len, GError **error)
{
  WgdReader r;
  const guint8 *p;
  guint8 version, name_len, count;

  memset (out, 0, sizeof *out);
  if (len > WGD_CERTIFICATE_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                   "certificate of %" G_GSIZE_FORMAT " bytes exceeds %d", len,
                   WGD_CERTIFICATE_MAX);
      return FALSE;
    }
  wgd_reader_init (&r, data, len);
  if (!wgd_reader_u8 (&r, &version))
    return malformed (error, "empty");
  if (version != WGD_CERTIFICATE_VERSION)
    return malformed (error, "unsupported version");
  if (!wgd_reader_bytes (&r, WGD_KEY_LEN, &p))
    return malformed (error, "truncated CA key");
  memcpy (out->ca_key, p, WGD_KEY_LEN);
  if (!wgd_reader_bytes (&r, WGD_KEY_LEN, &p))
    return malformed (error, "truncated signing key");
  memcpy (out->signing_key, p, WGD_KEY_LEN);
  if (!wgd_reader_bytes (&r, WGD_KEY_LEN, &p))
    return malformed (error, "truncated WireGuard key");
  memcpy (out->wg_key, p, WGD_KEY_LEN);
  if (!wgd_reader_u64 (&r, &out->serial) || !wgd_reader_u64 (&r, &out->not_before)
      || !wgd_reader_u64 (&r, &out->not_after))
    return malformed (error, "truncated serial or validity");
  if (out->not_before > out->not_after)
    return malformed (error, "validity ends before it begins");
  if (!wgd_reader_u8 (&r, &name_len) || !wgd_reader_bytes (&r, name_len, &p))
    return malformed (error, "truncated name");
  if (!wgd_name_is_valid (p, name_len))
    return malformed (error, "name is not 1-63 bytes of UTF-8 without control characters");
  memcpy (out->name, p, name_len);
  if (!wgd_reader_u8 (&r, &count))
    return malformed (error, "truncated prefix count");
  if (count > WGD_CERTIFICATE_PREFIXES_MAX)
    return malformed (error, "too many prefixes");
  for (guint i = 0; i < count; i++)
    {
      WgdPrefix *prefix = &out->prefixes[i];
      gsize alen;

      if (!wgd_reader_u8 (&r, &prefix->family) || !wgd_reader_u8 (&r, &prefix->length))
        return malformed (error, "truncated prefix");
      alen = family_address_len (prefix->family);
      if (alen == 0)
        return malformed (error, "prefix family is not 4 or 6");
      if (!wgd_reader_bytes (&r, alen, &p))
        return malformed (error, "truncated prefix address");
      memcpy (prefix->address, p, alen);
      if (!wgd_prefix_is_canonical (prefix))
        return malformed (error, "prefix length too long or host bits set");
    }
  out->n_prefixes = count;
  if (!wgd_reader_bytes (&r, WGD_SIGNATURE_LEN, &p))
    return malformed (error, "truncated signature");
  memcpy (out->signature, p, WGD_SIGNATURE_LEN);
  if (r.left != 0)
    return malformed (error, "trailing bytes after the signature");
  memcpy (out->raw, data, len);
  out->raw_len = len;
  return TRUE;
}

gboolean
wgd_certificate_verify_signature (const WgdCertificate *cert)
{
  if (cert->raw_len < WGD_SIGNATURE_LEN)
    return FALSE;
  return wgd_wire_verify (WGD_CERTIFICATE_CONTEXT, cert->raw, cert->raw_len - WGD_SIGNATURE_LEN,
                          cert->signature, cert->ca_key);
}
