/* base64.c — key and record text encodings on top of libsodium. */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "wgd-error.h"

gchar *
wgd_key_to_base64 (const guint8 key[WGD_KEY_LEN])
{
  gchar *out = g_malloc (WGD_KEY_BASE64_LEN + 1);

  sodium_bin2base64 (out, WGD_KEY_BASE64_LEN + 1, key, WGD_KEY_LEN,
                     sodium_base64_VARIANT_ORIGINAL);
  return out;
}

gboolean
wgd_key_from_base64 (const gchar *text, guint8 key_out[WGD_KEY_LEN], GError **error)
{
  const gchar *start = text;
  const gchar *end;
  guint8 key[WGD_KEY_LEN];
  size_t len = 0;
  const char *stop = NULL;

  while (g_ascii_isspace (*start))
    start++;
  end = start + strlen (start);
  while (end > start && g_ascii_isspace (end[-1]))
    end--;

  if (end - start != WGD_KEY_BASE64_LEN
      || sodium_base642bin (key, sizeof key, start, (size_t) (end - start), NULL,
                            &len, &stop, sodium_base64_VARIANT_ORIGINAL) != 0
      || len != WGD_KEY_LEN || stop != end)
    {
      sodium_memzero (key, sizeof key);
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                   _("not a key: expected %d characters of base64 encoding 32 bytes"),
                   WGD_KEY_BASE64_LEN);
      return FALSE;
    }
  memcpy (key_out, key, WGD_KEY_LEN);
  sodium_memzero (key, sizeof key);
  return TRUE;
}

gchar *
wgd_base64url_encode (const guint8 *data, gsize len)
{
  gsize cap = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  gchar *out = g_malloc (cap);

  sodium_bin2base64 (out, cap, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

gboolean
wgd_base64url_decode (const gchar *text, gsize text_len,
                      guint8 *out, gsize out_cap, gsize *out_len,
                      GError **error)
{
  size_t len = 0;
  const char *stop = NULL;

  /* Every 4 characters carry 3 bytes; checking first keeps an oversized
   * input from being mistaken for a malformed one. */
  if (text_len / 4 * 3 + (text_len % 4 ? text_len % 4 - 1 : 0) > out_cap)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                   "base64url text of %" G_GSIZE_FORMAT " characters exceeds the limit of %"
                   G_GSIZE_FORMAT " bytes", text_len, out_cap);
      return FALSE;
    }
  if (sodium_base642bin (out, out_cap, text, text_len, NULL, &len, &stop,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0
      || stop != text + text_len)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                   "invalid base64url at character %" G_GSIZE_FORMAT,
                   (gsize) ((stop ? stop : text) - text) + 1);
      return FALSE;
    }
  *out_len = len;
  return TRUE;
}
