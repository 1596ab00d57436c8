/* fuzz-rendezvous.c — libFuzzer target for what the rendezvous server
 * parses off the network and from its configuration. The first byte
 * picks the input: 0, a request line's method and path through the
 * router and the key parser; 1, a PUT body through the acceptance
 * decision under an open and a mesh policy, replay state from the
 * input; 2, the text of rendezvous.conf; 3, a mesh request, "METHOD
 * PATH\nAUTHORIZATION", through the router and the membership check
 * of an open and a mesh server, for the path's key and for the fuzz
 * CA's (the seeds are fuzz-membership's proofs as headers); 4, a
 * Store= value, whose canonical text must parse back to the same
 * location; 5, a message of push across servers (push-message.h), whose
 * record must encode and decode back to itself. */
#include "config.h"

#include "accept.h"
#include "fuzz-common.h"
#include "mesh-access.h"
#include "push-message.h"
#include "rdv-config.h"
#include "route.h"
#include "store-location.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static RdvPolicy *open_policy, *mesh_policy;
static WgdAnnouncement *ann;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (WgdKeyPair) ca = NULL;

  fuzz_init ();
  ca = fuzz_key (FUZZ_SEED_CA);
  open_policy = rdv_policy_new ();
  mesh_policy = rdv_policy_new ();
  rdv_policy_add_mesh (mesh_policy, ca->public_key);
  ann = wgd_announcement_new ();
  return 0;
}

static void
fuzz_route (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  const gchar *space = strchr (text, ' ');
  g_autofree gchar *method = g_strndup (text, space ? (gsize) (space - text) : 0);
  guint8 key[WGD_KEY_LEN];
  RdvCode code;
  RdvRoute route = rdv_route_parse (method, space ? space + 1 : text, key, &code);

  FUZZ_ASSERT (route < RDV_ROUTE_COUNT && code < RDV_CODE_COUNT);
  FUZZ_ASSERT (code != RDV_CODE_OK || route != RDV_ROUTE_OTHER);
}

static void
fuzz_put (const uint8_t *data, size_t size)
{
  RdvDecision d;
  guint8 digest[WGD_KEY_LEN] = { 0 };

  if (!rdv_accept_decode (data, size, ann, &d))
    {
      FUZZ_ASSERT (d.code == RDV_CODE_MALFORMED || d.code == RDV_CODE_TOO_LARGE);
      return;
    }
  for (guint i = 0; i < 2; i++)
    {
      const RdvPolicy *policy = i ? mesh_policy : open_policy;

      rdv_accept_decide (policy, ann, FALSE, 0, digest, FUZZ_NOW, &d);
      FUZZ_ASSERT (d.code < RDV_CODE_COUNT);
      if (d.code == RDV_CODE_OK)
        {
          g_autoptr (RdvStoredRecord) r = rdv_accept_to_stored (ann, &d);

          FUZZ_ASSERT (d.binding == WGD_BINDING_DERIVED || d.binding == WGD_BINDING_CERTIFICATE);
          FUZZ_ASSERT (g_bytes_get_size (r->record) == size);
          /* The same record against its own entry is known; an older
           * one held makes it new, a newer one a replay. */
          rdv_record_digest (r->record, digest);
          rdv_accept_decide (policy, ann, TRUE, ann->timestamp, digest, FUZZ_NOW, &d);
          FUZZ_ASSERT (d.code == RDV_CODE_OK && d.already_known);
          if (ann->timestamp < G_MAXUINT64)
            {
              rdv_accept_decide (policy, ann, TRUE, ann->timestamp + 1, digest, FUZZ_NOW, &d);
              FUZZ_ASSERT (d.code == RDV_CODE_REPLAYED);
            }
          memset (digest, 0, sizeof digest);
        }
    }
}

static void
fuzz_access_one (const RdvPolicy *policy, const gchar *method, const gchar *path,
                 const gchar *authorization, const guint8 mesh_key[WGD_KEY_LEN])
{
  g_autoptr (WgdMembershipCache) cache = wgd_membership_cache_new (2);
  RdvAccess access;

  if (rdv_access_check (policy, "rdv.example.org", method, path, authorization, mesh_key,
                        FUZZ_NOW, cache, &access))
    {
      FUZZ_ASSERT (access.served && access.verdict.reason == WGD_MEMBERSHIP_ACCEPTED);
      /* Good once. */
      FUZZ_ASSERT (!rdv_access_check (policy, "rdv.example.org", method, path, authorization,
                                      mesh_key, FUZZ_NOW, cache, &access));
    }
  FUZZ_ASSERT (access.verdict.reason < WGD_MEMBERSHIP_REASON_COUNT);
  FUZZ_ASSERT (!rdv_access_check (policy, NULL, method, path, authorization, mesh_key, FUZZ_NOW,
                                  cache, &access) && !access.served);
}

static void
fuzz_access (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  gchar *newline = strchr (text, '\n');
  const gchar *authorization = NULL;
  gchar *space;
  guint8 key[WGD_KEY_LEN];
  RdvCode code;
  RdvRoute route;
  g_autoptr (WgdKeyPair) ca = fuzz_key (FUZZ_SEED_CA);

  if (newline != NULL)
    {
      *newline = '\0';
      authorization = newline + 1;
    }
  space = strchr (text, ' ');
  if (space == NULL)
    return;
  *space = '\0';
  route = rdv_route_parse (text, space + 1, key, &code);
  for (guint i = 0; i < 2; i++)
    {
      const RdvPolicy *policy = i ? mesh_policy : open_policy;

      if ((route == RDV_ROUTE_MESH_LIST || route == RDV_ROUTE_MESH_WATCH) && code == RDV_CODE_OK)
        fuzz_access_one (policy, text, space + 1, authorization, key);
      fuzz_access_one (policy, text, space + 1, authorization, ca->public_key);
    }
}

static void
fuzz_config (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RdvConfig) c = rdv_config_load_data ("fuzz.conf", (const gchar *) data, size,
                                                  &error);

  FUZZ_ASSERT ((c == NULL) == (error != NULL));
}

static void
fuzz_store_location (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (RdvStoreLocation) where = rdv_store_location_parse (text, &error);
  g_autoptr (RdvStoreLocation) back = NULL;
  g_autofree gchar *canonical = NULL;

  FUZZ_ASSERT ((where == NULL) == (error != NULL));
  if (where == NULL)
    return;
  canonical = rdv_store_location_to_string (where);
  back = rdv_store_location_parse (canonical, NULL);
  FUZZ_ASSERT (back != NULL && rdv_store_location_equal (where, back));
}

static void
fuzz_push_message (const uint8_t *data, size_t size)
{
  guint8 mesh[WGD_KEY_LEN] = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (RdvStoredRecord) r = rdv_push_message_decode (mesh, data, size, &error);
  g_autoptr (GBytes) message = NULL;
  g_autoptr (RdvStoredRecord) back = NULL;
  gsize len;

  FUZZ_ASSERT ((r == NULL) == (error != NULL));
  if (r == NULL)
    return;
  message = rdv_push_message_encode (r);
  back = rdv_push_message_decode (mesh, g_bytes_get_data (message, &len), len, NULL);
  FUZZ_ASSERT (back != NULL && memcmp (back->wg_key, r->wg_key, WGD_KEY_LEN) == 0
               && back->timestamp == r->timestamp && back->expires == r->expires
               && g_bytes_equal (back->record, r->record));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  switch (data[0] % 6)
    {
    case 5:
      fuzz_push_message (data + 1, size - 1);
      break;
    case 3:
      fuzz_access (data + 1, size - 1);
      break;
    case 0:
      fuzz_route (data + 1, size - 1);
      break;
    case 1:
      fuzz_put (data + 1, size - 1);
      break;
    case 4:
      fuzz_store_location (data + 1, size - 1);
      break;
    default:
      fuzz_config (data + 1, size - 1);
      break;
    }
  return 0;
}
