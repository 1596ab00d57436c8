/* test-wire.c — the bounds-checked cursors and the name rule. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "wire.h"

static void
test_reader_bounds (void)
{
  const guint8 data[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };
  WgdReader r;
  guint8 u8;
  guint16 u16;
  guint32 u32;
  guint64 u64;
  const guint8 *p;

  wgd_reader_init (&r, data, sizeof data);
  g_assert_true (wgd_reader_u64 (&r, &u64));
  g_assert_cmphex (u64, ==, G_GUINT64_CONSTANT (0x0102030405060708));
  g_assert_false (wgd_reader_u16 (&r, &u16));
  g_assert_false (wgd_reader_u32 (&r, &u32));
  g_assert_false (wgd_reader_u64 (&r, &u64));
  g_assert_false (wgd_reader_bytes (&r, 2, &p));
  g_assert_cmpuint (r.left, ==, 1);
  g_assert_true (wgd_reader_u8 (&r, &u8));
  g_assert_cmphex (u8, ==, 0x09);
  g_assert_false (wgd_reader_u8 (&r, &u8));

  wgd_reader_init (&r, data, 6);
  g_assert_true (wgd_reader_u16 (&r, &u16));
  g_assert_cmphex (u16, ==, 0x0102);
  g_assert_true (wgd_reader_u32 (&r, &u32));
  g_assert_cmphex (u32, ==, 0x03040506);
  g_assert_cmpuint (r.left, ==, 0);
  /* A huge length must not wrap the bounds check. */
  g_assert_false (wgd_reader_bytes (&r, G_MAXSIZE, &p));
}

static void
test_writer_overflow (void)
{
  guint8 buf[8];
  WgdWriter w;

  wgd_writer_init (&w, buf, sizeof buf);
  wgd_writer_u16 (&w, 0xabcd);
  wgd_writer_u32 (&w, 0x01020304);
  g_assert_false (w.overflow);
  g_assert_cmpuint (w.len, ==, 6);
  g_assert_cmpmem (buf, 6, "\xab\xcd\x01\x02\x03\x04", 6);
  wgd_writer_u32 (&w, 0xffffffff);
  g_assert_true (w.overflow);
  g_assert_cmpuint (w.len, ==, 6);
  /* Once overflowed, even a write that would fit is refused. */
  wgd_writer_u8 (&w, 1);
  g_assert_cmpuint (w.len, ==, 6);

  wgd_writer_init (&w, buf, sizeof buf);
  wgd_writer_u64 (&w, G_GUINT64_CONSTANT (0x1122334455667788));
  g_assert_false (w.overflow);
  g_assert_cmpmem (buf, 8, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
}

static void
test_name_rule (void)
{
  gchar long_name[65];

  g_assert_true (wgd_name_is_valid ((const guint8 *) "alice", 5));
  g_assert_true (wgd_name_is_valid ((const guint8 *) "Jürgen's laptop", strlen ("Jürgen's laptop")));
  g_assert_false (wgd_name_is_valid ((const guint8 *) "", 0));
  g_assert_false (wgd_name_is_valid ((const guint8 *) "a\nb", 3));
  g_assert_false (wgd_name_is_valid ((const guint8 *) "a\0b", 3));
  g_assert_false (wgd_name_is_valid ((const guint8 *) "a\x7f", 2));
  /* U+0085, a C1 control, in UTF-8. */
  g_assert_false (wgd_name_is_valid ((const guint8 *) "a\xc2\x85", 3));
  g_assert_false (wgd_name_is_valid ((const guint8 *) "a\xff", 2));
  /* A truncated multibyte sequence. */
  g_assert_false (wgd_name_is_valid ((const guint8 *) "\xc3", 1));
  memset (long_name, 'x', sizeof long_name);
  g_assert_true (wgd_name_is_valid ((const guint8 *) long_name, 63));
  g_assert_false (wgd_name_is_valid ((const guint8 *) long_name, 64));
}

static void
test_sign_verify_context (void)
{
  guint8 pk[32], sk[64], sig[64];
  guint8 big[5000];

  crypto_sign_keypair (pk, sk);
  wgd_wire_sign ("ctx-a", (const guint8 *) "msg", 3, sk, sig);
  g_assert_true (wgd_wire_verify ("ctx-a", (const guint8 *) "msg", 3, sig, pk));
  /* The context separates signatures of different formats. */
  g_assert_false (wgd_wire_verify ("ctx-b", (const guint8 *) "msg", 3, sig, pk));
  g_assert_false (wgd_wire_verify ("ctx-a", (const guint8 *) "msh", 3, sig, pk));

  /* Past the stack buffer, the heap path must give the same result. */
  randombytes_buf (big, sizeof big);
  wgd_wire_sign ("ctx-a", big, sizeof big, sk, sig);
  g_assert_true (wgd_wire_verify ("ctx-a", big, sizeof big, sig, pk));
  big[4999] ^= 1;
  g_assert_false (wgd_wire_verify ("ctx-a", big, sizeof big, sig, pk));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/wire/reader-bounds", test_reader_bounds);
  g_test_add_func ("/wire/writer-overflow", test_writer_overflow);
  g_test_add_func ("/wire/name-rule", test_name_rule);
  g_test_add_func ("/wire/sign-verify-context", test_sign_verify_context);
  return g_test_run ();
}
