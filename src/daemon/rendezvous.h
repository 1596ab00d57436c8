/* rendezvous.h — wgdiscoverd's client of a rendezvous server
 * (docs/rendezvous.md): PUTs the records the core hands it, looks up
 * the peers the core wants by WireGuard key, and hands the records it
 * fetches back to the core, which verifies them like any other (the
 * server is never trusted). HTTP over libsoup on the main loop; the
 * decisions (backoff, 429, schedule) are rendezvous-policy's. */
#pragma once

#include <glib.h>

#include "certificate.h"
#include "rendezvous-policy.h"

typedef struct _WgdRendezvous WgdRendezvous;

typedef struct {
  /* A record fetched for a peer: unverified. */
  void (*record) (const guint8 *record, gsize len, gpointer user_data);
  /* The address the server saw a PUT of ifname's record come from. */
  void (*reflexive) (const gchar *ifname, guint8 family, const guint8 address[16],
                     gpointer user_data);
  /* After a record of key was handed over: whether the peer has an
   * endpoint from the server now. If not (a record its node PUT before
   * it knew its reflexive address, with its private addresses left
   * out), it is looked up again as soon as a missing one. NULL: yes. */
  gboolean (*usable) (const guint8 key[WGD_KEY_LEN], gpointer user_data);
  /* One round of wants: wgd_rdv_schedule_want for each peer to look up.
   * Asked after wgd_rendezvous_wants_changed, and whenever the client
   * wakes for something due. */
  void (*want) (WgdRdvSchedule *schedule, gint64 now_ms, gpointer user_data);
  /* One round of meshes: wgd_rendezvous_follow_mesh for each to follow;
   * the others are let go. */
  void (*meshes) (WgdRendezvous *rdv, gpointer user_data);
  /* The state or its error changed. */
  void (*state_changed) (gpointer user_data);
} WgdRendezvousCallbacks;

/* urls: RendezvousURL='s servers, tried in this order, each without a
 * trailing '/'. */
WgdRendezvous *wgd_rendezvous_new (const gchar *const *urls,
                                   const WgdRendezvousCallbacks *callbacks, gpointer user_data);
void wgd_rendezvous_free (WgdRendezvous *rdv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdRendezvous, wgd_rendezvous_free)

/* What the want or meshes callbacks would say may have changed (an
 * interface's peers, a peer found on or gone from the LAN, a reload):
 * they are asked again on the next turn of the main loop. */
void wgd_rendezvous_wants_changed (WgdRendezvous *rdv);
/* PUTs ifname's record (replacing one not yet sent), now or once the
 * backoff is over. */
void wgd_rendezvous_publish (WgdRendezvous *rdv, const gchar *ifname, const guint8 *record,
                             gsize len);
/* From the meshes callback: follow the mesh of mesh_key for ifname
 * (watch it, or poll its listing), proving membership with identity
 * (which must outlive the client) and certificate. */
void wgd_rendezvous_follow_mesh (WgdRendezvous *rdv, const gchar *ifname,
                                 const guint8 mesh_key[WGD_KEY_LEN], const WgdKeyPair *identity,
                                 const WgdCertificate *certificate);
/* How the mesh of ifname is followed; FALSE if it is not. */
gboolean wgd_rendezvous_get_mesh_state (WgdRendezvous *rdv, const gchar *ifname,
                                        WgdRdvMeshState *state);
/* The server the next request goes to. */
const gchar *wgd_rendezvous_get_url (WgdRendezvous *rdv);
WgdRdvState wgd_rendezvous_get_state (WgdRendezvous *rdv);
/* The last error, "" if none. */
const gchar *wgd_rendezvous_get_error (WgdRendezvous *rdv);
/* While backing off, when the next attempt is due (clock seconds); else 0. */
guint64 wgd_rendezvous_get_retry_at (WgdRendezvous *rdv);
/* "connected", "backing-off until 2026-12-01T23:00:05Z (...)", with
 * the meshes followed: "connected, mesh wg0 watched", ... */
gchar *wgd_rendezvous_describe (WgdRendezvous *rdv);
