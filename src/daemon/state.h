/* state.h — what wgdiscoverd keeps in its state directory (docs/architecture.md §8),
 * each file written atomically (write, fsync, rename):
 *
 *   identity   the node's key, exactly what `wgdiscoverctl genkey` prints,
 *              mode 0600; created on first start if absent
 *   replay     the newest accepted timestamp per signing key
 *   endpoints  the last endpoint set per WireGuard key, so a restarted
 *              daemon configures known peers before the LAN answers
 *   mesh       per mesh-mode interface, the peers this daemon added and
 *              their certificates, so that it removes them (and only
 *              them) when the certificate expires or is revoked, even
 *              across restarts
 *   approvals  the pairing decisions, approvals and rejections
 *              (pairing.h), mode 0600
 *
 * A corrupt replay, endpoints or mesh file is renamed aside (FILE.corrupt) and
 * reported, and the daemon goes on without it; a corrupt identity or
 * approvals file is an error, never silently replaced: forgetting a
 * rejection would let a refused key ask again. */
#pragma once

#include <glib.h>

#include "certificate.h"
#include "keys.h"
#include "pairing.h"
#include "trust.h"
#include "wg-device.h"

/* Loads DIR/identity, or creates it if absent. */
WgdKeyPair *wgd_state_load_identity (const gchar *dir, gboolean *created, GError **error);

gboolean wgd_state_save_replay (const gchar *dir, const WgdReplayState *replay, GError **error);
/* Always returns a replay state; *warning explains a set-aside file. */
WgdReplayState *wgd_state_load_replay (const gchar *dir, gchar **warning);

/* endpoints: GBytes WireGuard key → WgdSockaddr (g_free'd). */
gboolean wgd_state_save_endpoints (const gchar *dir, GHashTable *endpoints, GError **error);
GHashTable *wgd_state_load_endpoints (const gchar *dir, gchar **warning);
GHashTable *wgd_state_endpoints_new (void);

/* mesh members: interface name → GPtrArray of WgdCertificate. */
GHashTable *wgd_state_mesh_members_new (void);
gboolean wgd_state_save_mesh_members (const gchar *dir, GHashTable *members, GError **error);
GHashTable *wgd_state_load_mesh_members (const gchar *dir, gchar **warning);

/* Saves the decisions of pairing with (wg_key, signing_key) decided as
 * decision too, without changing pairing; WGD_ERROR_IO if it cannot. */
gboolean wgd_state_save_approvals (const gchar *dir, WgdPairing *pairing,
                                   const guint8 wg_key[WGD_KEY_LEN],
                                   const guint8 signing_key[WGD_KEY_LEN], WgdDecision decision,
                                   GError **error);
/* Loads DIR/approvals into pairing; no file is no decisions. */
gboolean wgd_state_load_approvals (const gchar *dir, WgdPairing *pairing, GError **error);
