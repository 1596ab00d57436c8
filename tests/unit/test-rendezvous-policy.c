/* test-rendezvous-policy.c — the rendezvous client's decisions: the
 * backoff's bounds and jitter, 429 and Retry-After, the address filter
 * (IPv4 and IPv6 ranges), the lookup schedule, the state names, and
 * following a mesh: watched, polled meanwhile, retried with the backoff;
 * when the next thing is due, so that the client sleeps until then. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include "rendezvous-policy.h"
#include "test-util.h"

/* A seedable xorshift: reproducible draws. */
static guint32
seeded_random (guint32 upper, gpointer user_data)
{
  guint64 *x = user_data;

  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return (guint32) (*x % upper);
}

static void
test_backoff_bounds (void)
{
  WgdRdvBackoff b = { 0 };
  guint64 expected_ceiling = WGD_RDV_BACKOFF_BASE_MS;

  /* The largest draw: the ceiling doubles per failure up to the cap. */
  for (guint i = 0; i < 40; i++)
    {
      guint64 wait = wgd_rdv_backoff_next (&b, test_random_max, NULL);

      g_assert_cmpuint (wait, ==, WGD_RDV_BACKOFF_FLOOR_MS + expected_ceiling);
      expected_ceiling = MIN (expected_ceiling * 2, (guint64) WGD_RDV_BACKOFF_CAP_MS);
    }
  /* The smallest: never below the floor, so never a tight loop. */
  wgd_rdv_backoff_reset (&b);
  for (guint i = 0; i < 40; i++)
    g_assert_cmpuint (wgd_rdv_backoff_next (&b, test_random_zero, NULL), ==,
                      WGD_RDV_BACKOFF_FLOOR_MS);
  wgd_rdv_backoff_reset (&b);
  g_assert_cmpuint (b.failures, ==, 0);
}

/* Full jitter: over many draws at the cap, the waits spread over the
 * whole range (mean near the middle, both ends reached). */
static void
test_backoff_jitter (void)
{
  guint64 seed = 0x9e3779b97f4a7c15ULL;
  guint64 sum = 0, lo = G_MAXUINT64, hi = 0;
  const guint n = 10000;

  for (guint i = 0; i < n; i++)
    {
      WgdRdvBackoff b = { .failures = 30 };
      guint64 wait = wgd_rdv_backoff_next (&b, seeded_random, &seed) - WGD_RDV_BACKOFF_FLOOR_MS;

      g_assert_cmpuint (wait, <=, WGD_RDV_BACKOFF_CAP_MS);
      sum += wait;
      lo = MIN (lo, wait);
      hi = MAX (hi, wait);
    }
  g_assert_cmpuint (sum / n, >, WGD_RDV_BACKOFF_CAP_MS * 45 / 100);
  g_assert_cmpuint (sum / n, <, WGD_RDV_BACKOFF_CAP_MS * 55 / 100);
  g_assert_cmpuint (lo, <, WGD_RDV_BACKOFF_CAP_MS / 100);
  g_assert_cmpuint (hi, >, WGD_RDV_BACKOFF_CAP_MS * 99 / 100);
}

static void
test_retry_after (void)
{
  static const struct {
    const gchar *value;
    gboolean ok;
    guint seconds;
  } cases[] = {
    { "0", TRUE, 0 },
    { "7", TRUE, 7 },
    { "3600", TRUE, 3600 },
    { "99999999", TRUE, WGD_RDV_RETRY_AFTER_MAX_S },
    { "99999999999", FALSE, 0 },
    { "", FALSE, 0 },
    { "-1", FALSE, 0 },
    { "1.5", FALSE, 0 },
    { " 5", FALSE, 0 },
    { "Wed, 21 Oct 2015 07:28:00 GMT", FALSE, 0 },
  };
  WgdRdvBackoff b = { 0 };
  guint seconds;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      seconds = 12345;
      g_assert_cmpint (wgd_rdv_parse_retry_after (cases[i].value, &seconds), ==, cases[i].ok);
      if (cases[i].ok)
        g_assert_cmpuint (seconds, ==, cases[i].seconds);
    }
  g_assert_false (wgd_rdv_parse_retry_after (NULL, &seconds));

  /* What the server asks for, when longer than the backoff. */
  g_assert_cmpuint (wgd_rdv_wait_after_429 (&b, "30", test_random_zero, NULL), ==, 30000);
  /* Never shorter than the backoff: Retry-After 0 is no tight loop. */
  wgd_rdv_backoff_reset (&b);
  g_assert_cmpuint (wgd_rdv_wait_after_429 (&b, "0", test_random_zero, NULL), ==,
                    WGD_RDV_BACKOFF_FLOOR_MS);
  /* Without a usable header, the backoff, which grows. */
  wgd_rdv_backoff_reset (&b);
  g_assert_cmpuint (wgd_rdv_wait_after_429 (&b, NULL, test_random_max, NULL), ==,
                    WGD_RDV_BACKOFF_FLOOR_MS + WGD_RDV_BACKOFF_BASE_MS);
  g_assert_cmpuint (wgd_rdv_wait_after_429 (&b, "soon", test_random_max, NULL), ==,
                    WGD_RDV_BACKOFF_FLOOR_MS + 2 * WGD_RDV_BACKOFF_BASE_MS);
}

static gboolean
text_is_private (const gchar *text)
{
  guint8 a[16] = { 0 };

  if (inet_pton (AF_INET, text, a) == 1)
    return wgd_rdv_address_is_private (4, a);
  g_assert_cmpint (inet_pton (AF_INET6, text, a), ==, 1);
  return wgd_rdv_address_is_private (6, a);
}

static void
test_address_filter (void)
{
  static const struct {
    const gchar *address;
    gboolean private;
  } cases[] = {
    { "10.0.0.1", TRUE }, { "10.255.255.255", TRUE }, { "9.255.255.255", FALSE },
    { "11.0.0.0", FALSE }, { "172.16.0.1", TRUE }, { "172.31.255.255", TRUE },
    { "172.15.255.255", FALSE }, { "172.32.0.0", FALSE }, { "192.168.1.1", TRUE },
    { "192.169.0.1", FALSE }, { "100.64.0.1", TRUE }, { "100.127.255.255", TRUE },
    { "100.63.255.255", FALSE }, { "100.128.0.0", FALSE }, { "127.0.0.1", TRUE },
    { "169.254.3.4", TRUE }, { "0.0.0.0", TRUE }, { "224.0.0.251", TRUE },
    { "255.255.255.255", TRUE }, { "198.51.100.7", FALSE }, { "8.8.8.8", FALSE },
    { "::", TRUE }, { "::1", TRUE }, { "::2", FALSE }, { "fc00::1", TRUE }, { "fd12:3456::1", TRUE },
    { "fe80::1", TRUE }, { "febf::1", TRUE }, { "fec0::1", TRUE }, { "ff02::fb", TRUE },
    { "fbff::1", FALSE }, { "2001:db8::1", FALSE }, { "2a00:1450::1", FALSE },
    { "::ffff:192.168.1.1", TRUE }, { "::ffff:100.64.1.1", TRUE },
    { "::ffff:198.51.100.7", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    if (text_is_private (cases[i].address) != cases[i].private)
      g_error ("%s: expected %s", cases[i].address, cases[i].private ? "private" : "public");
  g_assert_true (wgd_rdv_address_is_private (5, (const guint8 *) "xxxxxxxxxxxxxxxx"));
}

static void
add_endpoint (WgdAnnouncement *ann, const gchar *text, guint16 port)
{
  WgdEndpoint *ep = &ann->endpoints[ann->n_endpoints++];

  ep->kind = WGD_ENDPOINT_HOST;
  ep->family = strchr (text, ':') != NULL ? 6 : 4;
  g_assert_cmpint (inet_pton (ep->family == 4 ? AF_INET : AF_INET6, text, ep->address), ==, 1);
  ep->port = port;
}

static void
test_filter_endpoints (void)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  guint8 expected[16] = { 0 };

  add_endpoint (ann, "192.168.1.10", 1);
  add_endpoint (ann, "198.51.100.7", 2);
  add_endpoint (ann, "fd00::1", 3);
  add_endpoint (ann, "2001:db8::1", 4);
  add_endpoint (ann, "100.64.0.9", 5);
  wgd_rdv_filter_endpoints (ann, TRUE);
  g_assert_cmpuint (ann->n_endpoints, ==, 5);
  wgd_rdv_filter_endpoints (ann, FALSE);
  g_assert_cmpuint (ann->n_endpoints, ==, 2);
  inet_pton (AF_INET, "198.51.100.7", expected);
  g_assert_cmpmem (ann->endpoints[0].address, 4, expected, 4);
  g_assert_cmpuint (ann->endpoints[0].port, ==, 2);
  inet_pton (AF_INET6, "2001:db8::1", expected);
  g_assert_cmpmem (ann->endpoints[1].address, 16, expected, 16);
  g_assert_cmpuint (ann->endpoints[1].port, ==, 4);
}

static guint
due_count (WgdRdvSchedule *s, gint64 now)
{
  g_autoptr (GPtrArray) due = wgd_rdv_schedule_take_due (s, now);

  return due->len;
}

static void
want_one (WgdRdvSchedule *s, const guint8 *key, WgdRendezvousUse use, gboolean on_lan, gint64 now)
{
  wgd_rdv_schedule_begin_round (s);
  wgd_rdv_schedule_want (s, key, use, on_lan, now);
  wgd_rdv_schedule_end_round (s);
}

static void
test_schedule (void)
{
  g_autoptr (WgdRdvSchedule) s = wgd_rdv_schedule_new ();
  guint8 key[WGD_KEY_LEN] = { 1 };
  gint64 t = 1000000;

  /* never: nothing. */
  want_one (s, key, WGD_RENDEZVOUS_NEVER, FALSE, t);
  g_assert_cmpuint (wgd_rdv_schedule_size (s), ==, 0);
  /* fallback: on the LAN, nothing; off it, after the grace. */
  want_one (s, key, WGD_RENDEZVOUS_FALLBACK, TRUE, t);
  g_assert_cmpuint (wgd_rdv_schedule_size (s), ==, 0);
  want_one (s, key, WGD_RENDEZVOUS_FALLBACK, FALSE, t);
  g_assert_cmpuint (due_count (s, t + WGD_RDV_LAN_GRACE_MS - 1), ==, 0);
  g_assert_cmpuint (due_count (s, t + WGD_RDV_LAN_GRACE_MS), ==, 1);
  /* Running: not due again until done. */
  g_assert_cmpuint (due_count (s, t + 100000), ==, 0);
  t += WGD_RDV_LAN_GRACE_MS;
  wgd_rdv_schedule_done (s, key, WGD_RDV_LOOKUP_FOUND, t, test_random_zero, NULL);
  g_assert_cmpuint (due_count (s, t + WGD_RDV_LOOKUP_INTERVAL_MS - 1), ==, 0);
  g_assert_cmpuint (due_count (s, t + WGD_RDV_LOOKUP_INTERVAL_MS), ==, 1);
  t += WGD_RDV_LOOKUP_INTERVAL_MS;
  /* Errors: the peer's own backoff, growing. */
  wgd_rdv_schedule_done (s, key, WGD_RDV_LOOKUP_FAILED, t, test_random_max, NULL);
  g_assert_cmpuint (due_count (s, t + WGD_RDV_BACKOFF_FLOOR_MS + WGD_RDV_BACKOFF_BASE_MS - 1), ==, 0);
  g_assert_cmpuint (due_count (s, t + WGD_RDV_BACKOFF_FLOOR_MS + WGD_RDV_BACKOFF_BASE_MS), ==, 1);
  t += WGD_RDV_BACKOFF_FLOOR_MS + WGD_RDV_BACKOFF_BASE_MS;
  wgd_rdv_schedule_done (s, key, WGD_RDV_LOOKUP_FAILED, t, test_random_max, NULL);
  g_assert_cmpuint (due_count (s, t + WGD_RDV_BACKOFF_FLOOR_MS + 2 * WGD_RDV_BACKOFF_BASE_MS - 1), ==, 0);
  g_assert_cmpuint (due_count (s, t + WGD_RDV_BACKOFF_FLOOR_MS + 2 * WGD_RDV_BACKOFF_BASE_MS), ==, 1);
  /* Missing: soon again, growing, but never later than the interval. */
  t += WGD_RDV_BACKOFF_FLOOR_MS + 2 * WGD_RDV_BACKOFF_BASE_MS;
  for (guint i = 0; i < 20; i++)
    {
      wgd_rdv_schedule_done (s, key, WGD_RDV_LOOKUP_MISSING, t, test_random_max, NULL);
      g_assert_cmpuint (due_count (s, t + WGD_RDV_LOOKUP_INTERVAL_MS), ==, 1);
    }
  wgd_rdv_schedule_done (s, key, WGD_RDV_LOOKUP_FOUND, t, test_random_max, NULL);
  wgd_rdv_schedule_done (s, key, WGD_RDV_LOOKUP_MISSING, t, test_random_zero, NULL);
  g_assert_cmpuint (due_count (s, t + WGD_RDV_BACKOFF_FLOOR_MS - 1), ==, 0);
  g_assert_cmpuint (due_count (s, t + WGD_RDV_BACKOFF_FLOOR_MS), ==, 1);
  /* Found on the LAN meanwhile: forgotten once its lookup ends. */
  want_one (s, key, WGD_RENDEZVOUS_FALLBACK, TRUE, t);
  g_assert_cmpuint (wgd_rdv_schedule_size (s), ==, 1);
  wgd_rdv_schedule_done (s, key, WGD_RDV_LOOKUP_FOUND, t, test_random_zero, NULL);
  g_assert_cmpuint (wgd_rdv_schedule_size (s), ==, 0);
  /* always: at once, LAN or not. */
  want_one (s, key, WGD_RENDEZVOUS_ALWAYS, TRUE, t);
  g_assert_cmpuint (due_count (s, t), ==, 1);
  /* Not wanted any more (and not running): forgotten at the round's end. */
  wgd_rdv_schedule_done (s, key, WGD_RDV_LOOKUP_FOUND, t, test_random_zero, NULL);
  wgd_rdv_schedule_begin_round (s);
  wgd_rdv_schedule_end_round (s);
  g_assert_cmpuint (wgd_rdv_schedule_size (s), ==, 0);
}

static void
test_schedule_cap (void)
{
  g_autoptr (WgdRdvSchedule) s = wgd_rdv_schedule_new ();

  wgd_rdv_schedule_begin_round (s);
  for (guint i = 0; i < WGD_RDV_LOOKUPS_MAX + 10; i++)
    {
      guint8 key[WGD_KEY_LEN] = { 0 };

      memcpy (key, &i, sizeof i);
      wgd_rdv_schedule_want (s, key, WGD_RENDEZVOUS_ALWAYS, FALSE, 0);
    }
  wgd_rdv_schedule_end_round (s);
  g_assert_cmpuint (wgd_rdv_schedule_size (s), ==, WGD_RDV_LOOKUPS_MAX);
}

/* The next due time is the earliest lookup wanted and not running, and
 * take_due finds nothing before it and something at it. */
static void
test_schedule_next_due (void)
{
  g_autoptr (WgdRdvSchedule) s = wgd_rdv_schedule_new ();
  guint8 a[WGD_KEY_LEN] = { 1 };
  guint8 b[WGD_KEY_LEN] = { 2 };
  gint64 t = 500000;

  g_assert_cmpint (wgd_rdv_schedule_next_due (s), ==, G_MAXINT64);
  /* On the LAN with fallback: not wanted, nothing due. */
  want_one (s, a, WGD_RENDEZVOUS_FALLBACK, TRUE, t);
  g_assert_cmpint (wgd_rdv_schedule_next_due (s), ==, G_MAXINT64);
  wgd_rdv_schedule_begin_round (s);
  wgd_rdv_schedule_want (s, a, WGD_RENDEZVOUS_FALLBACK, FALSE, t);
  wgd_rdv_schedule_want (s, b, WGD_RENDEZVOUS_FALLBACK, FALSE, t + 1000);
  wgd_rdv_schedule_end_round (s);
  g_assert_cmpint (wgd_rdv_schedule_next_due (s), ==, t + WGD_RDV_LAN_GRACE_MS);
  g_assert_cmpuint (due_count (s, wgd_rdv_schedule_next_due (s) - 1), ==, 0);
  g_assert_cmpuint (due_count (s, wgd_rdv_schedule_next_due (s)), ==, 1);
  /* a is running: b is next; then both run and nothing is due. */
  g_assert_cmpint (wgd_rdv_schedule_next_due (s), ==, t + 1000 + WGD_RDV_LAN_GRACE_MS);
  g_assert_cmpuint (due_count (s, t + 1000 + WGD_RDV_LAN_GRACE_MS), ==, 1);
  g_assert_cmpint (wgd_rdv_schedule_next_due (s), ==, G_MAXINT64);
  t += 1000 + WGD_RDV_LAN_GRACE_MS;
  wgd_rdv_schedule_done (s, a, WGD_RDV_LOOKUP_FOUND, t, test_random_zero, NULL);
  g_assert_cmpint (wgd_rdv_schedule_next_due (s), ==, t + WGD_RDV_LOOKUP_INTERVAL_MS);
  wgd_rdv_schedule_done (s, b, WGD_RDV_LOOKUP_MISSING, t, test_random_zero, NULL);
  g_assert_cmpint (wgd_rdv_schedule_next_due (s), ==, t + WGD_RDV_BACKOFF_FLOOR_MS);
  /* b found on the LAN now: only a is left. */
  wgd_rdv_schedule_begin_round (s);
  wgd_rdv_schedule_want (s, a, WGD_RENDEZVOUS_FALLBACK, FALSE, t);
  wgd_rdv_schedule_want (s, b, WGD_RENDEZVOUS_FALLBACK, TRUE, t);
  wgd_rdv_schedule_end_round (s);
  g_assert_cmpint (wgd_rdv_schedule_next_due (s), ==, t + WGD_RDV_LOOKUP_INTERVAL_MS);
  /* always: due at once (a past due time is due). */
  want_one (s, b, WGD_RENDEZVOUS_ALWAYS, FALSE, t);
  g_assert_cmpint (wgd_rdv_schedule_next_due (s), ==, t);
}

/* Whether the follower would do anything at now (take_* count what they
 * take, so they are asked of a copy). */
static gboolean
follow_acts (const WgdRdvFollow *follow, gint64 now, gboolean may_send)
{
  WgdRdvFollow copy = *follow;

  return wgd_rdv_follow_is_silent (&copy, now)
         || (may_send && (wgd_rdv_follow_take_watch (&copy, now)
                          || wgd_rdv_follow_take_list (&copy, now)));
}

/* Stepped only at its due times (as the client's timer does), the
 * follower acts exactly when stepped every 100 ms would: never idle at
 * a due time, never something due in between. Watches open, fail and
 * close, listings succeed and fail, the server backs off for a while. */
static void
test_follow_next_due (void)
{
  WgdRdvFollow f;
  guint64 seed = 0x5eed;
  gint64 t = 0;
  gint64 backoff_until = 0;
  guint acted = 0;

  wgd_rdv_follow_init (&f, t);
  g_assert_cmpint (wgd_rdv_follow_next_due (&f, 0), ==, t);
  g_assert_cmpint (wgd_rdv_follow_next_due (&f, 3000), ==, 3000);
  for (t = 0; t < 20 * 60 * 1000; t += 100)
    {
      gint64 due = wgd_rdv_follow_next_due (&f, backoff_until);
      gboolean may_send = t >= backoff_until;
      guint32 draw = seeded_random (100, &seed);

      g_assert_cmpint (due, >=, 0);
      if (t < due)
        {
          g_assert_false (follow_acts (&f, t, may_send));
          if (due != G_MAXINT64)
            g_assert_true (follow_acts (&f, due, due >= backoff_until));
        }
      else
        g_assert_true (follow_acts (&f, t, may_send));
      /* The server is down for a while now and then. */
      if (draw == 0)
        backoff_until = t + 5000;
      if (wgd_rdv_follow_is_silent (&f, t))
        wgd_rdv_follow_watch_closed (&f, t, seeded_random, &seed);
      if (may_send && wgd_rdv_follow_take_watch (&f, t))
        {
          acted++;
          if (draw < 50)
            wgd_rdv_follow_watch_failed (&f, draw < 10 ? "7" : NULL, t, seeded_random, &seed);
          else
            wgd_rdv_follow_watch_opened (&f, t);
        }
      if (may_send && wgd_rdv_follow_take_list (&f, t))
        {
          acted++;
          wgd_rdv_follow_list_done (&f, draw % 3 != 0, t, seeded_random, &seed);
        }
      /* A watched mesh hears pongs, until the server goes quiet. */
      if (f.state == WGD_RDV_MESH_WATCHED && draw > 5 && t % 20000 == 0)
        wgd_rdv_follow_heard (&f, t);
      if (f.state == WGD_RDV_MESH_WATCHED && draw == 99)
        wgd_rdv_follow_watch_closed (&f, t, seeded_random, &seed);
    }
  g_assert_cmpuint (acted, >, 20);
  /* Watched and listed: nothing due but the silence check. */
  wgd_rdv_follow_init (&f, 0);
  g_assert_true (wgd_rdv_follow_take_watch (&f, 0));
  wgd_rdv_follow_watch_opened (&f, 10);
  g_assert_cmpint (wgd_rdv_follow_next_due (&f, 0), ==, 10);
  g_assert_true (wgd_rdv_follow_take_list (&f, 10));
  g_assert_cmpint (wgd_rdv_follow_next_due (&f, 0), ==, 10 + WGD_RDV_WATCH_SILENCE_MS + 1);
  wgd_rdv_follow_list_done (&f, TRUE, 20, test_random_zero, NULL);
  wgd_rdv_follow_heard (&f, 40000);
  g_assert_cmpint (wgd_rdv_follow_next_due (&f, 0), ==, 40000 + WGD_RDV_WATCH_SILENCE_MS + 1);
  /* The backoff does not delay the silence check. */
  g_assert_cmpint (wgd_rdv_follow_next_due (&f, G_MAXINT64 - 1), ==,
                   40000 + WGD_RDV_WATCH_SILENCE_MS + 1);
}

static void
test_state_names (void)
{
  for (guint i = 0; i < WGD_RDV_STATE_COUNT; i++)
    {
      WgdRdvState back;

      g_assert_true (wgd_rdv_state_from_string (wgd_rdv_state_to_string (i), &back));
      g_assert_cmpuint (back, ==, i);
    }
  g_assert_false (wgd_rdv_state_from_string ("online", &(WgdRdvState) { 0 }));
}

static void
test_mesh_state_names (void)
{
  for (guint i = 0; i < WGD_RDV_MESH_STATE_COUNT; i++)
    {
      WgdRdvMeshState back;

      g_assert_true (wgd_rdv_mesh_state_from_string (wgd_rdv_mesh_state_to_string (i), &back));
      g_assert_cmpuint (back, ==, i);
    }
  g_assert_false (wgd_rdv_mesh_state_from_string ("pushed", &(WgdRdvMeshState) { 0 }));
}

/* A watch that opens: one listing after it, then nothing but pushes;
 * silence kills it. */
static void
test_follow_watched (void)
{
  WgdRdvFollow f;
  gint64 t = 1000;

  wgd_rdv_follow_init (&f, t);
  g_assert_cmpuint (f.state, ==, WGD_RDV_MESH_CONNECTING);
  /* The watch first, no listing until it opens or fails. */
  g_assert_false (wgd_rdv_follow_take_list (&f, t));
  g_assert_true (wgd_rdv_follow_take_watch (&f, t));
  g_assert_false (wgd_rdv_follow_take_watch (&f, t + 5000));     /* being opened */
  wgd_rdv_follow_watch_opened (&f, t + 100);
  g_assert_cmpuint (f.state, ==, WGD_RDV_MESH_WATCHED);
  g_assert_false (wgd_rdv_follow_take_watch (&f, t + 200));      /* open already */
  g_assert_true (wgd_rdv_follow_take_list (&f, t + 100));
  g_assert_false (wgd_rdv_follow_take_list (&f, t + 150));       /* in flight */
  wgd_rdv_follow_list_done (&f, TRUE, t + 200, test_random_max, NULL);
  /* Watched and listed: no more listings, however long. */
  for (gint64 later = t + 200; later < t + 3600 * 1000; later += 997)
    {
      wgd_rdv_follow_heard (&f, later);
      g_assert_false (wgd_rdv_follow_take_list (&f, later));
      g_assert_false (wgd_rdv_follow_is_silent (&f, later));
    }
  t += 3600 * 1000;
  g_assert_false (wgd_rdv_follow_is_silent (&f, t + WGD_RDV_WATCH_SILENCE_MS - 1000));
  g_assert_true (wgd_rdv_follow_is_silent (&f, t + WGD_RDV_WATCH_SILENCE_MS + 1));
}

/* A listing that started before the watch opened may have missed what
 * was PUT in between: it is followed by another. A failed one is retried. */
static void
test_follow_list_race (void)
{
  WgdRdvFollow f;
  gint64 t = 0;
  guint64 seed = 7;

  wgd_rdv_follow_init (&f, t);
  g_assert_true (wgd_rdv_follow_take_watch (&f, t));
  wgd_rdv_follow_watch_failed (&f, NULL, t, test_random_zero, NULL);
  g_assert_true (wgd_rdv_follow_take_list (&f, t));
  g_assert_true (wgd_rdv_follow_take_watch (&f, t + WGD_RDV_BACKOFF_FLOOR_MS));
  wgd_rdv_follow_watch_opened (&f, t + 1500);
  wgd_rdv_follow_list_done (&f, TRUE, t + 2000, test_random_zero, NULL);
  g_assert_true (wgd_rdv_follow_take_list (&f, t + 2000));
  /* That one fails: again after a backoff, at least the floor. */
  wgd_rdv_follow_list_done (&f, FALSE, t + 2500, seeded_random, &seed);
  g_assert_false (wgd_rdv_follow_take_list (&f, t + 2500 + WGD_RDV_BACKOFF_FLOOR_MS - 1));
  g_assert_true (wgd_rdv_follow_take_list (&f,
                                           t + 2500 + WGD_RDV_BACKOFF_FLOOR_MS
                                           + WGD_RDV_BACKOFF_BASE_MS));
  wgd_rdv_follow_list_done (&f, TRUE, t + 6000, test_random_zero, NULL);
  g_assert_false (wgd_rdv_follow_take_list (&f, t + 3600 * 1000));
}

/* No watch: the listing is polled at once and then every half to whole
 * interval; the watch is retried with the backoff, never in a tight
 * loop, Retry-After obeyed; once it opens, polling stops. */
static void
test_follow_polled (void)
{
  WgdRdvFollow f;
  gint64 t = 0, last_try = 0, last_poll = -1;
  guint64 seed = 0x1234;
  guint watches = 0, polls = 0;

  wgd_rdv_follow_init (&f, t);
  for (t = 0; t < 30 * 60 * 1000; t += 100)
    {
      if (wgd_rdv_follow_take_watch (&f, t))
        {
          /* Spaced by the backoff's floor at least. */
          if (watches > 0)
            g_assert_cmpint (t - last_try, >=, WGD_RDV_BACKOFF_FLOOR_MS);
          watches++;
          last_try = t;
          wgd_rdv_follow_watch_failed (&f, NULL, t, seeded_random, &seed);
          g_assert_cmpuint (f.state, ==, WGD_RDV_MESH_POLLED);
        }
      if (wgd_rdv_follow_take_list (&f, t))
        {
          if (last_poll >= 0)
            {
              g_assert_cmpint (t - last_poll, >=, WGD_RDV_POLL_INTERVAL_MS / 2);
              g_assert_cmpint (t - last_poll, <=, WGD_RDV_POLL_INTERVAL_MS + 100);
            }
          else
            g_assert_cmpint (t, ==, 0);         /* the first poll at once */
          polls++;
          last_poll = t;
          wgd_rdv_follow_list_done (&f, TRUE, t, seeded_random, &seed);
        }
    }
  /* Half an hour: the watch retried under the 5 min cap, not more often
   * than the backoff allows; the listing about every 15 to 30 s. */
  g_assert_cmpuint (watches, >=, 6);
  g_assert_cmpuint (watches, <=, 40);
  g_assert_cmpuint (polls, >=, 60);
  g_assert_cmpuint (polls, <=, 120);
  /* A 503 with Retry-After: 30 is obeyed. */
  wgd_rdv_follow_init (&f, 0);
  g_assert_true (wgd_rdv_follow_take_watch (&f, 0));
  wgd_rdv_follow_watch_failed (&f, "30", 0, test_random_zero, NULL);
  g_assert_false (wgd_rdv_follow_take_watch (&f, 29999));
  g_assert_true (wgd_rdv_follow_take_watch (&f, 30000));
  /* It opens: the listing once more, then no polling. */
  g_assert_true (wgd_rdv_follow_take_list (&f, 30000));
  wgd_rdv_follow_list_done (&f, TRUE, 30000, test_random_zero, NULL);
  wgd_rdv_follow_watch_opened (&f, 30100);
  g_assert_true (wgd_rdv_follow_take_list (&f, 30100));
  wgd_rdv_follow_list_done (&f, TRUE, 30200, test_random_zero, NULL);
  g_assert_false (wgd_rdv_follow_take_list (&f, 30000 + 10 * WGD_RDV_POLL_INTERVAL_MS));
}

/* A watch that drops at once each time (a proxy that breaks WebSockets)
 * or stays silent backs off further; one the server answered on for a
 * while starts afresh. */
static void
test_follow_drops (void)
{
  WgdRdvFollow f;
  gint64 t = 0, wait = 0;

  wgd_rdv_follow_init (&f, t);
  for (guint i = 0; i < 12; i++)
    {
      g_assert_true (wgd_rdv_follow_take_watch (&f, t));
      wgd_rdv_follow_watch_opened (&f, t);
      wgd_rdv_follow_watch_closed (&f, t + 10, test_random_max, NULL);
      g_assert_cmpuint (f.state, ==, WGD_RDV_MESH_POLLED);
      g_assert_cmpuint (f.watch_backoff.failures, ==, i + 1);
      wait = f.watch_at - (t + 10);
      t = f.watch_at;
    }
  /* The largest draw after 12 drops in a row: the cap. */
  g_assert_cmpint (wait, ==, WGD_RDV_BACKOFF_FLOOR_MS + WGD_RDV_BACKOFF_CAP_MS);
  /* Silent from its opening until it was found dead: no success. */
  g_assert_true (wgd_rdv_follow_take_watch (&f, t));
  wgd_rdv_follow_watch_opened (&f, t);
  g_assert_true (wgd_rdv_follow_is_silent (&f, t + WGD_RDV_WATCH_SILENCE_MS + 1));
  wgd_rdv_follow_watch_closed (&f, t + WGD_RDV_WATCH_SILENCE_MS + 1, test_random_max, NULL);
  g_assert_cmpuint (f.watch_backoff.failures, ==, 13);
  t = f.watch_at;
  /* Answered on for a minute, then dropped: the backoff starts afresh. */
  g_assert_true (wgd_rdv_follow_take_watch (&f, t));
  wgd_rdv_follow_watch_opened (&f, t);
  wgd_rdv_follow_heard (&f, t + WGD_RDV_WATCH_STABLE_MS);
  wgd_rdv_follow_watch_closed (&f, t + WGD_RDV_WATCH_STABLE_MS, test_random_max, NULL);
  g_assert_cmpuint (f.watch_backoff.failures, ==, 1);
  g_assert_cmpint (f.watch_at, ==,
                   t + WGD_RDV_WATCH_STABLE_MS + WGD_RDV_BACKOFF_FLOOR_MS + WGD_RDV_BACKOFF_BASE_MS);
  /* Closed twice (the close and then the silence): counted once. */
  wgd_rdv_follow_watch_closed (&f, t + WGD_RDV_WATCH_STABLE_MS + 5, test_random_max, NULL);
  g_assert_cmpuint (f.watch_backoff.failures, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rendezvous-policy/backoff-bounds", test_backoff_bounds);
  g_test_add_func ("/rendezvous-policy/backoff-jitter", test_backoff_jitter);
  g_test_add_func ("/rendezvous-policy/retry-after", test_retry_after);
  g_test_add_func ("/rendezvous-policy/address-filter", test_address_filter);
  g_test_add_func ("/rendezvous-policy/filter-endpoints", test_filter_endpoints);
  g_test_add_func ("/rendezvous-policy/schedule", test_schedule);
  g_test_add_func ("/rendezvous-policy/schedule-cap", test_schedule_cap);
  g_test_add_func ("/rendezvous-policy/schedule-next-due", test_schedule_next_due);
  g_test_add_func ("/rendezvous-policy/state-names", test_state_names);
  g_test_add_func ("/rendezvous-policy/mesh-state-names", test_mesh_state_names);
  g_test_add_func ("/rendezvous-policy/follow-watched", test_follow_watched);
  g_test_add_func ("/rendezvous-policy/follow-list-race", test_follow_list_race);
  g_test_add_func ("/rendezvous-policy/follow-polled", test_follow_polled);
  g_test_add_func ("/rendezvous-policy/follow-drops", test_follow_drops);
  g_test_add_func ("/rendezvous-policy/follow-next-due", test_follow_next_due);
  return g_test_run ();
}
