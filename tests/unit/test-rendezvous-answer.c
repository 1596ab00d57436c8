/* test-rendezvous-answer.c — the rendezvous server's answers as the
 * daemon reads them: a peer's record (for the key asked, well-formed),
 * seen_from, a refusal's code, and every way an answer can be wrong. */
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/rendezvous-answer/peer", test_peer);
  g_test_add_func ("/rendezvous-answer/peer-bad", test_peer_bad);
  g_test_add_func ("/rendezvous-answer/seen-from", test_seen_from);
  g_test_add_func ("/rendezvous-answer/error-code", test_error_code);
  return g_test_run ();
}
