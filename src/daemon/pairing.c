/* pairing.c — pending peers and the decisions on them, bounded, and the
 * decisions' text form (the state file `approvals`). */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <sodium.h>

#include "base64.h"
#include "pairing.h"
#include "wgd-error.h"

G_DEFINE_QUARK (wgd-pairing-error-quark, wgd_pairing_error)

/* Signing keys whose newest pending timestamp is remembered (see
 * pairing_is_newer): a few per pending entry. */
#define NEWEST_MAX (WGD_PAIRING_PENDING_MAX * 4)

typedef struct {
  WgdDecision decision;
  guint8 wg_key[WGD_KEY_LEN];
  guint8 signing_key[WGD_KEY_LEN];
} Decision;

struct _WgdPairing {
  GHashTable *pending;          /* GBytes wg key → WgdPendingPeer */
  GHashTable *newest;           /* GBytes signing key → guint64 timestamp */
  GArray *decisions;            /* Decision, in the order made */
};

static const gchar *const decision_names[WGD_DECISION_COUNT] = {
  [WGD_DECISION_APPROVE] = "approve",
  [WGD_DECISION_REJECT] = "reject",
};

const gchar *
wgd_decision_to_string (WgdDecision decision)
{
  g_return_val_if_fail (decision < WGD_DECISION_COUNT, "unknown");
  return decision_names[decision];
}

gboolean
wgd_decision_from_string (const gchar *text, WgdDecision *decision)
{
  for (guint i = 0; i < WGD_DECISION_COUNT; i++)
    if (g_strcmp0 (text, decision_names[i]) == 0)
      {
        *decision = (WgdDecision) i;
        return TRUE;
      }
  return FALSE;
}

void
wgd_pending_peer_free (WgdPendingPeer *peer)
{
  if (peer == NULL)
    return;
  g_free (peer->service);
  g_free (peer->ifname);
  g_free (peer);
}

WgdPairing *
wgd_pairing_new (void)
{
  WgdPairing *p = g_new0 (WgdPairing, 1);

  p->pending = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                      (GDestroyNotify) g_bytes_unref,
                                      (GDestroyNotify) wgd_pending_peer_free);
  p->newest = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                     (GDestroyNotify) g_bytes_unref, g_free);
  p->decisions = g_array_new (FALSE, FALSE, sizeof (Decision));
  return p;
}

void
wgd_pairing_free (WgdPairing *p)
{
  if (p == NULL)
    return;
  g_hash_table_unref (p->pending);
  g_hash_table_unref (p->newest);
  g_array_unref (p->decisions);
  g_free (p);
}

static gboolean
keys_equal (const guint8 *a, const guint8 *b)
{
  return sodium_memcmp (a, b, WGD_KEY_LEN) == 0;
}

/* Whether ann is newer than every record of its signing key offered
 * before: an older one, replayed, must not take the place of what is
 * pending, whichever key that is of. */
static gboolean
pairing_is_newer (WgdPairing *p, const WgdAnnouncement *ann)
{
  g_autoptr (GBytes) key = g_bytes_new (ann->signing_key, WGD_KEY_LEN);
  const guint64 *newest = g_hash_table_lookup (p->newest, key);

  return newest == NULL || ann->timestamp > *newest;
}

/* Remembers ann's timestamp for its signing key. When full, only the
 * keys of what is still pending are kept. */
static void
pairing_note_newest (WgdPairing *p, const WgdAnnouncement *ann)
{
  GHashTableIter iter;
  gpointer value;
  guint64 *timestamp = g_new (guint64, 1);

  if (g_hash_table_size (p->newest) >= NEWEST_MAX)
    {
      g_autoptr (GHashTable) keep = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                           (GDestroyNotify) g_bytes_unref,
                                                           NULL);

      g_hash_table_iter_init (&iter, p->pending);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_hash_table_add (keep, g_bytes_new (((WgdPendingPeer *) value)->signing_key,
                                             WGD_KEY_LEN));
      g_hash_table_iter_init (&iter, p->newest);
      while (g_hash_table_iter_next (&iter, &value, NULL))
        if (!g_hash_table_contains (keep, value))
          g_hash_table_iter_remove (&iter);
    }
  *timestamp = ann->timestamp;
  g_hash_table_replace (p->newest, g_bytes_new (ann->signing_key, WGD_KEY_LEN), timestamp);
}

WgdPairingOutcome
wgd_pairing_offer (WgdPairing *p, const WgdAnnouncement *ann, const gchar *service,
                   guint32 ifindex, const gchar *ifname, gint64 now)
{
  g_autoptr (GBytes) key = g_bytes_new (ann->wg_key, WGD_KEY_LEN);
  WgdPendingPeer *old = g_hash_table_lookup (p->pending, key);
  WgdPendingPeer *peer;
  WgdPairingOutcome outcome;

  if (wgd_pairing_is_rejected (p, ann->wg_key, ann->signing_key))
    return WGD_PAIRING_REJECTED;
  if (!pairing_is_newer (p, ann))
    return WGD_PAIRING_STALE;
  if (old == NULL && g_hash_table_size (p->pending) >= WGD_PAIRING_PENDING_MAX)
    return WGD_PAIRING_FULL;
  if (old == NULL)
    outcome = WGD_PAIRING_ADDED;
  else if (keys_equal (old->signing_key, ann->signing_key))
    outcome = WGD_PAIRING_REFRESHED;
  else
    outcome = WGD_PAIRING_REPLACED;
  pairing_note_newest (p, ann);
  peer = g_new0 (WgdPendingPeer, 1);
  memcpy (peer->wg_key, ann->wg_key, WGD_KEY_LEN);
  memcpy (peer->signing_key, ann->signing_key, WGD_KEY_LEN);
  wgd_key_fingerprint (ann->signing_key, peer->fingerprint);
  g_strlcpy (peer->name, ann->name, sizeof peer->name);
  peer->timestamp = ann->timestamp;
  peer->expires = ann->timestamp + ann->lifetime;
  peer->heard = now;
  memcpy (peer->record, ann->record, ann->record_len);
  peer->record_len = ann->record_len;
  peer->service = g_strdup (service);
  peer->ifindex = ifindex;
  peer->ifname = g_strdup (ifname);
  g_hash_table_replace (p->pending, g_steal_pointer (&key), peer);
  return outcome;
}

const WgdPendingPeer *
wgd_pairing_lookup (WgdPairing *p, const guint8 wg_key[WGD_KEY_LEN])
{
  g_autoptr (GBytes) key = g_bytes_new (wg_key, WGD_KEY_LEN);

  return g_hash_table_lookup (p->pending, key);
}

WgdPendingPeer *
wgd_pairing_steal (WgdPairing *p, const guint8 wg_key[WGD_KEY_LEN])
{
  g_autoptr (GBytes) key = g_bytes_new (wg_key, WGD_KEY_LEN);
  gpointer stolen_key = NULL;
  gpointer peer = NULL;

  if (!g_hash_table_steal_extended (p->pending, key, &stolen_key, &peer))
    return NULL;
  g_bytes_unref (stolen_key);
  return peer;
}

GPtrArray *
wgd_pairing_get_pending (WgdPairing *p)
{
  GPtrArray *peers = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, p->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (peers, value);
  return peers;
}

guint
wgd_pairing_expire (WgdPairing *p, guint64 now)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, p->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((WgdPendingPeer *) value)->expires <= now)
      {
        g_hash_table_iter_remove (&iter);
        n++;
      }
  return n;
}

/* The decision on wg_key: of that very pair, or (pair_only FALSE) any
 * approval of wg_key. -1 if none. */
static gint
pairing_find (WgdPairing *p, const guint8 *wg_key, const guint8 *signing_key,
              gboolean pair_only)
{
  for (guint i = 0; i < p->decisions->len; i++)
    {
      const Decision *d = &g_array_index (p->decisions, Decision, i);

      if (!keys_equal (d->wg_key, wg_key))
        continue;
      if (signing_key != NULL && keys_equal (d->signing_key, signing_key))
        return (gint) i;
      if (!pair_only && d->decision == WGD_DECISION_APPROVE)
        return (gint) i;
    }
  return -1;
}

gboolean
wgd_pairing_is_rejected (WgdPairing *p, const guint8 wg_key[WGD_KEY_LEN],
                         const guint8 signing_key[WGD_KEY_LEN])
{
  gint i = pairing_find (p, wg_key, signing_key, TRUE);

  return i >= 0 && g_array_index (p->decisions, Decision, i).decision == WGD_DECISION_REJECT;
}

const guint8 *
wgd_pairing_lookup_approval (WgdPairing *p, const guint8 wg_key[WGD_KEY_LEN])
{
  for (guint i = 0; i < p->decisions->len; i++)
    {
      const Decision *d = &g_array_index (p->decisions, Decision, i);

      if (d->decision == WGD_DECISION_APPROVE && keys_equal (d->wg_key, wg_key))
        return d->signing_key;
    }
  return NULL;
}

void
wgd_pairing_foreach_approval (WgdPairing *p,
                              void (*func) (const guint8 wg_key[WGD_KEY_LEN],
                                            const guint8 signing_key[WGD_KEY_LEN],
                                            gpointer user_data),
                              gpointer user_data)
{
  for (guint i = 0; i < p->decisions->len; i++)
    {
      const Decision *d = &g_array_index (p->decisions, Decision, i);

      if (d->decision == WGD_DECISION_APPROVE)
        func (d->wg_key, d->signing_key, user_data);
    }
}

/* Where the decision on (wg_key, signing_key) goes: the place of the
 * same pair, or of wg_key's approval for an approval; -1: appended. */
static gint
pairing_slot (WgdPairing *p, const guint8 *wg_key, const guint8 *signing_key,
              WgdDecision decision)
{
  return pairing_find (p, wg_key, signing_key, decision == WGD_DECISION_REJECT);
}

gboolean
wgd_pairing_is_full (WgdPairing *p, const guint8 wg_key[WGD_KEY_LEN], WgdDecision decision)
{
  return p->decisions->len >= WGD_PAIRING_DECISIONS_MAX
         && pairing_find (p, wg_key, NULL, decision == WGD_DECISION_REJECT) < 0;
}

static void
decision_format (GString *out, const Decision *d)
{
  g_autofree gchar *wg = wgd_key_to_base64 (d->wg_key);
  g_autofree gchar *signing = wgd_key_to_base64 (d->signing_key);

  g_string_append_printf (out, "%s %s %s\n", wgd_decision_to_string (d->decision), wg, signing);
}

gchar *
wgd_pairing_format (WgdPairing *p, const guint8 wg_key[WGD_KEY_LEN],
                    const guint8 signing_key[WGD_KEY_LEN], WgdDecision decision)
{
  GString *out = g_string_new ("# wgdiscoverd's pairing decisions (docs/trust-model.md, "
                               "Pairing):\n# approve|reject WIREGUARD_KEY SIGNING_KEY\n");
  Decision new = { .decision = decision };
  gint slot = pairing_slot (p, wg_key, signing_key, decision);

  memcpy (new.wg_key, wg_key, WGD_KEY_LEN);
  memcpy (new.signing_key, signing_key, WGD_KEY_LEN);
  for (guint i = 0; i < p->decisions->len; i++)
    decision_format (out, (gint) i == slot ? &new : &g_array_index (p->decisions, Decision, i));
  if (slot < 0)
    decision_format (out, &new);
  return g_string_free (out, FALSE);
}

void
wgd_pairing_decide (WgdPairing *p, const guint8 wg_key[WGD_KEY_LEN],
                    const guint8 signing_key[WGD_KEY_LEN], WgdDecision decision)
{
  Decision new = { .decision = decision };
  gint slot = pairing_slot (p, wg_key, signing_key, decision);
  g_autoptr (GBytes) key = g_bytes_new (wg_key, WGD_KEY_LEN);

  memcpy (new.wg_key, wg_key, WGD_KEY_LEN);
  memcpy (new.signing_key, signing_key, WGD_KEY_LEN);
  if (slot >= 0)
    g_array_index (p->decisions, Decision, slot) = new;
  else
    g_array_append_val (p->decisions, new);
  g_hash_table_remove (p->pending, key);
}

static gboolean
load_error (GError **error, const gchar *path, guint line, const gchar *why)
{
  g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED, "%s:%u: %s", path, line, why);
  return FALSE;
}

/* One line: "approve|reject WG SIGNING". */
static gboolean
load_line (GArray *decisions, const gchar *text, const gchar *path, guint line,
           GError **error)
{
  g_auto (GStrv) words = g_strsplit_set (text, " \t", -1);
  g_autoptr (GPtrArray) fields = g_ptr_array_new ();
  Decision d;

  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      g_ptr_array_add (fields, words[i]);
  if (fields->len != 3)
    return load_error (error, path, line,
                       _("expected three words: approve or reject, a WireGuard key and a "
                         "signing key"));
  if (!wgd_decision_from_string (g_ptr_array_index (fields, 0), &d.decision))
    return load_error (error, path, line, _("the first word is neither approve nor reject"));
  if (!wgd_key_from_base64 (g_ptr_array_index (fields, 1), d.wg_key, NULL))
    return load_error (error, path, line, _("the WireGuard key is not a key in base64"));
  if (!wgd_key_from_base64 (g_ptr_array_index (fields, 2), d.signing_key, NULL))
    return load_error (error, path, line, _("the signing key is not a key in base64"));
  for (guint i = 0; i < decisions->len; i++)
    {
      const Decision *o = &g_array_index (decisions, Decision, i);

      if (!keys_equal (o->wg_key, d.wg_key))
        continue;
      if (keys_equal (o->signing_key, d.signing_key))
        return load_error (error, path, line, _("a second decision on the same keys"));
      if (o->decision == WGD_DECISION_APPROVE && d.decision == WGD_DECISION_APPROVE)
        return load_error (error, path, line,
                           _("a second approval for the same WireGuard key"));
    }
  if (decisions->len >= WGD_PAIRING_DECISIONS_MAX)
    return load_error (error, path, line, _("too many decisions"));
  g_array_append_val (decisions, d);
  return TRUE;
}

gboolean
wgd_pairing_load (WgdPairing *p, const gchar *text, const gchar *path, GError **error)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GArray) decisions = g_array_new (FALSE, FALSE, sizeof (Decision));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const gchar *line = lines[i];

      while (*line == ' ' || *line == '\t')
        line++;
      if (*line == '\0' || *line == '#')
        continue;
      if (!load_line (decisions, line, path, i + 1, error))
        return FALSE;
    }
  g_array_unref (p->decisions);
  p->decisions = g_steal_pointer (&decisions);
  return TRUE;
}
