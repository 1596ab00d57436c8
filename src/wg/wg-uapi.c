/* wg-uapi.c — the userspace backend: the cross-platform UAPI text
 * protocol over /var/run/wireguard/IFACE.sock (wireguard-go, boringtun).
 *
 * A change is one "set=1" transaction naming only what changes; moves
 * carry update_only=true so that a peer removed meanwhile is not
 * re-created. Socket timeouts keep a stuck implementation from stalling
 * the caller. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <sodium.h>

#include "uapi-parse.h"
#include "wg-device.h"

#define UAPI_TIMEOUT_SECONDS 5
/* Far beyond a device with tens of thousands of peers. */
#define UAPI_REPLY_MAX (64 * 1024 * 1024)

static gboolean
uapi_fail (const gchar *ifname, const gchar *path, int err, GError **error)
{
  switch (err)
    {
    case ENOENT:
    case ECONNREFUSED:
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_NO_DEVICE,
                   "no WireGuard interface %s (no UAPI socket listening at %s)", ifname, path);
      break;
    case EACCES:
    case EPERM:
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PERMISSION,
                   "permission denied on WireGuard interface %s: its UAPI socket %s is "
                   "root's (a userspace implementation needs root, not only CAP_NET_ADMIN)",
                   ifname, path);
      break;
    case EAGAIN:
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                   "WireGuard interface %s did not answer within %d s", ifname,
                   UAPI_TIMEOUT_SECONDS);
      break;
    default:
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                   "talking to WireGuard interface %s over %s failed: %s", ifname, path,
                   g_strerror (err));
      break;
    }
  return FALSE;
}

/* A reply holds the interface's private key: it is wiped when freed,
 * and growing it wipes the old copy, which g_string_append_len would
 * leave behind in freed memory. */
typedef GString UapiReply;

static void
uapi_reply_free (UapiReply *reply)
{
  sodium_memzero (reply->str, reply->allocated_len);
  g_string_free (reply, TRUE);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UapiReply, uapi_reply_free)

static UapiReply *
uapi_reply_append (UapiReply *reply, const gchar *data, gsize len)
{
  UapiReply *grown;

  if (reply->len + len < reply->allocated_len)
    return g_string_append_len (reply, data, (gssize) len);
  grown = g_string_sized_new (MAX (2 * reply->allocated_len, reply->len + len + 1));
  g_string_append_len (grown, reply->str, (gssize) reply->len);
  uapi_reply_free (reply);
  return g_string_append_len (grown, data, (gssize) len);
}

/* Sends request and returns the whole reply (up to its final empty
 * line), or NULL with error set. */
static UapiReply *
uapi_transact (const gchar *ifname, const GString *request, GError **error)
{
  g_autofree gchar *path = NULL;
  g_autoptr (UapiReply) reply = g_string_sized_new (4096);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct timeval tv = { .tv_sec = UAPI_TIMEOUT_SECONDS };
  gsize sent = 0;
  int fd;

  if (!wgd_ifname_is_valid (ifname))
    {
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_NO_DEVICE,
                   "'%s' is not a valid interface name", ifname);
      return NULL;
    }
  path = wgd_uapi_socket_path (ifname);
  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      uapi_fail (ifname, path, errno, error);
      return NULL;
    }
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    goto fail;
  while (sent < request->len)
    {
      ssize_t n = send (fd, request->str + sent, request->len - sent, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      sent += (gsize) n;
    }
  /* A reply ends with an empty line: "errno=N\n\n". */
  while (reply->len < 2 || strcmp (reply->str + reply->len - 2, "\n\n") != 0)
    {
      gchar buf[65536];
      ssize_t n = recv (fd, buf, sizeof buf, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      if (n == 0)
        {
          close (fd);
          g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PROTOCOL,
                       "WireGuard interface %s closed the UAPI connection mid-reply", ifname);
          return NULL;
        }
      if (reply->len + (gsize) n > UAPI_REPLY_MAX)
        {
          close (fd);
          g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PROTOCOL,
                       "WireGuard interface %s sent a UAPI reply over %d bytes", ifname,
                       UAPI_REPLY_MAX);
          return NULL;
        }
      reply = uapi_reply_append (reply, buf, (gsize) n);
      sodium_memzero (buf, (gsize) n);
    }
  close (fd);
  return g_steal_pointer (&reply);

fail:
  {
    int err = errno;

    close (fd);
    uapi_fail (ifname, path, err, error);
    return NULL;
  }
}

static WgdDevice *
uapi_get (const gchar *ifname, GError **error)
{
  g_autoptr (GString) request = g_string_new ("get=1\n\n");
  g_autoptr (UapiReply) reply = uapi_transact (ifname, request, error);

  if (reply == NULL)
    return NULL;
  return wgd_uapi_parse_get_reply (ifname, reply->str, reply->len, error);
}

static gboolean
uapi_set (const gchar *ifname, GString *request, GError **error)
{
  g_autoptr (UapiReply) reply = NULL;
  gint err;

  g_string_append_c (request, '\n');
  reply = uapi_transact (ifname, request, error);
  sodium_memzero (request->str, request->len);
  if (reply == NULL)
    return FALSE;
  err = wgd_uapi_parse_errno (reply->str, reply->len, error);
  if (err < 0)
    return FALSE;
  if (err != 0)
    {
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                   "WireGuard interface %s refused the change: %s", ifname, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

static void
append_hex_key (GString *s, const gchar *key, const guint8 bytes[WGD_KEY_LEN])
{
  gchar hex[2 * WGD_KEY_LEN + 1];

  sodium_bin2hex (hex, sizeof hex, bytes, WGD_KEY_LEN);
  g_string_append_printf (s, "%s=%s\n", key, hex);
  sodium_memzero (hex, sizeof hex);
}

static gboolean
uapi_append_change (GString *s, const WgdPeerChange *c, GError **error)
{
  gboolean touches_ips = c->flags & (WGD_PEER_ADD_ALLOWED_IPS | WGD_PEER_REPLACE_ALLOWED_IPS);

  append_hex_key (s, "public_key", c->public_key);
  if (c->flags & WGD_PEER_REMOVE)
    {
      g_string_append (s, "remove=true\n");
      return TRUE;
    }
  if (!touches_ips)
    g_string_append (s, "update_only=true\n");
  if (c->flags & WGD_PEER_SET_ENDPOINT)
    {
      g_autofree gchar *ep = NULL;

      if (c->endpoint.sa.sa_family != AF_INET && c->endpoint.sa.sa_family != AF_INET6)
        {
          g_set_error_literal (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                               "a peer endpoint must be an IPv4 or IPv6 address");
          return FALSE;
        }
      ep = wgd_sockaddr_to_string (&c->endpoint);
      g_string_append_printf (s, "endpoint=%s\n", ep);
    }
  if (c->flags & WGD_PEER_SET_KEEPALIVE)
    g_string_append_printf (s, "persistent_keepalive_interval=%u\n", c->persistent_keepalive);
  if (c->flags & WGD_PEER_REPLACE_ALLOWED_IPS)
    g_string_append (s, "replace_allowed_ips=true\n");
  if (touches_ips)
    for (gsize i = 0; i < c->n_allowed_ips; i++)
      {
        g_autofree gchar *text = NULL;

        if (!wgd_prefix_is_valid (&c->allowed_ips[i]))
          {
            g_set_error_literal (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                                 "an allowed-ip must be an IPv4 or IPv6 prefix");
            return FALSE;
          }
        text = wgd_prefix_to_string (&c->allowed_ips[i]);
        g_string_append_printf (s, "allowed_ip=%s\n", text);
      }
  return TRUE;
}

static gboolean
uapi_set_peers (const gchar *ifname, const WgdPeerChange *changes, gsize n_changes,
                GError **error)
{
  g_autoptr (GString) request = g_string_new ("set=1\n");

  if (n_changes == 0)
    return TRUE;
  for (gsize i = 0; i < n_changes; i++)
    if (!uapi_append_change (request, &changes[i], error))
      return FALSE;
  return uapi_set (ifname, request, error);
}

static gboolean
uapi_set_device (const gchar *ifname, const guint8 *private_key, gint listen_port,
                 GError **error)
{
  /* Sized so that appending never leaves a copy of the key behind. */
  g_autoptr (GString) request = g_string_sized_new (256);

  g_string_append (request, "set=1\n");
  if (listen_port > G_MAXUINT16)
    {
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                   "listen port %d is out of range", listen_port);
      return FALSE;
    }
  if (private_key != NULL)
    append_hex_key (request, "private_key", private_key);
  if (listen_port >= 0)
    g_string_append_printf (request, "listen_port=%d\n", listen_port);
  return uapi_set (ifname, request, error);
}

const WgdBackend wgd_backend_uapi = {
  .name = "uapi",
  .get = uapi_get,
  .set_peers = uapi_set_peers,
  .set_device = uapi_set_device,
};
