/* daemon-private.h — what the core's own files share: the daemon's
 * state (daemon.c keeps it; daemon-listen.c shows it to listeners).
 * Nothing outside src/daemon/daemon*.c includes this. */
#pragma once

#include <glib.h>

#include "address-monitor.h"
#include "daemon.h"
#include "dyndns.h"
#include "keys.h"
#include "mdns.h"
#include "mesh.h"
#include "pairing.h"
#include "peer-table.h"
#include "rendezvous.h"
#include "trust.h"
#include "wg-device.h"

typedef struct {
  const WgdInterfaceConfig *config;
  guint32 ifindex;
  guint16 listen_port;
  guint16 announced_port;       /* in our published record; 0: none */
  gboolean usable;              /* the device could be read */
  gboolean missing_logged;      /* that it is not there was said */
  gboolean key_warned;          /* that its key is not ours was said */
  gboolean has_public_key;
  guint8 public_key[WGD_KEY_LEN]; /* the device's, at the last read */
  GHashTable *peer_keys;        /* wg key (the PeerSeen's own) → PeerSeen: its peers at the last read */
  /* Mesh mode: the mesh, and the peers we added to this interface. */
  const WgdMeshConfig *mesh_config;
  WgdMesh *mesh;
  gchar *subtype;
  /* The address a rendezvous server saw our PUT come from: with the
   * listen port, a reflexive endpoint in our records. */
  gboolean has_reflexive;
  guint8 reflexive_family;
  guint8 reflexive_address[16];
} Interface;

/* What the last read of an interface said of one of its peers: what
 * listeners are shown, so that they never read a device themselves. */
typedef struct {
  guint8 wg_key[WGD_KEY_LEN];
  WgdSockaddr endpoint;
  gint64 last_handshake;
  guint64 rx_bytes;
  guint64 tx_bytes;
} PeerSeen;

/* The files of the other managers of WireGuard (daemon-ifconf.c). */
typedef struct _DaemonIfconf DaemonIfconf;

/* NAT traversal for peers found through a rendezvous server (daemon-punch.c). */
typedef struct _DaemonPunch DaemonPunch;

typedef struct {
  guint id;
  WgdDaemonListenFunc func;
  gpointer user_data;
} Listener;

struct _WgdDaemon {
  WgdConfig *config;
  WgdKeyPair *identity;
  guint8 wg_public[WGD_KEY_LEN];
  WgdTrustStore *store;
  WgdReplayState *replay;
  GHashTable *endpoints;        /* state: GBytes wg key → WgdSockaddr */
  WgdPeerTable *peers;
  WgdPairing *pairing;          /* pending peers and the decisions on them */
  gboolean pending_full_logged; /* that no more can be pending was said */
  WgdAddressMonitor *addresses;
  WgdMdns *mdns;
  WgdRendezvous *rendezvous;    /* NULL without RendezvousURL= */
  /* Configured endpoints by name (dyndns.h): NULL until one is. */
  WgdResolver *resolver;
  WgdDyndns *dyndns;
  guint network_source;         /* telling dyndns that the network changed */
  DaemonIfconf *ifconf;
  /* WgdInterfaceConfig of the interfaces only the managers' files name
   * (daemon_ifconf_get_managed): what their Interface.config points to. */
  GPtrArray *managed;
  DaemonPunch *punch;
  GArray *interfaces;           /* Interface */
  gchar *node_name;
  guint64 last_timestamp;
  guint announce_source;
  guint wake_source;            /* for what is due next (daemon_wake_before) */
  gint64 wake_at;
  guint shake_source;           /* telling peers that our addresses moved */
  guint save_source;
  gint64 saved_at;              /* monotonic: the state last written (see SAVE_GAP_US) */
  guint redecide_source;
  GPtrArray *actions;           /* Action: accepted, not yet acted on */
  GHashTable *unplaced;         /* service key → Heard: for no interface yet */
  /* The interfaces' peers (Interface.peer_keys) are what records are
   * judged by: read at most once a second for them (PEER_READ_US), and
   * read again that long after a record went unplaced, so that a peer
   * added meanwhile gets its record. */
  gint64 peers_read_at;         /* monotonic */
  guint peer_read_source;
  guint act_source;
  gint64 acted_at;              /* monotonic: the last batch (see ACT_GAP_US) */
  guint watch_source;           /* reading the interfaces every second */
  guint watch_left;             /* seconds of that still to go */
  GHashTable *logged;           /* "reason interface service" → count, to log once */
  guint log_budget;             /* rejection lines left in this window */
  guint log_window_source;      /* the window's end */
  guint unlogged;               /* rejections not logged for want of it */
  guint accepted;
  guint strangers;              /* valid, but for no peer of ours */
  guint rejected;
  guint rejected_by_reason[WGD_REASON_COUNT];
  guint endpoint_changes;
  /* Paused (wgd_daemon_set_paused): nothing published, nothing written
   * into the interfaces but the removal of expired mesh peers. */
  gboolean paused;
  /* Listeners, and what they were told of: the interfaces (names) and
   * the peers (GBytes wg keys) they know. notify_cb tells them what
   * changed, once per main-loop iteration. */
  GArray *listeners;            /* Listener */
  guint next_listener_id;
  GHashTable *listed_interfaces;
  GHashTable *listed_peers;
  guint notify_source;
  gboolean notify_delayed;      /* notify_source waits for COUNTERS_GAP_US */
  gint64 counted_at;            /* monotonic: counters last told */
  gboolean state_changed;       /* interfaces or peers may have changed */
  GHashTable *dirty_peers;      /* GBytes wg keys: these peers may have changed */
  gboolean counters_changed;
  gboolean paused_changed;
};

/* A source for a batching job (batch.h) that is to run in wait_us, 0
 * for at once. */
guint daemon_add_batch (gint64 wait_us, GSourceFunc func, gpointer data);
/* The configured interface of that name; NULL if none. */
const Interface *daemon_find_interface (const WgdDaemon *d, const gchar *name);
/* Whether wg_key is a peer of an endpoint-mode interface, as last read:
 * only those can be pending (a mesh admits certificates only). */
gboolean daemon_is_endpoint_peer (const WgdDaemon *d, const guint8 *wg_key);
/* Listeners hear of what changed (state: interfaces or peers; counters)
 * once the main loop has finished what it is doing. */
void daemon_schedule_notify (WgdDaemon *d, gboolean state, gboolean counters);
/* The same for one peer's view only: what an announcement changes is
 * told without going over every peer (a thousand of them). */
void daemon_schedule_notify_peer (WgdDaemon *d, const guint8 *wg_key);

/* Makes sure the daemon looks at everything due (expiry, trials, the
 * interfaces) no later than when (seconds of wgd_clock_now; G_MAXINT64:
 * nothing). An earlier wake-up than needed is harmless: it sets the
 * next one. */
void daemon_wake_before (WgdDaemon *d, gint64 when);

/* One structured journal entry per decision (WGD_PEER_KEY, WGD_SOURCE,
 * WGD_REASON fields). */
void log_decision (const gchar *peer_key, const gchar *source, const gchar *reason,
                   GLogLevelFlags level, const gchar *format, ...) G_GNUC_PRINTF (5, 6);

/* The raw sockets opened now (logged once if they cannot be). */
DaemonPunch *daemon_punch_new (WgdDaemon *d);
void daemon_punch_free (DaemonPunch *p);
/* Whether the punch takes over writing endpoint, chosen for entry, into
 * iface (current: the device's view of the peer): the caller then
 * writes nothing. */
gboolean daemon_punch_take (DaemonPunch *p, const Interface *iface, const WgdPeerEntry *entry,
                            const WgdSockaddr *endpoint, const WgdPeer *current);

/* Reads the files of wg-quick, networkd and NetworkManager under root
 * ("/" but in tests), or what wgdiscover-ifconf.service exported of them
 * to file (non-NULL: for a daemon that may not read them), and watches
 * them: daemon_ifconf_changed is called once a change has settled. */
DaemonIfconf *daemon_ifconf_new (WgdDaemon *d, const gchar *root, const gchar *file);
void daemon_ifconf_free (DaemonIfconf *ifconf);
/* Reads them again, logging each file that fails (once); TRUE if the
 * interfaces they add changed (daemon_ifconf_get_managed). */
gboolean daemon_ifconf_read (DaemonIfconf *ifconf, const WgdConfig *config);
/* A reference to the WgdInterfaceConfig of the interfaces those files
 * define with a peer given by name, which config has no [Interface]
 * group for: looked after for those endpoints alone. */
GPtrArray *daemon_ifconf_get_managed (DaemonIfconf *ifconf);
/* Adds to peers (WgdDyndnsPeer) the peers those files give by host
 * name, but for those whose key is in peers already (which wins). */
void daemon_ifconf_add_peers (DaemonIfconf *ifconf, GPtrArray *peers);
/* In daemon.c: what the files say changed. */
void daemon_ifconf_changed (WgdDaemon *d);
