/* metrics.h — the server's counters and their Prometheus text form
 * (GET /metrics). Pure: counting and rendering, no I/O. */
#pragma once

#include <glib.h>

#include "membership.h"
#include "refusal.h"
#include "route.h"

/* HTTP statuses are counted in these classes of one status each. */
#define RDV_METRICS_STATUS_MAX 600

/* Why the server closed a watch (WebSocket). */
typedef enum {
  RDV_DROP_IDLE,                /* nothing from the client for WebSocketTimeout= */
  RDV_DROP_SLOW,                /* the client does not read what is pushed */
  RDV_DROP_MESSAGE,             /* the client sent a message: the watch is one-way */
  RDV_DROP_COUNT,
} RdvDrop;

const gchar *rdv_drop_to_string (RdvDrop drop);
gboolean rdv_drop_from_string (const gchar *text, RdvDrop *drop);

/* The upper bounds (seconds) of the push latency histogram's buckets. */
#define RDV_METRICS_PUSH_BUCKETS 10

typedef struct _RdvMetrics RdvMetrics;

RdvMetrics *rdv_metrics_new (void);
void rdv_metrics_free (RdvMetrics *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvMetrics, rdv_metrics_free)

void rdv_metrics_count_request (RdvMetrics *m, RdvRoute route, guint status);
/* A PUT's outcome: RDV_CODE_OK for a record stored (or already held). */
void rdv_metrics_count_put (RdvMetrics *m, RdvCode code);
guint64 rdv_metrics_get_put (const RdvMetrics *m, RdvCode code);
/* A mesh request refused: the membership verdict, or (served FALSE) a
 * mesh this server does not serve. */
void rdv_metrics_count_mesh_refusal (RdvMetrics *m, gboolean served, WgdMembershipReason reason);
void rdv_metrics_count_drop (RdvMetrics *m, RdvDrop drop);
void rdv_metrics_set_websockets (RdvMetrics *m, guint n);
/* From a PUT's arrival to its record handed to one watcher's socket. */
void rdv_metrics_observe_push (RdvMetrics *m, gdouble seconds);
gchar *rdv_metrics_render (const RdvMetrics *m, guint64 records_stored);
