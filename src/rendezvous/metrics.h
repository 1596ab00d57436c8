/* metrics.h — the server's counters and their Prometheus text form
 * (GET /metrics). Pure: counting and rendering, no I/O. */
#pragma once

#include <glib.h>

#include "refusal.h"
#include "route.h"

/* HTTP statuses are counted in these classes of one status each. */
#define RDV_METRICS_STATUS_MAX 600

typedef struct _RdvMetrics RdvMetrics;

RdvMetrics *rdv_metrics_new (void);
void rdv_metrics_free (RdvMetrics *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvMetrics, rdv_metrics_free)

void rdv_metrics_count_request (RdvMetrics *m, RdvRoute route, guint status);
/* A PUT's outcome: RDV_CODE_OK for a record stored (or already held). */
void rdv_metrics_count_put (RdvMetrics *m, RdvCode code);
guint64 rdv_metrics_get_put (const RdvMetrics *m, RdvCode code);
gchar *rdv_metrics_render (const RdvMetrics *m, guint64 records_stored);
