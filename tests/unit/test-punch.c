/* test-punch.c — the pure part of src/net/punch.h: the TTL plan on each
 * path shape, the datagram's checksum, the ICMP reader on answers that
 * are ours and not, truncated everywhere. */
#include "config.h"

#include <string.h>
#include <netinet/in.h>

#include "punch.h"

static const guint8 peer[4] = { 203, 0, 113, 1 };
static const guint8 home_gw[4] = { 192, 168, 1, 1 };
static const guint8 carrier[4] = { 100, 64, 0, 1 };
static const guint8 isp[4] = { 198, 51, 100, 254 };

/* Runs a plan against a path whose hop i (1-based) answers as hops[i-1]
 * (NULL: silent); past the list every hop is silent. Returns the TTLs
 * sent, as a string like "1 2". */
static gchar *
walk (WgdPunchPlan *plan, guint8 max_ttl, const guint8 *const *hops, gsize n_hops,
      gsize peer_at)
{
  GString *sent = g_string_new (NULL);
  guint8 ttl;

  wgd_punch_plan_init (plan, max_ttl);
  while ((ttl = wgd_punch_plan_next (plan)) != 0)
    {
      g_string_append_printf (sent, "%s%u", sent->len ? " " : "", ttl);
      if (peer_at != 0 && ttl >= peer_at)
        wgd_punch_plan_answer (plan, WGD_PUNCH_ICMP_UNREACHABLE, peer, peer);
      else if (ttl <= n_hops && hops[ttl - 1] != NULL)
        wgd_punch_plan_answer (plan, WGD_PUNCH_ICMP_TIME_EXCEEDED, hops[ttl - 1], peer);
      else
        wgd_punch_plan_answer (plan, WGD_PUNCH_ICMP_NOT_OURS, NULL, peer);
      g_assert_cmpuint (ttl, <=, 255);
    }
  return g_string_free (sent, FALSE);
}

static void
test_plan (void)
{
  const guint8 *home[] = { home_gw, isp };
  const guint8 *cgnat[] = { home_gw, carrier, isp };
  const guint8 *silent_home[] = { NULL, isp };
  const guint8 *all_private[] = { home_gw, carrier, home_gw, carrier, home_gw, carrier, home_gw };
  const guint8 *peer_as_hop[] = { home_gw, peer };
  WgdPunchPlan plan;
  g_autofree gchar *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *f = NULL, *g = NULL;

  /* One NAT: its inside answers TTL 1, the first router past it TTL 2. */
  a = walk (&plan, WGD_PUNCH_MAX_TTL_DEFAULT, home, G_N_ELEMENTS (home), 0);
  g_assert_cmpstr (a, ==, "1 2");
  g_assert_cmpint (plan.outcome, ==, WGD_PUNCH_PASSED);
  /* A carrier-grade NAT behind the home one: one more. */
  b = walk (&plan, WGD_PUNCH_MAX_TTL_DEFAULT, cgnat, G_N_ELEMENTS (cgnat), 0);
  g_assert_cmpstr (b, ==, "1 2 3");
  g_assert_cmpint (plan.outcome, ==, WGD_PUNCH_PASSED);
  /* A gateway that says nothing is passed; the next answers. */
  c = walk (&plan, WGD_PUNCH_MAX_TTL_DEFAULT, silent_home, G_N_ELEMENTS (silent_home), 0);
  g_assert_cmpstr (c, ==, "1 2");
  g_assert_cmpint (plan.outcome, ==, WGD_PUNCH_PASSED);
  /* Nobody answers: no further than TTL 2. */
  d = walk (&plan, WGD_PUNCH_MAX_TTL_DEFAULT, NULL, 0, 0);
  g_assert_cmpstr (d, ==, "1 2");
  g_assert_cmpint (plan.outcome, ==, WGD_PUNCH_BLIND);
  /* Private hops without end: up to the cap. */
  e = walk (&plan, 5, all_private, G_N_ELEMENTS (all_private), 0);
  g_assert_cmpstr (e, ==, "1 2 3 4 5");
  g_assert_cmpint (plan.outcome, ==, WGD_PUNCH_EXHAUSTED);
  /* The peer's side answers: too far, stop at once. */
  f = walk (&plan, WGD_PUNCH_MAX_TTL_DEFAULT, all_private, G_N_ELEMENTS (all_private), 3);
  g_assert_cmpstr (f, ==, "1 2 3");
  g_assert_cmpint (plan.outcome, ==, WGD_PUNCH_OVERSHOT);
  g = walk (&plan, WGD_PUNCH_MAX_TTL_DEFAULT, peer_as_hop, G_N_ELEMENTS (peer_as_hop), 0);
  g_assert_cmpstr (g, ==, "1 2");
  g_assert_cmpint (plan.outcome, ==, WGD_PUNCH_OVERSHOT);
  /* An ended plan hands out nothing, whatever it is told. */
  wgd_punch_plan_answer (&plan, WGD_PUNCH_ICMP_TIME_EXCEEDED, isp, peer);
  g_assert_cmpint (plan.outcome, ==, WGD_PUNCH_OVERSHOT);
  g_assert_cmpuint (wgd_punch_plan_next (&plan), ==, 0);
  wgd_punch_plan_init (&plan, 0);
  g_assert_cmpuint (wgd_punch_plan_next (&plan), ==, 0);
  wgd_punch_plan_init (&plan, 1);
  g_assert_cmpuint (wgd_punch_plan_next (&plan), ==, 1);
  wgd_punch_plan_answer (&plan, WGD_PUNCH_ICMP_NOT_OURS, NULL, peer);
  g_assert_cmpint (plan.outcome, ==, WGD_PUNCH_EXHAUSTED);
}

static void
test_private (void)
{
  static const struct {
    guint8 a[4];
    gboolean private;
  } cases[] = {
    { { 10, 1, 2, 3 }, TRUE },        { { 172, 16, 0, 1 }, TRUE },
    { { 172, 31, 255, 1 }, TRUE },    { { 172, 32, 0, 1 }, FALSE },
    { { 172, 15, 0, 1 }, FALSE },     { { 192, 168, 0, 1 }, TRUE },
    { { 192, 169, 0, 1 }, FALSE },    { { 100, 64, 0, 1 }, TRUE },
    { { 100, 127, 255, 254 }, TRUE }, { { 100, 128, 0, 1 }, FALSE },
    { { 100, 63, 0, 1 }, FALSE },     { { 169, 254, 1, 1 }, TRUE },
    { { 127, 0, 0, 1 }, TRUE },       { { 198, 51, 100, 1 }, FALSE },
    { { 8, 8, 8, 8 }, FALSE },        { { 0, 0, 0, 0 }, TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (wgd_punch_address_is_private (cases[i].a), ==, cases[i].private);
}

static guint16
fold (const guint8 *data, gsize len, guint32 sum)
{
  for (gsize i = 0; i + 1 < len; i += 2)
    sum += (guint32) (data[i] << 8 | data[i + 1]);
  if (len % 2)
    sum += (guint32) (data[len - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (guint16) sum;
}

static void
test_udp (void)
{
  static const guint8 src[4] = { 10, 77, 1, 1 };
  guint8 out[64], pseudo[12] = { 10, 77, 1, 1, 203, 0, 113, 1, 0, IPPROTO_UDP, 0, 0 };
  gsize len = wgd_punch_udp_build (out, sizeof out, src, 51820, peer, 51821,
                                   (const guint8 *) "odd", 3);

  g_assert_cmpuint (len, ==, 11);
  g_assert_cmpuint (out[0] << 8 | out[1], ==, 51820);
  g_assert_cmpuint (out[2] << 8 | out[3], ==, 51821);
  g_assert_cmpuint (out[4] << 8 | out[5], ==, 11);
  g_assert_cmpmem (out + 8, 3, "odd", 3);
  /* The ones' complement sum over pseudo-header and datagram is all ones. */
  pseudo[11] = 11;
  g_assert_cmpuint (fold (out, len, fold (pseudo, sizeof pseudo, 0)), ==, 0xffff);
  g_assert_cmpuint (wgd_punch_udp_build (out, 10, src, 1, peer, 2,
                                         (const guint8 *) "odd", 3), ==, 0);
}

/* An ICMP error as a raw socket returns it: outer IPv4 header from
 * `from`, ICMP header, the quoted IPv4 header and the UDP header. */
static gsize
icmp_packet (guint8 *p, guint8 type, guint8 code, const guint8 from[4], guint16 sport,
             const guint8 dst[4], guint16 dport)
{
  memset (p, 0, 56);
  p[0] = 0x45;
  p[9] = IPPROTO_ICMP;
  memcpy (p + 12, from, 4);
  p[20] = type;
  p[21] = code;
  p[28] = 0x45;
  p[28 + 9] = IPPROTO_UDP;
  p[28 + 12] = 10;
  memcpy (p + 28 + 16, dst, 4);
  p[48] = (guint8) (sport >> 8);
  p[49] = (guint8) sport;
  p[50] = (guint8) (dport >> 8);
  p[51] = (guint8) dport;
  return 56;
}

static void
test_icmp (void)
{
  static const struct {
    guint8 type, code;
    guint16 sport;
    guint8 dst[4];
    guint16 dport;
  } others[] = {
    { 11, 0, 4000, { 203, 0, 113, 1 }, 51821 },
    { 11, 0, 51820, { 203, 0, 113, 1 }, 4000 },
    { 11, 0, 51820, { 192, 0, 2, 9 }, 51821 },
    { 11, 1, 51820, { 203, 0, 113, 1 }, 51821 },
    { 0, 0, 51820, { 203, 0, 113, 1 }, 51821 },
  };
  guint8 p[64], from[4];
  gsize len;

  len = icmp_packet (p, 11, 0, isp, 51820, peer, 51821);
  g_assert_cmpint (wgd_punch_icmp_parse (p, len, 51820, peer, 51821, from), ==,
                   WGD_PUNCH_ICMP_TIME_EXCEEDED);
  g_assert_cmpmem (from, 4, isp, 4);
  /* Only the ports are needed of the quoted UDP header. */
  g_assert_cmpint (wgd_punch_icmp_parse (p, 52, 51820, peer, 51821, from), ==,
                   WGD_PUNCH_ICMP_TIME_EXCEEDED);
  for (gsize cut = 0; cut < 52; cut++)
    g_assert_cmpint (wgd_punch_icmp_parse (p, cut, 51820, peer, 51821, from), ==,
                     WGD_PUNCH_ICMP_NOT_OURS);
  len = icmp_packet (p, 3, 3, peer, 51820, peer, 51821);
  g_assert_cmpint (wgd_punch_icmp_parse (p, len, 51820, peer, 51821, from), ==,
                   WGD_PUNCH_ICMP_UNREACHABLE);
  /* Someone else's: other ports, another destination, a reassembly
   * timeout, an echo reply. */
  for (gsize i = 0; i < G_N_ELEMENTS (others); i++)
    {
      len = icmp_packet (p, others[i].type, others[i].code, isp, others[i].sport,
                         others[i].dst, others[i].dport);
      g_assert_cmpint (wgd_punch_icmp_parse (p, len, 51820, peer, 51821, from), ==,
                       WGD_PUNCH_ICMP_NOT_OURS);
    }
  /* Not IPv4. */
  len = icmp_packet (p, 11, 0, isp, 51820, peer, 51821);
  p[0] = 0x65;
  g_assert_cmpint (wgd_punch_icmp_parse (p, len, 51820, peer, 51821, from), ==,
                   WGD_PUNCH_ICMP_NOT_OURS);
  /* A header length that points past the end. */
  p[0] = 0x4f;
  g_assert_cmpint (wgd_punch_icmp_parse (p, 40, 51820, peer, 51821, from), ==,
                   WGD_PUNCH_ICMP_NOT_OURS);
}

static void
test_outcome_names (void)
{
  g_assert_cmpstr (wgd_punch_outcome_to_string (WGD_PUNCH_PASSED), ==, "passed");
  for (guint i = 0; i < WGD_PUNCH_OUTCOME_COUNT; i++)
    g_assert_cmpstr (wgd_punch_outcome_to_string ((WgdPunchOutcome) i), !=, "unknown");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/punch/plan", test_plan);
  g_test_add_func ("/punch/private", test_private);
  g_test_add_func ("/punch/udp", test_udp);
  g_test_add_func ("/punch/icmp", test_icmp);
  g_test_add_func ("/punch/outcome-names", test_outcome_names);
  return g_test_run ();
}
