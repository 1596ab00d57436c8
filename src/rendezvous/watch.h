/* watch.h — the open watches (WebSockets of GET /v1/meshes/KEY/watch):
 * each new record of a mesh pushed to its watchers as one text message,
 * within the caps on watches in all and per source, with pings, idle
 * watches closed and slow readers dropped rather than buffered for. */
#pragma once

#include <libsoup/soup.h>

#include "metrics.h"
#include "store.h"

typedef struct _RdvWatchers RdvWatchers;

typedef struct {
  guint max;                    /* watches in all */
  guint max_per_source;
  guint keepalive;              /* seconds between pings */
  guint timeout;                /* seconds without a frame from the client */
} RdvWatchLimits;

/* slots: the shared store whose watch slots the watches hold
 * (store.h's claim_watch), each given back when its watch closes; NULL
 * on a store of this server's own. */
RdvWatchers *rdv_watchers_new (const RdvWatchLimits *limits, RdvMetrics *metrics,
                               RdvStore *slots);
/* Closes every watch. */
void rdv_watchers_free (RdvWatchers *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvWatchers, rdv_watchers_free)

/* Called when a mesh gets its first watch (watched) and when its last
 * one closes. */
typedef void (*RdvWatchedFunc) (const guint8 mesh_key[WGD_KEY_LEN], gboolean watched,
                                gpointer user_data);
void rdv_watchers_set_watched_func (RdvWatchers *w, RdvWatchedFunc func, gpointer user_data);

/* Whether a watch from source (a rate-limit bucket) fits this
 * server's own count now. */
gboolean rdv_watchers_has_room (const RdvWatchers *w, const gchar *source);
/* Takes a connection whose upgrade completed, and the watch slot it
 * holds (0: none); closes it at once (1011, server error) when the caps
 * filled meanwhile. */
void rdv_watchers_add (RdvWatchers *w, SoupWebsocketConnection *conn, GSocket *socket,
                       const guint8 mesh_key[WGD_KEY_LEN], const gchar *source, guint64 slot);
/* Pushes a record just stored to its mesh's watchers; arrival_us is
 * when its PUT arrived (g_get_monotonic_time). */
void rdv_watchers_push (RdvWatchers *w, const RdvStoredRecord *r, gint64 arrival_us);
guint rdv_watchers_count (const RdvWatchers *w);
