/* netlink-parse.c — WG_CMD_GET_DEVICE replies into a WgdDevice.
 *
 * Every attribute is validated for type and length before use, and
 * attributes this code does not know are skipped, as newer kernels may
 * add some. */
#include "config.h"

#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "netlink-parse.h"

/* Attribute tables, indexed by type: one per nesting level. */
typedef struct {
  const struct nlattr **table;
  guint16 max;
} AttrTable;

static int
table_fill (const struct nlattr *attr, void *data)
{
  AttrTable *t = data;
  guint16 type = mnl_attr_get_type (attr);

  if (type <= t->max)
    t->table[type] = attr;
  return MNL_CB_OK;
}

static gboolean
protocol_error (GError **error, const gchar *what)
{
  g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PROTOCOL,
               "malformed WireGuard netlink reply: %s", what);
  return FALSE;
}

static gboolean
attr_is (const struct nlattr *attr, enum mnl_attr_data_type type)
{
  return attr == NULL || mnl_attr_validate (attr, type) >= 0;
}

static gboolean
attr_has_len (const struct nlattr *attr, gsize len)
{
  return attr == NULL || mnl_attr_get_payload_len (attr) == len;
}

static gboolean
parse_allowed_ip (const struct nlattr *nest, WgdPeer *peer, GError **error)
{
  const struct nlattr *tb[WGALLOWEDIP_A_CIDR_MASK + 1] = { NULL };
  AttrTable t = { tb, WGALLOWEDIP_A_CIDR_MASK };
  WgdPrefix prefix = { 0 };
  guint16 family;
  gsize alen;

  if (mnl_attr_parse_nested (nest, table_fill, &t) < 0)
    return protocol_error (error, "bad allowed-ip nesting");
  if (tb[WGALLOWEDIP_A_FAMILY] == NULL || tb[WGALLOWEDIP_A_IPADDR] == NULL
      || tb[WGALLOWEDIP_A_CIDR_MASK] == NULL || !attr_is (tb[WGALLOWEDIP_A_FAMILY], MNL_TYPE_U16)
      || !attr_is (tb[WGALLOWEDIP_A_CIDR_MASK], MNL_TYPE_U8))
    return protocol_error (error, "allowed-ip without family, address or mask");
  family = mnl_attr_get_u16 (tb[WGALLOWEDIP_A_FAMILY]);
  if (family == AF_INET)
    prefix.family = 4, alen = 4;
  else if (family == AF_INET6)
    prefix.family = 6, alen = 16;
  else
    return protocol_error (error, "allowed-ip of an unknown address family");
  if (mnl_attr_get_payload_len (tb[WGALLOWEDIP_A_IPADDR]) != alen)
    return protocol_error (error, "allowed-ip address of the wrong length");
  memcpy (prefix.address, mnl_attr_get_payload (tb[WGALLOWEDIP_A_IPADDR]), alen);
  prefix.length = mnl_attr_get_u8 (tb[WGALLOWEDIP_A_CIDR_MASK]);
  if (prefix.length > alen * 8)
    return protocol_error (error, "allowed-ip mask longer than the address");
  g_array_append_val (peer->allowed_ips, prefix);
  return TRUE;
}

static gboolean
parse_endpoint (const struct nlattr *attr, WgdSockaddr *out)
{
  gsize len = mnl_attr_get_payload_len (attr);
  const struct sockaddr *sa = mnl_attr_get_payload (attr);
  sa_family_t family;

  if (len < sizeof family)
    return FALSE;
  memcpy (&family, &sa->sa_family, sizeof family);
  if (family == AF_INET && len == sizeof (struct sockaddr_in))
    memcpy (&out->in, sa, sizeof out->in);
  else if (family == AF_INET6 && len == sizeof (struct sockaddr_in6))
    memcpy (&out->in6, sa, sizeof out->in6);
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_peer (const struct nlattr *nest, WgdDevice *device, GError **error)
{
  const struct nlattr *tb[WGPEER_A_PROTOCOL_VERSION + 1] = { NULL };
  AttrTable t = { tb, WGPEER_A_PROTOCOL_VERSION };
  const struct nlattr *key = NULL;
  const struct nlattr *ip;
  WgdPeer *peer = NULL;
  WgdPeer *last;

  if (mnl_attr_parse_nested (nest, table_fill, &t) < 0)
    return protocol_error (error, "bad peer nesting");
  key = tb[WGPEER_A_PUBLIC_KEY];
  if (key == NULL || mnl_attr_get_payload_len (key) != WGD_KEY_LEN)
    return protocol_error (error, "peer without a 32-byte public key");
  if (!attr_has_len (tb[WGPEER_A_PRESHARED_KEY], WGD_KEY_LEN)
      || !attr_is (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL], MNL_TYPE_U16)
      || !attr_has_len (tb[WGPEER_A_LAST_HANDSHAKE_TIME], 2 * sizeof (gint64))
      || !attr_is (tb[WGPEER_A_RX_BYTES], MNL_TYPE_U64)
      || !attr_is (tb[WGPEER_A_TX_BYTES], MNL_TYPE_U64)
      || !attr_is (tb[WGPEER_A_ALLOWEDIPS], MNL_TYPE_NESTED))
    return protocol_error (error, "peer attribute of the wrong type or length");

  /* The kernel continues a peer whose allowed-ips did not fit in the
   * previous message by repeating its public key. */
  last = device->peers->len ? g_ptr_array_index (device->peers, device->peers->len - 1) : NULL;
  if (last != NULL && memcmp (last->public_key, mnl_attr_get_payload (key), WGD_KEY_LEN) == 0)
    peer = last;
  else
    {
      peer = wgd_peer_new ();
      memcpy (peer->public_key, mnl_attr_get_payload (key), WGD_KEY_LEN);
      g_ptr_array_add (device->peers, peer);
    }

  if (tb[WGPEER_A_PRESHARED_KEY] != NULL)
    {
      static const guint8 zero[WGD_KEY_LEN];

      peer->has_preshared_key =
        memcmp (mnl_attr_get_payload (tb[WGPEER_A_PRESHARED_KEY]), zero, WGD_KEY_LEN) != 0;
    }
  if (tb[WGPEER_A_ENDPOINT] != NULL && !parse_endpoint (tb[WGPEER_A_ENDPOINT], &peer->endpoint))
    return protocol_error (error, "peer endpoint is not a sockaddr_in or sockaddr_in6");
  if (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] != NULL)
    peer->persistent_keepalive = mnl_attr_get_u16 (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
  if (tb[WGPEER_A_LAST_HANDSHAKE_TIME] != NULL)
    {
      gint64 ts[2];

      memcpy (ts, mnl_attr_get_payload (tb[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof ts);
      peer->last_handshake_sec = ts[0];
      peer->last_handshake_nsec = ts[1];
    }
  if (tb[WGPEER_A_RX_BYTES] != NULL)
    peer->rx_bytes = mnl_attr_get_u64 (tb[WGPEER_A_RX_BYTES]);
  if (tb[WGPEER_A_TX_BYTES] != NULL)
    peer->tx_bytes = mnl_attr_get_u64 (tb[WGPEER_A_TX_BYTES]);
  if (tb[WGPEER_A_ALLOWEDIPS] != NULL)
    mnl_attr_for_each_nested (ip, tb[WGPEER_A_ALLOWEDIPS])
      if (!parse_allowed_ip (ip, peer, error))
        return FALSE;
  return TRUE;
}

gboolean
wgd_netlink_parse_device (const struct nlmsghdr *nlh, WgdDevice *device, GError **error)
{
  const struct nlattr *tb[WGDEVICE_A_PEERS + 1] = { NULL };
  AttrTable t = { tb, WGDEVICE_A_PEERS };
  const struct nlattr *peer;

  if (mnl_nlmsg_get_payload_len (nlh) < sizeof (struct genlmsghdr))
    return protocol_error (error, "message shorter than its generic netlink header");
  if (mnl_attr_parse (nlh, sizeof (struct genlmsghdr), table_fill, &t) < 0)
    return protocol_error (error, "bad attribute layout");
  if (!attr_is (tb[WGDEVICE_A_IFINDEX], MNL_TYPE_U32)
      || !attr_is (tb[WGDEVICE_A_IFNAME], MNL_TYPE_NUL_STRING)
      || !attr_has_len (tb[WGDEVICE_A_PRIVATE_KEY], WGD_KEY_LEN)
      || !attr_has_len (tb[WGDEVICE_A_PUBLIC_KEY], WGD_KEY_LEN)
      || !attr_is (tb[WGDEVICE_A_LISTEN_PORT], MNL_TYPE_U16)
      || !attr_is (tb[WGDEVICE_A_FWMARK], MNL_TYPE_U32)
      || !attr_is (tb[WGDEVICE_A_PEERS], MNL_TYPE_NESTED))
    return protocol_error (error, "device attribute of the wrong type or length");

  if (tb[WGDEVICE_A_IFINDEX] != NULL)
    device->ifindex = mnl_attr_get_u32 (tb[WGDEVICE_A_IFINDEX]);
  if (tb[WGDEVICE_A_IFNAME] != NULL)
    {
      const gchar *name = mnl_attr_get_str (tb[WGDEVICE_A_IFNAME]);

      if (strnlen (name, sizeof device->name) >= sizeof device->name)
        return protocol_error (error, "interface name too long");
      g_strlcpy (device->name, name, sizeof device->name);
    }
  if (tb[WGDEVICE_A_PRIVATE_KEY] != NULL)
    {
      static const guint8 zero[WGD_KEY_LEN];

      /* Only whether one is set: the key itself is not kept. */
      device->has_private_key =
        memcmp (mnl_attr_get_payload (tb[WGDEVICE_A_PRIVATE_KEY]), zero, WGD_KEY_LEN) != 0;
    }
  if (tb[WGDEVICE_A_PUBLIC_KEY] != NULL)
    {
      memcpy (device->public_key, mnl_attr_get_payload (tb[WGDEVICE_A_PUBLIC_KEY]), WGD_KEY_LEN);
      device->has_public_key = TRUE;
    }
  if (tb[WGDEVICE_A_LISTEN_PORT] != NULL)
    device->listen_port = mnl_attr_get_u16 (tb[WGDEVICE_A_LISTEN_PORT]);
  if (tb[WGDEVICE_A_FWMARK] != NULL)
    device->fwmark = mnl_attr_get_u32 (tb[WGDEVICE_A_FWMARK]);
  if (tb[WGDEVICE_A_PEERS] != NULL)
    mnl_attr_for_each_nested (peer, tb[WGDEVICE_A_PEERS])
      if (!parse_peer (peer, device, error))
        return FALSE;
  return TRUE;
}
