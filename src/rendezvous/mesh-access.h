/* mesh-access.h — who may list or watch a mesh on this server: a caller
 * whose request carries a membership proof (membership.h) for a mesh
 * the server serves. An open server serves every mesh, a server
 * configured with meshes only those. Pure: the request, the time and
 * the replay cache are inputs.
 *
 * Every refusal looks the same to the caller (403); how far the checks
 * got depends only on the caller's own proof, never on the mesh's
 * records or on whether it is served. A proof for a mesh the server
 * does not serve never takes a place in the replay cache. */
#pragma once

#include <glib.h>

#include "accept.h"
#include "membership.h"

typedef struct {
  gboolean granted;
  gboolean served;              /* FALSE: refused as not served, whatever the proof */
  WgdMembershipVerdict verdict; /* the proof's, when served */
} RdvAccess;

/* host is the server's own (rdv-config.h public_host), NULL when it
 * has none: then no mesh is served. authorization is the request's
 * header, or NULL. */
gboolean rdv_access_check (const RdvPolicy *policy, const gchar *host, const gchar *method,
                           const gchar *path, const gchar *authorization,
                           const guint8 mesh_key[WGD_KEY_LEN], guint64 now,
                           WgdMembershipCache *cache, RdvAccess *access);
