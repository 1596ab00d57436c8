/* wg-device.h — one small interface to a WireGuard interface, whatever
 * implements it (docs/architecture.md §7): read the device and its
 * peers, change endpoints and keepalives of many peers in one call, add
 * and remove peers, set the private key and listen port.
 *
 * Two backends implement it: the kernel's generic netlink family
 * (wg-netlink.c) and the cross-platform UAPI socket of userspace
 * implementations (wg-uapi.c). Like `wg`, a UAPI socket for the interface
 * wins, else netlink. */
#pragma once

#include <glib.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "certificate.h"
#include "wire.h"

#define WGD_WG_ERROR (wgd_wg_error_quark ())

typedef enum {
  WGD_WG_ERROR_NO_DEVICE,      /* no such interface */
  WGD_WG_ERROR_NOT_WIREGUARD,  /* the interface exists but is not WireGuard */
  WGD_WG_ERROR_PERMISSION,     /* needs root (UAPI socket) or CAP_NET_ADMIN (kernel) */
  WGD_WG_ERROR_UNSUPPORTED,    /* no UAPI socket, and no WireGuard in the kernel */
  WGD_WG_ERROR_PROTOCOL,       /* a malformed or unexpected reply */
  WGD_WG_ERROR_FAILED,         /* anything else the implementation refused */
} WgdWgErrorCode;

GQuark wgd_wg_error_quark (void);

/* An endpoint as the kernel and `wg` know it; sa_family is AF_UNSPEC
 * when the peer has none. */
typedef union {
  struct sockaddr sa;
  struct sockaddr_in in;
  struct sockaddr_in6 in6;
} WgdSockaddr;

typedef struct {
  guint8 public_key[WGD_KEY_LEN];
  gboolean has_preshared_key;   /* never the key itself */
  WgdSockaddr endpoint;
  guint16 persistent_keepalive; /* seconds, 0 = off */
  gint64 last_handshake_sec;    /* 0 = never */
  gint64 last_handshake_nsec;
  guint64 rx_bytes;
  guint64 tx_bytes;
  GArray *allowed_ips;          /* WgdPrefix */
} WgdPeer;

typedef struct {
  gchar name[IFNAMSIZ];
  guint32 ifindex;              /* 0 when the backend does not know it */
  gboolean has_private_key;     /* never the key itself */
  gboolean has_public_key;
  guint8 public_key[WGD_KEY_LEN];
  guint16 listen_port;
  guint32 fwmark;
  GPtrArray *peers;             /* WgdPeer */
} WgdDevice;

WgdPeer *wgd_peer_new (void);
void wgd_peer_free (WgdPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdPeer, wgd_peer_free)

WgdDevice *wgd_device_new (const gchar *name);
void wgd_device_free (WgdDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDevice, wgd_device_free)
/* The peer with that public key, or NULL. */
WgdPeer *wgd_device_find_peer (const WgdDevice *device, const guint8 public_key[WGD_KEY_LEN]);

/* What a change touches; fields not named are left exactly as they are. */
typedef enum {
  WGD_PEER_SET_ENDPOINT = 1 << 0,
  WGD_PEER_SET_KEEPALIVE = 1 << 1,
  /* Adds these allowed-ips (creating the peer if it does not exist). */
  WGD_PEER_ADD_ALLOWED_IPS = 1 << 2,
  /* Replaces the peer's allowed-ips with exactly these. */
  WGD_PEER_REPLACE_ALLOWED_IPS = 1 << 3,
  WGD_PEER_REMOVE = 1 << 4,
} WgdPeerChangeFlags;

typedef struct {
  guint8 public_key[WGD_KEY_LEN];
  WgdPeerChangeFlags flags;
  WgdSockaddr endpoint;
  guint16 persistent_keepalive;
  const WgdPrefix *allowed_ips;
  gsize n_allowed_ips;
} WgdPeerChange;

/* The backend operations; both implementations fill one of these. */
typedef struct {
  const gchar *name;
  WgdDevice *(*get) (const gchar *ifname, GError **error);
  gboolean (*set_peers) (const gchar *ifname, const WgdPeerChange *changes, gsize n_changes,
                         GError **error);
  /* private_key NULL keeps the key; listen_port < 0 keeps the port. */
  gboolean (*set_device) (const gchar *ifname, const guint8 *private_key, gint listen_port,
                          GError **error);
} WgdBackend;

extern const WgdBackend wgd_backend_netlink;
extern const WgdBackend wgd_backend_uapi;

/* The backend `wg` would use for ifname: the UAPI one if the interface
 * has a socket, else the kernel's. NULL with error when that cannot be
 * told: the socket's directory may not be searched (a permission error,
 * where `wg` would silently try the kernel and report something
 * misleading), or looking failed otherwise. */
const WgdBackend *wgd_backend_for (const gchar *ifname, GError **error);

WgdDevice *wgd_device_get (const gchar *ifname, GError **error);
gboolean wgd_device_set_peers (const gchar *ifname, const WgdPeerChange *changes,
                               gsize n_changes, GError **error);
gboolean wgd_device_configure (const gchar *ifname, const guint8 *private_key,
                               gint listen_port, GError **error);

/* A name that can be an interface and a path component (no '/'). */
gboolean wgd_ifname_is_valid (const gchar *ifname);
/* The UAPI socket of ifname: /var/run/wireguard/IFNAME.sock. */
gchar *wgd_uapi_socket_path (const gchar *ifname);

/* "192.0.2.1:51820", "[fe80::1%eth0]:51820"; FALSE for a bad text. */
gboolean wgd_sockaddr_parse (const gchar *text, WgdSockaddr *out);
gchar *wgd_sockaddr_to_string (const WgdSockaddr *addr);
gboolean wgd_sockaddr_equal (const WgdSockaddr *a, const WgdSockaddr *b);
