/* rendezvous-servers.h — which of the rendezvous servers of
 * RendezvousURL= the daemon's client talks to, and how long it waits
 * after a failure (docs/rendezvous.md §7), without I/O. One server at a
 * time; a failure (no connection, a 5xx, a watch dropped) moves to the
 * next. While the round has servers not yet tried, the next is tried
 * after a short wait; once every one has failed in a row, the wait is
 * the exponential backoff with full jitter of rendezvous-policy, counted
 * in rounds: with every server down, a list of n costs at most n
 * attempts per backoff, never a tight loop. */
#pragma once

#include <glib.h>

#include "rendezvous-policy.h"

/* The wait before an untried server of the round: this plus a uniform
 * draw in [0, this]. */
#define WGD_RDV_SERVERS_NEXT_MS 500

typedef struct _WgdRdvServers WgdRdvServers;

/* urls: at least one, each without a trailing '/'. */
WgdRdvServers *wgd_rdv_servers_new (const gchar *const *urls);
void wgd_rdv_servers_free (WgdRdvServers *servers);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdRdvServers, wgd_rdv_servers_free)

/* The server to send the next request to. */
const gchar *wgd_rdv_servers_current (const WgdRdvServers *servers);
guint wgd_rdv_servers_count (const WgdRdvServers *servers);
/* The current server failed: moves to the next (move FALSE: stays, as
 * after a 429), and returns the wait in ms before the next attempt,
 * never less than a Retry-After (delta-seconds, capped; NULL or garbage:
 * none). */
guint64 wgd_rdv_servers_failed (WgdRdvServers *servers, gboolean move, const gchar *retry_after,
                                WgdRdvRandomFunc random, gpointer user_data);
/* The current server answered: the next failure starts a new round.
 * Returns TRUE when it is another server than the one last answering
 * (the client then PUTs its records again there). */
gboolean wgd_rdv_servers_succeeded (WgdRdvServers *servers);
