/* peer-table.c — peers, their endpoint candidates, and the endpoint
 * choice of docs/architecture.md §5: a LAN candidate on a subnet we share first, then
 * other LAN candidates, then reflexive, then configured; WireGuard's own
 * roaming wins while its handshakes are fresh; a candidate that gets no
 * handshake while a session is wanted is demoted and the next one tried. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>

#include "keys.h"
#include "peer-table.h"

struct _WgdPeerTable {
  GHashTable *peers;            /* wg key (the entry's own) → WgdPeerEntry */
};

static void
peer_entry_free (WgdPeerEntry *entry)
{
  g_array_unref (entry->candidates);
  g_free (entry);
}

WgdPeerTable *
wgd_peer_table_new (void)
{
  WgdPeerTable *table = g_new0 (WgdPeerTable, 1);

  table->peers = g_hash_table_new_full (wgd_key_hash, wgd_key_equal, NULL,
                                        (GDestroyNotify) peer_entry_free);
  return table;
}

void
wgd_peer_table_free (WgdPeerTable *table)
{
  if (table == NULL)
    return;
  g_hash_table_unref (table->peers);
  g_free (table);
}

WgdPeerEntry *
wgd_peer_table_lookup (WgdPeerTable *table, const guint8 wg_key[WGD_KEY_LEN])
{
  return g_hash_table_lookup (table->peers, wg_key);
}

static gboolean
is_ipv6_link_local (const WgdEndpoint *ep)
{
  return ep->family == 6 && ep->address[0] == 0xfe && (ep->address[1] & 0xc0) == 0x80;
}

static void
endpoint_to_sockaddr (const WgdEndpoint *ep, guint32 scope_ifindex, WgdSockaddr *out)
{
  memset (out, 0, sizeof *out);
  if (ep->family == 4)
    {
      out->in.sin_family = AF_INET;
      out->in.sin_port = htons (ep->port);
      memcpy (&out->in.sin_addr, ep->address, 4);
    }
  else
    {
      out->in6.sin6_family = AF_INET6;
      out->in6.sin6_port = htons (ep->port);
      memcpy (&out->in6.sin6_addr, ep->address, 16);
      /* Link-local is only meaningful on the link we heard it on. */
      if (is_ipv6_link_local (ep))
        out->in6.sin6_scope_id = scope_ifindex;
    }
}

static WgdPeerEntry *
peer_table_ensure (WgdPeerTable *table, const guint8 wg_key[WGD_KEY_LEN])
{
  WgdPeerEntry *entry = wgd_peer_table_lookup (table, wg_key);

  if (entry == NULL)
    {
      entry = g_new0 (WgdPeerEntry, 1);
      memcpy (entry->wg_key, wg_key, WGD_KEY_LEN);
      entry->candidates = g_array_new (FALSE, FALSE, sizeof (WgdCandidate));
      g_hash_table_insert (table->peers, entry->wg_key, entry);
    }
  return entry;
}

static void
peer_entry_drop_source (WgdPeerEntry *entry, WgdCandidateSource source)
{
  for (guint i = entry->candidates->len; i > 0; i--)
    if (g_array_index (entry->candidates, WgdCandidate, i - 1).source == source)
      g_array_remove_index (entry->candidates, i - 1);
}

WgdPeerEntry *
wgd_peer_table_set_configured (WgdPeerTable *table, const guint8 wg_key[WGD_KEY_LEN],
                               const WgdSockaddr *addresses, gsize n_addresses, gint64 now)
{
  WgdPeerEntry *entry = peer_table_ensure (table, wg_key);
  g_autoptr (GArray) kept = g_array_new (FALSE, FALSE, sizeof (WgdCandidate));

  for (guint i = 0; i < entry->candidates->len; i++)
    {
      const WgdCandidate *c = &g_array_index (entry->candidates, WgdCandidate, i);

      if (c->source == WGD_SOURCE_CONFIG)
        g_array_append_val (kept, *c);
    }
  peer_entry_drop_source (entry, WGD_SOURCE_CONFIG);
  for (gsize i = 0; i < n_addresses; i++)
    {
      WgdCandidate c = {
        .source = WGD_SOURCE_CONFIG,
        .kind = WGD_ENDPOINT_CONFIGURED,
        .address = addresses[i],
        .last_seen = now,
        .expires = G_MAXINT64,
      };

      for (guint j = 0; j < kept->len; j++)
        {
          const WgdCandidate *old = &g_array_index (kept, WgdCandidate, j);

          if (wgd_sockaddr_equal (&old->address, &c.address))
            c.demoted_until = old->demoted_until;
        }
      g_array_append_val (entry->candidates, c);
    }
  return entry;
}

gboolean
wgd_peer_table_drop_configured (WgdPeerTable *table, const guint8 wg_key[WGD_KEY_LEN])
{
  WgdPeerEntry *entry = wgd_peer_table_lookup (table, wg_key);

  if (entry == NULL || entry->last_heard != 0 || entry->candidates->len > 0)
    return FALSE;
  return g_hash_table_remove (table->peers, wg_key);
}

WgdPeerEntry *
wgd_peer_table_update (WgdPeerTable *table, const WgdAnnouncement *ann, WgdBinding binding,
                       WgdCandidateSource source, guint32 scope_ifindex, gint64 now)
{
  WgdPeerEntry *entry = peer_table_ensure (table, ann->wg_key);
  gint64 expires = (gint64) MIN (ann->timestamp + ann->lifetime, (guint64) G_MAXINT64);

  memcpy (entry->signing_key, ann->signing_key, WGD_KEY_LEN);
  g_strlcpy (entry->name, ann->name, sizeof entry->name);
  entry->binding = binding;
  entry->last_heard = now;

  peer_entry_drop_source (entry, source);
  for (gsize i = 0; i < ann->n_endpoints; i++)
    {
      WgdCandidate c = {
        .source = source,
        .kind = ann->endpoints[i].kind,
        .last_seen = now,
        .signed_at = ann->timestamp,
        .expires = expires,
      };

      /* A link-local address heard nowhere in particular is unusable. */
      if (is_ipv6_link_local (&ann->endpoints[i]) && scope_ifindex == 0)
        continue;
      endpoint_to_sockaddr (&ann->endpoints[i], scope_ifindex, &c.address);
      g_array_append_val (entry->candidates, c);
    }
  return entry;
}

guint
wgd_peer_table_expire (WgdPeerTable *table, gint64 now)
{
  GHashTableIter iter;
  gpointer value;
  guint dropped = 0;

  g_hash_table_iter_init (&iter, table->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      WgdPeerEntry *entry = value;

      for (guint i = entry->candidates->len; i > 0; i--)
        if (g_array_index (entry->candidates, WgdCandidate, i - 1).expires <= now)
          {
            g_array_remove_index (entry->candidates, i - 1);
            dropped++;
          }
    }
  return dropped;
}

GPtrArray *
wgd_peer_table_get_peers (WgdPeerTable *table)
{
  GPtrArray *peers = g_ptr_array_sized_new (g_hash_table_size (table->peers));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (peers, value);
  return peers;
}

/* Whether addr lies in the subnet of local (same family, first
 * local->length bits equal). */
static gboolean
subnet_contains (const WgdPrefix *local, const WgdSockaddr *addr)
{
  const guint8 *a;
  guint bits = local->length;

  if (local->family == 4 && addr->sa.sa_family == AF_INET)
    a = (const guint8 *) &addr->in.sin_addr;
  else if (local->family == 6 && addr->sa.sa_family == AF_INET6)
    a = addr->in6.sin6_addr.s6_addr;
  else
    return FALSE;
  for (guint i = 0; bits > 0; i++)
    {
      guint8 mask = bits >= 8 ? 0xff : (guint8) (0xff << (8 - bits));

      if ((a[i] ^ local->address[i]) & mask)
        return FALSE;
      bits = bits >= 8 ? bits - 8 : 0;
    }
  return TRUE;
}

typedef enum {
  RANK_SHARED_SUBNET,
  RANK_LAN,
  RANK_REFLEXIVE,
  RANK_CONFIGURED,
} Rank;

static Rank
candidate_rank (const WgdCandidate *c, const WgdPrefix *local, gsize n_local)
{
  switch (c->kind)
    {
    case WGD_ENDPOINT_HOST:
      /* A scoped link-local address is on our link by construction. */
      if (c->address.sa.sa_family == AF_INET6 && c->address.in6.sin6_scope_id != 0)
        return RANK_SHARED_SUBNET;
      for (gsize i = 0; i < n_local; i++)
        if (subnet_contains (&local[i], &c->address))
          return RANK_SHARED_SUBNET;
      return RANK_LAN;
    case WGD_ENDPOINT_REFLEXIVE:
      return RANK_REFLEXIVE;
    case WGD_ENDPOINT_CONFIGURED:
    default:
      return RANK_CONFIGURED;
    }
}

static const gchar *const rank_reasons[] = {
  [RANK_SHARED_SUBNET] = "LAN address on a subnet we share",
  [RANK_LAN] = "LAN address",
  [RANK_REFLEXIVE] = "public address as seen from outside",
  [RANK_CONFIGURED] = "configured address",
};

/* Better first: rank, then heard on the LAN rather than from a
 * rendezvous server, then the most recently heard, then IPv4
 * (more often routable between LAN hosts than a global IPv6 address). */
static gboolean
candidate_better (const WgdCandidate *a, Rank ra, const WgdCandidate *b, Rank rb)
{
  if (ra != rb)
    return ra < rb;
  if ((a->source == WGD_SOURCE_MDNS) != (b->source == WGD_SOURCE_MDNS))
    return a->source == WGD_SOURCE_MDNS;
  if (a->last_seen != b->last_seen)
    return a->last_seen > b->last_seen;
  return a->address.sa.sa_family == AF_INET && b->address.sa.sa_family != AF_INET;
}

/* A handshake within WGD_HANDSHAKE_FRESH_SECONDS: the tunnel works. */
static gboolean
session_fresh (const WgdPeer *device_peer, gint64 now)
{
  return device_peer != NULL && device_peer->last_handshake_sec != 0
         && now - device_peer->last_handshake_sec < WGD_HANDSHAKE_FRESH_SECONDS;
}

/* The device has an endpoint we did not write, or took from roaming. */
static gboolean
endpoint_roamed (const WgdPeerEntry *entry, const WgdPeer *device_peer)
{
  return device_peer->endpoint.sa.sa_family != AF_UNSPEC
         && !(entry->applied && !entry->applied_roamed
              && wgd_sockaddr_equal (&device_peer->endpoint, &entry->applied_endpoint));
}

static gboolean
same_host (const WgdSockaddr *a, const WgdSockaddr *b)
{
  if (a->sa.sa_family != b->sa.sa_family)
    return FALSE;
  if (a->sa.sa_family == AF_INET)
    return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
  return a->sa.sa_family == AF_INET6
         && memcmp (&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof a->in6.sin6_addr) == 0;
}

/* The peer said where it is after the tunnel last proved itself: a
 * record signed after the last handshake names none of its addresses
 * at the host WireGuard roamed to. It left that address (a move whose
 * keepalive was lost, a restart); a NAT keeps its public address, which
 * the reflexive candidate names. */
static gboolean
roamed_disowned (const WgdPeerEntry *entry, const WgdPeer *device_peer, gint64 now)
{
  guint64 newest = 0;

  for (guint i = 0; i < entry->candidates->len; i++)
    {
      const WgdCandidate *c = &g_array_index (entry->candidates, WgdCandidate, i);

      if (c->expires <= now)
        continue;
      if (same_host (&c->address, &device_peer->endpoint))
        return FALSE;
      newest = MAX (newest, c->signed_at);
    }
  return newest > (guint64) MAX (device_peer->last_handshake_sec, 0);
}

/* WireGuard's roaming is followed while its session holds, unless the
 * peer disowned the address since. */
static gboolean
roaming_wins (const WgdPeerEntry *entry, const WgdPeer *device_peer, gint64 now)
{
  return session_fresh (device_peer, now) && endpoint_roamed (entry, device_peer)
         && !roamed_disowned (entry, device_peer, now);
}

/* The best candidate that is neither expired nor demoted, and its rank;
 * NULL if none. */
static const WgdCandidate *
best_candidate (const WgdPeerEntry *entry, const WgdPrefix *local, gsize n_local, gint64 now,
                Rank *rank)
{
  const WgdCandidate *best = NULL;
  Rank best_rank = RANK_CONFIGURED;

  for (guint i = 0; i < entry->candidates->len; i++)
    {
      const WgdCandidate *c = &g_array_index (entry->candidates, WgdCandidate, i);
      Rank r;

      if (c->expires <= now || c->demoted_until > now)
        continue;
      r = candidate_rank (c, local, n_local);
      if (best == NULL || candidate_better (c, r, best, best_rank))
        best = c, best_rank = r;
    }
  *rank = best_rank;
  return best;
}

gboolean
wgd_peer_entry_choose (WgdPeerEntry *entry, const WgdPrefix *local, gsize n_local,
                       const WgdPeer *device_peer, gint64 now, WgdSockaddr *out,
                       const gchar **why)
{
  const WgdCandidate *best;
  Rank best_rank;

  /* The peer moved on its own and the tunnel works there: WireGuard's
   * roaming knows better than any announcement. */
  if (roaming_wins (entry, device_peer, now))
    return FALSE;

  best = best_candidate (entry, local, n_local, now, &best_rank);
  if (best == NULL)
    return FALSE;
  /* Already there, but not by us, or by roaming whose session went
   * stale: put there by a handshake initiation that came from it (which
   * proves nothing about the way back), a restart or someone else.
   * Written again, with a handshake, so that it is on trial as any
   * endpoint we set. */
  if (device_peer != NULL && wgd_sockaddr_equal (&device_peer->endpoint, &best->address)
      && !endpoint_roamed (entry, device_peer))
    return FALSE;
  *out = best->address;
  *why = rank_reasons[best_rank];
  return TRUE;
}

void
wgd_peer_entry_applied (WgdPeerEntry *entry, const WgdSockaddr *endpoint,
                        const WgdPeer *device_peer, gint64 now)
{
  entry->applied = TRUE;
  entry->applied_endpoint = *endpoint;
  entry->applied_at = now;
  entry->applied_tx_bytes = device_peer ? device_peer->tx_bytes : 0;
  entry->applied_rx_bytes = device_peer ? device_peer->rx_bytes : 0;
  entry->trial_open = TRUE;
  entry->applied_handshake = FALSE;
  entry->applied_roamed = FALSE;
}

gboolean
wgd_peer_entry_adopt_roamed (WgdPeerEntry *entry, const WgdPeer *device_peer, gint64 now)
{
  WgdSockaddr endpoint;

  if (!session_fresh (device_peer, now) || device_peer->endpoint.sa.sa_family == AF_UNSPEC
      || (entry->applied && wgd_sockaddr_equal (&device_peer->endpoint,
                                                &entry->applied_endpoint))
      || roamed_disowned (entry, device_peer, now))
    return FALSE;
  endpoint = device_peer->endpoint;
  /* Userspace implementations print a link-local endpoint without its
   * scope: the candidate heard on the link has it, and without it the
   * endpoint could not be set again after a restart. */
  if (endpoint.sa.sa_family == AF_INET6 && endpoint.in6.sin6_scope_id == 0)
    for (guint i = 0; i < entry->candidates->len; i++)
      {
        const WgdCandidate *c = &g_array_index (entry->candidates, WgdCandidate, i);

        if (c->address.sa.sa_family == AF_INET6 && c->address.in6.sin6_scope_id != 0
            && wgd_sockaddr_equal (&c->address, &endpoint))
          endpoint = c->address;
      }
  wgd_peer_entry_applied (entry, &endpoint, device_peer, now);
  entry->applied_roamed = TRUE;
  entry->trial_open = FALSE;
  return TRUE;
}

gboolean
wgd_peer_entry_settle_roamed (WgdPeerEntry *entry, const WgdPrefix *local, gsize n_local,
                              const WgdPeer *device_peer, gint64 now)
{
  const WgdCandidate *best;
  Rank rank;

  if (!entry->applied || !entry->applied_roamed || !session_fresh (device_peer, now))
    return FALSE;
  best = best_candidate (entry, local, n_local, now, &rank);
  if (best == NULL || !wgd_sockaddr_equal (&best->address, &entry->applied_endpoint))
    return FALSE;
  entry->applied_roamed = FALSE;
  return TRUE;
}

gboolean
wgd_peer_entry_check_trial (WgdPeerEntry *entry, const WgdPeer *device_peer, gint64 now)
{
  gboolean demoted = FALSE;
  gboolean wanted;

  if (!entry->applied || !entry->trial_open || device_peer == NULL)
    return FALSE;
  /* The clock has whole seconds: a handshake in the second it was set
   * counts. */
  if (device_peer->last_handshake_sec >= entry->applied_at
      || (session_fresh (device_peer, now) && device_peer->rx_bytes > entry->applied_rx_bytes))
    {
      entry->trial_open = FALSE;
      return FALSE;
    }
  if (now - entry->applied_at < WGD_CANDIDATE_TRIAL_SECONDS)
    return FALSE;
  wanted = entry->applied_handshake || device_peer->persistent_keepalive != 0
           || device_peer->tx_bytes > entry->applied_tx_bytes;
  if (!wanted)
    return FALSE;
  entry->trial_open = FALSE;
  for (guint i = 0; i < entry->candidates->len; i++)
    {
      WgdCandidate *c = &g_array_index (entry->candidates, WgdCandidate, i);

      if (c->demoted_until <= now && wgd_sockaddr_equal (&c->address, &entry->applied_endpoint))
        {
          c->demoted_until = now + WGD_CANDIDATE_DEMOTE_SECONDS;
          demoted = TRUE;
        }
    }
  return demoted;
}

static void
deadline_consider (gint64 *deadline, gint64 when, gint64 now)
{
  if (when > now && when < *deadline)
    *deadline = when;
}

gint64
wgd_peer_entry_next_deadline (const WgdPeerEntry *entry, const WgdPeer *device_peer, gint64 now)
{
  gint64 deadline = G_MAXINT64;

  if (entry->applied && entry->trial_open)
    deadline_consider (&deadline, entry->applied_at + WGD_CANDIDATE_TRIAL_SECONDS, now);
  for (guint i = 0; i < entry->candidates->len; i++)
    {
      const WgdCandidate *c = &g_array_index (entry->candidates, WgdCandidate, i);

      deadline_consider (&deadline, c->expires, now);
      deadline_consider (&deadline, c->demoted_until, now);
    }
  if (device_peer != NULL && device_peer->last_handshake_sec != 0
      && endpoint_roamed (entry, device_peer))
    deadline_consider (&deadline, device_peer->last_handshake_sec + WGD_HANDSHAKE_FRESH_SECONDS,
                       now);
  return deadline;
}

/* The names are stable: they are shown on D-Bus. */
static const gchar *const source_names[WGD_SOURCE_COUNT] = {
  [WGD_SOURCE_MDNS] = "mdns",
  [WGD_SOURCE_RENDEZVOUS] = "rendezvous",
  [WGD_SOURCE_CONFIG] = "config",
  [WGD_SOURCE_STATE] = "state",
};

const gchar *
wgd_candidate_source_to_string (WgdCandidateSource source)
{
  g_return_val_if_fail (source < WGD_SOURCE_COUNT, "unknown");
  return source_names[source];
}

gboolean
wgd_candidate_source_from_string (const gchar *text, WgdCandidateSource *source)
{
  for (guint i = 0; i < WGD_SOURCE_COUNT; i++)
    if (g_strcmp0 (text, source_names[i]) == 0)
      {
        *source = (WgdCandidateSource) i;
        return TRUE;
      }
  return FALSE;
}
