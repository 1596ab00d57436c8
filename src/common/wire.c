/* wire.c — bounds-checked big-endian cursors and shared format checks. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "wire.h"

gboolean
wgd_reader_bytes (WgdReader *r, gsize n, const guint8 **out)
{
  if (n > r->left)
    return FALSE;
  *out = r->p;
  r->p += n;
  r->left -= n;
  return TRUE;
}

gboolean
wgd_reader_u8 (WgdReader *r, guint8 *out)
{
  const guint8 *p;

  if (!wgd_reader_bytes (r, 1, &p))
    return FALSE;
  *out = p[0];
  return TRUE;
}

gboolean
wgd_reader_u16 (WgdReader *r, guint16 *out)
{
  const guint8 *p;

  if (!wgd_reader_bytes (r, 2, &p))
    return FALSE;
  *out = (guint16) ((p[0] << 8) | p[1]);
  return TRUE;
}

gboolean
wgd_reader_u32 (WgdReader *r, guint32 *out)
{
  const guint8 *p;

  if (!wgd_reader_bytes (r, 4, &p))
    return FALSE;
  *out = ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
  return TRUE;
}

gboolean
wgd_reader_u64 (WgdReader *r, guint64 *out)
{
  guint32 hi, lo;

  if (r->left < 8)
    return FALSE;
  wgd_reader_u32 (r, &hi);
  wgd_reader_u32 (r, &lo);
  *out = ((guint64) hi << 32) | lo;
  return TRUE;
}

void
wgd_writer_bytes (WgdWriter *w, const void *data, gsize n)
{
  if (w->overflow || n > w->cap - w->len)
    {
      w->overflow = TRUE;
      return;
    }
  if (n > 0)
    memcpy (w->buf + w->len, data, n);
  w->len += n;
}

void
wgd_writer_u8 (WgdWriter *w, guint8 v)
{
  wgd_writer_bytes (w, &v, 1);
}

void
wgd_writer_u16 (WgdWriter *w, guint16 v)
{
  guint8 b[2] = { (guint8) (v >> 8), (guint8) v };

  wgd_writer_bytes (w, b, sizeof b);
}

void
wgd_writer_u32 (WgdWriter *w, guint32 v)
{
  guint8 b[4] = { (guint8) (v >> 24), (guint8) (v >> 16), (guint8) (v >> 8), (guint8) v };

  wgd_writer_bytes (w, b, sizeof b);
}

void
wgd_writer_u64 (WgdWriter *w, guint64 v)
{
  wgd_writer_u32 (w, (guint32) (v >> 32));
  wgd_writer_u32 (w, (guint32) v);
}

gboolean
wgd_name_is_valid (const guint8 *data, gsize len)
{
  const gchar *p;
  const gchar *end;

  if (len < 1 || len > WGD_NAME_MAX)
    return FALSE;
  if (!g_utf8_validate_len ((const gchar *) data, len, NULL))
    return FALSE;
  end = (const gchar *) data + len;
  for (p = (const gchar *) data; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* iscntrl covers C0, DEL and C1; NUL is C0, so a name never hides
       * a terminator. */
      if (g_unichar_iscntrl (c))
        return FALSE;
    }
  return TRUE;
}

/* Records and certificates fit on the stack; only revocation lists take
 * the heap. */
#define WGD_WIRE_STACK_MAX 2048

static guint8 *
wire_join (const char *context, const guint8 *msg, gsize msg_len,
           guint8 *stack, gsize *out_len, guint8 **heap)
{
  gsize ctx_len = strlen (context) + 1;
  guint8 *buf;

  *out_len = ctx_len + msg_len;
  *heap = NULL;
  if (*out_len <= WGD_WIRE_STACK_MAX)
    buf = stack;
  else
    buf = *heap = g_malloc (*out_len);
  memcpy (buf, context, ctx_len);
  if (msg_len > 0)
    memcpy (buf + ctx_len, msg, msg_len);
  return buf;
}

gboolean
wgd_wire_verify (const char *context, const guint8 *msg, gsize msg_len,
                 const guint8 signature[WGD_SIGNATURE_LEN],
                 const guint8 public_key[WGD_KEY_LEN])
{
  guint8 stack[WGD_WIRE_STACK_MAX];
  g_autofree guint8 *heap = NULL;
  gsize len;
  const guint8 *buf = wire_join (context, msg, msg_len, stack, &len, &heap);

  return crypto_sign_verify_detached (signature, buf, len, public_key) == 0;
}

void
wgd_wire_sign (const char *context, const guint8 *msg, gsize msg_len,
               const guint8 secret_key[64], guint8 signature_out[WGD_SIGNATURE_LEN])
{
  guint8 stack[WGD_WIRE_STACK_MAX];
  g_autofree guint8 *heap = NULL;
  gsize len;
  const guint8 *buf = wire_join (context, msg, msg_len, stack, &len, &heap);

  crypto_sign_detached (signature_out, NULL, buf, len, secret_key);
}

gsize
wgd_writer_sign (WgdWriter *w, const char *context, const guint8 secret_key[64],
                 guint8 signature_out[WGD_SIGNATURE_LEN])
{
  g_assert (!w->overflow);
  wgd_wire_sign (context, w->buf, w->len, secret_key, signature_out);
  memcpy (w->buf + w->len, signature_out, WGD_SIGNATURE_LEN);
  return w->len + WGD_SIGNATURE_LEN;
}
