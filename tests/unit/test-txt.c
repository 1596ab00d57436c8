/* test-txt.c — records as DNS-SD TXT strings and back. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "base64.h"
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
  guint8 wg_key[WGD_KEY_LEN];
  g_autofree gchar *key = NULL;
  g_autofree gchar *pub = NULL;

  randombytes_buf (record, sizeof record);
  randombytes_buf (wg_key, sizeof wg_key);
  key = wgd_key_to_base64 (wg_key);
  pub = g_strconcat ("pub=", key, NULL);
  for (gsize len = 1; len <= WGD_RECORD_MAX; len += 37)
    {
      g_auto (GStrv) txt = wgd_txt_encode (record, len, wg_key);
      gsize n;
      g_autofree WgdTxtItem *items = items_from_strv ((const gchar *const *) txt, &n);
      guint8 out[WGD_RECORD_MAX];
      gsize out_len = 0;
      guint8 hint[WGD_KEY_LEN];
      gboolean has_hint = FALSE;
      g_autoptr (GError) error = NULL;

      g_assert_cmpstr (txt[0], ==, "txtvers=1");
      g_assert_cmpstr (txt[1], ==, pub);
      for (gsize i = 2; i < n; i++)
        {
          g_autofree gchar *chunk = g_strdup_printf ("a%zu=", i - 2);

          g_assert_true (g_str_has_prefix (txt[i], chunk));
          g_assert_cmpuint (strlen (txt[i]) - strlen (chunk), <=, WGD_TXT_CHUNK_MAX);
        }
      g_assert_true (wgd_txt_decode (items, n, out, &out_len, hint, &has_hint, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (out, out_len, record, len);
      g_assert_true (has_hint);
      g_assert_cmpmem (hint, sizeof hint, wg_key, sizeof wg_key);
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
  guint8 hint[WGD_KEY_LEN];
  gboolean has_hint = TRUE;
  g_autoptr (GError) error = NULL;

  randombytes_buf (record, sizeof record);
  txt = wgd_txt_encode (record, sizeof record, NULL);
  g_ptr_array_add (shuffled, (gpointer) "path=/ignored");
  g_ptr_array_add (shuffled, (gpointer) "novalue");
  for (gsize i = g_strv_length (txt); i > 0; i--)
    g_ptr_array_add (shuffled, txt[i - 1]);
  g_ptr_array_add (shuffled, (gpointer) "b0=AAAA");
  g_ptr_array_add (shuffled, NULL);
  items = items_from_strv ((const gchar *const *) shuffled->pdata, &n);
  g_assert_true (wgd_txt_decode (items, n, out, &out_len, hint, &has_hint, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, out_len, record, sizeof record);
  /* A sender from before pub=: no hint. */
  g_assert_false (has_hint);
}

static void
expect_refused (const gchar *const *strv, gint code, const gchar *what)
{
  gsize n;
  g_autofree WgdTxtItem *items = items_from_strv (strv, &n);
  guint8 out[WGD_RECORD_MAX];
  gsize out_len;
  guint8 hint[WGD_KEY_LEN];
  gboolean has_hint;
  g_autoptr (GError) error = NULL;

  g_assert_false (wgd_txt_decode (items, n, out, &out_len, hint, &has_hint, &error));
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

/* pub= is one key exactly as `wg pubkey` prints it, given once. */
static void
test_hint_refusals (void)
{
  static const gchar key[] = "2inpWwLgD/oVZFd1+x0roiKhlDOV7qBrlOLAV7e+adA=";
  g_autofree gchar *pub = g_strconcat ("pub=", key, NULL);
  g_autofree gchar *spaced = g_strconcat ("pub= ", key, NULL);
  g_autofree gchar *url = g_strdelimit (g_strconcat ("pub=", key, NULL), "+/", '-');
  g_autofree gchar *cut = g_strndup (pub, strlen (pub) - 1);

  expect_refused ((const gchar *[]) { "txtvers=1", pub, pub, "a0=AAAA", NULL },
                  WGD_ERROR_MALFORMED, "pub given twice");
  expect_refused ((const gchar *[]) { "txtvers=1", "pub", "a0=AAAA", NULL },
                  WGD_ERROR_MALFORMED, "pub=");
  expect_refused ((const gchar *[]) { "txtvers=1", "pub=", "a0=AAAA", NULL },
                  WGD_ERROR_MALFORMED, "pub=");
  expect_refused ((const gchar *[]) { "txtvers=1", spaced, "a0=AAAA", NULL },
                  WGD_ERROR_MALFORMED, "pub=");
  expect_refused ((const gchar *[]) { "txtvers=1", cut, "a0=AAAA", NULL },
                  WGD_ERROR_MALFORMED, "pub=");
  expect_refused ((const gchar *[]) { "txtvers=1", "pub=AAAA", "a0=AAAA", NULL },
                  WGD_ERROR_MALFORMED, "pub=");
  /* The CA key of the vectors has a '/' and '+' to change: base64url is
   * not taken. */
  g_assert_nonnull (strpbrk (key, "+/"));
  expect_refused ((const gchar *[]) { "txtvers=1", url, "a0=AAAA", NULL },
                  WGD_ERROR_MALFORMED, "pub=");
}

static void
test_hint_binary (void)
{
  guint8 pub[4 + WGD_KEY_BASE64_LEN] = "pub=";
  const WgdTxtItem items[] = {
    { (const guint8 *) "txtvers=1", 9 },
    { pub, sizeof pub },
    { (const guint8 *) "a0=AAAA", 7 },
  };
  guint8 out[WGD_RECORD_MAX];
  gsize out_len;
  guint8 hint[WGD_KEY_LEN];
  gboolean has_hint;
  g_autoptr (GError) error = NULL;

  memcpy (pub + 4, "SjgH0GTQdxgcwHCYnnaJHSDcpVWVSNwsd8GlAnOIKzg=", WGD_KEY_BASE64_LEN);
  g_assert_true (wgd_txt_decode (items, 3, out, &out_len, hint, &has_hint, &error));
  g_assert_true (has_hint);
  /* A NUL inside the key is not cut off silently. */
  pub[20] = '\0';
  g_assert_false (wgd_txt_decode (items, 3, out, &out_len, hint, &has_hint, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
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
  guint8 hint[WGD_KEY_LEN];
  gboolean has_hint;
  g_autoptr (GError) error = NULL;

  g_assert_false (wgd_txt_decode (items, 3, out, &out_len, hint, &has_hint, &error));
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
  g_test_add_func ("/txt/hint-refusals", test_hint_refusals);
  g_test_add_func ("/txt/hint-binary", test_hint_binary);
  return g_test_run ();
}
