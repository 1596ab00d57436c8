/* address-monitor.c — rtnetlink link and address tracking through libmnl,
 * and, for whoever follows links, the routes added through them.
 *
 * One socket both dumps the current state and receives change
 * notifications. Notifications carry the sequence number and port of
 * whoever made the change, so replies are not filtered by either: every
 * message is a link or address fact, and NLMSG_DONE ends a dump. An address counts as usable only
 * while its link is up, so a link going down removes its addresses and
 * coming up restores them. When the kernel drops notifications (ENOBUFS)
 * the state is rebuilt from a fresh dump and the differences reported. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib-unix.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "address-monitor.h"
#include "wgd-error.h"

typedef struct {
  guint32 ifindex;
  gchar name[IFNAMSIZ];
  gboolean up;
  gboolean seen;                /* marked during a resynchronisation */
  GArray *addresses;            /* WgdLocalAddress */
  GArray *seen_addresses;       /* gboolean per address */
} Link;

struct _WgdAddressMonitor {
  struct mnl_socket *nl;
  guint32 seq;
  guint source_id;
  gboolean quiet;               /* no events while reading the first dump */
  gboolean resync;
  GHashTable *links;            /* ifindex → Link */
  WgdAddressMonitorFunc func;
  WgdLinkFunc link_func;
  gpointer user_data;
  guint8 *buf;
};

static void
link_free (Link *link)
{
  g_array_unref (link->addresses);
  g_array_unref (link->seen_addresses);
  g_free (link);
}

static Link *
monitor_get_link (WgdAddressMonitor *mon, guint32 ifindex)
{
  Link *link = g_hash_table_lookup (mon->links, GUINT_TO_POINTER (ifindex));

  if (link == NULL)
    {
      link = g_new0 (Link, 1);
      link->ifindex = ifindex;
      link->addresses = g_array_new (FALSE, FALSE, sizeof (WgdLocalAddress));
      link->seen_addresses = g_array_new (FALSE, TRUE, sizeof (gboolean));
      g_hash_table_insert (mon->links, GUINT_TO_POINTER (ifindex), link);
    }
  return link;
}

static void
monitor_emit (WgdAddressMonitor *mon, WgdAddressEvent event, const WgdLocalAddress *addr)
{
  if (!mon->quiet && mon->func != NULL)
    mon->func (mon, event, addr, mon->user_data);
}

static void
monitor_emit_link (WgdAddressMonitor *mon, WgdLinkEvent event, const Link *link)
{
  if (!mon->quiet && mon->link_func != NULL && link->name[0] != '\0')
    mon->link_func (mon, event, link->ifindex, link->name, mon->user_data);
}

static void
link_emit_all (WgdAddressMonitor *mon, Link *link, WgdAddressEvent event)
{
  for (guint i = 0; i < link->addresses->len; i++)
    monitor_emit (mon, event, &g_array_index (link->addresses, WgdLocalAddress, i));
}

static void
link_set_up (WgdAddressMonitor *mon, Link *link, gboolean up)
{
  if (link->up == up)
    return;
  link->up = up;
  link_emit_all (mon, link, up ? WGD_ADDRESS_ADDED : WGD_ADDRESS_REMOVED);
}

static void
link_remove (WgdAddressMonitor *mon, Link *link)
{
  if (link->up)
    link_emit_all (mon, link, WGD_ADDRESS_REMOVED);
  monitor_emit_link (mon, WGD_LINK_REMOVED, link);
  g_hash_table_remove (mon->links, GUINT_TO_POINTER (link->ifindex));
}

static gint
link_find_address (Link *link, const WgdLocalAddress *addr)
{
  for (guint i = 0; i < link->addresses->len; i++)
    {
      const WgdLocalAddress *a = &g_array_index (link->addresses, WgdLocalAddress, i);

      if (a->family == addr->family && a->prefix_length == addr->prefix_length
          && memcmp (a->address, addr->address, sizeof a->address) == 0)
        return (gint) i;
    }
  return -1;
}

static int
link_attr (const struct nlattr *attr, void *data)
{
  const struct nlattr **tb = data;
  guint16 type = mnl_attr_get_type (attr);

  if (type == IFLA_IFNAME && mnl_attr_validate (attr, MNL_TYPE_NUL_STRING) >= 0)
    tb[IFLA_IFNAME] = attr;
  return MNL_CB_OK;
}

static void
handle_link (WgdAddressMonitor *mon, const struct nlmsghdr *nlh)
{
  const struct ifinfomsg *ifi;
  const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
  Link *link;

  if (mnl_nlmsg_get_payload_len (nlh) < sizeof *ifi)
    return;
  ifi = mnl_nlmsg_get_payload (nlh);
  if (nlh->nlmsg_type == RTM_DELLINK)
    {
      link = g_hash_table_lookup (mon->links, GUINT_TO_POINTER ((guint32) ifi->ifi_index));
      if (link != NULL)
        link_remove (mon, link);
      return;
    }
  if (mnl_attr_parse (nlh, sizeof *ifi, link_attr, tb) < 0)
    return;
  link = monitor_get_link (mon, (guint32) ifi->ifi_index);
  link->seen = TRUE;
  if (tb[IFLA_IFNAME] != NULL && strcmp (link->name, mnl_attr_get_str (tb[IFLA_IFNAME])) != 0)
    {
      monitor_emit_link (mon, WGD_LINK_REMOVED, link);
      g_strlcpy (link->name, mnl_attr_get_str (tb[IFLA_IFNAME]), sizeof link->name);
      monitor_emit_link (mon, WGD_LINK_ADDED, link);
    }
  for (guint i = 0; i < link->addresses->len; i++)
    g_strlcpy (g_array_index (link->addresses, WgdLocalAddress, i).ifname, link->name,
               IFNAMSIZ);
  /* Administratively up and operationally running: addresses are reachable. */
  link_set_up (mon, link, (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING));
}

static int
addr_attr (const struct nlattr *attr, void *data)
{
  const struct nlattr **tb = data;
  guint16 type = mnl_attr_get_type (attr);

  if ((type == IFA_ADDRESS || type == IFA_LOCAL) && mnl_attr_validate (attr, MNL_TYPE_BINARY) >= 0)
    tb[type] = attr;
  return MNL_CB_OK;
}

static void
handle_addr (WgdAddressMonitor *mon, const struct nlmsghdr *nlh)
{
  const struct ifaddrmsg *ifa;
  const struct nlattr *tb[IFA_MAX + 1] = { NULL };
  const struct nlattr *a;
  WgdLocalAddress addr = { 0 };
  gsize alen;
  Link *link;
  gint index;

  if (mnl_nlmsg_get_payload_len (nlh) < sizeof *ifa)
    return;
  ifa = mnl_nlmsg_get_payload (nlh);
  if (ifa->ifa_family == AF_INET)
    addr.family = 4, alen = 4;
  else if (ifa->ifa_family == AF_INET6)
    addr.family = 6, alen = 16;
  else
    return;
  if (mnl_attr_parse (nlh, sizeof *ifa, addr_attr, tb) < 0)
    return;
  /* On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours. */
  a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  if (a == NULL || mnl_attr_get_payload_len (a) != alen)
    return;
  memcpy (addr.address, mnl_attr_get_payload (a), alen);
  addr.ifindex = ifa->ifa_index;
  addr.prefix_length = ifa->ifa_prefixlen;
  addr.scope = ifa->ifa_scope;

  link = monitor_get_link (mon, ifa->ifa_index);
  g_strlcpy (addr.ifname, link->name, sizeof addr.ifname);
  index = link_find_address (link, &addr);
  if (nlh->nlmsg_type == RTM_DELADDR)
    {
      if (index < 0)
        return;
      g_array_remove_index (link->addresses, (guint) index);
      g_array_remove_index (link->seen_addresses, (guint) index);
      if (link->up)
        monitor_emit (mon, WGD_ADDRESS_REMOVED, &addr);
      return;
    }
  if (index >= 0)
    {
      g_array_index (link->seen_addresses, gboolean, index) = TRUE;
      return;
    }
  g_array_append_val (link->addresses, addr);
  g_array_append_val (link->seen_addresses, (gboolean) { TRUE });
  if (link->up)
    monitor_emit (mon, WGD_ADDRESS_ADDED, &addr);
}

static int
route_attr (const struct nlattr *attr, void *data)
{
  const struct nlattr **tb = data;

  if (mnl_attr_get_type (attr) == RTA_OIF && mnl_attr_validate (attr, MNL_TYPE_U32) >= 0)
    tb[RTA_OIF] = attr;
  return MNL_CB_OK;
}

/* A route added or removed through a link we know: whoever adds a
 * WireGuard peer (wg-quick, NetworkManager) routes its allowed-ips
 * through the interface just after, and removes that route with the
 * peer (NetworkManager, networkd); nothing else says that peers
 * changed. */
static void
handle_route (WgdAddressMonitor *mon, const struct nlmsghdr *nlh)
{
  const struct nlattr *tb[RTA_MAX + 1] = { NULL };
  const Link *link;

  if (mnl_nlmsg_get_payload_len (nlh) < sizeof (struct rtmsg)
      || mnl_attr_parse (nlh, sizeof (struct rtmsg), route_attr, tb) < 0 || tb[RTA_OIF] == NULL)
    return;
  link = g_hash_table_lookup (mon->links, GUINT_TO_POINTER (mnl_attr_get_u32 (tb[RTA_OIF])));
  if (link != NULL)
    monitor_emit_link (mon, WGD_LINK_ROUTED, link);
}

static int
monitor_message (const struct nlmsghdr *nlh, void *data)
{
  WgdAddressMonitor *mon = data;

  switch (nlh->nlmsg_type)
    {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      handle_link (mon, nlh);
      break;
    case RTM_NEWADDR:
    case RTM_DELADDR:
      handle_addr (mon, nlh);
      break;
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
      handle_route (mon, nlh);
      break;
    default:
      break;
    }
  return MNL_CB_OK;
}

/* Reads what is queued; returns the mnl_cb_run result of the last batch
 * (MNL_CB_STOP once a dump is complete). */
static int
monitor_receive (WgdAddressMonitor *mon, gboolean *overrun)
{
  ssize_t n = mnl_socket_recvfrom (mon->nl, mon->buf, MNL_SOCKET_BUFFER_SIZE);

  if (n < 0)
    {
      if (errno == ENOBUFS)
        *overrun = TRUE;
      return errno == EAGAIN || errno == EINTR || errno == ENOBUFS ? MNL_CB_OK : MNL_CB_ERROR;
    }
  return mnl_cb_run (mon->buf, (size_t) n, 0, 0, monitor_message, mon);
}

static gboolean
monitor_dump (WgdAddressMonitor *mon, guint16 type, GError **error)
{
  guint8 req[64];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (req);
  struct rtgenmsg *gen;
  gboolean overrun = FALSE;
  int ret;

  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = ++mon->seq;
  gen = mnl_nlmsg_put_extra_header (nlh, sizeof *gen);
  gen->rtgen_family = AF_UNSPEC;
  if (mnl_socket_sendto (mon->nl, nlh, nlh->nlmsg_len) < 0)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "rtnetlink dump request failed: %s",
                   g_strerror (errno));
      return FALSE;
    }
  do
    ret = monitor_receive (mon, &overrun);
  while (ret > MNL_CB_STOP);
  if (ret < 0)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "rtnetlink dump failed: %s",
                   g_strerror (errno));
      return FALSE;
    }
  /* Notifications lost during the dump are caught by another pass. */
  mon->resync |= overrun;
  return TRUE;
}

/* Re-reads everything and reports what changed while we were deaf. */
static gboolean
monitor_resync (WgdAddressMonitor *mon, GError **error)
{
  GHashTableIter iter;
  gpointer value;

  mon->resync = FALSE;
  g_hash_table_iter_init (&iter, mon->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Link *link = value;

      link->seen = FALSE;
      for (guint i = 0; i < link->seen_addresses->len; i++)
        g_array_index (link->seen_addresses, gboolean, i) = FALSE;
    }
  if (!monitor_dump (mon, RTM_GETLINK, error) || !monitor_dump (mon, RTM_GETADDR, error))
    return FALSE;

  g_hash_table_iter_init (&iter, mon->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Link *link = value;

      if (!link->seen)
        {
          if (link->up)
            link_emit_all (mon, link, WGD_ADDRESS_REMOVED);
          monitor_emit_link (mon, WGD_LINK_REMOVED, link);
          g_hash_table_iter_remove (&iter);
          continue;
        }
      for (guint i = link->addresses->len; i > 0; i--)
        if (!g_array_index (link->seen_addresses, gboolean, i - 1))
          {
            WgdLocalAddress gone = g_array_index (link->addresses, WgdLocalAddress, i - 1);

            g_array_remove_index (link->addresses, i - 1);
            g_array_remove_index (link->seen_addresses, i - 1);
            if (link->up)
              monitor_emit (mon, WGD_ADDRESS_REMOVED, &gone);
          }
    }
  return TRUE;
}

static gboolean
monitor_readable (gint fd, GIOCondition condition, gpointer data)
{
  WgdAddressMonitor *mon = data;
  gboolean overrun = FALSE;

  if (monitor_receive (mon, &overrun) < 0)
    g_warning ("rtnetlink: reading address changes failed: %s", g_strerror (errno));
  if (overrun || mon->resync)
    {
      g_autoptr (GError) error = NULL;

      g_info ("rtnetlink: notifications were lost; re-reading all addresses");
      if (!monitor_resync (mon, &error))
        g_warning ("%s", error->message);
    }
  return G_SOURCE_CONTINUE;
}

WgdAddressMonitor *
wgd_address_monitor_new (WgdAddressMonitorFunc func, gpointer user_data, GError **error)
{
  g_autoptr (WgdAddressMonitor) mon = g_new0 (WgdAddressMonitor, 1);
  guint groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;

  mon->func = func;
  mon->user_data = user_data;
  mon->links = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) link_free);
  mon->buf = g_malloc (MNL_SOCKET_BUFFER_SIZE);
  mon->nl = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (mon->nl == NULL || mnl_socket_bind (mon->nl, groups, MNL_SOCKET_AUTOPID) < 0)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "cannot open an rtnetlink socket: %s",
                   g_strerror (errno));
      return NULL;
    }
  mon->quiet = TRUE;
  if (!monitor_resync (mon, error))
    return NULL;
  mon->quiet = FALSE;
  mon->source_id = g_unix_fd_add (mnl_socket_get_fd (mon->nl), G_IO_IN, monitor_readable, mon);
  return g_steal_pointer (&mon);
}

gboolean
wgd_address_monitor_set_link_func (WgdAddressMonitor *mon, WgdLinkFunc func, GError **error)
{
  static const int groups[] = { RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE };

  /* Routes only for whoever follows links: a router's table can change
   * often, and the address monitor alone has no use for it. */
  for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
    if (mnl_socket_setsockopt (mon->nl, NETLINK_ADD_MEMBERSHIP, (void *) &groups[i],
                               sizeof groups[i]) < 0)
      {
        g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "cannot follow routes on rtnetlink: %s",
                     g_strerror (errno));
        return FALSE;
      }
  mon->link_func = func;
  return TRUE;
}

void
wgd_address_monitor_free (WgdAddressMonitor *mon)
{
  if (mon == NULL)
    return;
  if (mon->source_id != 0)
    g_source_remove (mon->source_id);
  if (mon->nl != NULL)
    mnl_socket_close (mon->nl);
  g_clear_pointer (&mon->links, g_hash_table_unref);
  g_free (mon->buf);
  g_free (mon);
}

GArray *
wgd_address_monitor_get_addresses (WgdAddressMonitor *mon)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (WgdLocalAddress));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, mon->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Link *link = value;

      if (link->up)
        g_array_append_vals (all, link->addresses->data, link->addresses->len);
    }
  return all;
}
