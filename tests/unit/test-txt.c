/* test-txt.c — records as DNS-SD TXT strings and back. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "txt.h"
#include "wgd-error.h"

static WgdTxtItem *
items_from_strv (const gchar *const *strv, gsize *n)
{
  gsize len = g_strv_length ((gchar **) strv);
  WgdTxtItem *items = g_new0 (WgdTxtItem, len + 1);

  for (gsize i = 0; i < len; i++)
    {
      items[i].data = (const guint8 *) strv[i];
      items[i].len = strlen (strv[i]);
    }
  *n = len;
  return items;
}

static void
test_round_trip (void)
{
  guint8 record[WGD_RECORD_MAX];

  randombytes_buf (record, sizeof record);
  for (gsize len = 1; len <= WGD_RECORD_MAX; len += 37)
    {
      g_auto (GStrv) txt = wgd_txt_encode (record, len);
      gsize n;
      g_autofree WgdTxtItem *items = items_from_strv ((const gchar *const *) txt, &n);
      guint8 out[WGD_RECORD_MAX];
      gsize out_len = 0;
      g_autoptr (GError) error = NULL;

      g_assert_cmpstr (txt[0], ==, "txtvers=1");
      for (gsize i = 1; i < n; i++)
        {
          g_autofree gchar *key = g_strdup_printf ("a%zu=", i - 1);

          g_assert_true (g_str_has_prefix (txt[i], key));
          g_assert_cmpuint (strlen (txt[i]) - strlen (key), <=, WGD_TXT_CHUNK_MAX);
        }
      g_assert_true (wgd_txt_decode (items, n, out, &out_len, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (out, out_len, record, len);
    }
}

static void
test_any_order_other_keys (void)
{
  guint8 record[700];
  g_auto (GStrv) txt = NULL;
  g_autoptr (GPtrArray) shuffled = g_ptr_array_new ();
  gsize n;
  g_autofree WgdTxtItem *items = NULL;
  guint8 out[WGD_RECORD_MAX];
  gsize out_len;
  g_autoptr (GError) error = NULL;

  randombytes_buf (record, sizeof record);
  txt = wgd_txt_encode (record, sizeof record);
  g_ptr_array_add (shuffled, (gpointer) "path=/ignored");
  g_ptr_array_add (shuffled, (gpointer) "novalue");
  for (gsize i = g_strv_length (txt); i > 0; i--)
    g_ptr_array_add (shuffled, txt[i - 1]);
  g_ptr_array_add (shuffled, (gpointer) "b0=AAAA");
  g_ptr_array_add (shuffled, NULL);
  items = items_from_strv ((const gchar *const *) shuffled->pdata, &n);
  g_assert_true (wgd_txt_decode (items, n, out, &out_len, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, out_len, record, sizeof record);
}

static void
expect_refused (const gchar *const *strv, gint code, const gchar *what)
{
  gsize n;
  g_autofree WgdTxtItem *items = items_from_strv (strv, &n);
  guint8 out[WGD_RECORD_MAX];
  gsize out_len;
  g_autoptr (GError) error = NULL;

  g_assert_false (wgd_txt_decode (items, n, out, &out_len, &error));
  g_assert_error (error, WGD_ERROR, code);
  if (strstr (error->message, what) == NULL)
    g_error ("expected '%s' in: %s", what, error->message);
}

static void
test_refusals (void)
{
  g_autofree gchar *full = g_strnfill (WGD_TXT_CHUNK_MAX, 'A');
  g_autofree gchar *a0 = g_strconcat ("a0=", full, NULL);
  g_autofree gchar *a1 = g_strconcat ("a1=", full, NULL);
  g_autofree gchar *a2 = g_strconcat ("a2=", full, NULL);
  g_autofree gchar *a3 = g_strconcat ("a3=", full, NULL);
  g_autofree gchar *a4 = g_strconcat ("a4=", full, NULL);
  g_autofree gchar *a5 = g_strconcat ("a5=", full, NULL);
  g_autofree gchar *long0 = g_strconcat ("a0=", full, "A", NULL);

  expect_refused ((const gchar *[]) { "a0=AAAA", NULL }, WGD_ERROR_MALFORMED, "txtvers");
  expect_refused ((const gchar *[]) { "txtvers=2", "a0=AAAA", NULL }, WGD_ERROR_MALFORMED,
                  "txtvers");
  expect_refused ((const gchar *[]) { "txtvers=1", "txtvers=1", "a0=AAAA", NULL },
                  WGD_ERROR_MALFORMED, "twice");
  expect_refused ((const gchar *[]) { "txtvers=1", NULL }, WGD_ERROR_MALFORMED, "no record");
  expect_refused ((const gchar *[]) { "txtvers=1", "a0=AAAA", "a0=AAAA", NULL },
                  WGD_ERROR_MALFORMED, "twice");
  expect_refused ((const gchar *[]) { "txtvers=1", "a1=AAAA", NULL }, WGD_ERROR_MALFORMED,
                  "contiguous");
  expect_refused ((const gchar *[]) { "txtvers=1", "a0=AAAA", "a1=AAAA", NULL },
                  WGD_ERROR_MALFORMED, "short");
  expect_refused ((const gchar *[]) { "txtvers=1", "a0", NULL }, WGD_ERROR_MALFORMED,
                  "no value");
  expect_refused ((const gchar *[]) { "txtvers=1", long0, NULL }, WGD_ERROR_MALFORMED,
                  "longer than 240");
  expect_refused ((const gchar *[]) { "txtvers=1", "a0=AA*A", NULL }, WGD_ERROR_MALFORMED,
                  "base64url");
  expect_refused ((const gchar *[]) { "txtvers=1", "a0=AAAA", "a6=AAAA", NULL },
                  WGD_ERROR_TOO_LARGE, "chunks");
  expect_refused ((const gchar *[]) { "txtvers=1", "a0=AAAA", "a99=AAAA", NULL },
                  WGD_ERROR_TOO_LARGE, "chunks");
  /* Six full chunks decode to 1080 bytes, more than a record. */
  expect_refused ((const gchar *[]) { "txtvers=1", a0, a1, a2, a3, a4, a5, NULL },
                  WGD_ERROR_TOO_LARGE, "exceeds");
}

static void
test_binary_items (void)
{
  const guint8 junk[] = { 'a', '0', '=', 0x00, 0xff, 'A', 'A' };
  const WgdTxtItem items[] = {
    { (const guint8 *) "txtvers=1", 9 },
    { junk, sizeof junk },
    { NULL, 0 },
  };
  guint8 out[WGD_RECORD_MAX];
  gsize out_len;
  g_autoptr (GError) error = NULL;

  g_assert_false (wgd_txt_decode (items, 3, out, &out_len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/txt/round-trip", test_round_trip);
  g_test_add_func ("/txt/any-order-other-keys", test_any_order_other_keys);
  g_test_add_func ("/txt/refusals", test_refusals);
  g_test_add_func ("/txt/binary-items", test_binary_items);
  return g_test_run ();
}
