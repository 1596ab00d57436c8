/* fuzz-punch.c — libFuzzer target for the ICMP reader of src/net/punch.h:
 * whatever a raw ICMP socket hands over, as the punch reads it, and the
 * plan fed with the verdict must stay within its bounds. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz-common.h"
#include "punch.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const guint8 peer[4] = { 203, 0, 113, 1 };
  guint8 from[4] = { 0 };
  WgdPunchPlan plan;
  WgdPunchIcmp kind = wgd_punch_icmp_parse (data, size, 51820, peer, 51820, from);

  FUZZ_ASSERT (kind == WGD_PUNCH_ICMP_NOT_OURS || kind == WGD_PUNCH_ICMP_TIME_EXCEEDED
               || kind == WGD_PUNCH_ICMP_UNREACHABLE);
  /* Ours only if the quoted datagram went to the peer. */
  FUZZ_ASSERT (kind == WGD_PUNCH_ICMP_NOT_OURS || size >= 20 + 8 + 20 + 4);
  wgd_punch_plan_init (&plan, WGD_PUNCH_MAX_TTL_DEFAULT);
  while (wgd_punch_plan_next (&plan) != 0)
    wgd_punch_plan_answer (&plan, kind, from, peer);
  FUZZ_ASSERT (plan.outcome != WGD_PUNCH_RUNNING && plan.ttl >= 1
               && plan.ttl <= WGD_PUNCH_MAX_TTL_DEFAULT);
  return 0;
}
