/* test-base64.c — key text and base64url round trips and refusals. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "base64.h"
#include "wgd-error.h"

static void
test_key_round_trip (void)
{
  guint8 key[WGD_KEY_LEN], back[WGD_KEY_LEN];
  g_autofree gchar *text = NULL;
  g_autofree gchar *padded = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < WGD_KEY_LEN; i++)
    key[i] = (guint8) (i * 7);
  text = wgd_key_to_base64 (key);
  g_assert_cmpuint (strlen (text), ==, WGD_KEY_BASE64_LEN);
  g_assert_cmpstr (text, ==, "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=");
  g_assert_true (wgd_key_from_base64 (text, back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (key, sizeof key, back, sizeof back);

  /* Whitespace around the key, as `wg` and files leave it, is fine. */
  padded = g_strdup_printf ("  %s\n", text);
  g_assert_true (wgd_key_from_base64 (padded, back, &error));
  g_assert_no_error (error);
}

static void
test_key_refused (void)
{
  const gchar *bad[] = {
    "",
    "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk",     /* no padding */
    "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk==",   /* too long */
    "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK-2vcTL0tk=",    /* url alphabet */
    "AAcOFRwjKjE4P0ZNVFti aXB3foWMk5qhqK+2vcTL0tk=",   /* inner space */
    "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 36 bytes */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint8 key[WGD_KEY_LEN];
      g_autoptr (GError) error = NULL;

      g_assert_false (wgd_key_from_base64 (bad[i], key, &error));
      g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
      g_assert_nonnull (strstr (error->message, "base64"));
    }
}

static void
test_base64url_round_trip (void)
{
  guint8 data[300], back[300];

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) (i * 31 + 7);
  for (gsize len = 0; len < sizeof data; len++)
    {
      g_autofree gchar *text = wgd_base64url_encode (data, len);
      g_autoptr (GError) error = NULL;
      gsize back_len = 0;

      g_assert_null (strchr (text, '='));
      g_assert_null (strchr (text, '+'));
      g_assert_null (strchr (text, '/'));
      g_assert_true (wgd_base64url_decode (text, strlen (text), back, sizeof back, &back_len,
                                           &error));
      g_assert_no_error (error);
      g_assert_cmpmem (data, len, back, back_len);
    }
}

static void
test_base64url_refused (void)
{
  guint8 out[8];
  gsize len;
  g_autoptr (GError) error = NULL;

  g_assert_false (wgd_base64url_decode ("AAAA+AAA", 8, out, sizeof out, &len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "character 5"));
  g_clear_error (&error);

  g_assert_false (wgd_base64url_decode ("AAA=", 4, out, sizeof out, &len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_clear_error (&error);

  /* 12 characters carry 9 bytes, one more than fits. */
  g_assert_false (wgd_base64url_decode ("AAAAAAAAAAAA", 12, out, sizeof out, &len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* A length that is not a whole number of bits. */
  g_assert_false (wgd_base64url_decode ("AAAAA", 5, out, sizeof out, &len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/base64/key-round-trip", test_key_round_trip);
  g_test_add_func ("/base64/key-refused", test_key_refused);
  g_test_add_func ("/base64/url-round-trip", test_base64url_round_trip);
  g_test_add_func ("/base64/url-refused", test_base64url_refused);
  return g_test_run ();
}
