/* test-rendezvous-servers.c — which server the rendezvous client talks
 * to and how long it waits: the next after each failure, a short wait
 * while the round has untried servers, the exponential backoff once all
 * failed, bounded attempts with every server down, Retry-After obeyed,
 * staying after a 429, and the records PUT again on another server. */
#include "config.h"

#include "rendezvous-servers.h"
#include "test-util.h"

static const gchar *const three[] = { "https://a", "https://b", "https://c", NULL };

static void
test_order (void)
{
  g_autoptr (WgdRdvServers) s = wgd_rdv_servers_new (three);

  g_assert_cmpuint (wgd_rdv_servers_count (s), ==, 3);
  g_assert_cmpstr (wgd_rdv_servers_current (s), ==, "https://a");
  g_assert_false (wgd_rdv_servers_succeeded (s));
  wgd_rdv_servers_failed (s, TRUE, NULL, test_random_zero, NULL);
  g_assert_cmpstr (wgd_rdv_servers_current (s), ==, "https://b");
  wgd_rdv_servers_failed (s, TRUE, NULL, test_random_zero, NULL);
  g_assert_cmpstr (wgd_rdv_servers_current (s), ==, "https://c");
  wgd_rdv_servers_failed (s, TRUE, NULL, test_random_zero, NULL);
  g_assert_cmpstr (wgd_rdv_servers_current (s), ==, "https://a");
  /* The server that answers is kept; another than the last one answering
   * says so once. */
  wgd_rdv_servers_failed (s, TRUE, NULL, test_random_zero, NULL);
  g_assert_true (wgd_rdv_servers_succeeded (s));
  g_assert_cmpstr (wgd_rdv_servers_current (s), ==, "https://b");
  g_assert_false (wgd_rdv_servers_succeeded (s));
  /* A 429 stays: the same server again. */
  wgd_rdv_servers_failed (s, FALSE, "3", test_random_zero, NULL);
  g_assert_cmpstr (wgd_rdv_servers_current (s), ==, "https://b");
  g_assert_false (wgd_rdv_servers_succeeded (s));
}

static void
test_waits (void)
{
  g_autoptr (WgdRdvServers) s = wgd_rdv_servers_new (three);
  guint64 ceiling = WGD_RDV_BACKOFF_BASE_MS;

  /* Rounds of three: two short waits, then the backoff, doubling per
   * round up to the cap. */
  for (guint round = 0; round < 12; round++)
    {
      g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, NULL, test_random_max, NULL), ==,
                        2 * WGD_RDV_SERVERS_NEXT_MS);
      g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, NULL, test_random_max, NULL), ==,
                        2 * WGD_RDV_SERVERS_NEXT_MS);
      g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, NULL, test_random_max, NULL), ==,
                        WGD_RDV_BACKOFF_FLOOR_MS + ceiling);
      ceiling = MIN (ceiling * 2, (guint64) WGD_RDV_BACKOFF_CAP_MS);
    }
  /* An answer starts afresh. */
  wgd_rdv_servers_succeeded (s);
  g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, NULL, test_random_zero, NULL), ==,
                    WGD_RDV_SERVERS_NEXT_MS);
  wgd_rdv_servers_failed (s, TRUE, NULL, test_random_zero, NULL);
  g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, NULL, test_random_zero, NULL), ==,
                    WGD_RDV_BACKOFF_FLOOR_MS);
}

/* With every server down, whatever the draws, the attempts over an hour
 * stay few: never a tight loop. */
static void
test_bounded (void)
{
  g_autoptr (WgdRdvServers) s = wgd_rdv_servers_new (three);
  guint64 elapsed = 0;
  guint attempts = 0;

  while (elapsed < 3600 * 1000)
    {
      elapsed += wgd_rdv_servers_failed (s, TRUE, NULL, test_random_zero, NULL);
      attempts++;
    }
  /* The floor alone: per round of three at least 2 × 0.5 s + 1 s. */
  g_assert_cmpuint (attempts, <=, 3 * 3600 / 2 + 3);
  g_assert_cmpuint (attempts, >, 100);
}

static void
test_single (void)
{
  const gchar *const one[] = { "http://only", NULL };
  g_autoptr (WgdRdvServers) s = wgd_rdv_servers_new (one);

  /* One server: every failure is a round, as before several. */
  g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, NULL, test_random_max, NULL), ==,
                    WGD_RDV_BACKOFF_FLOOR_MS + WGD_RDV_BACKOFF_BASE_MS);
  g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, NULL, test_random_max, NULL), ==,
                    WGD_RDV_BACKOFF_FLOOR_MS + 2 * WGD_RDV_BACKOFF_BASE_MS);
  g_assert_cmpstr (wgd_rdv_servers_current (s), ==, "http://only");
  g_assert_false (wgd_rdv_servers_succeeded (s));
}

static void
test_retry_after (void)
{
  g_autoptr (WgdRdvServers) s = wgd_rdv_servers_new (three);

  /* A 503's Retry-After is waited even when the next server is untried. */
  g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, "7", test_random_zero, NULL), ==, 7000);
  /* Capped at an hour; garbage or a date: the plain wait. */
  g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, "99999", test_random_zero, NULL), ==,
                    (guint64) WGD_RDV_RETRY_AFTER_MAX_S * 1000);
  wgd_rdv_servers_succeeded (s);
  g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, "soon", test_random_zero, NULL), ==,
                    WGD_RDV_SERVERS_NEXT_MS);
  wgd_rdv_servers_succeeded (s);
  g_assert_cmpuint (wgd_rdv_servers_failed (s, TRUE, "Wed, 21 Oct 2015 07:28:00 GMT",
                                            test_random_zero, NULL), ==, WGD_RDV_SERVERS_NEXT_MS);
  /* Never less than the wait itself: a server asking for 0 gets none. */
  g_assert_cmpuint (wgd_rdv_servers_failed (s, FALSE, "0", test_random_zero, NULL), >=,
                    WGD_RDV_BACKOFF_FLOOR_MS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rendezvous-servers/order", test_order);
  g_test_add_func ("/rendezvous-servers/waits", test_waits);
  g_test_add_func ("/rendezvous-servers/bounded", test_bounded);
  g_test_add_func ("/rendezvous-servers/single", test_single);
  g_test_add_func ("/rendezvous-servers/retry-after", test_retry_after);
  return g_test_run ();
}
