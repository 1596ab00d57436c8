/* test-certificate.c — mesh certificates: known answer, round trip,
 * truncation, bit flips and every format refusal; prefixes. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "announcement.h"
#include "certificate.h"
#include "test-util.h"
#include "wgd-error.h"

static void
fill_certificate (WgdCertificate *cert, GKeyFile *vectors)
{
  g_autoptr (GBytes) pk = test_vectors_get_bytes (vectors, "keys", "node-signing-key");
  g_autoptr (GBytes) wg = test_vectors_get_bytes (vectors, "keys", "node-wg-public");
  g_auto (GStrv) prefixes = g_key_file_get_string_list (vectors, "certificate", "prefixes",
                                                       NULL, NULL);
  g_autofree gchar *name = g_key_file_get_string (vectors, "certificate", "name", NULL);

  memcpy (cert->signing_key, g_bytes_get_data (pk, NULL), WGD_KEY_LEN);
  memcpy (cert->wg_key, g_bytes_get_data (wg, NULL), WGD_KEY_LEN);
  cert->serial = test_vectors_get_u64 (vectors, "certificate", "serial");
  cert->not_before = test_vectors_get_u64 (vectors, "certificate", "not-before");
  cert->not_after = test_vectors_get_u64 (vectors, "certificate", "not-after");
  g_strlcpy (cert->name, name, sizeof cert->name);
  for (gsize i = 0; prefixes[i]; i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (wgd_prefix_parse (prefixes[i], &cert->prefixes[cert->n_prefixes++], &error));
      g_assert_no_error (error);
    }
}

static WgdKeyPair *
vector_ca (GKeyFile *vectors)
{
  g_autoptr (GBytes) seed = test_vectors_get_bytes (vectors, "keys", "ca-seed");

  return wgd_key_pair_new_from_seed (g_bytes_get_data (seed, NULL));
}

static void
test_known_answer (void)
{
  g_autoptr (GKeyFile) vectors = test_vectors_load ();
  g_autoptr (WgdKeyPair) ca = vector_ca (vectors);
  g_autoptr (GBytes) expect = test_vectors_get_bytes (vectors, "certificate", "certificate");
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();
  g_autoptr (WgdCertificate) decoded = wgd_certificate_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *p0 = NULL;
  g_autofree gchar *p1 = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (expect, &len);

  fill_certificate (cert, vectors);
  g_assert_true (wgd_certificate_sign (cert, ca, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (cert->raw, cert->raw_len, data, len);

  g_assert_true (wgd_certificate_decode (decoded, data, len, &error));
  g_assert_no_error (error);
  g_assert_true (wgd_certificate_verify_signature (decoded));
  g_assert_cmpmem (decoded->ca_key, WGD_KEY_LEN, ca->public_key, WGD_KEY_LEN);
  g_assert_cmpuint (decoded->serial, ==, 42);
  g_assert_cmpuint (decoded->not_before, ==, 1690000000);
  g_assert_cmpuint (decoded->not_after, ==, 1790000000);
  g_assert_cmpstr (decoded->name, ==, "alice");
  g_assert_cmpuint (decoded->n_prefixes, ==, 2);
  p0 = wgd_prefix_to_string (&decoded->prefixes[0]);
  p1 = wgd_prefix_to_string (&decoded->prefixes[1]);
  g_assert_cmpstr (p0, ==, "10.77.0.1/32");
  g_assert_cmpstr (p1, ==, "fd00:0:0:77::/64");
}

static WgdCertificate *
signed_certificate (const WgdKeyPair *ca, const WgdKeyPair *node)
{
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();
  g_autoptr (GError) error = NULL;

  memcpy (cert->signing_key, node->public_key, WGD_KEY_LEN);
  wgd_key_pair_wg_public (node, cert->wg_key);
  cert->serial = 7;
  cert->not_before = 100;
  cert->not_after = 200;
  g_strlcpy (cert->name, "bob", sizeof cert->name);
  cert->n_prefixes = 1;
  g_assert_true (wgd_prefix_parse ("10.0.0.2", &cert->prefixes[0], &error));
  g_assert_true (wgd_certificate_sign (cert, ca, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&cert);
}

static void
test_truncated_everywhere (void)
{
  g_autoptr (WgdKeyPair) ca = test_key_pair (1);
  g_autoptr (WgdKeyPair) node = test_key_pair (2);
  g_autoptr (WgdCertificate) cert = signed_certificate (ca, node);
  g_autoptr (WgdCertificate) out = wgd_certificate_new ();

  for (gsize len = 0; len < cert->raw_len; len++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (wgd_certificate_decode (out, cert->raw, len, &error));
      g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
    }
}

static void
test_bit_flips (void)
{
  g_autoptr (WgdKeyPair) ca = test_key_pair (1);
  g_autoptr (WgdKeyPair) node = test_key_pair (2);
  g_autoptr (WgdCertificate) cert = signed_certificate (ca, node);
  g_autoptr (WgdCertificate) out = wgd_certificate_new ();
  guint8 buf[WGD_CERTIFICATE_MAX];

  for (gsize bit = 0; bit < cert->raw_len * 8; bit++)
    {
      memcpy (buf, cert->raw, cert->raw_len);
      buf[bit / 8] ^= (guint8) (1u << (bit % 8));
      if (wgd_certificate_decode (out, buf, cert->raw_len, NULL))
        g_assert_false (wgd_certificate_verify_signature (out));
    }
}

/* Byte offsets of the certificate layout, for targeted corruption. */
enum {
  OFF_NOT_BEFORE = 1 + 3 * WGD_KEY_LEN + 8,
  OFF_NAME_LEN = OFF_NOT_BEFORE + 16,
};

static void
expect_malformed (const guint8 *data, gsize len, const gchar *what)
{
  g_autoptr (WgdCertificate) out = wgd_certificate_new ();
  g_autoptr (GError) error = NULL;

  g_assert_false (wgd_certificate_decode (out, data, len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, what));
}

static void
test_format_refusals (void)
{
  g_autoptr (WgdKeyPair) ca = test_key_pair (1);
  g_autoptr (WgdKeyPair) node = test_key_pair (2);
  g_autoptr (WgdCertificate) cert = signed_certificate (ca, node);
  g_autoptr (WgdCertificate) out = wgd_certificate_new ();
  g_autoptr (GError) error = NULL;
  guint8 buf[WGD_CERTIFICATE_MAX + 1];
  gsize len = cert->raw_len;
  gsize off_count = OFF_NAME_LEN + 1 + 3;

  memcpy (buf, cert->raw, len);
  buf[0] = 2;
  expect_malformed (buf, len, "unsupported version");

  memcpy (buf, cert->raw, len);
  buf[OFF_NOT_BEFORE + 7] = 0xff;        /* not-before 255 > not-after 200 */
  expect_malformed (buf, len, "validity");

  memcpy (buf, cert->raw, len);
  buf[OFF_NAME_LEN + 1] = '\n';
  expect_malformed (buf, len, "name");

  memcpy (buf, cert->raw, len);
  buf[off_count] = WGD_CERTIFICATE_PREFIXES_MAX + 1;
  expect_malformed (buf, len, "too many prefixes");

  memcpy (buf, cert->raw, len);
  buf[off_count + 1] = 5;                /* family */
  expect_malformed (buf, len, "family");

  memcpy (buf, cert->raw, len);
  buf[off_count + 2] = 33;               /* /33 on IPv4 */
  expect_malformed (buf, len, "prefix length");

  memcpy (buf, cert->raw, len);
  buf[off_count + 2] = 24;               /* 10.0.0.2/24 has host bits */
  expect_malformed (buf, len, "host bits");

  memcpy (buf, cert->raw, len);
  buf[len] = 0;
  expect_malformed (buf, len + 1, "trailing");

  memset (buf, 1, sizeof buf);
  g_assert_false (wgd_certificate_decode (out, buf, sizeof buf, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE);
}

static void
test_sign_refusals (void)
{
  g_autoptr (WgdKeyPair) ca = test_key_pair (1);
  g_autoptr (WgdKeyPair) node = test_key_pair (2);
  g_autoptr (WgdCertificate) cert = signed_certificate (ca, node);
  g_autoptr (GError) error = NULL;

  cert->name[0] = '\0';
  g_assert_false (wgd_certificate_sign (cert, ca, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);

  g_strlcpy (cert->name, "bob", sizeof cert->name);
  cert->not_before = 300;
  g_assert_false (wgd_certificate_sign (cert, ca, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);

  cert->not_before = 100;
  cert->prefixes[0].length = 8;          /* 10.0.0.2/8 */
  g_assert_false (wgd_certificate_sign (cert, ca, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);

  /* The largest certificate still fits in a record beside the required
   * fields (version, two keys, timestamp, lifetime, field header). */
  memset (cert->name, 'n', WGD_NAME_MAX);
  cert->n_prefixes = WGD_CERTIFICATE_PREFIXES_MAX;
  for (gsize i = 0; i < cert->n_prefixes; i++)
    {
      memset (&cert->prefixes[i], 0, sizeof cert->prefixes[i]);
      cert->prefixes[i].family = 6;
      cert->prefixes[i].length = 128;
      cert->prefixes[i].address[0] = 0xfd;
      cert->prefixes[i].address[15] = (guint8) i;
    }
  g_assert_true (wgd_certificate_sign (cert, ca, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cert->raw_len, <=, WGD_RECORD_MAX - 1 - 2 * 35 - 11 - 7 - 3 - WGD_SIGNATURE_LEN);
}

static void
test_prefix_parse (void)
{
  const struct {
    const gchar *text;
    const gchar *canonical;
  } good[] = {
    { "10.1.2.3", "10.1.2.3/32" },
    { "10.1.2.0/24", "10.1.2.0/24" },
    { "0.0.0.0/0", "0.0.0.0/0" },
    { "fd00::1", "fd00::1/128" },
    { "fd00:1::/32", "fd00:1::/32" },
  };
  const gchar *bad[] = { "", "10.1.2.3/33", "10.1.2.3/24", "10.1.2.0/x", "10.1.2.0/",
                         "fd00::1/129", "host.example", "10.1.2.0/-1", "10.1.2.0/024x" };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      WgdPrefix p;
      g_autoptr (GError) error = NULL;
      g_autofree gchar *s = NULL;

      g_assert_true (wgd_prefix_parse (good[i].text, &p, &error));
      g_assert_no_error (error);
      s = wgd_prefix_to_string (&p);
      g_assert_cmpstr (s, ==, good[i].canonical);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      WgdPrefix p;
      g_autoptr (GError) error = NULL;

      g_assert_false (wgd_prefix_parse (bad[i], &p, &error));
      g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/certificate/known-answer", test_known_answer);
  g_test_add_func ("/certificate/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/certificate/bit-flips", test_bit_flips);
  g_test_add_func ("/certificate/format-refusals", test_format_refusals);
  g_test_add_func ("/certificate/sign-refusals", test_sign_refusals);
  g_test_add_func ("/certificate/prefix-parse", test_prefix_parse);
  return g_test_run ();
}
