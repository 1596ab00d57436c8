/* wg-netlink.c — the kernel backend: the "wireguard" generic netlink
 * family through libmnl (docs/architecture.md §7).
 *
 * Changes are sent as WG_CMD_SET_DEVICE messages that name only what
 * changes, never WGDEVICE_F_REPLACE_PEERS, so peers the caller does not
 * mention are left exactly as they are. A change too big for one message
 * is split; a peer whose allowed-ips do not fit is continued in the next
 * message without the replace flag, as the kernel documents. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <sodium.h>

#include "netlink-parse.h"
#include "wg-device.h"

/* Large enough for any dump message the kernel builds for us. */
#define RECV_BUFFER_SIZE 32768

typedef struct {
  struct mnl_socket *nl;
  guint32 portid;
  guint32 seq;
  guint16 family;
  const gchar *ifname;
  guint8 *buf;                  /* RECV_BUFFER_SIZE; wiped: it held keys */
} Netlink;

static void
netlink_close (Netlink *nl)
{
  if (nl->nl != NULL)
    mnl_socket_close (nl->nl);
  if (nl->buf != NULL)
    {
      sodium_memzero (nl->buf, RECV_BUFFER_SIZE);
      g_free (nl->buf);
    }
  memset (nl, 0, sizeof *nl);
}

static gboolean
netlink_fail (const Netlink *nl, int err, GError **error)
{
  switch (err)
    {
    case EPERM:
    case EACCES:
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PERMISSION,
                   "permission denied on WireGuard interface %s: CAP_NET_ADMIN is needed",
                   nl->ifname);
      break;
    case ENODEV:
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_NO_DEVICE,
                   "no such network interface: %s", nl->ifname);
      break;
    case EOPNOTSUPP:
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_NOT_WIREGUARD,
                   "%s is not a WireGuard interface", nl->ifname);
      break;
    default:
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                   "WireGuard netlink request for %s failed: %s", nl->ifname, g_strerror (err));
      break;
    }
  return FALSE;
}

/* Sends one request and feeds every reply message to cb until the
 * kernel's final ACK or DONE. */
static gboolean
netlink_transact (Netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, gpointer data,
                  GError **error)
{
  guint32 seq = nlh->nlmsg_seq = ++nl->seq;
  int ret;

  if (mnl_socket_sendto (nl->nl, nlh, nlh->nlmsg_len) < 0)
    return netlink_fail (nl, errno, error);
  do
    {
      ssize_t n = mnl_socket_recvfrom (nl->nl, nl->buf, RECV_BUFFER_SIZE);

      if (n < 0)
        return netlink_fail (nl, errno, error);
      errno = 0;
      ret = mnl_cb_run (nl->buf, (size_t) n, seq, nl->portid, cb, data);
      if (ret < 0)
        {
          /* A callback that failed has set error already. */
          if (error != NULL && *error != NULL)
            return FALSE;
          return netlink_fail (nl, errno ? errno : EPROTO, error);
        }
    }
  while (ret > MNL_CB_STOP);
  return TRUE;
}

static struct nlmsghdr *
netlink_put_request (guint8 *buf, guint16 type, guint16 flags, guint8 cmd, guint8 version)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  struct genlmsghdr *genl;

  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  genl = mnl_nlmsg_put_extra_header (nlh, sizeof *genl);
  genl->cmd = cmd;
  genl->version = version;
  return nlh;
}

typedef struct {
  guint16 id;
} FamilyReply;

static int
family_attr (const struct nlattr *attr, void *data)
{
  FamilyReply *reply = data;

  if (mnl_attr_get_type (attr) == CTRL_ATTR_FAMILY_ID
      && mnl_attr_validate (attr, MNL_TYPE_U16) >= 0)
    reply->id = mnl_attr_get_u16 (attr);
  return MNL_CB_OK;
}

static int
family_reply (const struct nlmsghdr *nlh, void *data)
{
  if (mnl_nlmsg_get_payload_len (nlh) < sizeof (struct genlmsghdr))
    return MNL_CB_ERROR;
  return mnl_attr_parse (nlh, sizeof (struct genlmsghdr), family_attr, data) < 0
           ? MNL_CB_ERROR : MNL_CB_OK;
}

static gboolean
netlink_open (Netlink *nl, const gchar *ifname, GError **error)
{
  guint8 buf[256];
  struct nlmsghdr *nlh;
  FamilyReply reply = { 0 };
  g_autoptr (GError) local = NULL;

  memset (nl, 0, sizeof *nl);
  nl->ifname = ifname;
  if (!wgd_ifname_is_valid (ifname))
    {
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_NO_DEVICE,
                   "'%s' is not a valid interface name", ifname);
      return FALSE;
    }
  if (if_nametoindex (ifname) == 0)
    return netlink_fail (nl, ENODEV, error);
  nl->nl = mnl_socket_open2 (NETLINK_GENERIC, SOCK_CLOEXEC);
  if (nl->nl == NULL || mnl_socket_bind (nl->nl, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      int err = errno;

      netlink_close (nl);
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                   "cannot open a generic netlink socket: %s", g_strerror (err));
      return FALSE;
    }
  nl->portid = mnl_socket_get_portid (nl->nl);
  nl->seq = (guint32) g_get_monotonic_time ();
  nl->buf = g_malloc (RECV_BUFFER_SIZE);

  nlh = netlink_put_request (buf, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
  mnl_attr_put_strz (nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
  if (!netlink_transact (nl, nlh, family_reply, &reply, &local) || reply.id == 0)
    {
      g_autofree gchar *path = wgd_uapi_socket_path (ifname);

      netlink_close (nl);
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_UNSUPPORTED,
                   "cannot reach WireGuard interface %s: no userspace implementation serves "
                   "it (no UAPI socket %s) and the kernel has no WireGuard support (is the "
                   "wireguard module loaded?)", ifname, path);
      return FALSE;
    }
  nl->family = reply.id;
  return TRUE;
}

typedef struct {
  WgdDevice *device;
  GError **error;
} GetContext;

static int
device_reply (const struct nlmsghdr *nlh, void *data)
{
  GetContext *ctx = data;

  return wgd_netlink_parse_device (nlh, ctx->device, ctx->error) ? MNL_CB_OK : MNL_CB_ERROR;
}

static WgdDevice *
netlink_get (const gchar *ifname, GError **error)
{
  Netlink nl;
  guint8 buf[256];
  struct nlmsghdr *nlh;
  g_autoptr (WgdDevice) device = NULL;
  GetContext ctx;
  gboolean ok;

  if (!netlink_open (&nl, ifname, error))
    return NULL;
  device = wgd_device_new (ifname);
  ctx = (GetContext) { device, error };
  nlh = netlink_put_request (buf, nl.family, NLM_F_DUMP, WG_CMD_GET_DEVICE, WG_GENL_VERSION);
  mnl_attr_put_strz (nlh, WGDEVICE_A_IFNAME, ifname);
  ok = netlink_transact (&nl, nlh, device_reply, &ctx, error);
  netlink_close (&nl);
  return ok ? g_steal_pointer (&device) : NULL;
}

static struct nlmsghdr *
set_message_new (Netlink *nl, guint8 *buf)
{
  struct nlmsghdr *nlh = netlink_put_request (buf, nl->family, 0, WG_CMD_SET_DEVICE,
                                              WG_GENL_VERSION);

  mnl_attr_put_strz (nlh, WGDEVICE_A_IFNAME, nl->ifname);
  return nlh;
}

static gboolean
put_endpoint (struct nlmsghdr *nlh, gsize cap, const WgdSockaddr *ep)
{
  if (ep->sa.sa_family == AF_INET)
    return mnl_attr_put_check (nlh, cap, WGPEER_A_ENDPOINT, sizeof ep->in, &ep->in);
  if (ep->sa.sa_family == AF_INET6)
    return mnl_attr_put_check (nlh, cap, WGPEER_A_ENDPOINT, sizeof ep->in6, &ep->in6);
  return FALSE;
}

static gboolean
put_allowed_ip (struct nlmsghdr *nlh, gsize cap, const WgdPrefix *prefix)
{
  struct nlattr *nest = mnl_attr_nest_start_check (nlh, cap, 0);
  gboolean v4 = prefix->family == 4;

  if (nest == NULL)
    return FALSE;
  if (!mnl_attr_put_u16_check (nlh, cap, WGALLOWEDIP_A_FAMILY, v4 ? AF_INET : AF_INET6)
      || !mnl_attr_put_check (nlh, cap, WGALLOWEDIP_A_IPADDR, v4 ? 4 : 16, prefix->address)
      || !mnl_attr_put_u8_check (nlh, cap, WGALLOWEDIP_A_CIDR_MASK, prefix->length))
    {
      mnl_attr_nest_cancel (nlh, nest);
      return FALSE;
    }
  mnl_attr_nest_end (nlh, nest);
  return TRUE;
}

/* Writes as much of change as fits, from allowed-ip *next_ip on.
 * Returns FALSE when not even the peer's head fit. On TRUE, *next_ip is
 * n_allowed_ips when the peer is complete, else where to continue. */
static gboolean
put_peer (struct nlmsghdr *nlh, gsize cap, const WgdPeerChange *change, gsize *next_ip)
{
  gboolean first = *next_ip == 0;
  struct nlattr *peer = mnl_attr_nest_start_check (nlh, cap, 0);
  struct nlattr *ips;
  guint32 flags = 0;
  gboolean touches_ips = change->flags & (WGD_PEER_ADD_ALLOWED_IPS | WGD_PEER_REPLACE_ALLOWED_IPS);

  if (peer == NULL)
    return FALSE;
  if (change->flags & WGD_PEER_REMOVE)
    flags |= WGPEER_F_REMOVE_ME;
  if (first && (change->flags & WGD_PEER_REPLACE_ALLOWED_IPS))
    flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
  /* A change that only moves a peer must not resurrect one that was
   * removed meanwhile. */
  if (!touches_ips && !(change->flags & WGD_PEER_REMOVE))
    flags |= WGPEER_F_UPDATE_ONLY;
  if (!mnl_attr_put_check (nlh, cap, WGPEER_A_PUBLIC_KEY, WGD_KEY_LEN, change->public_key)
      || (flags && !mnl_attr_put_u32_check (nlh, cap, WGPEER_A_FLAGS, flags))
      || (first && (change->flags & WGD_PEER_SET_ENDPOINT)
          && !put_endpoint (nlh, cap, &change->endpoint))
      || (first && (change->flags & WGD_PEER_SET_KEEPALIVE)
          && !mnl_attr_put_u16_check (nlh, cap, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
                                      change->persistent_keepalive)))
    goto cancel;
  if (touches_ips && !(change->flags & WGD_PEER_REMOVE))
    {
      gsize before = *next_ip;

      ips = mnl_attr_nest_start_check (nlh, cap, WGPEER_A_ALLOWEDIPS);
      if (ips == NULL)
        goto cancel;
      while (*next_ip < change->n_allowed_ips
             && put_allowed_ip (nlh, cap, &change->allowed_ips[*next_ip]))
        (*next_ip)++;
      /* Nothing of a non-empty list fit: try again in a fresh message. */
      if (*next_ip == before && before < change->n_allowed_ips)
        goto cancel;
      mnl_attr_nest_end (nlh, ips);
    }
  else
    *next_ip = change->n_allowed_ips;
  mnl_attr_nest_end (nlh, peer);
  return TRUE;

cancel:
  mnl_attr_nest_cancel (nlh, peer);
  return FALSE;
}

static gboolean
change_is_valid (const WgdPeerChange *change, GError **error)
{
  if ((change->flags & WGD_PEER_SET_ENDPOINT) && change->endpoint.sa.sa_family != AF_INET
      && change->endpoint.sa.sa_family != AF_INET6)
    {
      g_set_error_literal (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                           "a peer endpoint must be an IPv4 or IPv6 address");
      return FALSE;
    }
  for (gsize i = 0; i < change->n_allowed_ips; i++)
    if (!wgd_prefix_is_valid (&change->allowed_ips[i]))
      {
        g_set_error_literal (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                             "an allowed-ip must be an IPv4 or IPv6 prefix");
        return FALSE;
      }
  return TRUE;
}

static gboolean
netlink_set_peers (const gchar *ifname, const WgdPeerChange *changes, gsize n_changes,
                   GError **error)
{
  Netlink nl;
  gsize cap = MNL_SOCKET_BUFFER_SIZE;
  g_autofree guint8 *buf = NULL;
  gsize i = 0, next_ip = 0;
  gboolean ok = TRUE;

  for (gsize k = 0; k < n_changes; k++)
    if (!change_is_valid (&changes[k], error))
      return FALSE;
  if (n_changes == 0)
    return TRUE;
  if (!netlink_open (&nl, ifname, error))
    return FALSE;
  buf = g_malloc (cap);
  while (ok && i < n_changes)
    {
      struct nlmsghdr *nlh = set_message_new (&nl, buf);
      struct nlattr *peers = mnl_attr_nest_start (nlh, WGDEVICE_A_PEERS);
      gsize written = 0;

      while (i < n_changes && put_peer (nlh, cap, &changes[i], &next_ip))
        {
          written++;
          if (next_ip < changes[i].n_allowed_ips)
            break;            /* the rest of this peer goes in the next message */
          i++;
          next_ip = 0;
        }
      /* An empty message means one peer's head alone does not fit. */
      g_assert (written > 0);
      mnl_attr_nest_end (nlh, peers);
      ok = netlink_transact (&nl, nlh, NULL, NULL, error);
    }
  netlink_close (&nl);
  return ok;
}

static gboolean
netlink_set_device (const gchar *ifname, const guint8 *private_key, gint listen_port,
                    GError **error)
{
  Netlink nl;
  guint8 buf[256];
  struct nlmsghdr *nlh;
  gboolean ok;

  if (listen_port > G_MAXUINT16)
    {
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                   "listen port %d is out of range", listen_port);
      return FALSE;
    }
  if (!netlink_open (&nl, ifname, error))
    return FALSE;
  nlh = set_message_new (&nl, buf);
  if (private_key != NULL)
    mnl_attr_put (nlh, WGDEVICE_A_PRIVATE_KEY, WGD_KEY_LEN, private_key);
  if (listen_port >= 0)
    mnl_attr_put_u16 (nlh, WGDEVICE_A_LISTEN_PORT, (guint16) listen_port);
  ok = netlink_transact (&nl, nlh, NULL, NULL, error);
  sodium_memzero (buf, sizeof buf);
  netlink_close (&nl);
  return ok;
}

const WgdBackend wgd_backend_netlink = {
  .name = "netlink",
  .get = netlink_get,
  .set_peers = netlink_set_peers,
  .set_device = netlink_set_device,
};
