/* store-location.h — where the rendezvous server keeps its records, as
 * Store= in rendezvous.conf says it (wgdiscover-rendezvous(8)):
 *
 *   sqlite                  the embedded SQLite file (the default)
 *   redis://HOST[:PORT][/DB] a Redis server over TCP (port 6379, db 0)
 *   unix:/PATH[?db=N]       a Redis server on a local socket
 *   sentinel://HOST[:PORT][,HOST[:PORT]]…/NAME[/DB]
 *                           the primary Redis Sentinel knows as NAME,
 *                           asking the Sentinels in turn (port 26379)
 *
 * A password never goes in the text (StorePasswordFile= holds it), so
 * the text can be logged. Pure: no I/O. */
#pragma once

#include <glib.h>

typedef enum {
  RDV_STORE_KIND_SQLITE,
  RDV_STORE_KIND_REDIS_TCP,
  RDV_STORE_KIND_REDIS_UNIX,
  RDV_STORE_KIND_REDIS_SENTINEL,
  RDV_STORE_KIND_COUNT,
} RdvStoreKind;

#define RDV_STORE_REDIS_DEFAULT_PORT 6379
/* sockaddr_un's sun_path, its terminating NUL included. */
#define RDV_STORE_SOCKET_PATH_MAX 108
#define RDV_STORE_HOST_MAX 253
#define RDV_STORE_DB_MAX 65535
#define RDV_STORE_SENTINEL_DEFAULT_PORT 26379
#define RDV_STORE_SENTINELS_MAX 8
/* Sentinel takes any name; ours are kept to what prints safely. */
#define RDV_STORE_PRIMARY_NAME_MAX 64

typedef struct {
  gchar *host;                  /* a name or an address, without brackets */
  guint16 port;
} RdvStoreHost;

typedef struct {
  RdvStoreKind kind;
  gchar *host;                  /* TCP: a name or an address, without brackets */
  guint16 port;
  gchar *socket_path;           /* unix: an absolute path */
  guint db;                     /* Redis: the database SELECTed */
  RdvStoreHost sentinels[RDV_STORE_SENTINELS_MAX];   /* sentinel: asked in this order */
  guint n_sentinels;
  gchar *primary_name;          /* sentinel: the name of the primary they watch */
} RdvStoreLocation;

RdvStoreLocation *rdv_store_location_new (void);
RdvStoreLocation *rdv_store_location_copy (const RdvStoreLocation *where);
void rdv_store_location_free (RdvStoreLocation *where);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvStoreLocation, rdv_store_location_free)

/* The scheme that names the kind ("sqlite", "redis", "unix", "sentinel"). */
const gchar *rdv_store_kind_to_string (RdvStoreKind kind);
gboolean rdv_store_kind_from_string (const gchar *text, RdvStoreKind *kind);

/* NULL and a message saying what is wrong and why, when text is none of
 * the forms above. */
RdvStoreLocation *rdv_store_location_parse (const gchar *text, GError **error);
/* The canonical text, which parses back to the same location. */
gchar *rdv_store_location_to_string (const RdvStoreLocation *where);
gboolean rdv_store_location_equal (const RdvStoreLocation *a, const RdvStoreLocation *b);
