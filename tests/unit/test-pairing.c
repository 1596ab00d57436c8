/* test-pairing.c — pending peers and the decisions on them
 * (docs/trust-model.md, Pairing): one entry per WireGuard key, replaced
 * by another signing key but never by a replay, bounded, expiring; the
 * approvals file's text form, its round trip and every refusal. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "base64.h"
#include "pairing.h"
#include "test-util.h"
#include "wgd-error.h"

#define NOW 1700000000

/* A record of signer's for the WireGuard key whose bytes are all n. */
static WgdAnnouncement *
record (guint8 signer, guint8 n, guint64 timestamp)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (signer);
  WgdAnnouncement *ann = wgd_announcement_new ();

  memset (ann->wg_key, n, WGD_KEY_LEN);
  ann->timestamp = timestamp;
  ann->lifetime = 600;
  g_strlcpy (ann->name, "peer", sizeof ann->name);
  g_assert_true (wgd_announcement_sign (ann, id, NULL));
  return ann;
}

static WgdPairingOutcome
offer (WgdPairing *p, guint8 signer, guint8 n, guint64 timestamp)
{
  g_autoptr (WgdAnnouncement) ann = record (signer, n, timestamp);

  return wgd_pairing_offer (p, ann, "svc", 2, "eth0", NOW);
}

static void
key_of (guint8 n, guint8 out[WGD_KEY_LEN])
{
  memset (out, n, WGD_KEY_LEN);
}

static void
signing_key_of (guint8 signer, guint8 out[WGD_KEY_LEN])
{
  g_autoptr (WgdKeyPair) id = test_key_pair (signer);

  memcpy (out, id->public_key, WGD_KEY_LEN);
}

static void
test_offer (void)
{
  g_autoptr (WgdPairing) p = wgd_pairing_new ();
  g_autoptr (WgdAnnouncement) ann = record (1, 0xa0, NOW);
  guint8 wg[WGD_KEY_LEN], signing[WGD_KEY_LEN];
  gchar fingerprint[WGD_FINGERPRINT_LEN + 1];
  const WgdPendingPeer *peer;

  key_of (0xa0, wg);
  g_assert_null (wgd_pairing_lookup (p, wg));
  g_assert_cmpint (wgd_pairing_offer (p, ann, "svc", 2, "eth0", NOW), ==, WGD_PAIRING_ADDED);
  peer = wgd_pairing_lookup (p, wg);
  g_assert_nonnull (peer);
  signing_key_of (1, signing);
  wgd_key_fingerprint (signing, fingerprint);
  g_assert_cmpmem (peer->signing_key, WGD_KEY_LEN, signing, WGD_KEY_LEN);
  g_assert_cmpstr (peer->fingerprint, ==, fingerprint);
  g_assert_cmpstr (peer->name, ==, "peer");
  g_assert_cmpstr (peer->service, ==, "svc");
  g_assert_cmpstr (peer->ifname, ==, "eth0");
  g_assert_cmpuint (peer->ifindex, ==, 2);
  g_assert_cmpuint (peer->expires, ==, NOW + 600);
  g_assert_cmpmem (peer->record, peer->record_len, ann->record, ann->record_len);

  /* The same record again (IPv6 after IPv4), or an older one: nothing. */
  g_assert_cmpint (offer (p, 1, 0xa0, NOW), ==, WGD_PAIRING_STALE);
  g_assert_cmpint (offer (p, 1, 0xa0, NOW - 10), ==, WGD_PAIRING_STALE);
  g_assert_cmpuint (wgd_pairing_lookup (p, wg)->timestamp, ==, NOW);
  g_assert_cmpint (offer (p, 1, 0xa0, NOW + 300), ==, WGD_PAIRING_REFRESHED);
  g_assert_cmpuint (wgd_pairing_lookup (p, wg)->timestamp, ==, NOW + 300);

  /* Another signing key for the same WireGuard key replaces it... */
  g_assert_cmpint (offer (p, 2, 0xa0, NOW), ==, WGD_PAIRING_REPLACED);
  signing_key_of (2, signing);
  g_assert_cmpmem (wgd_pairing_lookup (p, wg)->signing_key, WGD_KEY_LEN, signing, WGD_KEY_LEN);
  /* ...but the first key's old record, replayed, does not take it back. */
  g_assert_cmpint (offer (p, 1, 0xa0, NOW + 300), ==, WGD_PAIRING_STALE);
  g_assert_cmpmem (wgd_pairing_lookup (p, wg)->signing_key, WGD_KEY_LEN, signing, WGD_KEY_LEN);
  g_assert_cmpint (offer (p, 1, 0xa0, NOW + 301), ==, WGD_PAIRING_REPLACED);

  {
    g_autoptr (GPtrArray) pending = wgd_pairing_get_pending (p);

    g_assert_cmpuint (pending->len, ==, 1);
  }
  {
    g_autoptr (WgdPendingPeer) stolen = wgd_pairing_steal (p, wg);

    g_assert_nonnull (stolen);
    g_assert_null (wgd_pairing_lookup (p, wg));
    g_assert_null (wgd_pairing_steal (p, wg));
  }
}

static void
test_bounded (void)
{
  g_autoptr (WgdPairing) p = wgd_pairing_new ();
  g_autoptr (GPtrArray) pending = NULL;

  /* A flood: every record of another key, and of another signer. */
  for (guint i = 0; i < WGD_PAIRING_PENDING_MAX; i++)
    g_assert_cmpint (offer (p, (guint8) (i + 1), (guint8) i, NOW), ==, WGD_PAIRING_ADDED);
  for (guint i = WGD_PAIRING_PENDING_MAX; i < 200; i++)
    g_assert_cmpint (offer (p, (guint8) (i + 1), (guint8) i, NOW), ==, WGD_PAIRING_FULL);
  pending = wgd_pairing_get_pending (p);
  g_assert_cmpuint (pending->len, ==, WGD_PAIRING_PENDING_MAX);
  /* A key already pending is still followed when full. */
  g_assert_cmpint (offer (p, 1, 0, NOW + 1), ==, WGD_PAIRING_REFRESHED);
  g_assert_cmpint (offer (p, 99, 0, NOW + 1), ==, WGD_PAIRING_REPLACED);
  /* Room again once some expire. */
  g_assert_cmpuint (wgd_pairing_expire (p, NOW + 600), ==, WGD_PAIRING_PENDING_MAX - 1);
  g_assert_cmpint (offer (p, 250, 250, NOW + 600), ==, WGD_PAIRING_ADDED);
}

/* The remembered timestamps stay bounded too, and a signing key whose
 * entry is pending keeps its own. */
static void
test_newest_bounded (void)
{
  g_autoptr (WgdPairing) p = wgd_pairing_new ();

  g_assert_cmpint (offer (p, 1, 0xa0, NOW), ==, WGD_PAIRING_ADDED);
  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr (WgdKeyPair) id = test_key_pair ((guint8) (i % 200 + 2));
      g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();

      memset (ann->wg_key, 0xb0, WGD_KEY_LEN);
      ann->timestamp = NOW + i;
      ann->lifetime = 600;
      g_assert_true (wgd_announcement_sign (ann, id, NULL));
      wgd_pairing_offer (p, ann, "svc", 2, "eth0", NOW);
    }
  g_assert_cmpint (offer (p, 1, 0xa0, NOW), ==, WGD_PAIRING_STALE);
}

static void
test_expire (void)
{
  g_autoptr (WgdPairing) p = wgd_pairing_new ();
  guint8 wg[WGD_KEY_LEN];

  key_of (0xa0, wg);
  g_assert_cmpint (offer (p, 1, 0xa0, NOW), ==, WGD_PAIRING_ADDED);
  g_assert_cmpuint (wgd_pairing_expire (p, NOW + 599), ==, 0);
  g_assert_nonnull (wgd_pairing_lookup (p, wg));
  g_assert_cmpuint (wgd_pairing_expire (p, NOW + 600), ==, 1);
  g_assert_null (wgd_pairing_lookup (p, wg));
}

static void
test_decide (void)
{
  g_autoptr (WgdPairing) p = wgd_pairing_new ();
  g_autoptr (WgdPairing) back = wgd_pairing_new ();
  guint8 a[WGD_KEY_LEN], b[WGD_KEY_LEN], s1[WGD_KEY_LEN], s2[WGD_KEY_LEN];
  g_autofree gchar *text = NULL;
  g_autofree gchar *again = NULL;
  g_autoptr (GError) error = NULL;

  key_of (0xa0, a);
  key_of (0xb0, b);
  signing_key_of (1, s1);
  signing_key_of (2, s2);
  g_assert_cmpint (offer (p, 1, 0xa0, NOW), ==, WGD_PAIRING_ADDED);
  g_assert_cmpint (offer (p, 2, 0xb0, NOW), ==, WGD_PAIRING_ADDED);
  g_assert_null (wgd_pairing_lookup_approval (p, a));

  /* The text to save has the decision; pairing itself is unchanged. */
  text = wgd_pairing_format (p, a, s1, WGD_DECISION_APPROVE);
  g_assert_nonnull (strstr (text, "approve "));
  g_assert_null (wgd_pairing_lookup_approval (p, a));
  g_assert_nonnull (wgd_pairing_lookup (p, a));

  wgd_pairing_decide (p, a, s1, WGD_DECISION_APPROVE);
  g_assert_null (wgd_pairing_lookup (p, a));
  g_assert_cmpmem (wgd_pairing_lookup_approval (p, a), WGD_KEY_LEN, s1, WGD_KEY_LEN);
  wgd_pairing_decide (p, b, s2, WGD_DECISION_REJECT);
  g_assert_null (wgd_pairing_lookup (p, b));
  g_assert_true (wgd_pairing_is_rejected (p, b, s2));
  g_assert_false (wgd_pairing_is_rejected (p, b, s1));
  g_assert_false (wgd_pairing_is_rejected (p, a, s1));
  /* Never pending again, whatever its timestamp. */
  g_assert_cmpint (offer (p, 2, 0xb0, NOW + 1000), ==, WGD_PAIRING_REJECTED);
  g_assert_null (wgd_pairing_lookup (p, b));
  /* Another signing key for b may still ask. */
  g_assert_cmpint (offer (p, 1, 0xb0, NOW + 1), ==, WGD_PAIRING_ADDED);

  /* A later approval of a replaces the earlier one, in its place. */
  wgd_pairing_decide (p, a, s2, WGD_DECISION_APPROVE);
  g_assert_cmpmem (wgd_pairing_lookup_approval (p, a), WGD_KEY_LEN, s2, WGD_KEY_LEN);

  /* The round trip: what is saved is what is loaded. */
  g_clear_pointer (&text, g_free);
  text = wgd_pairing_format (p, b, s1, WGD_DECISION_REJECT);
  g_assert_true (wgd_pairing_load (back, text, "approvals", &error));
  g_assert_no_error (error);
  g_assert_cmpmem (wgd_pairing_lookup_approval (back, a), WGD_KEY_LEN, s2, WGD_KEY_LEN);
  g_assert_true (wgd_pairing_is_rejected (back, b, s2));
  g_assert_true (wgd_pairing_is_rejected (back, b, s1));
  again = wgd_pairing_format (back, b, s1, WGD_DECISION_REJECT);
  g_assert_cmpstr (again, ==, text);
}

static void
count_approval (const guint8 wg_key[WGD_KEY_LEN], const guint8 signing_key[WGD_KEY_LEN],
                gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
test_decisions_bounded (void)
{
  g_autoptr (WgdPairing) p = wgd_pairing_new ();
  g_autoptr (WgdPairing) back = wgd_pairing_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  guint8 wg[WGD_KEY_LEN], signing[WGD_KEY_LEN], other[WGD_KEY_LEN];
  guint approvals = 0;

  signing_key_of (1, signing);
  signing_key_of (2, other);
  for (guint i = 0; i < WGD_PAIRING_DECISIONS_MAX; i++)
    {
      memset (wg, 0, sizeof wg);
      memcpy (wg, &i, sizeof i);
      g_assert_false (wgd_pairing_is_full (p, wg, WGD_DECISION_APPROVE));
      wgd_pairing_decide (p, wg, signing, WGD_DECISION_APPROVE);
    }
  memset (wg, 0xff, sizeof wg);
  g_assert_true (wgd_pairing_is_full (p, wg, WGD_DECISION_APPROVE));
  g_assert_true (wgd_pairing_is_full (p, wg, WGD_DECISION_REJECT));
  /* Replacing an approval needs no room. */
  memset (wg, 0, sizeof wg);
  g_assert_false (wgd_pairing_is_full (p, wg, WGD_DECISION_APPROVE));
  g_assert_true (wgd_pairing_is_full (p, wg, WGD_DECISION_REJECT));
  wgd_pairing_foreach_approval (p, count_approval, &approvals);
  g_assert_cmpuint (approvals, ==, WGD_PAIRING_DECISIONS_MAX);

  /* A file with one more than that is refused. */
  memset (wg, 0xff, sizeof wg);
  text = wgd_pairing_format (p, wg, other, WGD_DECISION_REJECT);
  g_assert_false (wgd_pairing_load (back, text, "approvals", &error));
  g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "too many"));
}

static void
test_load_errors (void)
{
  g_autofree gchar *a = NULL;
  g_autofree gchar *s1 = NULL;
  g_autofree gchar *s2 = NULL;
  guint8 key[WGD_KEY_LEN];
  struct {
    const gchar *text;
    const gchar *message;
  } cases[] = {
    { "approve A S1\nallow A S1\n", "approvals:2: the first word is neither approve nor reject" },
    { "approve A\n", "approvals:1: expected three words" },
    { "approve A S1 S2\n", "approvals:1: expected three words" },
    { "# fine\n\napprove A S1\nreject nokey S1\n",
      "approvals:4: the WireGuard key is not a key in base64" },
    { "reject A AAAA\n", "approvals:1: the signing key is not a key in base64" },
    { "approve A S1\nreject A S1\n", "approvals:2: a second decision on the same keys" },
    { "reject A S1\nreject A S1\n", "approvals:2: a second decision on the same keys" },
    { "approve A S1\napprove A S2\n", "approvals:2: a second approval for the same WireGuard key" },
  };

  key_of (0xa0, key);
  a = wgd_key_to_base64 (key);
  signing_key_of (1, key);
  s1 = wgd_key_to_base64 (key);
  signing_key_of (2, key);
  s2 = wgd_key_to_base64 (key);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (WgdPairing) p = wgd_pairing_new ();
      g_autoptr (GError) error = NULL;
      g_autoptr (GString) text = g_string_new (cases[i].text);
      guint approvals = 0;

      /* S1 before S: it contains it. */
      g_string_replace (text, "S1", s1, 0);
      g_string_replace (text, "S2", s2, 0);
      g_string_replace (text, "A ", "@ ", 0);
      g_string_replace (text, "@", a, 0);
      g_assert_false (wgd_pairing_load (p, text->str, "approvals", &error));
      g_assert_error (error, WGD_ERROR, WGD_ERROR_MALFORMED);
      g_assert_true (g_str_has_prefix (error->message, cases[i].message));
      /* Nothing taken. */
      wgd_pairing_foreach_approval (p, count_approval, &approvals);
      g_assert_cmpuint (approvals, ==, 0);
    }
}

static void
test_load_comments (void)
{
  g_autoptr (WgdPairing) p = wgd_pairing_new ();
  g_autoptr (GError) error = NULL;
  guint8 a[WGD_KEY_LEN], s1[WGD_KEY_LEN];
  g_autofree gchar *wg = NULL;
  g_autofree gchar *signing = NULL;
  g_autofree gchar *text = NULL;

  key_of (0xa0, a);
  signing_key_of (1, s1);
  wg = wgd_key_to_base64 (a);
  signing = wgd_key_to_base64 (s1);
  text = g_strdup_printf ("# a comment\n\n  \t approve \t%s  %s\n", wg, signing);
  g_assert_true (wgd_pairing_load (p, text, "approvals", &error));
  g_assert_no_error (error);
  g_assert_cmpmem (wgd_pairing_lookup_approval (p, a), WGD_KEY_LEN, s1, WGD_KEY_LEN);
  g_assert_true (wgd_pairing_load (p, "", "approvals", &error));
  g_assert_null (wgd_pairing_lookup_approval (p, a));
}

static void
test_decision_names (void)
{
  WgdDecision back;

  for (WgdDecision d = WGD_DECISION_APPROVE; d < WGD_DECISION_COUNT; d++)
    {
      g_assert_true (wgd_decision_from_string (wgd_decision_to_string (d), &back));
      g_assert_cmpint (back, ==, d);
    }
  g_assert_cmpstr (wgd_decision_to_string (WGD_DECISION_APPROVE), ==, "approve");
  g_assert_cmpstr (wgd_decision_to_string (WGD_DECISION_REJECT), ==, "reject");
  g_assert_false (wgd_decision_from_string ("Approve", &back));
  g_assert_false (wgd_decision_from_string (NULL, &back));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/pairing/offer", test_offer);
  g_test_add_func ("/pairing/bounded", test_bounded);
  g_test_add_func ("/pairing/newest-bounded", test_newest_bounded);
  g_test_add_func ("/pairing/expire", test_expire);
  g_test_add_func ("/pairing/decide", test_decide);
  g_test_add_func ("/pairing/decisions-bounded", test_decisions_bounded);
  g_test_add_func ("/pairing/load-errors", test_load_errors);
  g_test_add_func ("/pairing/load-comments", test_load_comments);
  g_test_add_func ("/pairing/decision-names", test_decision_names);
  return g_test_run ();
}
