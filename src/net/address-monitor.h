/* address-monitor.h — the machine's own links and addresses, kept
 * current from rtnetlink on the GLib main loop (docs/architecture.md §3):
 * the addresses that go into our announcement and the event that makes
 * us re-sign it, and the links that come and go. */
#pragma once

#include <glib.h>
#include <net/if.h>

typedef struct {
  guint32 ifindex;
  gchar ifname[IFNAMSIZ];
  guint8 family;                /* 4 or 6 */
  guint8 prefix_length;
  guint8 scope;                 /* RT_SCOPE_*: link-local addresses are RT_SCOPE_LINK */
  guint8 address[16];
} WgdLocalAddress;

typedef enum {
  WGD_ADDRESS_ADDED,            /* a usable address appeared */
  WGD_ADDRESS_REMOVED,          /* an address went away or its link went down */
} WgdAddressEvent;

typedef struct _WgdAddressMonitor WgdAddressMonitor;

typedef void (*WgdAddressMonitorFunc) (WgdAddressMonitor *monitor, WgdAddressEvent event,
                                       const WgdLocalAddress *address, gpointer user_data);

/* Reads the current addresses (without events for them), then calls func
 * for every change from the main loop of the thread-default context. */
WgdAddressMonitor *wgd_address_monitor_new (WgdAddressMonitorFunc func, gpointer user_data,
                                            GError **error);
void wgd_address_monitor_free (WgdAddressMonitor *monitor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdAddressMonitor, wgd_address_monitor_free)

typedef enum {
  WGD_LINK_ADDED,               /* a link appeared, or took a new name */
  WGD_LINK_REMOVED,             /* a link went away, or gave up its name */
  WGD_LINK_ROUTED,              /* a route through the link was added or removed */
} WgdLinkEvent;

typedef void (*WgdLinkFunc) (WgdAddressMonitor *monitor, WgdLinkEvent event, guint32 ifindex,
                             const gchar *ifname, gpointer user_data);

/* Also calls func (with the monitor's user_data) when a link appears or
 * goes away; a renamed link goes under its old name and comes under its
 * new one. WireGuard interfaces are links too: this is how the daemon
 * learns that one it is configured for was created after it started. */
gboolean wgd_address_monitor_set_link_func (WgdAddressMonitor *monitor, WgdLinkFunc func,
                                            GError **error);

/* The usable addresses now (on links that are up): WgdLocalAddress. */
GArray *wgd_address_monitor_get_addresses (WgdAddressMonitor *monitor);
