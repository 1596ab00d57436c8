/* mesh.c — which certified peers a mesh-mode interface adds and removes
 * (see mesh.h). */
#include "config.h"

#include <string.h>

#include "base64.h"
#include "mesh.h"

struct _WgdMesh {
  guint8 ca_key[WGD_KEY_LEN];
  GHashTable *members;          /* GBytes wg key → WgdCertificate */
};

WgdMesh *
wgd_mesh_new (const guint8 ca_key[WGD_KEY_LEN])
{
  WgdMesh *mesh = g_new0 (WgdMesh, 1);

  memcpy (mesh->ca_key, ca_key, WGD_KEY_LEN);
  mesh->members = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                         (GDestroyNotify) g_bytes_unref,
                                         (GDestroyNotify) wgd_certificate_free);
  return mesh;
}

void
wgd_mesh_free (WgdMesh *mesh)
{
  if (mesh == NULL)
    return;
  g_hash_table_unref (mesh->members);
  g_free (mesh);
}

static gboolean
same_prefixes (const WgdPrefix *a, gsize n_a, const GArray *b)
{
  if (b == NULL || n_a != b->len)
    return FALSE;
  for (gsize i = 0; i < n_a; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < b->len && !found; j++)
        {
          const WgdPrefix *p = &g_array_index (b, WgdPrefix, j);

          found = p->family == a[i].family && p->length == a[i].length
                  && memcmp (p->address, a[i].address, sizeof p->address) == 0;
        }
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* The first allowed-ip of another peer that one of cert's prefixes
 * overlaps, as a sentence; NULL if none. */
static gchar *
find_overlap (const WgdCertificate *cert, const WgdDevice *device)
{
  for (guint p = 0; p < device->peers->len; p++)
    {
      const WgdPeer *peer = g_ptr_array_index (device->peers, p);

      if (memcmp (peer->public_key, cert->wg_key, WGD_KEY_LEN) == 0 || peer->allowed_ips == NULL)
        continue;
      for (gsize i = 0; i < cert->n_prefixes; i++)
        for (guint j = 0; j < peer->allowed_ips->len; j++)
          {
            const WgdPrefix *held = &g_array_index (peer->allowed_ips, WgdPrefix, j);

            if (wgd_prefix_overlaps (&cert->prefixes[i], held))
              {
                g_autofree gchar *mine = wgd_prefix_to_string (&cert->prefixes[i]);
                g_autofree gchar *theirs = wgd_prefix_to_string (held);
                g_autofree gchar *key = wgd_key_to_base64 (peer->public_key);

                return g_strdup_printf ("its address %s overlaps %s of peer %s", mine, theirs,
                                        key);
              }
          }
    }
  return NULL;
}

WgdMeshAction
wgd_mesh_plan_admit (const WgdMesh *mesh, const WgdCertificate *cert, const WgdDevice *device,
                     WgdPeerChange *change, gchar **why)
{
  const WgdPeer *current = wgd_device_find_peer (device, cert->wg_key);
  gboolean member = wgd_mesh_is_member (mesh, cert->wg_key);
  WgdMeshAction action;

  /* Someone else's peer: its endpoint may be set, nothing more. */
  if (current != NULL && !member)
    return WGD_MESH_NOTHING;
  if (current != NULL && same_prefixes (cert->prefixes, cert->n_prefixes, current->allowed_ips))
    return WGD_MESH_NOTHING;
  if ((*why = find_overlap (cert, device)) != NULL)
    return WGD_MESH_REFUSE;
  memset (change, 0, sizeof *change);
  memcpy (change->public_key, cert->wg_key, WGD_KEY_LEN);
  change->allowed_ips = cert->prefixes;
  change->n_allowed_ips = cert->n_prefixes;
  if (current == NULL)
    {
      change->flags = WGD_PEER_ADD_ALLOWED_IPS;
      action = WGD_MESH_ADD;
    }
  else
    {
      change->flags = WGD_PEER_REPLACE_ALLOWED_IPS;
      action = WGD_MESH_UPDATE;
    }
  return action;
}

void
wgd_mesh_add_member (WgdMesh *mesh, const WgdCertificate *cert)
{
  g_hash_table_replace (mesh->members, g_bytes_new (cert->wg_key, WGD_KEY_LEN),
                        g_memdup2 (cert, sizeof *cert));
}

gboolean
wgd_mesh_is_member (const WgdMesh *mesh, const guint8 wg_key[WGD_KEY_LEN])
{
  g_autoptr (GBytes) key = g_bytes_new (wg_key, WGD_KEY_LEN);

  return g_hash_table_contains (mesh->members, key);
}

void
wgd_mesh_remove_member (WgdMesh *mesh, const guint8 wg_key[WGD_KEY_LEN])
{
  g_autoptr (GBytes) key = g_bytes_new (wg_key, WGD_KEY_LEN);

  g_hash_table_remove (mesh->members, key);
}

GArray *
wgd_mesh_plan_removals (const WgdMesh *mesh, const WgdTrustStore *store, const WgdDevice *device,
                        guint64 now)
{
  GArray *removals = g_array_new (FALSE, TRUE, sizeof (WgdMeshRemoval));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, mesh->members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const WgdCertificate *cert = value;
      WgdMeshRemoval r = { .reason = WGD_REASON_NONE };

      if (wgd_device_find_peer (device, cert->wg_key) == NULL)
        r.gone = TRUE;
      /* Added under a CA the configuration no longer names. */
      else if (memcmp (cert->ca_key, mesh->ca_key, WGD_KEY_LEN) != 0)
        r.reason = WGD_REASON_WRONG_MESH;
      else if (wgd_trust_store_is_revoked (store, cert->ca_key, cert->serial))
        r.reason = WGD_REASON_REVOKED;
      else if (now > cert->not_after)
        r.reason = WGD_REASON_EXPIRED;
      else
        continue;
      memcpy (r.wg_key, cert->wg_key, WGD_KEY_LEN);
      g_strlcpy (r.name, cert->name, sizeof r.name);
      g_array_append_val (removals, r);
    }
  return removals;
}

GPtrArray *
wgd_mesh_get_members (const WgdMesh *mesh)
{
  GPtrArray *certs = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, mesh->members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (certs, value);
  return certs;
}
