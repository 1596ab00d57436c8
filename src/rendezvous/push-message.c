/* push-message.c — the channel names and messages of push across
 * servers. A message comes from Redis, which every server trusts with
 * the records, but it is still checked field by field: a bad one is
 * dropped, never pushed. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "announcement.h"
#include "push-message.h"
#include "wgd-error.h"

#define HEX_LEN (WGD_KEY_LEN * 2)

gchar *
rdv_push_channel (guint db, const guint8 mesh_key[WGD_KEY_LEN])
{
  gchar hex[HEX_LEN + 1];

  sodium_bin2hex (hex, sizeof hex, mesh_key, WGD_KEY_LEN);
  return g_strdup_printf (RDV_PUSH_CHANNEL_PREFIX "%u:%s", db, hex);
}

static gboolean
hex_key (const gchar *text, gsize len, guint8 out[WGD_KEY_LEN])
{
  size_t n = 0;

  return len == HEX_LEN
         && sodium_hex2bin (out, WGD_KEY_LEN, text, len, NULL, &n, NULL) == 0
         && n == WGD_KEY_LEN;
}

gboolean
rdv_push_channel_parse (guint db, const gchar *channel, gsize len,
                        guint8 mesh_key[WGD_KEY_LEN])
{
  g_autofree gchar *prefix = g_strdup_printf (RDV_PUSH_CHANNEL_PREFIX "%u:", db);
  gsize plen = strlen (prefix);

  return len > plen && memcmp (channel, prefix, plen) == 0
         && hex_key (channel + plen, len - plen, mesh_key);
}

GBytes *
rdv_push_message_encode (const RdvStoredRecord *r)
{
  gchar hex[HEX_LEN + 1];
  g_autofree gchar *header = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (r->record, &len);
  GByteArray *out = g_byte_array_new ();

  sodium_bin2hex (hex, sizeof hex, r->wg_key, WGD_KEY_LEN);
  header = g_strdup_printf ("%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " ", hex,
                            r->timestamp, r->expires);
  g_byte_array_append (out, (const guint8 *) header, strlen (header));
  g_byte_array_append (out, data, len);
  return g_byte_array_free_to_bytes (out);
}

/* A decimal number ending at the next space, which *pos is moved past. */
static gboolean
take_number (const guint8 *data, gsize len, gsize *pos, guint64 *out)
{
  gchar text[21];
  gsize start = *pos;

  while (*pos < len && *pos - start < sizeof text - 1 && g_ascii_isdigit (data[*pos]))
    (*pos)++;
  if (*pos == start || *pos >= len || data[*pos] != ' ')
    return FALSE;
  memcpy (text, data + start, *pos - start);
  text[*pos - start] = '\0';
  (*pos)++;
  return g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, out, NULL);
}

RdvStoredRecord *
rdv_push_message_decode (const guint8 mesh_key[WGD_KEY_LEN], const guint8 *data, gsize len,
                         GError **error)
{
  g_autoptr (RdvStoredRecord) r = rdv_stored_record_new ();
  gsize pos = HEX_LEN + 1;

  if (len < pos || data[HEX_LEN] != ' ' || !hex_key ((const gchar *) data, HEX_LEN, r->wg_key)
      || !take_number (data, len, &pos, &r->timestamp)
      || !take_number (data, len, &pos, &r->expires))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "a pushed message without key, timestamp and expiry");
      return NULL;
    }
  if (pos >= len || len - pos > WGD_RECORD_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "a pushed message with a record of %" G_GSIZE_FORMAT " bytes", len - pos);
      return NULL;
    }
  r->has_mesh = TRUE;
  memcpy (r->mesh_key, mesh_key, WGD_KEY_LEN);
  r->record = g_bytes_new (data + pos, len - pos);
  return g_steal_pointer (&r);
}
