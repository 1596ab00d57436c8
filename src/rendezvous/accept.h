/* accept.h — whether the rendezvous server stores a PUT record: the
 * daemon's own decoding and trust decision (trust.h) under the server's
 * policy. Pure: the record, the policy, the signing key's newest stored
 * timestamp and the time are inputs.
 *
 * An open server (no meshes configured) cannot know which CAs matter, so
 * it takes a derived binding, or a certificate that verifies against the
 * CA key it carries: the server only keeps what some verifier could
 * accept, and each daemon applies its own trust to what it fetches. A
 * server configured with meshes stores only records certified by their
 * CAs (and not revoked by a list it was given). */
#pragma once

#include <glib.h>

#include "announcement.h"
#include "refusal.h"
#include "revocation.h"
#include "store.h"

typedef struct _RdvPolicy RdvPolicy;

/* An open policy until a mesh is added. */
RdvPolicy *rdv_policy_new (void);
void rdv_policy_free (RdvPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvPolicy, rdv_policy_free)
void rdv_policy_add_mesh (RdvPolicy *policy, const guint8 ca_key[WGD_KEY_LEN]);
/* A list of a mesh's CA, signature checked. */
gboolean rdv_policy_add_revocations (RdvPolicy *policy, const WgdRevocationList *list,
                                     GError **error);
gboolean rdv_policy_is_open (const RdvPolicy *policy);
/* Whether the mesh of ca_key is listed and watched here: any on an open
 * server, else the configured ones. */
gboolean rdv_policy_serves_mesh (const RdvPolicy *policy, const guint8 ca_key[WGD_KEY_LEN]);
/* The configured CAs and their revocation lists. */
const WgdTrustStore *rdv_policy_get_trust (const RdvPolicy *policy);

typedef struct {
  RdvCode code;                 /* RDV_CODE_OK: store it */
  gboolean already_known;       /* this very record was stored before */
  WgdBinding binding;
  gchar detail[160];            /* a sentence for the log and the answer */
} RdvDecision;

/* Step one: the bytes as a record, or MALFORMED/TOO_LARGE in decision. */
gboolean rdv_accept_decode (const guint8 *data, gsize len, WgdAnnouncement *ann,
                            RdvDecision *decision);

/* Step two, once the store was asked for the signing key's newest
 * record (found, timestamp, digest). */
void rdv_accept_decide (const RdvPolicy *policy, const WgdAnnouncement *ann, gboolean found,
                        guint64 held_timestamp, const guint8 held_digest[WGD_KEY_LEN],
                        guint64 now, RdvDecision *decision);

/* What the store keeps of an accepted record. */
RdvStoredRecord *rdv_accept_to_stored (const WgdAnnouncement *ann, const RdvDecision *decision);
