/* revocation.c — encode, decode and verify revocation lists. */
#include "config.h"

#include <string.h>

#include "revocation.h"
#include "wgd-error.h"

#define HEADER_LEN (1 + WGD_KEY_LEN + 8 + 4)

WgdRevocationList *
wgd_revocation_list_new (void)
{
  WgdRevocationList *list = g_new0 (WgdRevocationList, 1);

  list->serials = g_array_new (FALSE, FALSE, sizeof (guint64));
  return list;
}

void
wgd_revocation_list_free (WgdRevocationList *list)
{
  if (list == NULL)
    return;
  g_array_unref (list->serials);
  g_clear_pointer (&list->raw, g_bytes_unref);
  g_free (list);
}

static gint
compare_serial (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a;
  guint64 y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

gboolean
wgd_revocation_list_sign (WgdRevocationList *list, const WgdKeyPair *ca, GError **error)
{
  GArray *s = list->serials;
  gsize body_len;
  guint8 *buf;
  WgdWriter w;
  guint out = 0;

  g_array_sort (s, compare_serial);
  for (guint i = 0; i < s->len; i++)
    if (out == 0 || g_array_index (s, guint64, i) != g_array_index (s, guint64, out - 1))
      g_array_index (s, guint64, out++) = g_array_index (s, guint64, i);
  g_array_set_size (s, out);

  body_len = HEADER_LEN + (gsize) s->len * 8;
  if (body_len + WGD_SIGNATURE_LEN > WGD_REVOCATION_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                   "%u serials do not fit in a revocation list of %d bytes", s->len,
                   WGD_REVOCATION_MAX);
      return FALSE;
    }
  memcpy (list->ca_key, ca->public_key, WGD_KEY_LEN);
  buf = g_malloc (body_len + WGD_SIGNATURE_LEN);
  wgd_writer_init (&w, buf, body_len);
  wgd_writer_u8 (&w, WGD_REVOCATION_VERSION);
  wgd_writer_bytes (&w, list->ca_key, WGD_KEY_LEN);
  wgd_writer_u64 (&w, list->issued);
  wgd_writer_u32 (&w, s->len);
  for (guint i = 0; i < s->len; i++)
    wgd_writer_u64 (&w, g_array_index (s, guint64, i));
  g_assert (w.len == body_len);
  g_clear_pointer (&list->raw, g_bytes_unref);
  list->raw = g_bytes_new_take (buf, wgd_writer_sign (&w, WGD_REVOCATION_CONTEXT,
                                                      ca->secret_key, list->signature));
  return TRUE;
}

WgdRevocationList *
wgd_revocation_list_decode (const guint8 *data, gsize len, GError **error)
{
  g_autoptr (WgdRevocationList) list = NULL;
  WgdReader r;
  const guint8 *p;
  guint8 version;
  guint32 count;

  if (len > WGD_REVOCATION_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE,
                   "revocation list of %" G_GSIZE_FORMAT " bytes exceeds %d", len,
                   WGD_REVOCATION_MAX);
      return NULL;
    }
  list = wgd_revocation_list_new ();
  wgd_reader_init (&r, data, len);
  if (!wgd_reader_u8 (&r, &version) || !wgd_reader_bytes (&r, WGD_KEY_LEN, &p)
      || !wgd_reader_u64 (&r, &list->issued) || !wgd_reader_u32 (&r, &count))
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                           "malformed revocation list: truncated header");
      return NULL;
    }
  if (version != WGD_REVOCATION_VERSION)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                   "malformed revocation list: unsupported version %u", version);
      return NULL;
    }
  memcpy (list->ca_key, p, WGD_KEY_LEN);
  if (r.left != (gsize) count * 8 + WGD_SIGNATURE_LEN)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                   "malformed revocation list: %u serials need %" G_GSIZE_FORMAT
                   " bytes, %" G_GSIZE_FORMAT " present", count,
                   (gsize) count * 8 + WGD_SIGNATURE_LEN, r.left);
      return NULL;
    }
  g_array_set_size (list->serials, count);
  for (guint32 i = 0; i < count; i++)
    {
      guint64 *serial = &g_array_index (list->serials, guint64, i);

      wgd_reader_u64 (&r, serial);
      if (i > 0 && *serial <= serial[-1])
        {
          g_set_error_literal (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                               "malformed revocation list: serials not strictly ascending");
          return NULL;
        }
    }
  wgd_reader_bytes (&r, WGD_SIGNATURE_LEN, &p);
  memcpy (list->signature, p, WGD_SIGNATURE_LEN);
  list->raw = g_bytes_new (data, len);
  return g_steal_pointer (&list);
}

gboolean
wgd_revocation_list_verify_signature (const WgdRevocationList *list)
{
  gsize len;
  const guint8 *data;

  if (list->raw == NULL)
    return FALSE;
  data = g_bytes_get_data (list->raw, &len);
  if (len < HEADER_LEN + WGD_SIGNATURE_LEN)
    return FALSE;
  return wgd_wire_verify (WGD_REVOCATION_CONTEXT, data, len - WGD_SIGNATURE_LEN,
                          list->signature, list->ca_key);
}

gboolean
wgd_revocation_list_contains (const WgdRevocationList *list, guint64 serial)
{
  return g_array_binary_search (list->serials, &serial, compare_serial, NULL);
}
