/* punch.c — the TTL plan, the datagram and the ICMP reader of punch.h:
 * pure; punch-socket.c runs them. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "punch.h"

void
wgd_punch_plan_init (WgdPunchPlan *plan, guint8 max_ttl)
{
  plan->max_ttl = max_ttl;
  plan->ttl = 0;
  plan->outcome = max_ttl == 0 ? WGD_PUNCH_EXHAUSTED : WGD_PUNCH_RUNNING;
}

guint8
wgd_punch_plan_next (WgdPunchPlan *plan)
{
  if (plan->outcome != WGD_PUNCH_RUNNING)
    return 0;
  return ++plan->ttl;
}

void
wgd_punch_plan_answer (WgdPunchPlan *plan, WgdPunchIcmp kind, const guint8 from[4],
                       const guint8 peer[4])
{
  if (plan->outcome != WGD_PUNCH_RUNNING)
    return;
  switch (kind)
    {
    case WGD_PUNCH_ICMP_UNREACHABLE:
      plan->outcome = WGD_PUNCH_OVERSHOT;
      return;
    case WGD_PUNCH_ICMP_TIME_EXCEEDED:
      if (memcmp (from, peer, 4) == 0)
        plan->outcome = WGD_PUNCH_OVERSHOT;
      else if (!wgd_punch_address_is_private (from))
        plan->outcome = WGD_PUNCH_PASSED;
      break;
    case WGD_PUNCH_ICMP_NOT_OURS:
      if (plan->ttl >= WGD_PUNCH_TTL_BLIND)
        plan->outcome = WGD_PUNCH_BLIND;
      break;
    }
  if (plan->outcome == WGD_PUNCH_RUNNING && plan->ttl >= plan->max_ttl)
    plan->outcome = WGD_PUNCH_EXHAUSTED;
}

gboolean
wgd_punch_address_is_private (const guint8 a[4])
{
  return a[0] == 10 || a[0] == 127 || a[0] == 0
         || (a[0] == 172 && (a[1] & 0xf0) == 16)
         || (a[0] == 192 && a[1] == 168)
         || (a[0] == 100 && (a[1] & 0xc0) == 64)
         || (a[0] == 169 && a[1] == 254);
}

static guint32
checksum_add (guint32 sum, const guint8 *data, gsize len)
{
  for (gsize i = 0; i + 1 < len; i += 2)
    sum += (guint32) (data[i] << 8 | data[i + 1]);
  if (len % 2)
    sum += (guint32) (data[len - 1] << 8);
  return sum;
}

static guint16
checksum_fold (guint32 sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (guint16) ~sum;
}

static void
put_u16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static guint16
get_u16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

gsize
wgd_punch_udp_build (guint8 *out, gsize cap, const guint8 src[4], guint16 src_port,
                     const guint8 dst[4], guint16 dst_port, const guint8 *payload,
                     gsize payload_len)
{
  gsize len = 8 + payload_len;
  guint8 pseudo[12];
  guint16 sum;

  if (len > cap || len > G_MAXUINT16)
    return 0;
  put_u16 (out, src_port);
  put_u16 (out + 2, dst_port);
  put_u16 (out + 4, (guint16) len);
  put_u16 (out + 6, 0);
  if (payload_len > 0)
    memcpy (out + 8, payload, payload_len);
  memcpy (pseudo, src, 4);
  memcpy (pseudo + 4, dst, 4);
  pseudo[8] = 0;
  pseudo[9] = IPPROTO_UDP;
  put_u16 (pseudo + 10, (guint16) len);
  sum = checksum_fold (checksum_add (checksum_add (0, pseudo, sizeof pseudo), out, len));
  /* 0 means "no checksum" in UDP over IPv4: all ones says zero. */
  put_u16 (out + 6, sum == 0 ? 0xffff : sum);
  return len;
}

/* The length of the IPv4 header at p, or 0 if there is none. */
static gsize
ipv4_header_len (const guint8 *p, gsize len)
{
  gsize ihl;

  if (len < 20 || (p[0] >> 4) != 4)
    return 0;
  ihl = (gsize) (p[0] & 0x0f) * 4;
  return ihl >= 20 && ihl <= len ? ihl : 0;
}

WgdPunchIcmp
wgd_punch_icmp_parse (const guint8 *packet, gsize len, guint16 src_port, const guint8 dst[4],
                      guint16 dst_port, guint8 from_out[4])
{
  gsize outer = ipv4_header_len (packet, len), inner;
  const guint8 *icmp, *quoted, *udp;
  gsize icmp_len;
  guint8 type, code;

  if (outer == 0 || packet[9] != IPPROTO_ICMP || len - outer < 8)
    return WGD_PUNCH_ICMP_NOT_OURS;
  icmp = packet + outer;
  icmp_len = len - outer;
  type = icmp[0];
  code = icmp[1];
  if (!((type == 11 && code == 0) || type == 3))
    return WGD_PUNCH_ICMP_NOT_OURS;
  /* The quoted datagram: its IP header and at least the UDP ports. */
  quoted = icmp + 8;
  inner = ipv4_header_len (quoted, icmp_len - 8);
  if (inner == 0 || icmp_len - 8 - inner < 4 || quoted[9] != IPPROTO_UDP
      || memcmp (quoted + 16, dst, 4) != 0)
    return WGD_PUNCH_ICMP_NOT_OURS;
  udp = quoted + inner;
  if (get_u16 (udp) != src_port || get_u16 (udp + 2) != dst_port)
    return WGD_PUNCH_ICMP_NOT_OURS;
  memcpy (from_out, packet + 12, 4);
  return type == 11 ? WGD_PUNCH_ICMP_TIME_EXCEEDED : WGD_PUNCH_ICMP_UNREACHABLE;
}

static const gchar *const outcome_names[WGD_PUNCH_OUTCOME_COUNT] = {
  [WGD_PUNCH_RUNNING] = "running",
  [WGD_PUNCH_PASSED] = "passed",
  [WGD_PUNCH_BLIND] = "blind",
  [WGD_PUNCH_OVERSHOT] = "overshot",
  [WGD_PUNCH_EXHAUSTED] = "exhausted",
};

const gchar *
wgd_punch_outcome_to_string (WgdPunchOutcome outcome)
{
  g_return_val_if_fail (outcome < WGD_PUNCH_OUTCOME_COUNT, "unknown");
  return outcome_names[outcome];
}
