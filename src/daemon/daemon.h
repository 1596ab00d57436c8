/* daemon.h — wgdiscoverd's core: ties the identity, the trust decision,
 * the peer table, mDNS and the WireGuard backends together (docs/architecture.md).
 * Everything runs on the thread-default GMainContext. */
#pragma once

#include <glib.h>

#include "configuration.h"
#include "keys.h"
#include "pairing.h"
#include "peer-table.h"
#include "wg-device.h"

typedef struct _WgdDaemon WgdDaemon;

/* ifconf_file: where wgdiscover-ifconf.service exports the peers of the
 * files of wg-quick, networkd and NetworkManager, to be read instead of
 * those files (which are root's); NULL: the daemon reads them itself. */
WgdDaemon *wgd_daemon_new (WgdConfig *config, const gchar *ifconf_file, GError **error);
void wgd_daemon_free (WgdDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDaemon, wgd_daemon_free)

/* Takes a new configuration as a change: what it needs is checked
 * first, and one that cannot be applied changes nothing (FALSE, error).
 * Our service is not withdrawn or probed again while we still advertise,
 * and the peer table, the replay state and the meshes' members stay.
 * daemon keeps a pointer to config, which must outlive it. */
gboolean wgd_daemon_reload (WgdDaemon *daemon, WgdConfig *config, GError **error);
/* Looks again at once: reads every interface, asks the LAN afresh for
 * the records of the services followed, and decides every peer's
 * endpoint again. */
void wgd_daemon_rescan (WgdDaemon *daemon);
/* Paused: our services are withdrawn and nothing is written into the
 * interfaces (no endpoint, no mesh peer added; expired mesh peers are
 * still removed), while peers are still followed. Resuming announces
 * again and decides every endpoint again. Not persisted; a change is
 * logged and heard as WGD_DAEMON_PAUSED_CHANGED. */
void wgd_daemon_set_paused (WgdDaemon *daemon, gboolean paused);
gboolean wgd_daemon_is_paused (WgdDaemon *daemon);
/* Withdraws our services and saves state; call before exiting. */
void wgd_daemon_stop (WgdDaemon *daemon);
/* A one-line summary for systemd's STATUS=. */
gchar *wgd_daemon_status (WgdDaemon *daemon);
/* Whether every interface that advertises is published. */
gboolean wgd_daemon_is_ready (WgdDaemon *daemon);

/* Pairing (docs/trust-model.md): approves the pending peer wg_key, whose
 * record must be signed by signing_key. The approval is saved first
 * (WGD_ERROR_IO if it cannot be: nothing changed), then pins
 * signing_key for wg_key, and the pending record is taken at once, so
 * the peer gets its endpoint without waiting for its next record.
 * WGD_PAIRING_ERROR_NOT_PENDING, _KEY_CHANGED, _FULL as they say. */
gboolean wgd_daemon_approve_peer (WgdDaemon *daemon, const guint8 wg_key[WGD_KEY_LEN],
                                  const guint8 signing_key[WGD_KEY_LEN], GError **error);
/* The same, refusing: records binding signing_key to wg_key are
 * rejected (no-binding) from now on and never pending again. */
gboolean wgd_daemon_reject_peer (WgdDaemon *daemon, const guint8 wg_key[WGD_KEY_LEN],
                                 const guint8 signing_key[WGD_KEY_LEN], GError **error);

/* --- Listening to the core ----------------------------------------------
 *
 * Sinks that show what the daemon knows (the D-Bus API) listen here; the
 * core never knows who listens. Events come from the main loop, at most
 * one round of them per main-loop iteration, after whatever caused them:
 * a listener reads the state through the accessors below. */

typedef enum {
  WGD_DAEMON_PEER_ADDED,        /* wg_key: a peer became known */
  WGD_DAEMON_PEER_CHANGED,      /* wg_key: something of it may have changed */
  WGD_DAEMON_PEER_REMOVED,      /* wg_key: no longer known */
  WGD_DAEMON_INTERFACE_ADDED,   /* ifname: configured (start, reload) */
  WGD_DAEMON_INTERFACE_CHANGED, /* ifname: something of it may have changed */
  WGD_DAEMON_INTERFACE_REMOVED, /* ifname: no longer configured */
  WGD_DAEMON_COUNTERS_CHANGED,
  WGD_DAEMON_PAUSED_CHANGED,    /* wgd_daemon_is_paused changed */
} WgdDaemonEvent;

/* wg_key is set for peer events, ifname for interface events, else
 * NULL; both belong to the caller. */
typedef void (*WgdDaemonListenFunc) (WgdDaemon *daemon, WgdDaemonEvent event,
                                     const guint8 *wg_key, const gchar *ifname,
                                     gpointer user_data);

/* Adds a listener and tells it, at once, of every interface and peer
 * known (ADDED), so that it needs no other start. Returns an id for
 * wgd_daemon_remove_listener. */
guint wgd_daemon_add_listener (WgdDaemon *daemon, WgdDaemonListenFunc func, gpointer user_data);
void wgd_daemon_remove_listener (WgdDaemon *daemon, guint id);

/* A configured interface, as last seen. */
typedef struct {
  gchar *name;
  WgdMode mode;
  guint16 listen_port;          /* 0: unknown */
  gboolean present;             /* the device could be read */
  gboolean advertising;         /* our record for it is handed to mDNS */
} WgdDaemonInterfaceInfo;

void wgd_daemon_interface_info_free (WgdDaemonInterfaceInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDaemonInterfaceInfo, wgd_daemon_interface_info_free)

/* A known peer: what its announcements said, and the WireGuard view of it
 * from the daemon's last read of the interface. */
typedef struct {
  guint8 wg_key[WGD_KEY_LEN];
  /* Unset (zeros, fingerprint "") for a peer known from the
   * configuration only, trust WGD_BINDING_NONE. */
  guint8 signing_key[WGD_KEY_LEN];
  gchar fingerprint[WGD_FINGERPRINT_LEN + 1]; /* of signing_key */
  gchar *name;
  WgdBinding trust;             /* WGD_BINDING_PENDING: waits for approval */
  gchar *ifname;                /* the first configured interface that has it */
  WgdSockaddr endpoint;         /* AF_UNSPEC: none */
  const gchar *endpoint_reason; /* static; "" when not set by us */
  GArray *candidates;           /* WgdCandidate, unexpired */
  gint64 latest_handshake;      /* seconds since the epoch, 0 = never */
  guint64 rx_bytes;
  guint64 tx_bytes;
  gint64 last_seen;             /* the last accepted (or pending) announcement */
  /* The configuration's endpoint for it, with what it resolved to
   * (dyndns.h); "" if none. */
  gchar *configured_endpoint;
} WgdDaemonPeerInfo;

void wgd_daemon_peer_info_free (WgdDaemonPeerInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDaemonPeerInfo, wgd_daemon_peer_info_free)

typedef struct {
  guint accepted;
  guint ignored;                /* valid, but for no peer here */
  guint rejected[WGD_REASON_COUNT]; /* per reason; [WGD_REASON_NONE] stays 0 */
  guint endpoint_changes;
} WgdDaemonCounters;

/* This node's signing key and derived WireGuard key. */
void wgd_daemon_get_identity (WgdDaemon *daemon, guint8 signing_key[WGD_KEY_LEN],
                              guint8 wg_key[WGD_KEY_LEN]);
void wgd_daemon_get_counters (WgdDaemon *daemon, WgdDaemonCounters *counters);
/* The rendezvous client's state name, its last error ("" if none) and,
 * while it backs off, when it tries again (0 otherwise). */
void wgd_daemon_get_rendezvous (WgdDaemon *daemon, const gchar **state, const gchar **error,
                                guint64 *retry_at);
/* How the rendezvous client follows the mesh of interface name
 * ("connecting", "watched", "polled"); NULL if it does not. */
const gchar *wgd_daemon_get_rendezvous_mesh (WgdDaemon *daemon, const gchar *name);
/* The configured interfaces' names, in the configuration's order. */
GStrv wgd_daemon_get_interface_names (WgdDaemon *daemon);
/* NULL if no such interface is configured. */
WgdDaemonInterfaceInfo *wgd_daemon_get_interface (WgdDaemon *daemon, const gchar *name);
/* The keys (GBytes) of the known peers. */
GPtrArray *wgd_daemon_get_peer_keys (WgdDaemon *daemon);
/* How many known peers there are of each trust, without building each
 * one's info (a thousand peers are counted at every round of changes). */
void wgd_daemon_count_peers_by_trust (WgdDaemon *daemon, guint count[WGD_BINDING_COUNT]);
/* NULL if the peer is not known. */
WgdDaemonPeerInfo *wgd_daemon_get_peer (WgdDaemon *daemon, const guint8 wg_key[WGD_KEY_LEN]);
