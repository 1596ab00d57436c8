/* store-sqlite.c — the embedded store: one SQLite file in the server's
 * state directory.
 *
 * Durability: WAL mode with synchronous=FULL, so the commit of a PUT is
 * fsync()ed to the write-ahead log before put_if_newer returns, and the
 * server answers 200 only after that. NORMAL would survive a crash of the
 * server process but could lose the last commits on a power failure or
 * kernel crash; an accepted record must survive both, and one fsync per
 * accepted PUT is what that costs.
 *
 * Newest-wins and the caps are one IMMEDIATE transaction (the write lock
 * taken at BEGIN), so a second process on the same file cannot
 * interleave. */
#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "store.h"
#include "wgd-error.h"

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 5000

typedef enum {
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_SIGNER_GET,
  STMT_SIGNER_PUT,
  STMT_RECORD_HELD,
  STMT_RECORD_PUT,
  STMT_RECORD_GET,
  STMT_LIST_MESH,
  STMT_COUNT_MESH,
  STMT_COUNT_ALL,
  STMT_PURGE_RECORDS,
  STMT_PURGE_SIGNERS,
  STMT_COUNT,
} Stmt;

static const gchar *const stmt_sql[STMT_COUNT] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_SIGNER_GET] = "SELECT timestamp, digest FROM signers WHERE signing_key = ?1",
  /* The signer's row outlives every record it vouched for: its expiry
   * is the latest of theirs. */
  [STMT_SIGNER_PUT] = "INSERT INTO signers (signing_key, timestamp, digest, expires) "
                      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (signing_key) DO UPDATE SET "
                      "timestamp = excluded.timestamp, digest = excluded.digest, "
                      "expires = max(expires, excluded.expires)",
  [STMT_RECORD_HELD] = "SELECT timestamp, derived, mesh_key FROM records "
                       "WHERE wg_key = ?1 AND expires > ?2",
  [STMT_RECORD_PUT] = "INSERT OR REPLACE INTO records "
                      "(wg_key, signing_key, mesh_key, derived, timestamp, expires, record) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
  [STMT_RECORD_GET] = "SELECT wg_key, signing_key, mesh_key, derived, timestamp, expires, record "
                      "FROM records WHERE wg_key = ?1 AND expires > ?2",
  [STMT_LIST_MESH] = "SELECT wg_key, signing_key, mesh_key, derived, timestamp, expires, record "
                     "FROM records WHERE mesh_key = ?1 AND expires > ?2 "
                     "ORDER BY wg_key LIMIT ?3",
  [STMT_COUNT_MESH] = "SELECT count(*) FROM records WHERE mesh_key = ?1 AND expires > ?2",
  [STMT_COUNT_ALL] = "SELECT count(*) FROM records WHERE expires > ?1",
  [STMT_PURGE_RECORDS] = "DELETE FROM records WHERE expires <= ?1",
  [STMT_PURGE_SIGNERS] = "DELETE FROM signers WHERE expires <= ?1",
};

static const gchar schema_sql[] =
  "CREATE TABLE records ("
  "  wg_key BLOB PRIMARY KEY NOT NULL,"
  "  signing_key BLOB NOT NULL,"
  "  mesh_key BLOB,"
  "  derived INTEGER NOT NULL,"
  "  timestamp INTEGER NOT NULL,"
  "  expires INTEGER NOT NULL,"
  "  record BLOB NOT NULL) WITHOUT ROWID;"
  "CREATE INDEX records_mesh ON records (mesh_key, expires);"
  "CREATE INDEX records_expires ON records (expires);"
  "CREATE TABLE signers ("
  "  signing_key BLOB PRIMARY KEY NOT NULL,"
  "  timestamp INTEGER NOT NULL,"
  "  digest BLOB NOT NULL,"
  "  expires INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE INDEX signers_expires ON signers (expires);"
  "PRAGMA user_version = 1;";

typedef struct {
  RdvStore parent;
  gchar *path;
  sqlite3 *db;
  sqlite3_stmt *stmts[STMT_COUNT];
} SqliteStore;

static gboolean
db_error (SqliteStore *s, GError **error, const gchar *what)
{
  g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "%s: %s: %s", s->path, what,
               sqlite3_errmsg (s->db));
  return FALSE;
}

static sqlite3_stmt *
stmt_get (SqliteStore *s, Stmt which)
{
  sqlite3_stmt *st = s->stmts[which];

  sqlite3_reset (st);
  sqlite3_clear_bindings (st);
  return st;
}

/* Timestamps were checked against the clock (at most 300 s ahead), so
 * they and their expiry fit SQLite's signed 64-bit integers. */
static void
bind_u64 (sqlite3_stmt *st, int i, guint64 v)
{
  sqlite3_bind_int64 (st, i, (sqlite3_int64) MIN (v, (guint64) G_MAXINT64));
}

static void
bind_key (sqlite3_stmt *st, int i, const guint8 *key)
{
  sqlite3_bind_blob (st, i, key, WGD_KEY_LEN, SQLITE_STATIC);
}

static gboolean
column_key (sqlite3_stmt *st, int i, guint8 out[WGD_KEY_LEN])
{
  if (sqlite3_column_type (st, i) != SQLITE_BLOB || sqlite3_column_bytes (st, i) != WGD_KEY_LEN)
    return FALSE;
  memcpy (out, sqlite3_column_blob (st, i), WGD_KEY_LEN);
  return TRUE;
}

static gboolean
exec_simple (SqliteStore *s, Stmt which, GError **error)
{
  sqlite3_stmt *st = stmt_get (s, which);

  if (sqlite3_step (st) != SQLITE_DONE)
    return db_error (s, error, stmt_sql[which]);
  sqlite3_reset (st);
  return TRUE;
}

/* A row of the records table; NULL when a column is not what this
 * version writes (a file edited by hand). */
static RdvStoredRecord *
record_from_row (sqlite3_stmt *st)
{
  g_autoptr (RdvStoredRecord) r = rdv_stored_record_new ();

  if (!column_key (st, 0, r->wg_key) || !column_key (st, 1, r->signing_key))
    return NULL;
  r->has_mesh = sqlite3_column_type (st, 2) != SQLITE_NULL;
  if (r->has_mesh && !column_key (st, 2, r->mesh_key))
    return NULL;
  r->derived = sqlite3_column_int (st, 3) != 0;
  r->timestamp = (guint64) sqlite3_column_int64 (st, 4);
  r->expires = (guint64) sqlite3_column_int64 (st, 5);
  r->record = g_bytes_new (sqlite3_column_blob (st, 6), (gsize) sqlite3_column_bytes (st, 6));
  return g_steal_pointer (&r);
}

static gboolean
signer_get (SqliteStore *s, const guint8 signing_key[WGD_KEY_LEN], gboolean *found,
            guint64 *timestamp, guint8 digest[WGD_KEY_LEN], GError **error)
{
  sqlite3_stmt *st = stmt_get (s, STMT_SIGNER_GET);
  int rc;

  bind_key (st, 1, signing_key);
  rc = sqlite3_step (st);
  *found = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW)
    {
      *timestamp = (guint64) sqlite3_column_int64 (st, 0);
      if (!column_key (st, 1, digest))
        memset (digest, 0, WGD_KEY_LEN);
    }
  else if (rc != SQLITE_DONE)
    return db_error (s, error, "reading a signing key");
  sqlite3_reset (st);
  return TRUE;
}

static gboolean
sqlite_get_signer (RdvStore *store, const guint8 signing_key[WGD_KEY_LEN], gboolean *found,
                   guint64 *timestamp, guint8 digest[WGD_KEY_LEN], GError **error)
{
  return signer_get ((SqliteStore *) store, signing_key, found, timestamp, digest, error);
}

static gboolean
sqlite_count (RdvStore *store, const guint8 *mesh_key, guint64 now, guint64 *out,
              GError **error)
{
  SqliteStore *s = (SqliteStore *) store;
  sqlite3_stmt *st = stmt_get (s, mesh_key ? STMT_COUNT_MESH : STMT_COUNT_ALL);

  if (mesh_key != NULL)
    {
      bind_key (st, 1, mesh_key);
      bind_u64 (st, 2, now);
    }
  else
    bind_u64 (st, 1, now);
  if (sqlite3_step (st) != SQLITE_ROW)
    return db_error (s, error, "counting records");
  *out = (guint64) sqlite3_column_int64 (st, 0);
  sqlite3_reset (st);
  return TRUE;
}

/* Inside the transaction: whether r fits the caps. held says whether an
 * unexpired record of its key is held, same_mesh whether in r's mesh
 * (or, like r, in none). */
static gboolean
put_fits (SqliteStore *s, const RdvStoredRecord *r, const RdvStoreCaps *caps, gboolean held,
          gboolean same_mesh, guint64 now, RdvPutResult *result, GError **error)
{
  guint64 n = 0;

  if (held && same_mesh)
    return TRUE;
  if (r->has_mesh)
    {
      if (!sqlite_count (&s->parent, r->mesh_key, now, &n, error))
        return FALSE;
      if (n >= caps->max_per_mesh)
        {
          *result = RDV_PUT_MESH_FULL;
          return TRUE;
        }
    }
  if (!held)
    {
      if (!sqlite_count (&s->parent, NULL, now, &n, error))
        return FALSE;
      if (n >= caps->max_records)
        *result = RDV_PUT_SERVER_FULL;
    }
  return TRUE;
}

/* Inside the transaction: whether r may replace what is held. */
static gboolean
put_decide (SqliteStore *s, const RdvStoredRecord *r, const guint8 digest[WGD_KEY_LEN],
            const RdvStoreCaps *caps, guint64 now, RdvPutResult *result, GError **error)
{
  guint8 held_digest[WGD_KEY_LEN];
  guint8 held_mesh[WGD_KEY_LEN];
  guint64 held = 0;
  gboolean found, held_has_mesh = FALSE, same_mesh;
  sqlite3_stmt *st;
  int rc;

  if (!signer_get (s, r->signing_key, &found, &held, held_digest, error))
    return FALSE;
  if (found && (r->timestamp < held || (r->timestamp == held
                                        && memcmp (held_digest, digest, WGD_KEY_LEN) != 0)))
    {
      *result = RDV_PUT_STALE;
      return TRUE;
    }
  if (found && r->timestamp == held)
    {
      *result = RDV_PUT_ALREADY_KNOWN;
      return TRUE;
    }
  st = stmt_get (s, STMT_RECORD_HELD);
  bind_key (st, 1, r->wg_key);
  bind_u64 (st, 2, now);
  rc = sqlite3_step (st);
  *result = RDV_PUT_STORED;
  if (rc == SQLITE_ROW && sqlite3_column_int (st, 1) != 0 && !r->derived)
    *result = RDV_PUT_KEY_HELD;
  else if (rc == SQLITE_ROW && (guint64) sqlite3_column_int64 (st, 0) >= r->timestamp)
    *result = RDV_PUT_STALE;
  else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return db_error (s, error, "reading a WireGuard key");
  if (rc == SQLITE_ROW)
    held_has_mesh = column_key (st, 2, held_mesh);
  sqlite3_reset (st);
  if (*result != RDV_PUT_STORED)
    return TRUE;
  same_mesh = held_has_mesh == r->has_mesh
              && (!r->has_mesh || memcmp (held_mesh, r->mesh_key, WGD_KEY_LEN) == 0);
  return put_fits (s, r, caps, rc == SQLITE_ROW, same_mesh, now, result, error);
}

static gboolean
put_write (SqliteStore *s, const RdvStoredRecord *r, const guint8 digest[WGD_KEY_LEN],
           GError **error)
{
  sqlite3_stmt *st = stmt_get (s, STMT_RECORD_PUT);
  gsize len;
  const guint8 *data = g_bytes_get_data (r->record, &len);

  bind_key (st, 1, r->wg_key);
  bind_key (st, 2, r->signing_key);
  if (r->has_mesh)
    bind_key (st, 3, r->mesh_key);
  else
    sqlite3_bind_null (st, 3);
  sqlite3_bind_int (st, 4, r->derived);
  bind_u64 (st, 5, r->timestamp);
  bind_u64 (st, 6, r->expires);
  sqlite3_bind_blob (st, 7, data, (int) len, SQLITE_STATIC);
  if (sqlite3_step (st) != SQLITE_DONE)
    return db_error (s, error, "writing a record");
  sqlite3_reset (st);
  st = stmt_get (s, STMT_SIGNER_PUT);
  bind_key (st, 1, r->signing_key);
  bind_u64 (st, 2, r->timestamp);
  bind_key (st, 3, digest);
  bind_u64 (st, 4, r->expires);
  if (sqlite3_step (st) != SQLITE_DONE)
    return db_error (s, error, "writing a signing key");
  sqlite3_reset (st);
  return TRUE;
}

static gboolean
sqlite_put_if_newer (RdvStore *store, const RdvStoredRecord *r, const RdvStoreCaps *caps,
                     guint64 now, RdvPutResult *result, GError **error)
{
  SqliteStore *s = (SqliteStore *) store;
  guint8 digest[WGD_KEY_LEN];

  rdv_record_digest (r->record, digest);
  if (!exec_simple (s, STMT_BEGIN, error))
    return FALSE;
  if (!put_decide (s, r, digest, caps, now, result, error)
      || (*result == RDV_PUT_STORED && !put_write (s, r, digest, error)))
    {
      exec_simple (s, STMT_ROLLBACK, NULL);
      return FALSE;
    }
  if (!exec_simple (s, STMT_COMMIT, error))
    {
      exec_simple (s, STMT_ROLLBACK, NULL);
      return FALSE;
    }
  return TRUE;
}

static gboolean
sqlite_get (RdvStore *store, const guint8 wg_key[WGD_KEY_LEN], guint64 now,
            RdvStoredRecord **out, GError **error)
{
  SqliteStore *s = (SqliteStore *) store;
  sqlite3_stmt *st = stmt_get (s, STMT_RECORD_GET);
  int rc;

  *out = NULL;
  bind_key (st, 1, wg_key);
  bind_u64 (st, 2, now);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    *out = record_from_row (st);
  else if (rc != SQLITE_DONE)
    return db_error (s, error, "reading a record");
  sqlite3_reset (st);
  return TRUE;
}

static gboolean
sqlite_list_mesh (RdvStore *store, const guint8 mesh_key[WGD_KEY_LEN], guint64 now,
                  guint limit, GPtrArray **out, GError **error)
{
  SqliteStore *s = (SqliteStore *) store;
  sqlite3_stmt *st = stmt_get (s, STMT_LIST_MESH);
  g_autoptr (GPtrArray) list =
    g_ptr_array_new_with_free_func ((GDestroyNotify) rdv_stored_record_free);
  int rc;

  bind_key (st, 1, mesh_key);
  bind_u64 (st, 2, now);
  sqlite3_bind_int64 (st, 3, limit);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      RdvStoredRecord *r = record_from_row (st);

      if (r != NULL)
        g_ptr_array_add (list, r);
    }
  sqlite3_reset (st);
  if (rc != SQLITE_DONE)
    return db_error (s, error, "listing a mesh");
  *out = g_steal_pointer (&list);
  return TRUE;
}

static gboolean
sqlite_purge_expired (RdvStore *store, guint64 now, guint64 *removed, GError **error)
{
  SqliteStore *s = (SqliteStore *) store;
  sqlite3_stmt *st = stmt_get (s, STMT_PURGE_RECORDS);

  bind_u64 (st, 1, now);
  if (sqlite3_step (st) != SQLITE_DONE)
    return db_error (s, error, "purging records");
  *removed = (guint64) sqlite3_changes (s->db);
  sqlite3_reset (st);
  st = stmt_get (s, STMT_PURGE_SIGNERS);
  bind_u64 (st, 1, now);
  if (sqlite3_step (st) != SQLITE_DONE)
    return db_error (s, error, "purging signing keys");
  sqlite3_reset (st);
  return TRUE;
}

static void
sqlite_close (RdvStore *store)
{
  SqliteStore *s = (SqliteStore *) store;

  for (guint i = 0; i < STMT_COUNT; i++)
    sqlite3_finalize (s->stmts[i]);
  /* Closing the last connection checkpoints the log into the file. */
  sqlite3_close (s->db);
  g_free (s->path);
  g_free (s);
}

static const RdvStoreClass sqlite_class = {
  .put_if_newer = sqlite_put_if_newer,
  .get = sqlite_get,
  .get_signer = sqlite_get_signer,
  .list_mesh = sqlite_list_mesh,
  .count = sqlite_count,
  .purge_expired = sqlite_purge_expired,
  .close = sqlite_close,
};

static gboolean
schema_prepare (SqliteStore *s, GError **error)
{
  sqlite3_stmt *st;
  int version;

  if (sqlite3_prepare_v2 (s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
    return db_error (s, error, "reading the schema version");
  if (sqlite3_step (st) != SQLITE_ROW)
    {
      sqlite3_finalize (st);
      return db_error (s, error, "reading the schema version");
    }
  version = sqlite3_column_int (st, 0);
  sqlite3_finalize (st);
  if (version == 0 && sqlite3_exec (s->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
    return db_error (s, error, "creating the schema");
  if (version != 0 && version != SCHEMA_VERSION)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   "%s: schema version %d is not %d: written by another version of "
                   "wgdiscover-rendezvous", s->path, version, SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

RdvStore *
rdv_store_sqlite_open (const gchar *path, GError **error)
{
  g_autoptr (RdvStore) store = NULL;
  SqliteStore *s = g_new0 (SqliteStore, 1);
  int rc;

  s->parent.klass = &sqlite_class;
  s->path = g_strdup (path);
  store = &s->parent;
  rc = sqlite3_open_v2 (path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "%s: %s", path,
                   s->db ? sqlite3_errmsg (s->db) : sqlite3_errstr (rc));
      return NULL;
    }
  sqlite3_extended_result_codes (s->db, 1);
  sqlite3_busy_timeout (s->db, BUSY_TIMEOUT_MS);
  if (sqlite3_exec (s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;",
                    NULL, NULL, NULL) != SQLITE_OK)
    {
      db_error (s, error, "setting WAL mode");
      return NULL;
    }
  if (!schema_prepare (s, error))
    return NULL;
  for (guint i = 0; i < STMT_COUNT; i++)
    if (sqlite3_prepare_v3 (s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[i],
                            NULL) != SQLITE_OK)
      {
        db_error (s, error, stmt_sql[i]);
        return NULL;
      }
  return g_steal_pointer (&store);
}
