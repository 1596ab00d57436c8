/* accept.c — the server's acceptance decision over the daemon's trust
 * decision. */
#include "config.h"

#include <string.h>

#include "accept.h"

struct _RdvPolicy {
  WgdTrustStore *trust;         /* the meshes' CAs and revocations */
  guint n_meshes;
};

RdvPolicy *
rdv_policy_new (void)
{
  RdvPolicy *policy = g_new0 (RdvPolicy, 1);

  policy->trust = wgd_trust_store_new ();
  return policy;
}

void
rdv_policy_free (RdvPolicy *policy)
{
  if (policy == NULL)
    return;
  wgd_trust_store_free (policy->trust);
  g_free (policy);
}

void
rdv_policy_add_mesh (RdvPolicy *policy, const guint8 ca_key[WGD_KEY_LEN])
{
  if (!wgd_trust_store_has_ca (policy->trust, ca_key))
    policy->n_meshes++;
  wgd_trust_store_add_ca (policy->trust, ca_key);
}

gboolean
rdv_policy_add_revocations (RdvPolicy *policy, const WgdRevocationList *list, GError **error)
{
  return wgd_trust_store_add_revocations (policy->trust, list, error);
}

gboolean
rdv_policy_is_open (const RdvPolicy *policy)
{
  return policy->n_meshes == 0;
}

gboolean
rdv_policy_serves_mesh (const RdvPolicy *policy, const guint8 ca_key[WGD_KEY_LEN])
{
  return policy->n_meshes == 0 || wgd_trust_store_has_ca (policy->trust, ca_key);
}

const WgdTrustStore *
rdv_policy_get_trust (const RdvPolicy *policy)
{
  return policy->trust;
}

static void
decision_set (RdvDecision *d, RdvCode code, const gchar *detail)
{
  d->code = code;
  g_strlcpy (d->detail, detail, sizeof d->detail);
}

gboolean
rdv_accept_decode (const guint8 *data, gsize len, WgdAnnouncement *ann, RdvDecision *decision)
{
  g_autoptr (GError) error = NULL;

  memset (decision, 0, sizeof *decision);
  if (len > WGD_RECORD_MAX)
    {
      decision_set (decision, RDV_CODE_TOO_LARGE, "a record is at most 1024 bytes");
      return FALSE;
    }
  if (!wgd_announcement_decode (ann, data, len, &error))
    {
      decision_set (decision, RDV_CODE_MALFORMED, error->message);
      return FALSE;
    }
  return TRUE;
}

void
rdv_accept_decide (const RdvPolicy *policy, const WgdAnnouncement *ann, gboolean found,
                   guint64 held_timestamp, const guint8 held_digest[WGD_KEY_LEN],
                   guint64 now, RdvDecision *decision)
{
  g_autoptr (WgdReplayState) replay = wgd_replay_state_new ();
  g_autoptr (WgdTrustStore) own = NULL;
  const WgdTrustStore *trust = policy->trust;
  WgdTrustContext ctx = { .mode = WGD_MODE_ENDPOINT, .now = now };
  WgdVerdict verdict;

  memset (decision, 0, sizeof *decision);
  if (found)
    wgd_replay_state_update (replay, ann->signing_key, held_timestamp, held_digest);
  if (rdv_policy_is_open (policy))
    {
      /* The CA the certificate names is the only one an open server
       * can check it against. */
      own = wgd_trust_store_new ();
      if (ann->has_certificate)
        wgd_trust_store_add_ca (own, ann->certificate.ca_key);
      trust = own;
    }
  else if (!ann->has_certificate)
    {
      decision_set (decision, RDV_CODE_NO_BINDING,
                    "this server stores only records certified by its meshes' CAs");
      return;
    }
  else if (!wgd_trust_store_has_ca (trust, ann->certificate.ca_key))
    {
      decision_set (decision, RDV_CODE_WRONG_MESH,
                    "the certificate's CA is not one of this server's meshes");
      return;
    }
  else
    {
      ctx.mode = WGD_MODE_MESH;
      memcpy (ctx.mesh_key, ann->certificate.ca_key, WGD_KEY_LEN);
    }
  wgd_trust_check (trust, replay, &ctx, ann, &verdict);
  decision->code = rdv_code_from_reason (verdict.reason);
  decision->already_known = verdict.already_known;
  decision->binding = verdict.binding;
  g_strlcpy (decision->detail, verdict.detail, sizeof decision->detail);
}

RdvStoredRecord *
rdv_accept_to_stored (const WgdAnnouncement *ann, const RdvDecision *decision)
{
  RdvStoredRecord *r = rdv_stored_record_new ();
  guint8 derived[WGD_KEY_LEN];

  memcpy (r->wg_key, ann->wg_key, WGD_KEY_LEN);
  memcpy (r->signing_key, ann->signing_key, WGD_KEY_LEN);
  r->has_mesh = decision->binding == WGD_BINDING_CERTIFICATE;
  if (r->has_mesh)
    memcpy (r->mesh_key, ann->certificate.ca_key, WGD_KEY_LEN);
  /* The trust check derived the key already unless a certificate bound
   * it: a derivation costs about as much as the signature check. */
  switch (decision->binding)
    {
    case WGD_BINDING_DERIVED:
      r->derived = TRUE;
      break;
    case WGD_BINDING_CERTIFICATE:
      r->derived = wgd_wg_key_from_signing_key (ann->signing_key, derived)
        && memcmp (derived, ann->wg_key, WGD_KEY_LEN) == 0;
      break;
    case WGD_BINDING_NONE:
    case WGD_BINDING_PINNED:
    case WGD_BINDING_PENDING:
    case WGD_BINDING_COUNT:
      r->derived = FALSE;
      break;
    }
  r->timestamp = ann->timestamp;
  r->expires = ann->timestamp + ann->lifetime;
  r->record = g_bytes_new (ann->record, ann->record_len);
  return r;
}
