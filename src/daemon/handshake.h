/* handshake.h — making WireGuard shake hands with a peer now instead of
 * on its next packet, and which peers get that after our own addresses
 * moved: pure, the device's view and the time passed in.
 *
 * Both WireGuard implementations send a keepalive at once when a peer's
 * persistent-keepalive is switched from off to on while the interface is
 * up (the kernel's set_peer in drivers/net/wireguard/netlink.c,
 * wireguard-go's handlePostConfig in device/uapi.go). Without a session
 * that keepalive is a handshake initiation; with one, a data packet. Either
 * makes the peer's WireGuard take our address as its endpoint (roaming),
 * authenticated, without waiting for an announcement of ours. */
#pragma once

#include <glib.h>

#include "wg-device.h"

/* What the keepalive is on for, within one write, when nothing asked for
 * one: the value does not matter, it is switched off again at once. */
#define WGD_HANDSHAKE_TOGGLE_S 25

/* Appends to changes (WgdPeerChange) what makes the peer wg_key send a
 * keepalive now: its keepalive off, then on (together with the endpoint
 * when endpoint is not NULL), then keepalive (the value it is to keep;
 * 0: none) if that is not what it was turned on to. */
void wgd_handshake_add_changes (GArray *changes, const guint8 wg_key[WGD_KEY_LEN],
                                const WgdSockaddr *endpoint, guint16 keepalive);

/* Whether a peer is told at once that our addresses moved: it has an
 * endpoint and shook hands with us within WGD_HANDSHAKE_FRESH_SECONDS
 * (peer-table.h), so it is one we have a tunnel with. */
gboolean wgd_handshake_wanted_after_move (const WgdPeer *peer, gint64 now);
