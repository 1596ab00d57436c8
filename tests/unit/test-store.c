/* test-store.c — the store interface, one suite on both stores (the
 * SQLite file, and a redis-server this test starts on a socket of its
 * own, skipped without one): newest-wins by WireGuard key and by
 * signing key, a derived record not displaced by another binding,
 * expiry, counts per mesh, a key moving to another mesh, purge, the
 * caps on records in all and per mesh at their boundary, and
 * everything still there after a close and reopen; then what only
 * SQLite has (its schema version) and what only Redis has (its script
 * cache emptied, the fleet's watch slots).
 *
 * The time is the real one: Redis expires its keys by its own clock. */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <hiredis/hiredis.h>
#include <sodium.h>
#include <sqlite3.h>

#include "clock.h"
#include "store.h"
#include "wgd-error.h"

static guint64 NOW;

/* The redis-server of this test, or why there is none. */
static struct {
  gchar *dir;
  RdvStoreLocation *where;
  GSubprocess *process;
  gchar *missing;
} redis;

typedef struct {
  RdvStoreKind kind;
  gchar *dir;
  gchar *path;
  RdvStore *store;
} Fixture;

static RdvStore *
store_open (Fixture *f, GError **error)
{
  if (f->kind == RDV_STORE_KIND_SQLITE)
    return rdv_store_sqlite_open (f->path, error);
  return rdv_store_redis_open (redis.where, NULL, error);
}

/* A command without arguments of the test's own, answered OK. */
static void
redis_run (const gchar *command)
{
  g_auto (GStrv) argv = g_strsplit (command, " ", -1);
  redisContext *c = redisConnectUnix (redis.where->socket_path);
  redisReply *reply;

  g_assert_true (c != NULL && c->err == 0);
  reply = redisCommandArgv (c, (int) g_strv_length (argv), (const char **) argv, NULL);
  g_assert_true (reply != NULL && reply->type == REDIS_REPLY_STATUS);
  freeReplyObject (reply);
  redisFree (c);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->kind = GPOINTER_TO_UINT (data);
  f->dir = g_dir_make_tmp ("test-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, RDV_STORE_SQLITE_FILE, NULL);
  if (f->kind != RDV_STORE_KIND_SQLITE)
    {
      if (redis.missing != NULL)
        return;
      redis_run ("FLUSHALL");
    }
  f->store = store_open (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autofree gchar *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree gchar *shm = g_strconcat (f->path, "-shm", NULL);

  rdv_store_close (f->store);
  g_unlink (wal);
  g_unlink (shm);
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* Without a redis-server the Redis half is skipped, never passed. */
static gboolean
skipped (Fixture *f)
{
  if (f->store != NULL)
    return FALSE;
  g_test_skip (redis.missing);
  return TRUE;
}

/* What record () makes its bytes of. */
static gchar *
tag_of (const gchar *name, guint64 timestamp)
{
  return g_strdup_printf ("%s-%" G_GUINT64_FORMAT, name, timestamp);
}

/* A record of wg key w and signing key s (bytes filled with those), its
 * bytes telling timestamp and tag apart. */
static RdvStoredRecord *
record (guint8 w, guint8 s, guint64 timestamp, guint32 lifetime, guint8 mesh, gboolean derived,
        const gchar *tag)
{
  RdvStoredRecord *r = rdv_stored_record_new ();

  memset (r->wg_key, w, WGD_KEY_LEN);
  memset (r->signing_key, s, WGD_KEY_LEN);
  r->has_mesh = mesh != 0;
  memset (r->mesh_key, mesh, WGD_KEY_LEN);
  r->derived = derived;
  r->timestamp = timestamp;
  r->expires = timestamp + lifetime;
  r->record = g_bytes_new_take (g_strdup_printf ("%s-%" G_GUINT64_FORMAT, tag, timestamp),
                                strlen (tag) + 11);
  return r;
}

/* Caps no test but test_caps reaches. */
static const RdvStoreCaps roomy = { 1000, 1000 };

static RdvPutResult
put_capped (Fixture *f, RdvStoredRecord *r, const RdvStoreCaps *caps, guint64 now)
{
  g_autoptr (RdvStoredRecord) owned = r;
  g_autoptr (GError) error = NULL;
  RdvPutResult result;

  g_assert_true (rdv_store_put_if_newer (f->store, owned, caps, now, &result, &error));
  g_assert_no_error (error);
  return result;
}

static RdvPutResult
put (Fixture *f, RdvStoredRecord *r)
{
  return put_capped (f, r, &roomy, NOW);
}

/* The tag of the record held for wg key w, or NULL. */
static gchar *
held (Fixture *f, guint8 w, guint64 now)
{
  g_autoptr (RdvStoredRecord) r = NULL;
  g_autoptr (GError) error = NULL;
  guint8 key[WGD_KEY_LEN];

  memset (key, w, WGD_KEY_LEN);
  g_assert_true (rdv_store_get (f->store, key, now, &r, &error));
  g_assert_no_error (error);
  if (r == NULL)
    return NULL;
  return g_strndup (g_bytes_get_data (r->record, NULL), g_bytes_get_size (r->record));
}

static void
reopen (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  rdv_store_close (f->store);
  f->store = store_open (f, &error);
  g_assert_no_error (error);
}

static void
test_newest_wins (Fixture *f, gconstpointer data)
{
  g_autofree gchar *a = NULL;
  g_autofree gchar *b = NULL;
  g_autofree gchar *want_a = tag_of ("a", NOW);
  g_autofree gchar *want_b = tag_of ("b", NOW + 5);

  if (skipped (f))
    return;
  g_assert_cmpint (put (f, record (1, 1, NOW, 600, 0, TRUE, "a")), ==, RDV_PUT_STORED);
  g_assert_cmpint (put (f, record (1, 1, NOW, 600, 0, TRUE, "a")), ==, RDV_PUT_ALREADY_KNOWN);
  /* Same time, other bytes: a replay of a different record. */
  g_assert_cmpint (put (f, record (1, 1, NOW, 600, 0, TRUE, "x")), ==, RDV_PUT_STALE);
  g_assert_cmpint (put (f, record (1, 1, NOW - 1, 600, 0, TRUE, "old")), ==, RDV_PUT_STALE);
  a = held (f, 1, NOW);
  g_assert_cmpstr (a, ==, want_a);
  g_assert_cmpint (put (f, record (1, 1, NOW + 5, 600, 0, TRUE, "b")), ==, RDV_PUT_STORED);
  b = held (f, 1, NOW);
  g_assert_cmpstr (b, ==, want_b);
}

static void
test_signing_key_remembered (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint8 key[WGD_KEY_LEN], digest[WGD_KEY_LEN];
  gboolean found;
  guint64 ts = 0;

  if (skipped (f))
    return;
  /* The signing key moves to another WireGuard key; its old record
   * under the first key can no longer come back. */
  g_assert_cmpint (put (f, record (1, 7, NOW, 600, 0, FALSE, "a")), ==, RDV_PUT_STORED);
  g_assert_cmpint (put (f, record (2, 7, NOW + 1, 600, 0, FALSE, "b")), ==, RDV_PUT_STORED);
  g_assert_cmpint (put (f, record (3, 7, NOW, 600, 0, FALSE, "c")), ==, RDV_PUT_STALE);
  memset (key, 7, WGD_KEY_LEN);
  g_assert_true (rdv_store_get_signer (f->store, key, &found, &ts, digest, &error));
  g_assert_true (found);
  g_assert_cmpuint (ts, ==, NOW + 1);
  memset (key, 8, WGD_KEY_LEN);
  g_assert_true (rdv_store_get_signer (f->store, key, &found, &ts, digest, &error));
  g_assert_false (found);
}

static void
test_other_signer_newest_wins (Fixture *f, gconstpointer data)
{
  g_autofree gchar *b = NULL;
  g_autofree gchar *want = tag_of ("b", NOW + 1);

  if (skipped (f))
    return;
  g_assert_cmpint (put (f, record (1, 1, NOW, 600, 5, FALSE, "a")), ==, RDV_PUT_STORED);
  g_assert_cmpint (put (f, record (1, 2, NOW, 600, 5, FALSE, "x")), ==, RDV_PUT_STALE);
  g_assert_cmpint (put (f, record (1, 2, NOW + 1, 600, 5, FALSE, "b")), ==, RDV_PUT_STORED);
  b = held (f, 1, NOW);
  g_assert_cmpstr (b, ==, want);
}

static void
test_derived_held (Fixture *f, gconstpointer data)
{
  g_autofree gchar *a = NULL;
  g_autofree gchar *want = tag_of ("a", NOW);

  if (skipped (f))
    return;
  g_assert_cmpint (put (f, record (1, 1, NOW, 600, 0, TRUE, "a")), ==, RDV_PUT_STORED);
  g_assert_cmpint (put (f, record (1, 2, NOW + 9, 600, 5, FALSE, "x")), ==, RDV_PUT_KEY_HELD);
  a = held (f, 1, NOW);
  g_assert_cmpstr (a, ==, want);
  /* Once the derived record expired, the key is free again. */
  g_assert_cmpint (put (f, record (2, 3, NOW - 600, 600, 0, TRUE, "e")), ==, RDV_PUT_STORED);
  g_assert_cmpint (put (f, record (2, 4, NOW, 600, 5, FALSE, "f")), ==, RDV_PUT_STORED);
}

static void
test_expiry_and_purge (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *before = NULL;
  g_autofree gchar *at = NULL;
  g_autofree gchar *want = tag_of ("b", NOW);
  guint64 n = 0, removed = 0;

  if (skipped (f))
    return;
  g_assert_cmpint (put (f, record (1, 1, NOW, 600, 0, TRUE, "a")), ==, RDV_PUT_STORED);
  g_assert_cmpint (put (f, record (2, 2, NOW, 60, 0, TRUE, "b")), ==, RDV_PUT_STORED);
  before = held (f, 2, NOW + 59);
  g_assert_cmpstr (before, ==, want);
  at = held (f, 2, NOW + 60);
  g_assert_null (at);
  g_assert_true (rdv_store_count (f->store, NULL, NOW + 60, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (rdv_store_purge_expired (f->store, NOW + 60, &removed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 1);
  g_assert_true (rdv_store_count (f->store, NULL, NOW, &n, &error));
  g_assert_cmpuint (n, ==, 1);
}

static void
test_mesh_count_and_list (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  guint8 mesh[WGD_KEY_LEN];
  guint64 n = 0;

  if (skipped (f))
    return;
  memset (mesh, 5, WGD_KEY_LEN);
  for (guint8 i = 1; i <= 4; i++)
    g_assert_cmpint (put (f, record (i, i, NOW, 600, i <= 3 ? 5 : 6, FALSE, "m")), ==,
                     RDV_PUT_STORED);
  g_assert_true (rdv_store_count (f->store, mesh, NOW, &n, &error));
  g_assert_cmpuint (n, ==, 3);
  g_assert_true (rdv_store_list_mesh (f->store, mesh, NOW, 2, &list, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  for (guint i = 0; i < list->len; i++)
    {
      const RdvStoredRecord *r = g_ptr_array_index (list, i);

      g_assert_true (r->has_mesh);
      g_assert_cmpmem (r->mesh_key, WGD_KEY_LEN, mesh, WGD_KEY_LEN);
    }
}

/* A key whose newer record is of another mesh leaves the first one's
 * listing and count. */
static void
test_mesh_move (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) five = NULL;
  g_autoptr (GPtrArray) six = NULL;
  guint8 mesh5[WGD_KEY_LEN], mesh6[WGD_KEY_LEN];
  guint64 n5 = 9, n6 = 0;

  if (skipped (f))
    return;
  memset (mesh5, 5, WGD_KEY_LEN);
  memset (mesh6, 6, WGD_KEY_LEN);
  g_assert_cmpint (put (f, record (1, 1, NOW, 600, 5, FALSE, "a")), ==, RDV_PUT_STORED);
  g_assert_cmpint (put (f, record (1, 1, NOW + 1, 600, 6, FALSE, "b")), ==, RDV_PUT_STORED);
  g_assert_true (rdv_store_count (f->store, mesh5, NOW, &n5, &error));
  g_assert_true (rdv_store_count (f->store, mesh6, NOW, &n6, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n5, ==, 0);
  g_assert_cmpuint (n6, ==, 1);
  g_assert_true (rdv_store_list_mesh (f->store, mesh5, NOW, 10, &five, &error));
  g_assert_true (rdv_store_list_mesh (f->store, mesh6, NOW, 10, &six, &error));
  g_assert_cmpuint (five->len, ==, 0);
  g_assert_cmpuint (six->len, ==, 1);
}

static guint64
count (Fixture *f, guint8 mesh, guint64 now)
{
  g_autoptr (GError) error = NULL;
  guint8 key[WGD_KEY_LEN];
  guint64 n = 0;

  memset (key, mesh, WGD_KEY_LEN);
  g_assert_true (rdv_store_count (f->store, mesh ? key : NULL, now, &n, &error));
  g_assert_no_error (error);
  return n;
}

/* At most 3 records in all and 2 per mesh, decided in the put. */
static void
test_caps (Fixture *f, gconstpointer data)
{
  const RdvStoreCaps caps = { 3, 2 };
  g_autofree gchar *refused = NULL;

  if (skipped (f))
    return;
  /* Mesh 5 holds two: a third key is refused, a newer record of one of
   * the two is not. */
  g_assert_cmpint (put_capped (f, record (1, 1, NOW, 600, 5, FALSE, "a"), &caps, NOW), ==,
                   RDV_PUT_STORED);
  g_assert_cmpint (put_capped (f, record (2, 2, NOW, 600, 5, FALSE, "a"), &caps, NOW), ==,
                   RDV_PUT_STORED);
  g_assert_cmpint (put_capped (f, record (3, 3, NOW, 600, 5, FALSE, "a"), &caps, NOW), ==,
                   RDV_PUT_MESH_FULL);
  refused = held (f, 3, NOW);
  g_assert_null (refused);
  g_assert_cmpint (put_capped (f, record (1, 1, NOW + 1, 600, 5, FALSE, "b"), &caps, NOW), ==,
                   RDV_PUT_STORED);
  g_assert_cmpuint (count (f, 5, NOW), ==, 2);
  /* Three in all: a new key is refused in another mesh or in none. */
  g_assert_cmpint (put_capped (f, record (3, 3, NOW, 600, 6, FALSE, "a"), &caps, NOW), ==,
                   RDV_PUT_STORED);
  g_assert_cmpint (put_capped (f, record (4, 4, NOW, 600, 0, FALSE, "a"), &caps, NOW), ==,
                   RDV_PUT_SERVER_FULL);
  g_assert_cmpint (put_capped (f, record (4, 4, NOW, 600, 7, FALSE, "a"), &caps, NOW), ==,
                   RDV_PUT_SERVER_FULL);
  g_assert_cmpuint (count (f, 0, NOW), ==, 3);
  /* A key moving to another mesh takes room there only, not in all. */
  g_assert_cmpint (put_capped (f, record (1, 1, NOW + 2, 600, 6, FALSE, "c"), &caps, NOW), ==,
                   RDV_PUT_STORED);
  g_assert_cmpint (put_capped (f, record (2, 2, NOW + 1, 600, 6, FALSE, "d"), &caps, NOW), ==,
                   RDV_PUT_MESH_FULL);
  g_assert_cmpuint (count (f, 6, NOW), ==, 2);
  g_assert_cmpuint (count (f, 5, NOW), ==, 1);
  /* A replay at a cap is refused as one. */
  g_assert_cmpint (put_capped (f, record (2, 2, NOW - 1, 600, 6, FALSE, "e"), &caps, NOW), ==,
                   RDV_PUT_STALE);
  /* Expired records take no room: at NOW + 601 only key 1's (until
   * NOW + 602) is left. */
  g_assert_cmpint (put_capped (f, record (4, 4, NOW + 1, 1200, 6, FALSE, "f"), &caps, NOW + 601),
                   ==, RDV_PUT_STORED);
  g_assert_cmpint (put_capped (f, record (5, 5, NOW + 1, 1200, 6, FALSE, "f"), &caps, NOW + 601),
                   ==, RDV_PUT_MESH_FULL);
  g_assert_cmpint (put_capped (f, record (5, 5, NOW + 1, 1200, 0, FALSE, "f"), &caps, NOW + 601),
                   ==, RDV_PUT_STORED);
  g_assert_cmpint (put_capped (f, record (6, 6, NOW + 1, 1200, 0, FALSE, "f"), &caps, NOW + 601),
                   ==, RDV_PUT_SERVER_FULL);
}

/* Redis without the scripts (restarted, or flushed): EVALSHA's NOSCRIPT
 * is answered by EVAL, and the next call finds them again. */
static void
test_scripts_flushed (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  guint8 mesh[WGD_KEY_LEN];

  if (skipped (f))
    return;
  memset (mesh, 5, WGD_KEY_LEN);
  /* The store's scripts are cached by Redis until a restart or this. */
  redis_run ("SCRIPT FLUSH");
  g_assert_cmpint (put (f, record (1, 1, NOW, 600, 5, FALSE, "a")), ==, RDV_PUT_STORED);
  redis_run ("SCRIPT FLUSH");
  g_assert_true (rdv_store_list_mesh (f->store, mesh, NOW, 10, &list, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpint (put (f, record (1, 1, NOW + 1, 600, 5, FALSE, "b")), ==, RDV_PUT_STORED);
}

static gboolean
claim (RdvStore *store, const gchar *source, guint64 *slot)
{
  g_autoptr (GError) error = NULL;
  gboolean claimed = FALSE;

  g_assert_true (rdv_store_claim_watch (store, source, 3, 2, 60, &claimed, slot, &error));
  g_assert_no_error (error);
  g_assert_true (claimed == (*slot != 0));
  return claimed;
}

/* Two stores (two servers) on one Redis share 3 slots in all and 2 per
 * source; a slot given back, or every slot of a store closed, is free
 * again at once. */
static void
test_watch_slots (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RdvStore) other = NULL;
  guint64 a1, a2, a3, b1, b2;

  if (skipped (f))
    return;
  other = store_open (f, &error);
  g_assert_no_error (error);
  g_assert_true (claim (f->store, "192.0.2.1", &a1));
  g_assert_true (claim (other, "192.0.2.1", &a2));
  g_assert_false (claim (f->store, "192.0.2.1", &a3));
  g_assert_false (claim (other, "192.0.2.1", &a3));
  g_assert_true (claim (other, "192.0.2.2", &b1));
  /* 3 in all now. */
  g_assert_false (claim (f->store, "192.0.2.3", &b2));
  g_assert_true (rdv_store_refresh_watches (f->store, 60, &error));
  g_assert_true (rdv_store_refresh_watches (other, 60, &error));
  g_assert_no_error (error);
  g_assert_false (claim (f->store, "192.0.2.3", &b2));
  rdv_store_release_watch (f->store, a1);
  g_assert_true (claim (f->store, "192.0.2.1", &a3));
  g_assert_false (claim (other, "192.0.2.2", &b2));
  g_clear_pointer (&other, rdv_store_close);
  g_assert_true (claim (f->store, "192.0.2.2", &b2));
  g_assert_true (claim (f->store, "192.0.2.1", &a1));
}

/* A lease ends by itself: a store that never renews (a server killed)
 * holds its slot for the lease only. */
static void
test_watch_lease (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean claimed = FALSE;
  guint64 slot = 0;

  if (skipped (f))
    return;
  g_assert_true (rdv_store_claim_watch (f->store, "192.0.2.1", 10, 1, 1, &claimed, &slot, &error));
  g_assert_true (claimed);
  g_assert_true (rdv_store_claim_watch (f->store, "192.0.2.1", 10, 1, 1, &claimed, &slot, &error));
  g_assert_false (claimed);
  for (guint i = 0; i < 100 && !claimed; i++)
    {
      g_usleep (50000);
      g_assert_true (rdv_store_claim_watch (f->store, "192.0.2.1", 10, 1, 1, &claimed, &slot,
                                            &error));
    }
  g_assert_no_error (error);
  g_assert_true (claimed);
}

static void
test_reopen (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RdvStoredRecord) r = NULL;
  g_autofree gchar *a = NULL;
  g_autofree gchar *want = tag_of ("a", NOW);
  guint8 key[WGD_KEY_LEN];

  if (skipped (f))
    return;
  g_assert_cmpint (put (f, record (1, 1, NOW, 600, 5, TRUE, "a")), ==, RDV_PUT_STORED);
  reopen (f);
  a = held (f, 1, NOW);
  g_assert_cmpstr (a, ==, want);
  memset (key, 1, WGD_KEY_LEN);
  g_assert_true (rdv_store_get (f->store, key, NOW, &r, &error));
  g_assert_true (r->has_mesh && r->derived);
  g_assert_cmpuint (r->expires, ==, NOW + 600);
  /* The signing key's newest time survived too. */
  g_assert_cmpint (put (f, record (1, 1, NOW - 1, 600, 5, TRUE, "old")), ==, RDV_PUT_STALE);
}

static void
set_user_version (const gchar *path, int version)
{
  g_autofree gchar *sql = g_strdup_printf ("PRAGMA user_version = %d", version);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_schema_version (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  RdvStore *store;

  rdv_store_close (f->store);
  /* A file of another version is refused, not rewritten. */
  set_user_version (f->path, 99);
  store = rdv_store_sqlite_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  g_clear_error (&error);
  set_user_version (f->path, 1);
  f->store = rdv_store_sqlite_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static void
test_not_a_database (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("test-store-XXXXXX", &error);
  g_autofree gchar *path = g_build_filename (dir, "garbage", NULL);
  RdvStore *store;

  g_assert_true (g_file_set_contents (path, "this is no database, but long enough to look at it"
                                      " and find no SQLite header in its first hundred bytes....",
                                      -1, &error));
  store = rdv_store_sqlite_open (path, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
  g_unlink (path);
  g_rmdir (dir);
}

/* A redis-server on a socket in a directory of its own, configured for
 * durability as the README says (the store warns otherwise, and a
 * warning fails the test); redis.missing says why there is none. */
static void
redis_start (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *socket_path = NULL;

  redis.dir = g_dir_make_tmp ("test-store-redis-XXXXXX", &error);
  g_assert_no_error (error);
  socket_path = g_build_filename (redis.dir, "sock", NULL);
  redis.process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "redis-server",
                                    "--port", "0", "--unixsocket", socket_path, "--dir",
                                    redis.dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                                    NULL);
  if (redis.process == NULL)
    {
      redis.missing = g_strdup_printf ("redis-server: %s (install the Debian package "
                                       "redis-server)", error->message);
      return;
    }
  redis.where = rdv_store_location_new ();
  redis.where->kind = RDV_STORE_KIND_REDIS_UNIX;
  redis.where->socket_path = g_steal_pointer (&socket_path);
  for (guint i = 0; i < 200; i++)
    {
      redisContext *c = redisConnectUnix (redis.where->socket_path);
      gboolean up = c != NULL && c->err == 0;

      redisFree (c);
      if (up)
        return;
      g_usleep (25000);
    }
  g_error ("redis-server did not open %s", redis.where->socket_path);
}

static void
remove_tree (const gchar *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
redis_stop (void)
{
  if (redis.process != NULL)
    {
      g_subprocess_force_exit (redis.process);
      g_subprocess_wait (redis.process, NULL, NULL);
      g_clear_object (&redis.process);
    }
  g_clear_pointer (&redis.where, rdv_store_location_free);
  g_clear_pointer (&redis.missing, g_free);
  if (redis.dir != NULL)
    remove_tree (redis.dir);
  g_clear_pointer (&redis.dir, g_free);
}

int
main (int argc, char **argv)
{
  const struct {
    const gchar *name;
    void (*func) (Fixture *f, gconstpointer data);
  } both[] = {
    { "newest-wins", test_newest_wins },
    { "signing-key-remembered", test_signing_key_remembered },
    { "other-signer-newest-wins", test_other_signer_newest_wins },
    { "derived-held", test_derived_held },
    { "expiry-and-purge", test_expiry_and_purge },
    { "mesh-count-and-list", test_mesh_count_and_list },
    { "mesh-move", test_mesh_move },
    { "caps", test_caps },
    { "reopen", test_reopen },
  };
  const RdvStoreKind kinds[] = { RDV_STORE_KIND_SQLITE, RDV_STORE_KIND_REDIS_UNIX };
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  NOW = wgd_clock_now ();
  redis_start ();
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (gsize i = 0; i < G_N_ELEMENTS (both); i++)
      {
        g_autofree gchar *path = g_strdup_printf ("/store/%s/%s",
                                                  k == 0 ? "sqlite" : "redis", both[i].name);

        g_test_add (path, Fixture, GUINT_TO_POINTER (kinds[k]), fixture_set_up, both[i].func,
                    fixture_tear_down);
      }
  g_test_add ("/store/sqlite/schema-version", Fixture, GUINT_TO_POINTER (RDV_STORE_KIND_SQLITE),
              fixture_set_up, test_schema_version, fixture_tear_down);
  g_test_add_func ("/store/sqlite/not-a-database", test_not_a_database);
  g_test_add ("/store/redis/scripts-flushed", Fixture,
              GUINT_TO_POINTER (RDV_STORE_KIND_REDIS_UNIX), fixture_set_up, test_scripts_flushed,
              fixture_tear_down);
  g_test_add ("/store/redis/watch-slots", Fixture, GUINT_TO_POINTER (RDV_STORE_KIND_REDIS_UNIX),
              fixture_set_up, test_watch_slots, fixture_tear_down);
  g_test_add ("/store/redis/watch-lease", Fixture, GUINT_TO_POINTER (RDV_STORE_KIND_REDIS_UNIX),
              fixture_set_up, test_watch_lease, fixture_tear_down);
  status = g_test_run ();
  redis_stop ();
  return status;
}
