/* store.h — where the rendezvous server keeps accepted records: a small
 * interface with two implementations behind it, the embedded SQLite
 * file (store-sqlite.c) and a Redis server several rendezvous servers
 * share (store-redis.c).
 *
 * The store does not verify anything; the server decides first
 * (accept.h) and then asks the store to keep the record, atomically
 * newest-wins, so that two servers racing on one shared store cannot
 * move a key back in time. */
#pragma once

#include <glib.h>

#include "keys.h"
#include "store-location.h"

typedef struct {
  guint8 wg_key[WGD_KEY_LEN];
  guint8 signing_key[WGD_KEY_LEN];
  gboolean has_mesh;
  guint8 mesh_key[WGD_KEY_LEN];   /* the certifying CA, when has_mesh */
  /* The WireGuard key is the one derived from the signing key: only the
   * holder of that key's secret can have signed. Such a record is never
   * displaced by one bound otherwise (a certificate from a CA anyone can
   * make, on an open server). */
  gboolean derived;
  guint64 timestamp;
  guint64 expires;                /* timestamp + lifetime */
  GBytes *record;                 /* the bytes as PUT, signature included */
} RdvStoredRecord;

RdvStoredRecord *rdv_stored_record_new (void);
void rdv_stored_record_free (RdvStoredRecord *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvStoredRecord, rdv_stored_record_free)

typedef enum {
  RDV_PUT_STORED,
  RDV_PUT_ALREADY_KNOWN,          /* this very record is held already */
  RDV_PUT_STALE,                  /* an equal or newer one is held */
  RDV_PUT_KEY_HELD,               /* a derived record holds the key */
  RDV_PUT_SERVER_FULL,            /* a new key, and max_records are held */
  RDV_PUT_MESH_FULL,              /* new to its mesh, which has max_per_mesh */
} RdvPutResult;

/* MaxRecords= and MaxRecordsPerMesh=, decided inside the put, so that
 * servers racing on one store cannot pass them together. Only unexpired
 * records count; a record replacing one of its key in the same mesh
 * takes no room, one moving in from another mesh takes room in its new
 * mesh only. */
typedef struct {
  guint64 max_records;
  guint64 max_per_mesh;
} RdvStoreCaps;

typedef struct _RdvStore RdvStore;

typedef struct {
  /* Keeps r unless the store holds a newer record for its WireGuard key,
   * a newer (or equally new but different) timestamp for its signing
   * key, or a derived record for its WireGuard key while r is not
   * derived, or r does not fit caps; durable when it returns
   * RDV_PUT_STORED. */
  gboolean (*put_if_newer) (RdvStore *store, const RdvStoredRecord *r, const RdvStoreCaps *caps,
                            guint64 now, RdvPutResult *result, GError **error);
  /* *out is NULL when nothing (unexpired at now) is held. */
  gboolean (*get) (RdvStore *store, const guint8 wg_key[WGD_KEY_LEN], guint64 now,
                   RdvStoredRecord **out, GError **error);
  /* The signing key's newest accepted timestamp and record digest. */
  gboolean (*get_signer) (RdvStore *store, const guint8 signing_key[WGD_KEY_LEN],
                          gboolean *found, guint64 *timestamp, guint8 digest[WGD_KEY_LEN],
                          GError **error);
  /* The unexpired records of a mesh, at most limit. */
  gboolean (*list_mesh) (RdvStore *store, const guint8 mesh_key[WGD_KEY_LEN], guint64 now,
                         guint limit, GPtrArray **out, GError **error);
  /* Unexpired records of a mesh (mesh_key) or, with NULL, of all. */
  gboolean (*count) (RdvStore *store, const guint8 *mesh_key, guint64 now, guint64 *out,
                     GError **error);
  gboolean (*purge_expired) (RdvStore *store, guint64 now, guint64 *removed, GError **error);
  /* A token from source's bucket of the fleet (rate a second, at most
   * burst saved up), for stores several servers share; NULL in the
   * others, whose server counts alone (rate-limit.h). */
  gboolean (*take_token) (RdvStore *store, const gchar *source, gdouble rate, gdouble burst,
                          gboolean *taken, guint *retry_after, GError **error);
  /* The fleet's watch slots (MaxWebSockets= and MaxWebSocketsPerSource=
   * across servers), for stores several servers share; NULL in the
   * others, whose server counts its watches alone (watch.h). A slot is
   * leased for lease seconds: refresh_watches renews every slot this
   * store holds, release_watch gives one back, and the slots of a server
   * that died expire with their lease. claim_watch takes a slot when
   * source has fewer than max_per_source and the fleet fewer than max
   * (*claimed, and *slot its id); when it fails it still sets *slot, a
   * slot held here only, which the next refresh claims: the caller
   * releases it unless it keeps the watch on its own count. */
  gboolean (*claim_watch) (RdvStore *store, const gchar *source, guint max, guint max_per_source,
                           guint lease, gboolean *claimed, guint64 *slot, GError **error);
  gboolean (*refresh_watches) (RdvStore *store, guint lease, GError **error);
  /* Best effort: a slot the store could not give back is no longer
   * renewed, and expires with its lease. 0 is no slot. */
  void (*release_watch) (RdvStore *store, guint64 slot);
  void (*close) (RdvStore *store);
} RdvStoreClass;

struct _RdvStore {
  const RdvStoreClass *klass;
};

gboolean rdv_store_put_if_newer (RdvStore *store, const RdvStoredRecord *r,
                                 const RdvStoreCaps *caps, guint64 now, RdvPutResult *result,
                                 GError **error);
gboolean rdv_store_get (RdvStore *store, const guint8 wg_key[WGD_KEY_LEN], guint64 now,
                        RdvStoredRecord **out, GError **error);
gboolean rdv_store_get_signer (RdvStore *store, const guint8 signing_key[WGD_KEY_LEN],
                               gboolean *found, guint64 *timestamp,
                               guint8 digest[WGD_KEY_LEN], GError **error);
gboolean rdv_store_list_mesh (RdvStore *store, const guint8 mesh_key[WGD_KEY_LEN], guint64 now,
                              guint limit, GPtrArray **out, GError **error);
gboolean rdv_store_count (RdvStore *store, const guint8 *mesh_key, guint64 now, guint64 *out,
                          GError **error);
gboolean rdv_store_purge_expired (RdvStore *store, guint64 now, guint64 *removed,
                                  GError **error);
/* Whether the store is shared by several servers: then it keeps the
 * rate limit's buckets (take_token) and the watch slots (claim_watch),
 * and pushes stored records to every server (push-redis.h). */
gboolean rdv_store_is_shared (const RdvStore *store);
gboolean rdv_store_take_token (RdvStore *store, const gchar *source, gdouble rate, gdouble burst,
                               gboolean *taken, guint *retry_after, GError **error);
gboolean rdv_store_claim_watch (RdvStore *store, const gchar *source, guint max,
                                guint max_per_source, guint lease, gboolean *claimed,
                                guint64 *slot, GError **error);
gboolean rdv_store_refresh_watches (RdvStore *store, guint lease, GError **error);
void rdv_store_release_watch (RdvStore *store, guint64 slot);
/* Closes and frees; NULL is fine. */
void rdv_store_close (RdvStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvStore, rdv_store_close)

/* The digest the store keeps per signing key (BLAKE2b-256 of the record),
 * the same the daemon's replay state keeps. */
void rdv_record_digest (GBytes *record, guint8 digest[WGD_KEY_LEN]);

/* store-sqlite.c: STATE_DIR/records.sqlite, created if missing. */
#define RDV_STORE_SQLITE_FILE "records.sqlite"
RdvStore *rdv_store_sqlite_open (const gchar *path, GError **error);

/* store-redis.c: the Redis server at where (a redis or unix location),
 * AUTH with password unless NULL; connected before it returns. */
RdvStore *rdv_store_redis_open (const RdvStoreLocation *where, const gchar *password,
                                GError **error);
