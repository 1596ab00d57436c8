/* rdv-config.h — the rendezvous server's configuration
 * (wgdiscover-rendezvous(8)), one GKeyFile file. Every error names the
 * file, line, group and key; unknown groups and keys are errors. */
#pragma once

#include <glib.h>

#include "revocation.h"
#include "store-location.h"
#include "wire.h"

#define RDV_CONFIG_PATH "/etc/wgdiscover/rendezvous.conf"
#define RDV_STATE_DIR "/var/lib/wgdiscover-rendezvous"

typedef struct {
  gchar *name;
  guint8 ca_key[WGD_KEY_LEN];
  /* Revocations=FILE, signature checked; NULL without one. */
  WgdRevocationList *revocations;
} RdvMeshConfig;

typedef struct {
  gchar *listen_host;           /* an IP address */
  guint16 listen_port;
  gchar *certificate_file;      /* PEM; NULL: plain HTTP */
  gchar *private_key_file;
  gboolean allow_plain_http;
  gchar *state_directory;
  RdvStoreLocation *store;      /* Store=, sqlite by default */
  gchar *store_password;        /* StorePasswordFile='s text; NULL without one */
  gdouble requests_per_second;
  guint request_burst;
  guint max_sources;            /* buckets of the rate limit */
  guint max_records;            /* all records (open server) */
  guint max_records_per_mesh;
  GStrv trusted_proxies;        /* addresses whose X-Forwarded-For counts */
  /* The host a membership proof binds (membership.h), from PublicURL=
   * or else Listen=; NULL when neither names one (Listen= on every
   * address without PublicURL=). */
  gchar *public_host;
  guint max_websockets;
  guint max_websockets_per_source;
  guint websocket_keepalive;    /* seconds between pings */
  guint websocket_timeout;      /* seconds without a frame from the client */
  GPtrArray *meshes;            /* RdvMeshConfig */
} RdvConfig;

RdvConfig *rdv_config_new (void);
void rdv_config_free (RdvConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvConfig, rdv_config_free)

/* A missing file gives the defaults when missing_ok. */
RdvConfig *rdv_config_load (const gchar *path, gboolean missing_ok, GError **error);
/* One file's text, named name in messages. */
RdvConfig *rdv_config_load_data (const gchar *name, const gchar *data, gsize len,
                                 GError **error);
/* Whether host is a loopback address. */
gboolean rdv_config_listen_is_loopback (const RdvConfig *config);
