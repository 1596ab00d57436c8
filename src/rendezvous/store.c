/* store.c — the store interface's dispatch and the record type every
 * implementation shares. */
#include "config.h"

#include <sodium.h>

#include "store.h"

RdvStoredRecord *
rdv_stored_record_new (void)
{
  return g_new0 (RdvStoredRecord, 1);
}

void
rdv_stored_record_free (RdvStoredRecord *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->record, g_bytes_unref);
  g_free (r);
}

void
rdv_record_digest (GBytes *record, guint8 digest[WGD_KEY_LEN])
{
  gsize len;
  const guint8 *data = g_bytes_get_data (record, &len);

  crypto_generichash (digest, WGD_KEY_LEN, data, len, NULL, 0);
}

gboolean
rdv_store_put_if_newer (RdvStore *store, const RdvStoredRecord *r, const RdvStoreCaps *caps,
                        guint64 now, RdvPutResult *result, GError **error)
{
  return store->klass->put_if_newer (store, r, caps, now, result, error);
}

gboolean
rdv_store_get (RdvStore *store, const guint8 wg_key[WGD_KEY_LEN], guint64 now,
               RdvStoredRecord **out, GError **error)
{
  return store->klass->get (store, wg_key, now, out, error);
}

gboolean
rdv_store_get_signer (RdvStore *store, const guint8 signing_key[WGD_KEY_LEN], gboolean *found,
                      guint64 *timestamp, guint8 digest[WGD_KEY_LEN], GError **error)
{
  return store->klass->get_signer (store, signing_key, found, timestamp, digest, error);
}

gboolean
rdv_store_list_mesh (RdvStore *store, const guint8 mesh_key[WGD_KEY_LEN], guint64 now,
                     guint limit, GPtrArray **out, GError **error)
{
  return store->klass->list_mesh (store, mesh_key, now, limit, out, error);
}

gboolean
rdv_store_count (RdvStore *store, const guint8 *mesh_key, guint64 now, guint64 *out,
                 GError **error)
{
  return store->klass->count (store, mesh_key, now, out, error);
}

gboolean
rdv_store_purge_expired (RdvStore *store, guint64 now, guint64 *removed, GError **error)
{
  return store->klass->purge_expired (store, now, removed, error);
}

gboolean
rdv_store_is_shared (const RdvStore *store)
{
  return store->klass->take_token != NULL;
}

gboolean
rdv_store_take_token (RdvStore *store, const gchar *source, gdouble rate, gdouble burst,
                      gboolean *taken, guint *retry_after, GError **error)
{
  g_return_val_if_fail (rdv_store_is_shared (store), FALSE);
  return store->klass->take_token (store, source, rate, burst, taken, retry_after, error);
}

gboolean
rdv_store_claim_watch (RdvStore *store, const gchar *source, guint max, guint max_per_source,
                       guint lease, gboolean *claimed, guint64 *slot, GError **error)
{
  g_return_val_if_fail (rdv_store_is_shared (store), FALSE);
  return store->klass->claim_watch (store, source, max, max_per_source, lease, claimed, slot,
                                    error);
}

gboolean
rdv_store_refresh_watches (RdvStore *store, guint lease, GError **error)
{
  g_return_val_if_fail (rdv_store_is_shared (store), FALSE);
  return store->klass->refresh_watches (store, lease, error);
}

void
rdv_store_release_watch (RdvStore *store, guint64 slot)
{
  g_return_if_fail (rdv_store_is_shared (store));
  if (slot != 0)
    store->klass->release_watch (store, slot);
}

void
rdv_store_close (RdvStore *store)
{
  if (store != NULL)
    store->klass->close (store);
}
