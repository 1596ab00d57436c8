/* mesh.h — the peers of a mesh-mode interface (docs/trust-model.md §4): which
 * certified peers to add, with their certificate's tunnel addresses as
 * allowed-ips, and which of the peers this daemon added to remove when
 * their certificate expires or is revoked.
 *
 * Pure: the device's view, the trust store and the time are inputs and
 * the results are changes for wgd_device_set_peers, so every decision is
 * unit-tested. Only members (peers this daemon added) are ever removed or
 * have their allowed-ips replaced; a peer someone else configured keeps
 * everything, and a certificate whose addresses overlap another peer's
 * allowed-ips is refused rather than taking traffic from that peer. */
#pragma once

#include <glib.h>
#include "certificate.h"
#include "trust.h"
#include "wg-device.h"

typedef struct _WgdMesh WgdMesh;

/* What to do for a certified peer heard in this mesh. */
typedef enum {
  WGD_MESH_NOTHING,             /* a member already as its certificate says, or not ours */
  WGD_MESH_ADD,                 /* not on the interface: add it */
  WGD_MESH_UPDATE,              /* a member whose certificate's addresses changed */
  WGD_MESH_REFUSE,              /* its addresses overlap another peer's */
} WgdMeshAction;

typedef struct {
  guint8 wg_key[WGD_KEY_LEN];
  gchar name[WGD_NAME_MAX + 1];
  /* Already off the interface (someone removed it): only forget it. */
  gboolean gone;
  WgdReason reason;             /* otherwise EXPIRED, REVOKED or WRONG_MESH */
} WgdMeshRemoval;

WgdMesh *wgd_mesh_new (const guint8 ca_key[WGD_KEY_LEN]);
void wgd_mesh_free (WgdMesh *mesh);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdMesh, wgd_mesh_free)

/* Decides for a peer whose record was accepted in mesh mode with this
 * certificate. For ADD and UPDATE, change is filled (its allowed_ips
 * point into cert); for REFUSE, *why says which peer holds which
 * address (g_free it). */
WgdMeshAction wgd_mesh_plan_admit (const WgdMesh *mesh, const WgdCertificate *cert,
                                   const WgdDevice *device, WgdPeerChange *change, gchar **why);

/* Records that the peer of cert was written into the interface. */
void wgd_mesh_add_member (WgdMesh *mesh, const WgdCertificate *cert);
gboolean wgd_mesh_is_member (const WgdMesh *mesh, const guint8 wg_key[WGD_KEY_LEN]);
void wgd_mesh_remove_member (WgdMesh *mesh, const guint8 wg_key[WGD_KEY_LEN]);

/* Members to remove now (WgdMeshRemoval): certificate expired (at now),
 * revoked in store, or issued by another CA than the mesh's (the
 * configuration changed); and members no longer on the device. The
 * caller removes them and calls wgd_mesh_remove_member. */
GArray *wgd_mesh_plan_removals (const WgdMesh *mesh, const WgdTrustStore *store,
                                const WgdDevice *device, guint64 now);

/* The members' certificates, for the state file. */
GPtrArray *wgd_mesh_get_members (const WgdMesh *mesh);
