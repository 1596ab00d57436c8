/* rendezvous-mesh.h — following one mesh on a rendezvous server
 * (docs/rendezvous.md §1.5, §1.6, §7): a WebSocket watch of the mesh
 * while one can be held, the mesh's listing polled meanwhile and
 * whenever it cannot, each request with a fresh membership proof. Every
 * record received is handed on unverified. The decisions (when to list,
 * when to watch again, when a watch is dead) are rendezvous-policy's;
 * the server's words are parsed by rendezvous-answer. */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "certificate.h"
#include "keys.h"
#include "rendezvous-policy.h"

typedef struct _WgdRdvMesh WgdRdvMesh;

typedef struct {
  /* The server to send the next request to (no trailing /). */
  const gchar *(*url) (gpointer user_data);
  /* The watch could not be opened (no connection, a 5xx: retry_after is
   * a 503's header or NULL) or was dropped: the client moves to its
   * next server and backs off. */
  void (*watch_lost) (const gchar *why, const gchar *retry_after, gpointer user_data);
  /* Whether a listing may be sent now (the server is not backed off). */
  gboolean (*may_send) (gpointer user_data);
  /* Sorts a listing's answer as the client's other requests (backoff on
   * no answer, 429 or 5xx); TRUE if answered, with *refused for a 4xx. */
  gboolean (*answered) (SoupMessage *msg, GBytes *body, const GError *error,
                        gboolean *refused, gpointer user_data);
  /* A record of the mesh, unverified. */
  void (*record) (const guint8 *record, gsize len, gpointer user_data);
  /* The mesh's state changed. */
  void (*state_changed) (gpointer user_data);
  /* What is due next may have changed (wgd_rdv_mesh_next_due). */
  void (*rescheduled) (gpointer user_data);
  /* The backoff's jitter (its user_data is NULL). */
  WgdRdvRandomFunc random;
} WgdRdvMeshCallbacks;

/* Follows the mesh of mesh_key for ifname at the server the url
 * callback names at each request, through session, proving membership with identity (which
 * must outlive the follower) and certificate (copied). */
WgdRdvMesh *wgd_rdv_mesh_new (SoupSession *session, const gchar *ifname,
                              const guint8 mesh_key[WGD_KEY_LEN], const WgdKeyPair *identity,
                              const WgdCertificate *certificate,
                              const WgdRdvMeshCallbacks *callbacks, gpointer user_data);
void wgd_rdv_mesh_free (WgdRdvMesh *mesh);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdRdvMesh, wgd_rdv_mesh_free)

/* Whether it follows this very mesh with this identity and certificate. */
gboolean wgd_rdv_mesh_is_for (const WgdRdvMesh *mesh, const guint8 mesh_key[WGD_KEY_LEN],
                              const WgdKeyPair *identity, const WgdCertificate *certificate);
/* Opens a watch, lists, or closes a dead watch, as the policy says. A
 * watch open stays on its server while it holds, whichever server the
 * other requests go to. */
void wgd_rdv_mesh_tick (WgdRdvMesh *mesh, gint64 now_ms);
/* When wgd_rdv_mesh_tick has something to do next, requests waiting
 * until may_send_at (the server's backoff, 0: none); G_MAXINT64: not
 * before the follower says rescheduled. */
gint64 wgd_rdv_mesh_next_due (const WgdRdvMesh *mesh, gint64 may_send_at);
WgdRdvMeshState wgd_rdv_mesh_get_state (const WgdRdvMesh *mesh);
const gchar *wgd_rdv_mesh_get_ifname (const WgdRdvMesh *mesh);
