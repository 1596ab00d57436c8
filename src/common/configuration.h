/* configuration.h — wgdiscoverd's configuration (wgdiscoverd(8)): the main file and
 * its drop-ins (FILE.d/\*.conf, in name order, later keys winning), in
 * GKeyFile format. Every error names the file, line, group and key, and
 * says what is wrong; unknown groups and keys are errors, so a typo is
 * never silently ignored. */
#pragma once

#include <glib.h>
#include <net/if.h>

#include "certificate.h"
#include "endpoint-host.h"
#include "revocation.h"
#include "trust.h"

#define WGD_CONFIG_PATH "/etc/wgdiscover/wgdiscoverd.conf"
#define WGD_STATE_DIR "/var/lib/wgdiscover"

typedef enum {
  WGD_RENDEZVOUS_NEVER,
  WGD_RENDEZVOUS_FALLBACK,
  WGD_RENDEZVOUS_ALWAYS,
} WgdRendezvousUse;

typedef struct {
  gchar name[IFNAMSIZ];
  WgdMode mode;
  gchar *mesh;                  /* [Mesh NAME] in mesh mode */
  gboolean advertise;
  gboolean browse;
  WgdRendezvousUse rendezvous;
  guint16 persistent_keepalive;
  GStrv allow_interfaces;       /* NULL: all */
  GStrv deny_interfaces;        /* NULL: none */
} WgdInterfaceConfig;

/* An interface no [Interface] group names, looked after only for the
 * endpoints another manager's file gives its peers by name (ifconf.h):
 * endpoint mode, no advertising, no browsing, no rendezvous. */
WgdInterfaceConfig *wgd_interface_config_new_managed (const gchar *name);
void wgd_interface_config_free (WgdInterfaceConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdInterfaceConfig, wgd_interface_config_free)

typedef struct {
  gchar *name;
  guint8 ca_key[WGD_KEY_LEN];
  /* This node's certificate from the CA (Certificate=FILE), signature
   * checked; NULL without one: the node then finds certified peers but
   * does not announce itself into the mesh. */
  gchar *certificate_file;
  WgdCertificate *certificate;
  /* The CA's revocation list (Revocations=FILE), signature checked. */
  gchar *revocations_file;
  WgdRevocationList *revocations;
} WgdMeshConfig;

typedef struct {
  gchar *name;
  guint8 wg_key[WGD_KEY_LEN];
  guint8 signing_key[WGD_KEY_LEN];
} WgdPeerPin;

/* [Peer NAME] Endpoint=: where the peer is, as its administrator
 * wrote it (a host name is resolved again at its TTL); it wins over
 * the same peer's endpoint in the file of wg-quick, networkd or
 * NetworkManager (ifconf.h). */
typedef struct {
  gchar *name;
  guint8 wg_key[WGD_KEY_LEN];
  WgdHostEndpoint *endpoint;
} WgdPeerEndpoint;

/* At most this many servers in RendezvousURL=. */
#define WGD_CONFIG_RENDEZVOUS_URLS_MAX 16

typedef struct {
  gchar *state_directory;
  /* RendezvousURL=: the servers in the order given, each without a
   * trailing '/'; NULL without one. */
  GStrv rendezvous_urls;
  /* Whether a rendezvous server may learn our private addresses. */
  gboolean rendezvous_private_addresses;
  GPtrArray *interfaces;        /* WgdInterfaceConfig */
  GPtrArray *meshes;            /* WgdMeshConfig */
  GPtrArray *pins;              /* WgdPeerPin */
  GPtrArray *endpoints;         /* WgdPeerEndpoint */
} WgdConfig;

WgdConfig *wgd_config_new (void);
void wgd_config_free (WgdConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdConfig, wgd_config_free)

/* Reads path and path.d/\*.conf; a missing main file is an error unless
 * missing_ok. */
WgdConfig *wgd_config_load (const gchar *path, gboolean missing_ok, GError **error);
/* One file's text, named name in messages. */
WgdConfig *wgd_config_load_data (const gchar *name, const gchar *data, gsize len,
                                 GError **error);

const WgdInterfaceConfig *wgd_config_find_interface (const WgdConfig *config, const gchar *name);
const WgdMeshConfig *wgd_config_find_mesh (const WgdConfig *config, const gchar *name);
/* Every mesh CA and every pin of the configuration. */
WgdTrustStore *wgd_config_trust_store_new (const WgdConfig *config);
