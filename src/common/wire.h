/* wire.h — bounds-checked big-endian reading and writing for the signed
 * binary formats (announcement, certificate, revocation list), and the
 * checks those formats share. */
#pragma once

#include <glib.h>

#define WGD_KEY_LEN 32
#define WGD_SIGNATURE_LEN 64
#define WGD_NAME_MAX 63

/* A cursor over untrusted bytes: every read checks what is left first. */
typedef struct {
  const guint8 *p;
  gsize left;
} WgdReader;

/* A cursor over a fixed output buffer: a write that does not fit sets
 * overflow and writes nothing, so callers check once at the end. */
typedef struct {
  guint8 *buf;
  gsize cap;
  gsize len;
  gboolean overflow;
} WgdWriter;

static inline void
wgd_reader_init (WgdReader *r, const guint8 *data, gsize len)
{
  r->p = data;
  r->left = len;
}

gboolean wgd_reader_bytes (WgdReader *r, gsize n, const guint8 **out);
gboolean wgd_reader_u8 (WgdReader *r, guint8 *out);
gboolean wgd_reader_u16 (WgdReader *r, guint16 *out);
gboolean wgd_reader_u32 (WgdReader *r, guint32 *out);
gboolean wgd_reader_u64 (WgdReader *r, guint64 *out);

static inline void
wgd_writer_init (WgdWriter *w, guint8 *buf, gsize cap)
{
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->overflow = FALSE;
}

void wgd_writer_bytes (WgdWriter *w, const void *data, gsize n);
void wgd_writer_u8 (WgdWriter *w, guint8 v);
void wgd_writer_u16 (WgdWriter *w, guint16 v);
void wgd_writer_u32 (WgdWriter *w, guint32 v);
void wgd_writer_u64 (WgdWriter *w, guint64 v);

/* A node name: UTF-8, 1..WGD_NAME_MAX bytes, no control characters. */
gboolean wgd_name_is_valid (const guint8 *data, gsize len);

/* Ed25519 over context || message without allocating: the message is
 * never larger than a record. */
gboolean wgd_wire_verify (const char *context, const guint8 *msg, gsize msg_len,
                          const guint8 signature[WGD_SIGNATURE_LEN],
                          const guint8 public_key[WGD_KEY_LEN]);
void wgd_wire_sign (const char *context, const guint8 *msg, gsize msg_len,
                    const guint8 secret_key[64], guint8 signature_out[WGD_SIGNATURE_LEN]);

/* Signs what w holds under context and appends the signature, for which
 * the caller kept WGD_SIGNATURE_LEN bytes past w's capacity. Returns the
 * signed length. */
gsize wgd_writer_sign (WgdWriter *w, const char *context, const guint8 secret_key[64],
                       guint8 signature_out[WGD_SIGNATURE_LEN]);
