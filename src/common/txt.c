/* txt.c — records to TXT strings and back. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "base64.h"
#include "txt.h"
#include "wgd-error.h"

/* The base64url text of the largest record. */
#define TXT_TEXT_MAX (sodium_base64_ENCODED_LEN (WGD_RECORD_MAX, \
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1)
#define TXT_CHUNKS_MAX ((TXT_TEXT_MAX + WGD_TXT_CHUNK_MAX - 1) / WGD_TXT_CHUNK_MAX)

GStrv
wgd_txt_encode (const guint8 *record, gsize len, const guint8 *wg_key)
{
  g_autofree gchar *text = wgd_base64url_encode (record, len);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  gsize text_len = strlen (text);

  g_strv_builder_add (builder, "txtvers=" WGD_TXT_VERSION);
  if (wg_key != NULL)
    {
      g_autofree gchar *key = wgd_key_to_base64 (wg_key);
      g_autofree gchar *pub = g_strconcat ("pub=", key, NULL);

      g_strv_builder_add (builder, pub);
    }
  for (gsize off = 0, i = 0; off < text_len; off += WGD_TXT_CHUNK_MAX, i++)
    {
      g_autofree gchar *chunk =
        g_strdup_printf ("a%" G_GSIZE_FORMAT "=%.*s", i,
                         (int) MIN (WGD_TXT_CHUNK_MAX, text_len - off), text + off);

      g_strv_builder_add (builder, chunk);
    }
  return g_strv_builder_end (builder);
}

/* "aN" with N a decimal chunk index without leading zeros. */
static gboolean
parse_chunk_key (const guint8 *key, gsize key_len, guint *index)
{
  guint n = 0;

  if (key_len < 2 || key_len > 3 || key[0] != 'a')
    return FALSE;
  if (key[1] == '0' && key_len > 2)
    return FALSE;
  for (gsize i = 1; i < key_len; i++)
    {
      if (!g_ascii_isdigit (key[i]))
        return FALSE;
      n = n * 10 + (guint) (key[i] - '0');
    }
  *index = n;
  return TRUE;
}

static gboolean
bad_txt (GError **error, gint code, const gchar *what)
{
  g_set_error (error, WGD_ERROR, code, "bad TXT record: %s", what);
  return FALSE;
}

/* The value of "pub=": exactly one key in standard base64, nothing around it. */
static gboolean
parse_hint (const WgdTxtItem *item, guint8 hint[WGD_KEY_LEN])
{
  gchar text[WGD_KEY_BASE64_LEN + 1];

  if (item->len != 4 + WGD_KEY_BASE64_LEN || item->data[3] != '=')
    return FALSE;
  memcpy (text, item->data + 4, WGD_KEY_BASE64_LEN);
  text[WGD_KEY_BASE64_LEN] = '\0';
  /* Whitespace or a NUL leaves fewer than 44 characters of key: refused. */
  return strlen (text) == WGD_KEY_BASE64_LEN && wgd_key_from_base64 (text, hint, NULL);
}

gboolean
wgd_txt_decode (const WgdTxtItem *items, gsize n_items,
                guint8 out[WGD_RECORD_MAX], gsize *out_len,
                guint8 hint[WGD_KEY_LEN], gboolean *has_hint, GError **error)
{
  const WgdTxtItem *chunks[TXT_CHUNKS_MAX] = { NULL };
  gchar text[TXT_CHUNKS_MAX * WGD_TXT_CHUNK_MAX];
  gboolean have_version = FALSE;
  guint n_chunks = 0;
  gsize text_len = 0;
  g_autoptr (GError) local = NULL;

  *has_hint = FALSE;
  for (gsize i = 0; i < n_items; i++)
    {
      const guint8 *eq = items[i].len ? memchr (items[i].data, '=', items[i].len) : NULL;
      gsize key_len = eq ? (gsize) (eq - items[i].data) : items[i].len;
      guint index;

      if (key_len == 7 && memcmp (items[i].data, "txtvers", 7) == 0)
        {
          if (have_version)
            return bad_txt (error, WGD_ERROR_MALFORMED, "txtvers given twice");
          if (eq == NULL || items[i].len != 9 || eq[1] != WGD_TXT_VERSION[0])
            return bad_txt (error, WGD_ERROR_MALFORMED, "unsupported txtvers (expected 1)");
          have_version = TRUE;
          continue;
        }
      if (key_len == 3 && memcmp (items[i].data, "pub", 3) == 0)
        {
          if (*has_hint)
            return bad_txt (error, WGD_ERROR_MALFORMED, "pub given twice");
          if (!parse_hint (&items[i], hint))
            return bad_txt (error, WGD_ERROR_MALFORMED,
                            "pub= is not a WireGuard key in standard base64");
          *has_hint = TRUE;
          continue;
        }
      if (!parse_chunk_key (items[i].data, key_len, &index))
        continue;
      if (index >= TXT_CHUNKS_MAX)
        return bad_txt (error, WGD_ERROR_TOO_LARGE, "more chunks than the largest record needs");
      if (chunks[index] != NULL)
        return bad_txt (error, WGD_ERROR_MALFORMED, "a chunk key is given twice");
      if (eq == NULL)
        return bad_txt (error, WGD_ERROR_MALFORMED, "a chunk has no value");
      if (items[i].len - key_len - 1 > WGD_TXT_CHUNK_MAX)
        return bad_txt (error, WGD_ERROR_MALFORMED, "a chunk is longer than 240 characters");
      chunks[index] = &items[i];
      n_chunks = MAX (n_chunks, index + 1);
    }
  if (!have_version)
    return bad_txt (error, WGD_ERROR_MALFORMED, "no txtvers=1");
  if (n_chunks == 0)
    return bad_txt (error, WGD_ERROR_MALFORMED, "no record chunks (a0=…)");
  for (guint i = 0; i < n_chunks; i++)
    {
      gsize key_len = i < 10 ? 2 : 3;
      gsize value_len;

      if (chunks[i] == NULL)
        return bad_txt (error, WGD_ERROR_MALFORMED, "record chunks are not contiguous from a0");
      value_len = chunks[i]->len - key_len - 1;
      /* Only the last chunk may be short, so the split is canonical. */
      if (i + 1 < n_chunks && value_len != WGD_TXT_CHUNK_MAX)
        return bad_txt (error, WGD_ERROR_MALFORMED, "a chunk other than the last is short");
      memcpy (text + text_len, chunks[i]->data + key_len + 1, value_len);
      text_len += value_len;
    }
  if (!wgd_base64url_decode (text, text_len, out, WGD_RECORD_MAX, out_len, &local))
    {
      g_set_error (error, WGD_ERROR, local->code, "bad TXT record: %s", local->message);
      return FALSE;
    }
  return TRUE;
}

void
wgd_txt_check_hint (const guint8 hint[WGD_KEY_LEN], const WgdAnnouncement *ann, WgdVerdict *v)
{
  /* Not decoded: there is no key to compare with. */
  if (v->reason == WGD_REASON_MALFORMED || v->reason == WGD_REASON_TOO_LARGE
      || memcmp (hint, ann->wg_key, WGD_KEY_LEN) == 0)
    return;
  *v = (WgdVerdict) { .reason = WGD_REASON_MALFORMED };
  g_strlcpy (v->detail, "the TXT's pub= names another WireGuard key than the signed record",
             sizeof v->detail);
}
