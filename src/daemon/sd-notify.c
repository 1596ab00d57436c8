/* sd-notify.c — the sd_notify datagram, over GIO. */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "sd-notify.h"

void
wgd_sd_notify (const gchar *state)
{
  const gchar *path = g_getenv ("NOTIFY_SOCKET");
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) error = NULL;

  if (path == NULL || path[0] == '\0')
    return;
  /* '@' names a socket in the abstract namespace. */
  if (path[0] == '@')
    address = g_unix_socket_address_new_with_type (path + 1, -1,
                                                   G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  else
    address = g_unix_socket_address_new (path);
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT,
                         &error);
  if (socket == NULL
      || g_socket_send_to (socket, address, state, strlen (state), NULL, &error) < 0)
    g_debug ("sd_notify: %s", error->message);
}
