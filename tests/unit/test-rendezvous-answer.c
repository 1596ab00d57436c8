/* test-rendezvous-answer.c — the rendezvous server's answers as the
 * daemon reads them: a peer's record (for the key asked, well-formed),
 * seen_from, a refusal's code, a mesh's listing and a watch's message
 * (records of the mesh only, within the caps), and every way an answer
 * can be wrong. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "base64.h"
#include "rendezvous-answer.h"
#include "test-util.h"
#include "wgd-error.h"

static gchar *
peer_answer (const WgdAnnouncement *ann)
{
  g_autofree gchar *text = wgd_base64url_encode (ann->record, ann->record_len);

  return g_strdup_printf ("{\"wireguard_key\":\"x\",\"record\":\"%s\",\"timestamp\":1}", text);
}

static void
test_peer (void)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (7);
  g_autoptr (WgdAnnouncement) ann = test_announcement_new (id, 1700000000, 600);
  g_autofree gchar *body = peer_answer (ann);
  guint8 other[WGD_KEY_LEN] = { 0 };
  g_autoptr (GBytes) record = NULL;
  g_autoptr (GError) error = NULL;

  record = wgd_rdv_answer_parse_peer (body, strlen (body), ann->wg_key, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (record, NULL), g_bytes_get_size (record), ann->record,
                   ann->record_len);
  /* Another key's record: no answer to the question. */
  g_assert_null (wgd_rdv_answer_parse_peer (body, strlen (body), other, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "another WireGuard key"));
}

static void
test_peer_bad (void)
{
  static const gchar *const bodies[] = {
    "", "null", "[]", "{}", "{\"record\":1}", "{\"record\":null}", "{\"record\":\"\"}",
    "{\"record\":\"!!!\"}", "{\"record\":\"AAAA\"}", "{\"record\":{\"a\":1}}", "{\"record\":\"",
  };
  guint8 key[WGD_KEY_LEN] = { 0 };
  g_autofree gchar *huge = g_strnfill (WGD_RDV_ANSWER_MAX + 1, ' ');

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (wgd_rdv_answer_parse_peer (bodies[i], strlen (bodies[i]), key, &error));
      g_assert_nonnull (error);
    }
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (wgd_rdv_answer_parse_peer (huge, strlen (huge), key, &error));
    g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  }
}

static void
test_seen_from (void)
{
  static const struct {
    const gchar *body;
    guint8 family;
    guint8 first, last;
  } good[] = {
    { "{\"status\":\"stored\",\"seen_from\":{\"address\":\"198.51.100.7\",\"port\":51446}}",
      4, 198, 0 },
    { "{\"seen_from\":{\"address\":\"2001:db8::1\",\"port\":null}}", 6, 0x20, 1 },
  };
  static const gchar *const bad[] = {
    "{}", "{\"seen_from\":1}", "{\"seen_from\":{}}", "{\"seen_from\":{\"address\":7}}",
    "{\"seen_from\":{\"address\":\"h1.example\"}}", "{\"seen_from\":{\"address\":\"1.2.3\"}}",
    "not json",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      guint8 family = 0, address[16];

      g_assert_true (wgd_rdv_answer_parse_seen_from (good[i].body, strlen (good[i].body), &family,
                                                     address, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (family, ==, good[i].family);
      g_assert_cmpuint (address[0], ==, good[i].first);
      g_assert_cmpuint (address[15], ==, good[i].last);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      guint8 family, address[16];

      g_assert_false (wgd_rdv_answer_parse_seen_from (bad[i], strlen (bad[i]), &family, address,
                                                      &error));
      g_assert_nonnull (error);
    }
}

static void
test_error_code (void)
{
  static const gchar rate[] = "{\"error\":\"rate-limited\",\"message\":\"slow\"}";
  static const gchar control[] = "{\"error\":\"a\\nb\"}";
  g_autofree gchar *code = wgd_rdv_answer_parse_error_code (rate, strlen (rate));
  g_autofree gchar *escaped = wgd_rdv_answer_parse_error_code (control, strlen (control));

  g_assert_cmpstr (code, ==, "rate-limited");
  g_assert_cmpstr (escaped, ==, "a\\nb");
  g_assert_null (wgd_rdv_answer_parse_error_code ("{}", 2));
  g_assert_null (wgd_rdv_answer_parse_error_code ("{\"error\":5}", 11));
  g_assert_null (wgd_rdv_answer_parse_error_code ("<html>", 6));
}

/* One object and whitespace, nothing more: json-glib would take a
 * second object (and lose the first one's memory) or skip a comment. */
static void
test_one_object (void)
{
  static const struct {
    const gchar *body;
    const gchar *code;
  } cases[] = {
    { " {\"error\":\"a\"}\n", "a" },
    { "{\"error\":\"}{\\\"\"}", "}{\\\"" },
    { "{\"error\":\"a\",\"x\":[{}]}", "a" },
    { "{\"error\":\"a\"}{\"error\":\"b\"}", NULL },
    { "{\"error\":\"a\"} {}", NULL },
    { "{\"error\":\"a\"} 1", NULL },
    { "{\"error\":\"a\"} /* c */", NULL },
    { "{\"error\": /* } */ \"a\"}", NULL },
    { "{\"error\":\"a\"", NULL },
    { "[{\"error\":\"a\"}]", NULL },
    { "{\"error\":\"a\\", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *code = wgd_rdv_answer_parse_error_code (cases[i].body,
                                                                strlen (cases[i].body));

      g_assert_cmpstr (code, ==, cases[i].code);
    }
}

static const guint8 mesh_ca[WGD_KEY_LEN] = { 0x4d, 0x45, 0x53, 0x48 };

/* A record of node n: naming the mesh of mesh_ca, or certified by its
 * CA (certified), or of no mesh (neither). */
static WgdAnnouncement *
mesh_announcement (guint8 n, gboolean names_mesh, gboolean certified)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (n);
  g_autoptr (WgdKeyPair) ca = test_key_pair (99);
  WgdAnnouncement *ann = test_announcement_new (id, 1700000000, 600);

  ann->has_mesh = names_mesh;
  memcpy (ann->mesh_key, mesh_ca, WGD_KEY_LEN);
  if (certified)
    {
      ann->has_certificate = TRUE;
      memcpy (ann->certificate.signing_key, id->public_key, WGD_KEY_LEN);
      memcpy (ann->certificate.wg_key, ann->wg_key, WGD_KEY_LEN);
      ann->certificate.not_before = 1600000000;
      ann->certificate.not_after = 1800000000;
      g_strlcpy (ann->certificate.name, "n", sizeof ann->certificate.name);
      g_assert_true (wgd_certificate_sign (&ann->certificate, ca, NULL));
    }
  g_assert_true (wgd_announcement_sign (ann, id, NULL));
  return ann;
}

static void
test_listing (void)
{
  g_autoptr (WgdAnnouncement) a = mesh_announcement (1, TRUE, FALSE);
  g_autoptr (WgdAnnouncement) b = mesh_announcement (2, FALSE, TRUE);
  g_autoptr (WgdAnnouncement) c = mesh_announcement (3, TRUE, FALSE);
  g_autoptr (WgdKeyPair) ca = test_key_pair (99);
  g_autofree gchar *pa = peer_answer (a);
  g_autofree gchar *pb = peer_answer (b);
  g_autofree gchar *pc = peer_answer (c);
  g_autofree gchar *ac = g_strdup_printf ("{\"mesh\":\"x\",\"records\":[%s,%s]}", pa, pc);
  g_autofree gchar *ab = g_strdup_printf ("{\"records\":[%s,%s]}", pa, pb);
  g_autofree gchar *only_b = g_strdup_printf ("{\"records\":[%s]}", pb);
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError) error = NULL;

  /* Records naming the mesh, in the server's order. */
  records = wgd_rdv_answer_parse_listing (ac, strlen (ac), mesh_ca, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (records, 0), NULL),
                   g_bytes_get_size (g_ptr_array_index (records, 0)), a->record, a->record_len);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (records, 1), NULL),
                   g_bytes_get_size (g_ptr_array_index (records, 1)), c->record, c->record_len);
  g_clear_pointer (&records, g_ptr_array_unref);
  /* b is certified by the CA of key 99 and names no mesh: of that mesh
   * only, and one record of another mesh fails the listing. */
  g_assert_null (wgd_rdv_answer_parse_listing (ab, strlen (ab), mesh_ca, &error));
  g_assert_nonnull (strstr (error->message, "another mesh"));
  g_clear_error (&error);
  g_assert_null (wgd_rdv_answer_parse_listing (ab, strlen (ab), ca->public_key, &error));
  g_clear_error (&error);
  records = wgd_rdv_answer_parse_listing (only_b, strlen (only_b), ca->public_key, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
  g_clear_pointer (&records, g_ptr_array_unref);
  records = wgd_rdv_answer_parse_listing ("{\"records\":[]}", 14, mesh_ca, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 0);
}

static void
test_listing_bad (void)
{
  static const gchar *const bodies[] = {
    "", "null", "[]", "{}", "{\"records\":{}}", "{\"records\":null}", "{\"records\":[1]}",
    "{\"records\":[{}]}", "{\"records\":[{\"record\":\"AAAA\"}]}", "{\"records\":[",
  };
  g_autoptr (WgdAnnouncement) plain = mesh_announcement (4, FALSE, FALSE);
  g_autoptr (WgdAnnouncement) a = mesh_announcement (1, TRUE, FALSE);
  g_autofree gchar *p = peer_answer (plain);
  g_autofree gchar *pa = peer_answer (a);
  g_autofree gchar *foreign = g_strdup_printf ("{\"records\":[%s,%s]}", pa, p);
  GString *many = g_string_new ("{\"records\":[");
  g_autofree gchar *huge = g_strnfill (WGD_RDV_LISTING_MAX + 1, ' ');
  g_autofree gchar *many_text = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (wgd_rdv_answer_parse_listing (bodies[i], strlen (bodies[i]), mesh_ca,
                                                   &error));
      g_assert_nonnull (error);
    }
  {
    g_autoptr (GError) error = NULL;

    /* A record of no mesh fails the whole listing, the good one too. */
    g_assert_null (wgd_rdv_answer_parse_listing (foreign, strlen (foreign), mesh_ca, &error));
    g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (wgd_rdv_answer_parse_listing (huge, strlen (huge), mesh_ca, &error));
    g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  }
  /* One record more than the cap, each small enough to fit the bytes. */
  for (guint i = 0; i <= WGD_RDV_LISTING_RECORDS_MAX; i++)
    g_string_append_printf (many, "%s{}", i ? "," : "");
  g_string_append (many, "]}");
  many_text = g_string_free (many, FALSE);
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (wgd_rdv_answer_parse_listing (many_text, strlen (many_text), mesh_ca,
                                                 &error));
    g_assert_nonnull (strstr (error->message, "more than"));
  }
}

static void
test_pushed (void)
{
  g_autoptr (WgdAnnouncement) a = mesh_announcement (1, TRUE, FALSE);
  g_autoptr (WgdAnnouncement) plain = mesh_announcement (4, FALSE, FALSE);
  g_autofree gchar *pa = peer_answer (a);
  g_autofree gchar *pp = peer_answer (plain);
  g_autofree gchar *huge = g_strnfill (WGD_RDV_ANSWER_MAX + 1, ' ');
  g_autoptr (GBytes) record = NULL;
  g_autoptr (GError) error = NULL;
  static const gchar *const bad[] = { "", "[]", "{}", "{\"record\":7}", "\"x\"" };

  record = wgd_rdv_answer_parse_pushed (pa, strlen (pa), mesh_ca, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (record, NULL), g_bytes_get_size (record), a->record,
                   a->record_len);
  g_assert_null (wgd_rdv_answer_parse_pushed (pp, strlen (pp), mesh_ca, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (wgd_rdv_answer_parse_pushed (huge, strlen (huge), mesh_ca, &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;

      g_assert_null (wgd_rdv_answer_parse_pushed (bad[i], strlen (bad[i]), mesh_ca, &e));
      g_assert_nonnull (e);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/rendezvous-answer/peer", test_peer);
  g_test_add_func ("/rendezvous-answer/peer-bad", test_peer_bad);
  g_test_add_func ("/rendezvous-answer/seen-from", test_seen_from);
  g_test_add_func ("/rendezvous-answer/error-code", test_error_code);
  g_test_add_func ("/rendezvous-answer/one-object", test_one_object);
  g_test_add_func ("/rendezvous-answer/listing", test_listing);
  g_test_add_func ("/rendezvous-answer/listing-bad", test_listing_bad);
  g_test_add_func ("/rendezvous-answer/pushed", test_pushed);
  return g_test_run ();
}
