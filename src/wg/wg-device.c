/* wg-device.c — what both backends share: the device and peer structs,
 * endpoint text, and choosing the backend for an interface. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "wg-device.h"

G_DEFINE_QUARK (wgd-wg-error-quark, wgd_wg_error)

/* Where userspace implementations put their UAPI sockets. */
#define UAPI_DIR "/var/run/wireguard"

WgdPeer *
wgd_peer_new (void)
{
  WgdPeer *peer = g_new0 (WgdPeer, 1);

  peer->allowed_ips = g_array_new (FALSE, FALSE, sizeof (WgdPrefix));
  return peer;
}

void
wgd_peer_free (WgdPeer *peer)
{
  if (peer == NULL)
    return;
  g_array_unref (peer->allowed_ips);
  g_free (peer);
}

WgdDevice *
wgd_device_new (const gchar *name)
{
  WgdDevice *device = g_new0 (WgdDevice, 1);

  g_strlcpy (device->name, name, sizeof device->name);
  device->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) wgd_peer_free);
  return device;
}

void
wgd_device_free (WgdDevice *device)
{
  if (device == NULL)
    return;
  g_ptr_array_unref (device->peers);
  g_free (device);
}

WgdPeer *
wgd_device_find_peer (const WgdDevice *device, const guint8 public_key[WGD_KEY_LEN])
{
  for (guint i = 0; i < device->peers->len; i++)
    {
      WgdPeer *peer = g_ptr_array_index (device->peers, i);

      if (memcmp (peer->public_key, public_key, WGD_KEY_LEN) == 0)
        return peer;
    }
  return NULL;
}

/* The interface name becomes a path component of the UAPI socket. */
gboolean
wgd_ifname_is_valid (const gchar *ifname)
{
  gsize len = strlen (ifname);

  return len > 0 && len < IFNAMSIZ && strchr (ifname, '/') == NULL
         && strcmp (ifname, ".") != 0 && strcmp (ifname, "..") != 0;
}

gchar *
wgd_uapi_socket_path (const gchar *ifname)
{
  return g_strdup_printf (UAPI_DIR "/%s.sock", ifname);
}

const WgdBackend *
wgd_backend_for (const gchar *ifname, GError **error)
{
  g_autofree gchar *path = NULL;
  struct stat st;
  int err;

  if (!wgd_ifname_is_valid (ifname))
    {
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_NO_DEVICE,
                   "'%s' is not a valid interface name", ifname);
      return NULL;
    }
  path = wgd_uapi_socket_path (ifname);
  /* As `wg` does: a UAPI socket for the interface wins. */
  if (stat (path, &st) == 0)
    return S_ISSOCK (st.st_mode) ? &wgd_backend_uapi : &wgd_backend_netlink;
  err = errno;
  switch (err)
    {
    case ENOENT:
    case ENOTDIR:
      return &wgd_backend_netlink;
    case EACCES:
    case EPERM:
      /* wireguard-go keeps the directory root-only: whoever cannot
       * look into it could not use a socket there either. */
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_PERMISSION,
                   "permission denied on WireGuard interface %s: cannot look for its "
                   "UAPI socket %s (%s); root is needed for a userspace implementation, "
                   "CAP_NET_ADMIN for the kernel's",
                   ifname, path, g_strerror (err));
      return NULL;
    default:
      g_set_error (error, WGD_WG_ERROR, WGD_WG_ERROR_FAILED,
                   "cannot tell how to reach WireGuard interface %s: looking for %s failed: %s",
                   ifname, path, g_strerror (err));
      return NULL;
    }
}

WgdDevice *
wgd_device_get (const gchar *ifname, GError **error)
{
  const WgdBackend *backend = wgd_backend_for (ifname, error);

  return backend != NULL ? backend->get (ifname, error) : NULL;
}

gboolean
wgd_device_set_peers (const gchar *ifname, const WgdPeerChange *changes, gsize n_changes,
                      GError **error)
{
  const WgdBackend *backend = wgd_backend_for (ifname, error);

  return backend != NULL && backend->set_peers (ifname, changes, n_changes, error);
}

gboolean
wgd_device_configure (const gchar *ifname, const guint8 *private_key, gint listen_port,
                      GError **error)
{
  const WgdBackend *backend = wgd_backend_for (ifname, error);

  return backend != NULL && backend->set_device (ifname, private_key, listen_port, error);
}

gboolean
wgd_sockaddr_parse (const gchar *text, WgdSockaddr *out)
{
  g_autofree gchar *host = NULL;
  const gchar *port_text;
  gchar *scope;
  guint64 port;
  WgdSockaddr sa = { 0 };

  if (text[0] == '[')
    {
      const gchar *close = strchr (text, ']');

      if (close == NULL || close[1] != ':')
        return FALSE;
      host = g_strndup (text + 1, (gsize) (close - text - 1));
      port_text = close + 2;
      scope = strchr (host, '%');
      if (scope != NULL)
        *scope++ = '\0';
      if (inet_pton (AF_INET6, host, &sa.in6.sin6_addr) != 1)
        return FALSE;
      sa.in6.sin6_family = AF_INET6;
      if (scope != NULL)
        {
          guint64 index;

          if (g_ascii_string_to_unsigned (scope, 10, 1, G_MAXUINT32, &index, NULL))
            sa.in6.sin6_scope_id = (guint32) index;
          else if ((sa.in6.sin6_scope_id = if_nametoindex (scope)) == 0)
            return FALSE;
        }
    }
  else
    {
      const gchar *colon = strrchr (text, ':');

      if (colon == NULL)
        return FALSE;
      host = g_strndup (text, (gsize) (colon - text));
      port_text = colon + 1;
      if (inet_pton (AF_INET, host, &sa.in.sin_addr) != 1)
        return FALSE;
      sa.in.sin_family = AF_INET;
    }
  if (!g_ascii_string_to_unsigned (port_text, 10, 0, 65535, &port, NULL))
    return FALSE;
  /* sin_port and sin6_port share their offset. */
  sa.in.sin_port = htons ((guint16) port);
  *out = sa;
  return TRUE;
}

gchar *
wgd_sockaddr_to_string (const WgdSockaddr *addr)
{
  gchar host[INET6_ADDRSTRLEN];

  if (addr->sa.sa_family == AF_INET)
    {
      inet_ntop (AF_INET, &addr->in.sin_addr, host, sizeof host);
      return g_strdup_printf ("%s:%u", host, ntohs (addr->in.sin_port));
    }
  if (addr->sa.sa_family == AF_INET6)
    {
      inet_ntop (AF_INET6, &addr->in6.sin6_addr, host, sizeof host);
      if (addr->in6.sin6_scope_id != 0)
        return g_strdup_printf ("[%s%%%u]:%u", host, addr->in6.sin6_scope_id,
                                ntohs (addr->in6.sin6_port));
      return g_strdup_printf ("[%s]:%u", host, ntohs (addr->in6.sin6_port));
    }
  return g_strdup ("(none)");
}

gboolean
wgd_sockaddr_equal (const WgdSockaddr *a, const WgdSockaddr *b)
{
  if (a->sa.sa_family != b->sa.sa_family)
    return FALSE;
  if (a->sa.sa_family == AF_INET)
    return a->in.sin_port == b->in.sin_port && a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
  /* A scope of 0 is "not said" (userspace implementations print
   * link-local endpoints without one), not a different scope. */
  if (a->sa.sa_family == AF_INET6)
    return a->in6.sin6_port == b->in6.sin6_port
           && (a->in6.sin6_scope_id == b->in6.sin6_scope_id || a->in6.sin6_scope_id == 0
               || b->in6.sin6_scope_id == 0)
           && memcmp (&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof a->in6.sin6_addr) == 0;
  return TRUE;
}
