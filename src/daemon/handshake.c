/* handshake.c — the keepalive toggle that makes WireGuard shake hands now,
 * and the peers it is for after an address move (handshake.h). */
#include "config.h"

#include <string.h>

#include "handshake.h"
#include "peer-table.h"

void
wgd_handshake_add_changes (GArray *changes, const guint8 wg_key[WGD_KEY_LEN],
                           const WgdSockaddr *endpoint, guint16 keepalive)
{
  WgdPeerChange c = { .flags = WGD_PEER_SET_KEEPALIVE };
  guint16 on = keepalive != 0 ? keepalive : WGD_HANDSHAKE_TOGGLE_S;

  memcpy (c.public_key, wg_key, WGD_KEY_LEN);
  c.persistent_keepalive = 0;
  g_array_append_val (changes, c);
  c.persistent_keepalive = on;
  if (endpoint != NULL)
    {
      c.flags |= WGD_PEER_SET_ENDPOINT;
      c.endpoint = *endpoint;
    }
  g_array_append_val (changes, c);
  if (keepalive == on)
    return;
  c.flags = WGD_PEER_SET_KEEPALIVE;
  c.persistent_keepalive = keepalive;
  g_array_append_val (changes, c);
}

gboolean
wgd_handshake_wanted_after_move (const WgdPeer *peer, gint64 now)
{
  return peer->endpoint.sa.sa_family != AF_UNSPEC && peer->last_handshake_sec != 0
         && now - peer->last_handshake_sec < WGD_HANDSHAKE_FRESH_SECONDS;
}
