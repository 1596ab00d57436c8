/* route.h — which of the server's routes a request is for, and the key
 * in a GET /v1/peers/KEY path. Pure, so the fuzzer and the unit tests
 * reach it without a socket. */
#pragma once

#include <glib.h>

#include "refusal.h"
#include "wire.h"

typedef enum {
  RDV_ROUTE_ANNOUNCE,           /* PUT /v1/announcements */
  RDV_ROUTE_PEER,               /* GET /v1/peers/KEY */
  RDV_ROUTE_METRICS,            /* GET /metrics */
  RDV_ROUTE_MESH_LIST,          /* GET /v1/meshes/KEY/announcements */
  RDV_ROUTE_MESH_WATCH,         /* GET /v1/meshes/KEY/watch (WebSocket) */
  RDV_ROUTE_OTHER,              /* anything else: 404 */
  RDV_ROUTE_COUNT,
} RdvRoute;

/* The route's name in metrics. */
const gchar *rdv_route_to_string (RdvRoute route);
gboolean rdv_route_from_string (const gchar *text, RdvRoute *route);

/* The route of path (as sent, percent-encoding kept); for
 * RDV_ROUTE_PEER the WireGuard key too, for the mesh routes the mesh's
 * CA key. *code says why the request cannot be
 * served (method-not-allowed, bad-key, not-found) or is OK. */
RdvRoute rdv_route_parse (const gchar *method, const gchar *path, guint8 key[WGD_KEY_LEN],
                          RdvCode *code);

/* A WireGuard key in a path segment: 43 characters of unpadded
 * base64url, or the 44 of standard base64 (as `wg` prints it), its
 * '/', '+' and '=' percent-encoded or not. */
gboolean rdv_route_parse_key (const gchar *segment, guint8 key[WGD_KEY_LEN]);
