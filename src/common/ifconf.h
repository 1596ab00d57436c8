/* ifconf.h — the endpoints other managers configured for an interface's
 * peers, read (never written) from the files that made the interface:
 * wg-quick(8), systemd-networkd (systemd.netdev(5)) and NetworkManager
 * (nm-settings-keyfile(5)). docs/dynamic-dns.md says what is read from
 * where, what is refused and which file wins.
 *
 * Pure: no main loop, no DNS; the only I/O is reading the files (and
 * wgd_ifconf_read's directory listings). Each parser takes a file's
 * content and its path (for messages); errors name the file, line,
 * section and key, and say why. */
#pragma once

#include <glib.h>

#include "endpoint-host.h"
#include "wire.h"

typedef enum {
  WGD_IFCONF_WG_QUICK,
  WGD_IFCONF_NETWORKD,
  WGD_IFCONF_NM,
} WgdIfconfManager;

/* "wg-quick", "networkd" or "NetworkManager", for logs and the export
 * file; from_string is exact (case matters) and FALSE for another. */
const gchar *wgd_ifconf_manager_to_string (WgdIfconfManager manager);
gboolean wgd_ifconf_manager_from_string (const gchar *name, WgdIfconfManager *out);

/* One peer's endpoint and where it was configured. */
typedef struct {
  gchar *ifname;        /* its interface; NULL from the parsers, set by wgd_ifconf_read */
  guint8 public_key[WGD_KEY_LEN];
  WgdHostEndpoint *endpoint;
  WgdIfconfManager manager;
  gchar *path;          /* the file with the Endpoint= */
  guint line;           /* its line; 0 for NetworkManager (GKeyFile keeps none) */
} WgdIfconfPeer;

WgdIfconfPeer *wgd_ifconf_peer_new (WgdIfconfManager manager, const gchar *path, guint line,
                                    const guint8 public_key[WGD_KEY_LEN],
                                    WgdHostEndpoint *endpoint);
void wgd_ifconf_peer_free (WgdIfconfPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdIfconfPeer, wgd_ifconf_peer_free)

/* /etc/wireguard/IFACE.conf: [Interface] and [Peer] sections (names and
 * keys case-insensitive, as wg(8) reads them); PublicKey= and Endpoint=
 * of each [Peer], other keys ignored. Refuses other sections, a [Peer]
 * without PublicKey= and a peer listed twice. Returns the peers with an
 * Endpoint=, as WgdIfconfPeer, in file order. */
GPtrArray *wgd_ifconf_wg_quick_parse (const gchar *path, const gchar *data, gsize len,
                                      GError **error);

/* One systemd-networkd .netdev with its drop-ins. */
typedef struct {
  gchar *name;          /* [NetDev] Name=; NULL if none */
  gchar *kind;          /* [NetDev] Kind=; NULL if none */
  GPtrArray *peers;     /* WgdIfconfPeer with an Endpoint=, in file order */
} WgdIfconfNetdev;

/* Reads the files (a .netdev, then its drop-ins in order) as networkd
 * does: one stream of sections, later assignments winning, an empty one
 * resetting the key. Peers are only read (and only refused) when
 * Kind=wireguard and, with ifname non-NULL, Name=ifname: each
 * [WireGuardPeer] needs PublicKey= or PublicKeyFile= (which wins, as in
 * networkd; an absolute path, read below root, holding one base64 key),
 * and no key may appear in two of them. */
WgdIfconfNetdev *wgd_ifconf_networkd_parse (const gchar *root, const gchar *ifname,
                                            guint n_files, const gchar *const *paths,
                                            GBytes *const *contents, GError **error);
void wgd_ifconf_netdev_free (WgdIfconfNetdev *netdev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdIfconfNetdev, wgd_ifconf_netdev_free)

/* One NetworkManager keyfile. */
typedef struct {
  gchar *type;              /* [connection] type= */
  gchar *interface_name;    /* [connection] interface-name=; NULL if none */
  gchar *uuid;              /* [connection] uuid=; NULL if none */
  GPtrArray *peers;         /* WgdIfconfPeer with an endpoint=, by group order */
} WgdIfconfNmConnection;

/* GKeyFile; [connection] is required. Peers are read only for
 * type=wireguard: each [wireguard-peer.KEY] group, KEY a base64 public
 * key, its endpoint= parsed; a peer group appearing twice is refused
 * (GKeyFile would merge them silently). */
WgdIfconfNmConnection *wgd_ifconf_nm_parse (const gchar *path, const gchar *data, gsize len,
                                            GError **error);
void wgd_ifconf_nm_connection_free (WgdIfconfNmConnection *connection);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdIfconfNmConnection, wgd_ifconf_nm_connection_free)

/* What wgd_ifconf_read found. */
typedef struct {
  /* WgdIfconfPeer, one per interface and public key, the winner by
   * precedence: wg-quick, then networkd, then NetworkManager; within a
   * manager the file read first (docs/dynamic-dns.md). */
  GPtrArray *peers;
  /* GError, one per file that could not be read or parsed: the daemon
   * logs each once; the file was skipped, the others were not. */
  GPtrArray *errors;
  /* The paths of the files that failed, and of the directories that
   * could not be listed (some more than once). */
  GPtrArray *failed;
} WgdIfconf;

/* Reads the three managers' files under root ("/" in production; tests
 * pass a temporary directory), for every WireGuard interface they
 * define. Cannot fail: what cannot be read is in errors. */
WgdIfconf *wgd_ifconf_read (const gchar *root);
/* The winning entry for a peer of ifname, or NULL. */
const WgdIfconfPeer *wgd_ifconf_find_peer (const WgdIfconf *conf, const gchar *ifname,
                                           const guint8 public_key[WGD_KEY_LEN]);
/* A file that fails takes nothing away: the peers old had from a file
 * that failed in conf (and that conf has no other entry for) move to
 * conf; old is left without peers. */
void wgd_ifconf_keep_failed (WgdIfconf *conf, WgdIfconf *old);
/* The interfaces with at least one peer in conf, sorted, each once. */
GStrv wgd_ifconf_dup_interfaces (const WgdIfconf *conf);
/* The directories wgd_ifconf_read reads under root, whether or not they
 * exist, and the networkd drop-in directories (NAME.netdev.d) found in
 * them now: what to watch for changes. */
GStrv wgd_ifconf_dup_watch_paths (const gchar *root);
/* What wg-quick accepts as an interface name: at most 15 of
 * [A-Za-z0-9_=+.-], not "." or "..", so never a path. */
gboolean wgd_ifconf_is_interface_name (const gchar *name);
/* Nothing found, nothing wrong. */
WgdIfconf *wgd_ifconf_new (void);
void wgd_ifconf_free (WgdIfconf *conf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdIfconf, wgd_ifconf_free)
