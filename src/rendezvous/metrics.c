/* metrics.c — counters for GET /metrics. */
#include "config.h"

#include "metrics.h"

struct _RdvMetrics {
  /* Fixed arrays: the labels come from our own tables, never from a
   * request, so the set of series is bounded. */
  guint64 requests[RDV_ROUTE_COUNT][RDV_METRICS_STATUS_MAX];
  guint64 puts[RDV_CODE_COUNT];
};

RdvMetrics *
rdv_metrics_new (void)
{
  return g_new0 (RdvMetrics, 1);
}

void
rdv_metrics_free (RdvMetrics *m)
{
  g_free (m);
}

void
rdv_metrics_count_request (RdvMetrics *m, RdvRoute route, guint status)
{
  g_return_if_fail (route < RDV_ROUTE_COUNT);
  m->requests[route][MIN (status, RDV_METRICS_STATUS_MAX - 1)]++;
}

void
rdv_metrics_count_put (RdvMetrics *m, RdvCode code)
{
  g_return_if_fail (code < RDV_CODE_COUNT);
  m->puts[code]++;
}

guint64
rdv_metrics_get_put (const RdvMetrics *m, RdvCode code)
{
  g_return_val_if_fail (code < RDV_CODE_COUNT, 0);
  return m->puts[code];
}

gchar *
rdv_metrics_render (const RdvMetrics *m, guint64 records_stored)
{
  GString *out = g_string_new (NULL);

  g_string_append (out,
                   "# HELP wgdiscover_rendezvous_requests_total HTTP requests by route and status.\n"
                   "# TYPE wgdiscover_rendezvous_requests_total counter\n");
  for (guint r = 0; r < RDV_ROUTE_COUNT; r++)
    for (guint s = 0; s < RDV_METRICS_STATUS_MAX; s++)
      if (m->requests[r][s] > 0)
        g_string_append_printf (out,
                                "wgdiscover_rendezvous_requests_total{route=\"%s\",status=\"%u\"} %"
                                G_GUINT64_FORMAT "\n", rdv_route_to_string (r), s,
                                m->requests[r][s]);
  g_string_append_printf (out,
                          "# HELP wgdiscover_rendezvous_records Unexpired records stored.\n"
                          "# TYPE wgdiscover_rendezvous_records gauge\n"
                          "wgdiscover_rendezvous_records %" G_GUINT64_FORMAT "\n",
                          records_stored);
  g_string_append (out,
                   "# HELP wgdiscover_rendezvous_puts_accepted_total Records accepted by PUT.\n"
                   "# TYPE wgdiscover_rendezvous_puts_accepted_total counter\n");
  g_string_append_printf (out, "wgdiscover_rendezvous_puts_accepted_total %" G_GUINT64_FORMAT "\n",
                          m->puts[RDV_CODE_OK]);
  g_string_append (out,
                   "# HELP wgdiscover_rendezvous_puts_refused_total Records refused by PUT, by reason.\n"
                   "# TYPE wgdiscover_rendezvous_puts_refused_total counter\n");
  for (guint c = 0; c < RDV_CODE_COUNT; c++)
    if (c != RDV_CODE_OK)
      g_string_append_printf (out,
                              "wgdiscover_rendezvous_puts_refused_total{reason=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", rdv_code_to_string (c), m->puts[c]);
  return g_string_free (out, FALSE);
}
