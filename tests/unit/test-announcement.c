/* test-announcement.c — the record of docs/record-format.md §2: known answers against
 * an independent implementation, round trips of every field, and every
 * way the decoder must refuse. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "announcement.h"
#include "test-util.h"
#include "wgd-error.h"

static WgdKeyPair *
vector_key (GKeyFile *vectors, const gchar *key)
{
  g_autoptr (GBytes) seed = test_vectors_get_bytes (vectors, "keys", key);

  return wgd_key_pair_new_from_seed (g_bytes_get_data (seed, NULL));
}

static void
test_known_answer_minimal (void)
{
  g_autoptr (GKeyFile) vectors = test_vectors_load ();
  g_autoptr (WgdKeyPair) id = vector_key (vectors, "node-seed");
  g_autoptr (GBytes) expect = test_vectors_get_bytes (vectors, "announcement-minimal", "record");
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (WgdAnnouncement) decoded = wgd_announcement_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (expect, &len);

  wgd_key_pair_wg_public (id, ann->wg_key);
  ann->timestamp = test_vectors_get_u64 (vectors, "announcement-minimal", "timestamp");
  ann->lifetime = (guint32) test_vectors_get_u64 (vectors, "announcement-minimal", "lifetime");
  g_assert_true (wgd_announcement_sign (ann, id, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (ann->record, ann->record_len, data, len);

  g_assert_true (wgd_announcement_decode (decoded, data, len, &error));
  g_assert_no_error (error);
  g_assert_true (wgd_announcement_verify_signature (decoded));
  g_assert_cmpuint (decoded->timestamp, ==, 1700000000);
  g_assert_cmpuint (decoded->lifetime, ==, 3600);
  g_assert_cmpuint (decoded->n_endpoints, ==, 0);
  g_assert_cmpstr (decoded->name, ==, "");
  g_assert_false (decoded->has_certificate);
  g_assert_false (decoded->has_mesh);
}

static void
test_known_answer_full (void)
{
  g_autoptr (GKeyFile) vectors = test_vectors_load ();
  g_autoptr (WgdKeyPair) id = vector_key (vectors, "node-seed");
  g_autoptr (WgdKeyPair) ca = vector_key (vectors, "ca-seed");
  g_autoptr (GBytes) expect = test_vectors_get_bytes (vectors, "announcement-full", "record");
  g_autoptr (GBytes) cert = test_vectors_get_bytes (vectors, "certificate", "certificate");
  g_auto (GStrv) endpoints = g_key_file_get_string_list (vectors, "announcement-full",
                                                        "endpoints", NULL, NULL);
  g_autofree gchar *name = g_key_file_get_string (vectors, "announcement-full", "name", NULL);
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (WgdAnnouncement) decoded = wgd_announcement_new ();
  g_autoptr (GError) error = NULL;
  gsize len, cert_len;
  const guint8 *data = g_bytes_get_data (expect, &len);
  const guint8 *cert_data = g_bytes_get_data (cert, &cert_len);

  wgd_key_pair_wg_public (id, ann->wg_key);
  ann->timestamp = test_vectors_get_u64 (vectors, "announcement-full", "timestamp");
  ann->lifetime = (guint32) test_vectors_get_u64 (vectors, "announcement-full", "lifetime");
  ann->n_endpoints = 2;
  g_assert_true (wgd_endpoint_parse ("192.0.2.10:51820", &ann->endpoints[0], &error));
  g_assert_true (wgd_endpoint_parse ("[2001:db8::1]:51821", &ann->endpoints[1], &error));
  g_assert_no_error (error);
  ann->endpoints[1].kind = WGD_ENDPOINT_REFLEXIVE;
  g_strlcpy (ann->name, name, sizeof ann->name);
  ann->has_certificate = TRUE;
  g_assert_true (wgd_certificate_decode (&ann->certificate, cert_data, cert_len, &error));
  g_assert_no_error (error);
  ann->has_mesh = TRUE;
  memcpy (ann->mesh_key, ca->public_key, WGD_KEY_LEN);
  g_assert_true (wgd_announcement_sign (ann, id, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (ann->record, ann->record_len, data, len);

  g_assert_true (wgd_announcement_decode (decoded, data, len, &error));
  g_assert_no_error (error);
  g_assert_true (wgd_announcement_verify_signature (decoded));
  g_assert_cmpuint (decoded->n_endpoints, ==, 2);
  for (gsize i = 0; i < 2; i++)
    {
      g_autofree gchar *s = wgd_endpoint_to_string (&decoded->endpoints[i]);
      g_autofree gchar *labelled =
        g_strdup_printf ("%s:%s", wgd_endpoint_kind_to_string (decoded->endpoints[i].kind), s);

      g_assert_cmpstr (labelled, ==, endpoints[i]);
    }
  g_assert_cmpstr (decoded->name, ==, "alice-ü");
  g_assert_true (decoded->has_certificate);
  g_assert_cmpmem (decoded->certificate.raw, decoded->certificate.raw_len, cert_data, cert_len);
  g_assert_true (decoded->has_mesh);
  g_assert_cmpmem (decoded->mesh_key, WGD_KEY_LEN, ca->public_key, WGD_KEY_LEN);
}

static void
assert_round_trip (WgdAnnouncement *ann, const WgdKeyPair *id)
{
  g_autoptr (WgdAnnouncement) back = wgd_announcement_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (wgd_announcement_sign (ann, id, &error));
  g_assert_no_error (error);
  g_assert_true (wgd_announcement_decode (back, ann->record, ann->record_len, &error));
  g_assert_no_error (error);
  g_assert_true (wgd_announcement_verify_signature (back));
  g_assert_cmpmem (back->signing_key, WGD_KEY_LEN, id->public_key, WGD_KEY_LEN);
  g_assert_cmpmem (back->wg_key, WGD_KEY_LEN, ann->wg_key, WGD_KEY_LEN);
  g_assert_cmpuint (back->timestamp, ==, ann->timestamp);
  g_assert_cmpuint (back->lifetime, ==, ann->lifetime);
  g_assert_cmpuint (back->n_endpoints, ==, ann->n_endpoints);
  for (gsize i = 0; i < ann->n_endpoints; i++)
    {
      g_assert_cmpint (back->endpoints[i].kind, ==, ann->endpoints[i].kind);
      g_assert_cmpint (back->endpoints[i].family, ==, ann->endpoints[i].family);
      g_assert_cmpmem (back->endpoints[i].address, 16, ann->endpoints[i].address, 16);
      g_assert_cmpint (back->endpoints[i].port, ==, ann->endpoints[i].port);
    }
  g_assert_cmpstr (back->name, ==, ann->name);
  g_assert_cmpint (back->has_certificate, ==, ann->has_certificate);
  if (ann->has_certificate)
    g_assert_cmpmem (back->certificate.raw, back->certificate.raw_len, ann->certificate.raw,
                     ann->certificate.raw_len);
  g_assert_cmpint (back->has_mesh, ==, ann->has_mesh);
  if (ann->has_mesh)
    g_assert_cmpmem (back->mesh_key, WGD_KEY_LEN, ann->mesh_key, WGD_KEY_LEN);
  /* Decoding then signing again gives the very same bytes. */
  g_assert_true (wgd_announcement_sign (back, id, &error));
  g_assert_cmpmem (back->record, back->record_len, ann->record, ann->record_len);
}

static void
test_round_trip_every_field (void)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (3);
  g_autoptr (WgdKeyPair) ca = test_key_pair (4);
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (GError) error = NULL;
  const WgdEndpointKind kinds[] = { WGD_ENDPOINT_HOST, WGD_ENDPOINT_REFLEXIVE,
                                    WGD_ENDPOINT_CONFIGURED };

  wgd_key_pair_wg_public (id, ann->wg_key);
  ann->timestamp = G_MAXUINT64;
  ann->lifetime = G_MAXUINT32;
  assert_round_trip (ann, id);

  for (gsize i = 0; i < WGD_ENDPOINTS_MAX; i++)
    {
      g_autofree gchar *text = i % 2 ? g_strdup_printf ("[fe80::%zx]:%zu", i + 1, 1000 + i)
                                     : g_strdup_printf ("10.0.0.%zu:%zu", i + 1, 65535 - i);

      g_assert_true (wgd_endpoint_parse (text, &ann->endpoints[i], &error));
      g_assert_no_error (error);
      ann->endpoints[i].kind = kinds[i % 3];
      ann->n_endpoints = i + 1;
      assert_round_trip (ann, id);
    }

  g_strlcpy (ann->name, "n", sizeof ann->name);
  assert_round_trip (ann, id);
  memset (ann->name, 'x', WGD_NAME_MAX);
  assert_round_trip (ann, id);

  memcpy (ann->certificate.signing_key, id->public_key, WGD_KEY_LEN);
  memcpy (ann->certificate.wg_key, ann->wg_key, WGD_KEY_LEN);
  g_strlcpy (ann->certificate.name, "node", sizeof ann->certificate.name);
  ann->certificate.not_after = 10;
  g_assert_true (wgd_certificate_sign (&ann->certificate, ca, &error));
  ann->has_certificate = TRUE;
  assert_round_trip (ann, id);

  ann->has_mesh = TRUE;
  memcpy (ann->mesh_key, ca->public_key, WGD_KEY_LEN);
  assert_round_trip (ann, id);
}

static void
test_sign_refusals (void)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (3);
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (id, 1000, 60);
  g_autoptr (WgdKeyPair) ca = test_key_pair (4);
  g_autoptr (GError) error = NULL;

  ann->endpoints[0].port = 0;
  g_assert_false (wgd_announcement_sign (ann, id, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);
  ann->endpoints[0].port = 1;

  ann->n_endpoints = WGD_ENDPOINTS_MAX + 1;
  g_assert_false (wgd_announcement_sign (ann, id, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);
  ann->n_endpoints = 1;

  g_strlcpy (ann->name, "bad\tname", sizeof ann->name);
  g_assert_false (wgd_announcement_sign (ann, id, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);
  ann->name[0] = '\0';

  ann->has_certificate = TRUE;
  g_assert_false (wgd_announcement_sign (ann, id, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);

  /* A full certificate, eight IPv6 endpoints and a name overflow 1024. */
  ann->certificate.n_prefixes = WGD_CERTIFICATE_PREFIXES_MAX;
  for (gsize i = 0; i < WGD_CERTIFICATE_PREFIXES_MAX; i++)
    {
      ann->certificate.prefixes[i].family = 6;
      ann->certificate.prefixes[i].length = 128;
      ann->certificate.prefixes[i].address[15] = (guint8) i;
    }
  memset (ann->certificate.name, 'c', WGD_NAME_MAX);
  g_assert_true (wgd_certificate_sign (&ann->certificate, ca, &error));
  g_assert_no_error (error);
  ann->n_endpoints = WGD_ENDPOINTS_MAX;
  for (gsize i = 0; i < WGD_ENDPOINTS_MAX; i++)
    g_assert_true (wgd_endpoint_parse ("[2001:db8::1]:1", &ann->endpoints[i], NULL));
  memset (ann->name, 'n', WGD_NAME_MAX);
  ann->has_mesh = TRUE;
  g_assert_false (wgd_announcement_sign (ann, id, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE);
}

static void
test_truncated_everywhere (void)
{
  g_autoptr (GKeyFile) vectors = test_vectors_load ();
  g_autoptr (GBytes) full = test_vectors_get_bytes (vectors, "announcement-full", "record");
  g_autoptr (WgdAnnouncement) out = wgd_announcement_new ();
  gsize len;
  const guint8 *data = g_bytes_get_data (full, &len);

  for (gsize cut = 0; cut < len; cut++)
    {
      /* A copy of exactly cut bytes, so ASan sees any read past it. */
      g_autofree guint8 *copy = g_memdup2 (data, cut);
      gboolean ok = wgd_announcement_decode (out, copy, cut, NULL);

      /* A cut that happens to parse leaves the wrong bytes as signature. */
      if (ok)
        g_assert_false (wgd_announcement_verify_signature (out));
    }
}

static void
test_bit_flips (void)
{
  g_autoptr (GKeyFile) vectors = test_vectors_load ();
  g_autoptr (GBytes) full = test_vectors_get_bytes (vectors, "announcement-full", "record");
  g_autoptr (WgdAnnouncement) out = wgd_announcement_new ();
  guint8 buf[WGD_RECORD_MAX];
  gsize len;
  const guint8 *data = g_bytes_get_data (full, &len);
  guint decoded = 0;

  for (gsize bit = 0; bit < len * 8; bit++)
    {
      memcpy (buf, data, len);
      buf[bit / 8] ^= (guint8) (1u << (bit % 8));
      if (wgd_announcement_decode (out, buf, len, NULL))
        {
          decoded++;
          g_assert_false (wgd_announcement_verify_signature (out));
        }
    }
  /* Most flips land in keys, signature and values: they still decode
   * and only the signature can catch them, so it must have been tried. */
  g_assert_cmpuint (decoded, >, len * 4);
}

static void
expect_malformed (GBytes *record, const gchar *what)
{
  g_autoptr (WgdAnnouncement) out = wgd_announcement_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (record, &len);

  g_assert_false (wgd_announcement_decode (out, data, len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  if (strstr (error->message, what) == NULL)
    g_error ("expected '%s' in: %s", what, error->message);
}

static void
test_extension_fields (void)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (5);
  g_autoptr (GByteArray) body = g_byte_array_new ();
  g_autoptr (GBytes) record = NULL;
  g_autoptr (WgdAnnouncement) out = wgd_announcement_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const guint8 *data;

  test_fields_required (body, id, 1000, 60);
  test_field_append (body, WGD_FIELD_NAME, "x", 1);
  test_field_append (body, 128, "future", 6);
  test_field_append (body, 255, NULL, 0);
  record = test_record_sign (id, body);
  data = g_bytes_get_data (record, &len);
  g_assert_true (wgd_announcement_decode (out, data, len, &error));
  g_assert_no_error (error);
  g_assert_true (wgd_announcement_verify_signature (out));
  g_assert_cmpstr (out->name, ==, "x");
  g_clear_pointer (&record, g_bytes_unref);
  g_byte_array_set_size (body, 0);

  for (guint type = 9; type < WGD_FIELD_EXTENSION_FIRST; type += 59)
    {
      test_fields_required (body, id, 1000, 60);
      test_field_append (body, (guint8) type, "x", 1);
      record = test_record_sign (id, body);
      expect_malformed (record, "unknown field type");
      g_clear_pointer (&record, g_bytes_unref);
      g_byte_array_set_size (body, 0);
    }

  /* Type 0 is below every known type: unknown, not a terminator. */
  test_field_append (body, 0, NULL, 0);
  test_fields_required (body, id, 1000, 60);
  record = test_record_sign (id, body);
  expect_malformed (record, "unknown field type 0");
}

static void
test_order_and_repeats (void)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (5);
  g_autoptr (GByteArray) body = g_byte_array_new ();
  g_autoptr (GBytes) record = NULL;
  guint8 wg[WGD_KEY_LEN];
  const guint8 ep[8] = { 1, 4, 10, 0, 0, 1, 0xca, 0x6c };

  wgd_key_pair_wg_public (id, wg);

  /* Required fields swapped. */
  test_field_append (body, WGD_FIELD_WG_KEY, wg, WGD_KEY_LEN);
  test_field_append (body, WGD_FIELD_SIGNING_KEY, id->public_key, WGD_KEY_LEN);
  test_field_append_u64 (body, WGD_FIELD_TIMESTAMP, 1000);
  test_field_append_u32 (body, WGD_FIELD_LIFETIME, 60);
  record = test_record_sign (id, body);
  expect_malformed (record, "out of order");
  g_clear_pointer (&record, g_bytes_unref);
  g_byte_array_set_size (body, 0);

  /* A name before the endpoints. */
  test_fields_required (body, id, 1000, 60);
  test_field_append (body, WGD_FIELD_NAME, "x", 1);
  test_field_append (body, WGD_FIELD_ENDPOINT, ep, sizeof ep);
  record = test_record_sign (id, body);
  expect_malformed (record, "out of order");
  g_clear_pointer (&record, g_bytes_unref);
  g_byte_array_set_size (body, 0);

  /* Repeats: timestamp, name, and an extension. */
  test_fields_required (body, id, 1000, 60);
  test_field_append_u32 (body, WGD_FIELD_LIFETIME, 60);
  record = test_record_sign (id, body);
  expect_malformed (record, "repeated");
  g_clear_pointer (&record, g_bytes_unref);
  g_byte_array_set_size (body, 0);

  test_fields_required (body, id, 1000, 60);
  test_field_append (body, WGD_FIELD_NAME, "x", 1);
  test_field_append (body, WGD_FIELD_NAME, "y", 1);
  record = test_record_sign (id, body);
  expect_malformed (record, "repeated");
  g_clear_pointer (&record, g_bytes_unref);
  g_byte_array_set_size (body, 0);

  test_fields_required (body, id, 1000, 60);
  test_field_append (body, 200, "x", 1);
  test_field_append (body, 200, "x", 1);
  record = test_record_sign (id, body);
  expect_malformed (record, "repeated");
  g_clear_pointer (&record, g_bytes_unref);
  g_byte_array_set_size (body, 0);

  /* Eight endpoints decode, nine do not. */
  test_fields_required (body, id, 1000, 60);
  for (guint i = 0; i < WGD_ENDPOINTS_MAX; i++)
    test_field_append (body, WGD_FIELD_ENDPOINT, ep, sizeof ep);
  record = test_record_sign (id, body);
  {
    g_autoptr (WgdAnnouncement) out = wgd_announcement_new ();
    gsize len;
    const guint8 *data = g_bytes_get_data (record, &len);

    g_assert_true (wgd_announcement_decode (out, data, len, NULL));
    g_assert_cmpuint (out->n_endpoints, ==, WGD_ENDPOINTS_MAX);
  }
  g_clear_pointer (&record, g_bytes_unref);
  test_field_append (body, WGD_FIELD_ENDPOINT, ep, sizeof ep);
  record = test_record_sign (id, body);
  expect_malformed (record, "more than 8 endpoints");
}

static void
test_field_refusals (void)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (5);
  guint8 wg[WGD_KEY_LEN];
  const struct {
    guint8 type;
    const gchar *value;
    gsize len;
    const gchar *what;
  } cases[] = {
    { WGD_FIELD_ENDPOINT, "\x01\x04\x0a\x00\x00\x01\xca", 7, "endpoint 1" },
    { WGD_FIELD_ENDPOINT, "\x01\x06\x0a\x00\x00\x01\xca\x6c", 8, "endpoint 1" },
    { WGD_FIELD_ENDPOINT, "\x00\x04\x0a\x00\x00\x01\xca\x6c", 8, "endpoint 1" },
    { WGD_FIELD_ENDPOINT, "\x04\x04\x0a\x00\x00\x01\xca\x6c", 8, "endpoint 1" },
    { WGD_FIELD_ENDPOINT, "\x01\x05\x0a\x00\x00\x01\xca\x6c", 8, "endpoint 1" },
    { WGD_FIELD_ENDPOINT, "\x01\x04\x0a\x00\x00\x01\x00\x00", 8, "endpoint 1" },
    { WGD_FIELD_ENDPOINT, "", 0, "endpoint 1" },
    { WGD_FIELD_NAME, "", 0, "name" },
    { WGD_FIELD_NAME, "a\x1b[31m", 7, "name" },
    { WGD_FIELD_NAME, "\xc3\x28", 2, "name" },
    { WGD_FIELD_CERTIFICATE, "\x01", 1, "malformed certificate" },
    { WGD_FIELD_MESH, "short", 5, "a key has 32" },
  };

  wgd_key_pair_wg_public (id, wg);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GByteArray) body = g_byte_array_new ();
      g_autoptr (GBytes) record = NULL;

      test_fields_required (body, id, 1000, 60);
      test_field_append (body, cases[i].type, cases[i].value, cases[i].len);
      record = test_record_sign (id, body);
      expect_malformed (record, cases[i].what);
    }

  /* Wrong sizes and absence of each required field. */
  for (guint missing = WGD_FIELD_SIGNING_KEY; missing <= WGD_FIELD_LIFETIME; missing++)
    {
      g_autoptr (GByteArray) body = g_byte_array_new ();
      g_autoptr (GBytes) record = NULL;

      if (missing != WGD_FIELD_SIGNING_KEY)
        test_field_append (body, WGD_FIELD_SIGNING_KEY, id->public_key, WGD_KEY_LEN);
      if (missing != WGD_FIELD_WG_KEY)
        test_field_append (body, WGD_FIELD_WG_KEY, wg, WGD_KEY_LEN);
      if (missing != WGD_FIELD_TIMESTAMP)
        test_field_append_u64 (body, WGD_FIELD_TIMESTAMP, 1000);
      if (missing != WGD_FIELD_LIFETIME)
        test_field_append_u32 (body, WGD_FIELD_LIFETIME, 60);
      record = test_record_sign (id, body);
      expect_malformed (record, "is missing");
    }
  {
    g_autoptr (GByteArray) body = g_byte_array_new ();
    g_autoptr (GBytes) record = NULL;

    test_field_append (body, WGD_FIELD_SIGNING_KEY, id->public_key, WGD_KEY_LEN);
    test_field_append (body, WGD_FIELD_WG_KEY, wg, WGD_KEY_LEN);
    test_field_append_u32 (body, WGD_FIELD_TIMESTAMP, 1000);
    test_field_append_u32 (body, WGD_FIELD_LIFETIME, 60);
    record = test_record_sign (id, body);
    expect_malformed (record, "timestamp has 4 bytes");
  }
  {
    g_autoptr (GByteArray) body = g_byte_array_new ();
    g_autoptr (GBytes) record = NULL;

    test_field_append (body, WGD_FIELD_SIGNING_KEY, id->public_key, WGD_KEY_LEN);
    test_field_append (body, WGD_FIELD_WG_KEY, wg, WGD_KEY_LEN);
    test_field_append_u64 (body, WGD_FIELD_TIMESTAMP, 1000);
    test_field_append_u64 (body, WGD_FIELD_LIFETIME, 60);
    record = test_record_sign (id, body);
    expect_malformed (record, "lifetime has 8 bytes");
  }
  {
    g_autoptr (GByteArray) body = g_byte_array_new ();
    g_autoptr (GBytes) record = NULL;
    guint8 bogus[3] = { WGD_FIELD_NAME, 0x00, 0x10 };

    /* A field header claiming more bytes than the record holds. */
    test_fields_required (body, id, 1000, 60);
    g_byte_array_append (body, bogus, sizeof bogus);
    record = test_record_sign (id, body);
    expect_malformed (record, "claims 16 bytes");
  }
}

static void
test_envelope_refusals (void)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (5);
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (id, 1000, 60);
  g_autoptr (WgdAnnouncement) out = wgd_announcement_new ();
  g_autoptr (GError) error = NULL;
  guint8 big[WGD_RECORD_MAX + 1] = { WGD_RECORD_VERSION };
  guint8 buf[WGD_RECORD_MAX];

  g_assert_false (wgd_announcement_decode (out, big, sizeof big, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_TOO_LARGE);
  g_clear_error (&error);

  memcpy (buf, ann->record, ann->record_len);
  buf[0] = 2;
  g_assert_false (wgd_announcement_decode (out, buf, ann->record_len, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "unsupported version 2"));
  g_clear_error (&error);

  g_assert_false (wgd_announcement_decode (out, buf, 0, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_clear_error (&error);

  /* A failed decode leaves nothing behind that looks valid. */
  g_assert_cmpuint (out->record_len, ==, 0);
  g_assert_false (wgd_announcement_verify_signature (out));
}

static void
test_endpoint_text (void)
{
  const struct {
    const gchar *text;
    guint8 family;
    guint16 port;
  } good[] = {
    { "192.0.2.1:51820", 4, 51820 },
    { "[2001:db8::1]:1", 6, 1 },
    { "[::ffff:192.0.2.1]:65535", 6, 65535 },
  };
  const gchar *bad[] = { "", "192.0.2.1", "192.0.2.1:0", "192.0.2.1:65536", "192.0.2.1:x",
                         "2001:db8::1:51820", "[2001:db8::1]51820", "[fe80::1%eth0]:51820",
                         "host.example:51820", "[192.0.2.1:1", "192.0.2.1:-1" };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      WgdEndpoint ep;
      g_autoptr (GError) error = NULL;
      g_autofree gchar *back = NULL;

      g_assert_true (wgd_endpoint_parse (good[i].text, &ep, &error));
      g_assert_no_error (error);
      g_assert_cmpint (ep.family, ==, good[i].family);
      g_assert_cmpint (ep.port, ==, good[i].port);
      g_assert_cmpint (ep.kind, ==, WGD_ENDPOINT_HOST);
      back = wgd_endpoint_to_string (&ep);
      g_assert_cmpstr (back, ==, good[i].text);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      WgdEndpoint ep;
      g_autoptr (GError) error = NULL;

      g_assert_false (wgd_endpoint_parse (bad[i], &ep, &error));
      g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/announcement/known-answer-minimal", test_known_answer_minimal);
  g_test_add_func ("/announcement/known-answer-full", test_known_answer_full);
  g_test_add_func ("/announcement/round-trip-every-field", test_round_trip_every_field);
  g_test_add_func ("/announcement/sign-refusals", test_sign_refusals);
  g_test_add_func ("/announcement/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/announcement/bit-flips", test_bit_flips);
  g_test_add_func ("/announcement/extension-fields", test_extension_fields);
  g_test_add_func ("/announcement/order-and-repeats", test_order_and_repeats);
  g_test_add_func ("/announcement/field-refusals", test_field_refusals);
  g_test_add_func ("/announcement/envelope-refusals", test_envelope_refusals);
  g_test_add_func ("/announcement/endpoint-text", test_endpoint_text);
  return g_test_run ();
}
