/* metrics.c — counters for GET /metrics. */
#include "config.h"

#include "metrics.h"

struct _RdvMetrics {
  /* Fixed arrays: the labels come from our own tables, never from a
   * request, so the set of series is bounded. */
  guint64 requests[RDV_ROUTE_COUNT][RDV_METRICS_STATUS_MAX];
  guint64 puts[RDV_CODE_COUNT];
  guint64 mesh_refused[WGD_MEMBERSHIP_REASON_COUNT];
  guint64 mesh_not_served;
  guint64 drops[RDV_DROP_COUNT];
  guint websockets;
  guint64 push_buckets[RDV_METRICS_PUSH_BUCKETS];
  guint64 push_count;
  gdouble push_sum;
};

static const gdouble push_bounds[RDV_METRICS_PUSH_BUCKETS] = {
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1,
};
/* The same as labels, free of the locale's decimal comma. */
static const gchar *const push_labels[RDV_METRICS_PUSH_BUCKETS] = {
  "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.5", "1",
};

static const gchar *const drop_names[RDV_DROP_COUNT] = {
  [RDV_DROP_IDLE] = "idle",
  [RDV_DROP_SLOW] = "slow",
  [RDV_DROP_MESSAGE] = "message",
};

const gchar *
rdv_drop_to_string (RdvDrop drop)
{
  g_return_val_if_fail (drop < RDV_DROP_COUNT, "idle");
  return drop_names[drop];
}

gboolean
rdv_drop_from_string (const gchar *text, RdvDrop *drop)
{
  for (guint i = 0; i < RDV_DROP_COUNT; i++)
    if (g_strcmp0 (text, drop_names[i]) == 0)
      {
        *drop = i;
        return TRUE;
      }
  return FALSE;
}

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

void
rdv_metrics_count_mesh_refusal (RdvMetrics *m, gboolean served, WgdMembershipReason reason)
{
  g_return_if_fail (reason < WGD_MEMBERSHIP_REASON_COUNT);
  if (served)
    m->mesh_refused[reason]++;
  else
    m->mesh_not_served++;
}

void
rdv_metrics_count_drop (RdvMetrics *m, RdvDrop drop)
{
  g_return_if_fail (drop < RDV_DROP_COUNT);
  m->drops[drop]++;
}

void
rdv_metrics_set_websockets (RdvMetrics *m, guint n)
{
  m->websockets = n;
}

void
rdv_metrics_observe_push (RdvMetrics *m, gdouble seconds)
{
  for (guint i = 0; i < RDV_METRICS_PUSH_BUCKETS; i++)
    if (seconds <= push_bounds[i])
      {
        m->push_buckets[i]++;
        break;
      }
  m->push_count++;
  m->push_sum += seconds;
}

static void
render_watch (const RdvMetrics *m, GString *out)
{
  guint64 cumulative = 0;
  gchar sum[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out,
                   "# HELP wgdiscover_rendezvous_mesh_refused_total Mesh listings and watches refused (403), by reason.\n"
                   "# TYPE wgdiscover_rendezvous_mesh_refused_total counter\n");
  for (guint r = 0; r < WGD_MEMBERSHIP_REASON_COUNT; r++)
    if (r != WGD_MEMBERSHIP_ACCEPTED)
      g_string_append_printf (out,
                              "wgdiscover_rendezvous_mesh_refused_total{reason=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", wgd_membership_reason_to_string (r),
                              m->mesh_refused[r]);
  g_string_append_printf (out,
                          "wgdiscover_rendezvous_mesh_refused_total{reason=\"not-served\"} %"
                          G_GUINT64_FORMAT "\n", m->mesh_not_served);
  g_string_append_printf (out,
                          "# HELP wgdiscover_rendezvous_websocket_clients Open watches (WebSockets).\n"
                          "# TYPE wgdiscover_rendezvous_websocket_clients gauge\n"
                          "wgdiscover_rendezvous_websocket_clients %u\n", m->websockets);
  g_string_append (out,
                   "# HELP wgdiscover_rendezvous_websockets_dropped_total Watches the server closed, by reason.\n"
                   "# TYPE wgdiscover_rendezvous_websockets_dropped_total counter\n");
  for (guint d = 0; d < RDV_DROP_COUNT; d++)
    g_string_append_printf (out,
                            "wgdiscover_rendezvous_websockets_dropped_total{reason=\"%s\"} %"
                            G_GUINT64_FORMAT "\n", rdv_drop_to_string (d), m->drops[d]);
  g_string_append (out,
                   "# HELP wgdiscover_rendezvous_push_latency_seconds From a PUT's arrival to its record handed to a watcher's socket.\n"
                   "# TYPE wgdiscover_rendezvous_push_latency_seconds histogram\n");
  for (guint i = 0; i < RDV_METRICS_PUSH_BUCKETS; i++)
    {
      cumulative += m->push_buckets[i];
      g_string_append_printf (out,
                              "wgdiscover_rendezvous_push_latency_seconds_bucket{le=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", push_labels[i], cumulative);
    }
  g_string_append_printf (out,
                          "wgdiscover_rendezvous_push_latency_seconds_bucket{le=\"+Inf\"} %"
                          G_GUINT64_FORMAT "\n"
                          "wgdiscover_rendezvous_push_latency_seconds_sum %s\n"
                          "wgdiscover_rendezvous_push_latency_seconds_count %" G_GUINT64_FORMAT
                          "\n", m->push_count, g_ascii_formatd (sum, sizeof sum, "%.6f", m->push_sum),
                          m->push_count);
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
  render_watch (m, out);
  return g_string_free (out, FALSE);
}
