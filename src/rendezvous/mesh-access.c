/* mesh-access.c — the membership check of the mesh routes. */
#include "config.h"

#include <string.h>

#include "mesh-access.h"

gboolean
rdv_access_check (const RdvPolicy *policy, const gchar *host, const gchar *method,
                  const gchar *path, const gchar *authorization,
                  const guint8 mesh_key[WGD_KEY_LEN], guint64 now, WgdMembershipCache *cache,
                  RdvAccess *access)
{
  g_autoptr (WgdMembershipProof) proof = wgd_membership_proof_new ();
  WgdMembershipRequest request = { method, host ? host : "", path };
  g_autoptr (GError) error = NULL;

  memset (access, 0, sizeof *access);
  access->served = host != NULL && rdv_policy_serves_mesh (policy, mesh_key);
  access->verdict.reason = WGD_MEMBERSHIP_MALFORMED;
  if (authorization == NULL)
    g_strlcpy (access->verdict.detail, "no membership proof", sizeof access->verdict.detail);
  else if (!wgd_membership_proof_from_header (proof, authorization, &error))
    g_strlcpy (access->verdict.detail, error->message, sizeof access->verdict.detail);
  /* Another mesh's proof fails as wrong-mesh before it could reach the
   * cache; one for this mesh is checked only if the mesh is served. */
  else if (access->served || memcmp (proof->certificate.ca_key, mesh_key, WGD_KEY_LEN) != 0)
    wgd_membership_check (proof, &request, mesh_key, rdv_policy_get_trust (policy), now, cache,
                          &access->verdict);
  else
    g_strlcpy (access->verdict.detail, "a proof for a mesh this server does not serve",
               sizeof access->verdict.detail);
  access->granted = access->served && access->verdict.reason == WGD_MEMBERSHIP_ACCEPTED;
  return access->granted;
}
