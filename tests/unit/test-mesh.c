/* test-mesh.c — the mesh-mode decisions of docs/trust-model.md §4: certified peers
 * are added with their certificate's addresses, only members are updated
 * or removed, expiry and revocation remove, and a certificate whose
 * addresses overlap another peer's is refused. */
#include "config.h"

#include <string.h>

#include "mesh.h"
#include "test-util.h"

#define NOW 1700000000

typedef struct {
  WgdKeyPair *ca;
  WgdMesh *mesh;
  WgdDevice *device;
  WgdTrustStore *store;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->ca = test_key_pair (200);
  f->mesh = wgd_mesh_new (f->ca->public_key);
  f->device = wgd_device_new ("wg0");
  f->store = wgd_trust_store_new ();
  wgd_trust_store_add_ca (f->store, f->ca->public_key);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  wgd_key_pair_free (f->ca);
  wgd_mesh_free (f->mesh);
  wgd_device_free (f->device);
  wgd_trust_store_free (f->store);
}

/* A certificate of node n (keys from seed n) for the given prefixes. */
static WgdCertificate *
certify (const WgdKeyPair *ca, guint8 n, guint64 serial, const gchar *const *prefixes)
{
  g_autoptr (WgdKeyPair) id = test_key_pair (n);
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();
  g_autoptr (GError) error = NULL;

  memcpy (cert->signing_key, id->public_key, WGD_KEY_LEN);
  wgd_key_pair_wg_public (id, cert->wg_key);
  g_snprintf (cert->name, sizeof cert->name, "node%u", n);
  cert->serial = serial;
  cert->not_before = NOW - 100;
  cert->not_after = NOW + 100;
  for (; prefixes[cert->n_prefixes] != NULL; cert->n_prefixes++)
    g_assert_true (wgd_prefix_parse (prefixes[cert->n_prefixes],
                                     &cert->prefixes[cert->n_prefixes], NULL));
  g_assert_true (wgd_certificate_sign (cert, ca, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&cert);
}

/* Puts a peer with these allowed-ips on the device, as set_peers would. */
static void
device_add (WgdDevice *device, const guint8 key[WGD_KEY_LEN], const gchar *const *prefixes)
{
  WgdPeer *peer = wgd_peer_new ();

  memcpy (peer->public_key, key, WGD_KEY_LEN);
  for (gsize i = 0; prefixes[i] != NULL; i++)
    {
      WgdPrefix p;

      g_assert_true (wgd_prefix_parse (prefixes[i], &p, NULL));
      g_array_append_val (peer->allowed_ips, p);
    }
  g_ptr_array_add (device->peers, peer);
}

static void
device_remove (WgdDevice *device, const guint8 key[WGD_KEY_LEN])
{
  g_ptr_array_remove (device->peers, wgd_device_find_peer (device, key));
}

static void
test_add_then_nothing (Fixture *f, gconstpointer data)
{
  const gchar *const ips[] = { "10.0.0.1/32", "fd00::1/128", NULL };
  g_autoptr (WgdCertificate) cert = certify (f->ca, 1, 7, ips);
  g_autofree gchar *why = NULL;
  WgdPeerChange change;

  g_assert_cmpint (wgd_mesh_plan_admit (f->mesh, cert, f->device, &change, &why), ==,
                   WGD_MESH_ADD);
  g_assert_cmpmem (change.public_key, WGD_KEY_LEN, cert->wg_key, WGD_KEY_LEN);
  g_assert_cmpint (change.flags, ==, WGD_PEER_ADD_ALLOWED_IPS);
  g_assert_cmpuint (change.n_allowed_ips, ==, 2);
  g_assert_true (change.allowed_ips == cert->prefixes);
  g_assert_false (wgd_mesh_is_member (f->mesh, cert->wg_key));
  wgd_mesh_add_member (f->mesh, cert);
  g_assert_true (wgd_mesh_is_member (f->mesh, cert->wg_key));
  device_add (f->device, cert->wg_key, ips);
  /* Heard again, as it is on the interface: nothing to do. */
  g_assert_cmpint (wgd_mesh_plan_admit (f->mesh, cert, f->device, &change, &why), ==,
                   WGD_MESH_NOTHING);
  g_assert_null (why);
}

static void
test_update_member_only (Fixture *f, gconstpointer data)
{
  const gchar *const old_ips[] = { "10.0.0.1/32", NULL };
  const gchar *const new_ips[] = { "10.0.0.2/32", NULL };
  g_autoptr (WgdCertificate) old_cert = certify (f->ca, 1, 7, old_ips);
  g_autoptr (WgdCertificate) new_cert = certify (f->ca, 1, 8, new_ips);
  g_autoptr (WgdCertificate) other = certify (f->ca, 2, 9, new_ips);
  g_autofree gchar *why = NULL;
  WgdPeerChange change;

  device_add (f->device, old_cert->wg_key, old_ips);
  /* Not ours (an administrator put it there): its allowed-ips stay. */
  g_assert_cmpint (wgd_mesh_plan_admit (f->mesh, new_cert, f->device, &change, &why), ==,
                   WGD_MESH_NOTHING);
  wgd_mesh_add_member (f->mesh, old_cert);
  g_assert_cmpint (wgd_mesh_plan_admit (f->mesh, new_cert, f->device, &change, &why), ==,
                   WGD_MESH_UPDATE);
  g_assert_cmpint (change.flags, ==, WGD_PEER_REPLACE_ALLOWED_IPS);
  g_assert_cmpuint (change.n_allowed_ips, ==, 1);
  /* Another node's certificate is judged on its own key. */
  g_assert_cmpint (wgd_mesh_plan_admit (f->mesh, other, f->device, &change, &why), ==,
                   WGD_MESH_ADD);
}

static void
test_refuse_overlap (Fixture *f, gconstpointer data)
{
  const gchar *const admin_ips[] = { "10.0.0.0/24", NULL };
  const gchar *const inside[] = { "10.0.0.5/32", NULL };
  const gchar *const around[] = { "10.0.0.0/16", NULL };
  const gchar *const beside[] = { "10.0.1.5/32", "fd00::5/128", NULL };
  guint8 admin[WGD_KEY_LEN];
  g_autoptr (WgdCertificate) a = certify (f->ca, 1, 1, inside);
  g_autoptr (WgdCertificate) b = certify (f->ca, 2, 2, around);
  g_autoptr (WgdCertificate) c = certify (f->ca, 3, 3, beside);
  WgdPeerChange change;

  memset (admin, 0x55, sizeof admin);
  device_add (f->device, admin, admin_ips);
  {
    g_autofree gchar *why = NULL;

    g_assert_cmpint (wgd_mesh_plan_admit (f->mesh, a, f->device, &change, &why), ==,
                     WGD_MESH_REFUSE);
    g_assert_nonnull (strstr (why, "10.0.0.5/32 overlaps 10.0.0.0/24"));
  }
  {
    g_autofree gchar *why = NULL;

    g_assert_cmpint (wgd_mesh_plan_admit (f->mesh, b, f->device, &change, &why), ==,
                     WGD_MESH_REFUSE);
    g_assert_nonnull (why);
  }
  {
    g_autofree gchar *why = NULL;

    g_assert_cmpint (wgd_mesh_plan_admit (f->mesh, c, f->device, &change, &why), ==,
                     WGD_MESH_ADD);
    g_assert_null (why);
  }
}

static void
test_removals (Fixture *f, gconstpointer data)
{
  const gchar *const ips1[] = { "10.0.0.1/32", NULL };
  const gchar *const ips2[] = { "10.0.0.2/32", NULL };
  const gchar *const ips3[] = { "10.0.0.3/32", NULL };
  g_autoptr (WgdCertificate) good = certify (f->ca, 1, 1, ips1);
  g_autoptr (WgdCertificate) revoked = certify (f->ca, 2, 2, ips2);
  g_autoptr (WgdCertificate) gone = certify (f->ca, 3, 3, ips3);
  g_autoptr (WgdRevocationList) list = wgd_revocation_list_new ();
  g_autoptr (GArray) removals = NULL;
  guint64 serial = 2;

  device_add (f->device, good->wg_key, ips1);
  device_add (f->device, revoked->wg_key, ips2);
  device_add (f->device, gone->wg_key, ips3);
  wgd_mesh_add_member (f->mesh, good);
  wgd_mesh_add_member (f->mesh, revoked);
  wgd_mesh_add_member (f->mesh, gone);

  removals = wgd_mesh_plan_removals (f->mesh, f->store, f->device, NOW);
  g_assert_cmpuint (removals->len, ==, 0);
  g_clear_pointer (&removals, g_array_unref);

  g_array_append_val (list->serials, serial);
  list->issued = NOW;
  g_assert_true (wgd_revocation_list_sign (list, f->ca, NULL));
  g_assert_true (wgd_trust_store_add_revocations (f->store, list, NULL));
  device_remove (f->device, gone->wg_key);
  removals = wgd_mesh_plan_removals (f->mesh, f->store, f->device, NOW);
  g_assert_cmpuint (removals->len, ==, 2);
  for (guint i = 0; i < removals->len; i++)
    {
      const WgdMeshRemoval *r = &g_array_index (removals, WgdMeshRemoval, i);

      if (memcmp (r->wg_key, revoked->wg_key, WGD_KEY_LEN) == 0)
        {
          g_assert_false (r->gone);
          g_assert_cmpint (r->reason, ==, WGD_REASON_REVOKED);
          g_assert_cmpstr (r->name, ==, "node2");
        }
      else
        {
          g_assert_cmpmem (r->wg_key, WGD_KEY_LEN, gone->wg_key, WGD_KEY_LEN);
          g_assert_true (r->gone);
        }
      wgd_mesh_remove_member (f->mesh, r->wg_key);
    }
  g_clear_pointer (&removals, g_array_unref);

  /* The one left expires at not_after. */
  removals = wgd_mesh_plan_removals (f->mesh, f->store, f->device, good->not_after);
  g_assert_cmpuint (removals->len, ==, 0);
  g_clear_pointer (&removals, g_array_unref);
  removals = wgd_mesh_plan_removals (f->mesh, f->store, f->device, good->not_after + 1);
  g_assert_cmpuint (removals->len, ==, 1);
  g_assert_cmpint (g_array_index (removals, WgdMeshRemoval, 0).reason, ==, WGD_REASON_EXPIRED);
}

static void
test_other_ca (Fixture *f, gconstpointer data)
{
  const gchar *const ips[] = { "10.0.0.1/32", NULL };
  g_autoptr (WgdKeyPair) old_ca = test_key_pair (201);
  g_autoptr (WgdCertificate) cert = certify (old_ca, 1, 1, ips);
  g_autoptr (GArray) removals = NULL;
  g_autoptr (GPtrArray) members = NULL;

  /* A member from state, added when the mesh had another CA. */
  device_add (f->device, cert->wg_key, ips);
  wgd_mesh_add_member (f->mesh, cert);
  members = wgd_mesh_get_members (f->mesh);
  g_assert_cmpuint (members->len, ==, 1);
  removals = wgd_mesh_plan_removals (f->mesh, f->store, f->device, NOW);
  g_assert_cmpuint (removals->len, ==, 1);
  g_assert_cmpint (g_array_index (removals, WgdMeshRemoval, 0).reason, ==,
                   WGD_REASON_WRONG_MESH);
}

static void
test_prefix_overlaps (void)
{
  static const struct {
    const gchar *a, *b;
    gboolean overlaps;
  } cases[] = {
    { "10.0.0.0/8", "10.1.2.3/32", TRUE },
    { "10.1.2.3/32", "10.0.0.0/8", TRUE },
    { "10.0.0.0/24", "10.0.1.0/24", FALSE },
    { "10.0.0.0/23", "10.0.1.0/24", TRUE },
    { "10.0.0.0/25", "10.0.0.128/25", FALSE },
    { "0.0.0.0/0", "192.0.2.1/32", TRUE },
    { "fd00::/8", "fd12::1/128", TRUE },
    { "fd00::1/128", "fd00::2/128", FALSE },
    { "fd00::1/128", "fd00::1/128", TRUE },
    { "10.0.0.0/8", "::/0", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      WgdPrefix a, b;

      g_assert_true (wgd_prefix_parse (cases[i].a, &a, NULL));
      g_assert_true (wgd_prefix_parse (cases[i].b, &b, NULL));
      g_assert_cmpint (wgd_prefix_overlaps (&a, &b), ==, cases[i].overlaps);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/mesh/add-then-nothing", Fixture, NULL, fixture_set_up, test_add_then_nothing,
              fixture_tear_down);
  g_test_add ("/mesh/update-member-only", Fixture, NULL, fixture_set_up,
              test_update_member_only, fixture_tear_down);
  g_test_add ("/mesh/refuse-overlap", Fixture, NULL, fixture_set_up, test_refuse_overlap,
              fixture_tear_down);
  g_test_add ("/mesh/removals", Fixture, NULL, fixture_set_up, test_removals,
              fixture_tear_down);
  g_test_add ("/mesh/other-ca", Fixture, NULL, fixture_set_up, test_other_ca,
              fixture_tear_down);
  g_test_add_func ("/mesh/prefix-overlaps", test_prefix_overlaps);
  return g_test_run ();
}
