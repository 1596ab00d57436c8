/* mdns-flood.c — publishes N bogus _wireguard._udp services from one
 * avahi client, for the flood test: a third carry TXT that is no record,
 * a third a signed record with one byte of its signature changed, and
 * a third a valid record of a stranger (a new identity nobody has as a
 * peer). The forged ones have no pub= (as senders before it wrote), so
 * that their signature is checked. Prints "published N" once
 * avahi-daemon has them all, then
 * stays until killed (the services go with it). With --spread, service
 * i is "spread-i" on a host of its own, spread-i.local at 10.77.(1 + i /
 * 250).(1 + i % 250), so that each seems to come from another source.
 * With --unbound, every record is valid and signed by a new identity for
 * a WireGuard key nothing binds to it (another identity's derived key):
 * candidates for pairing; their WireGuard keys are printed first, one
 * "key BASE64" line each, so that a test can make them peers. With
 * --valid ADDRESS, every record is valid, of a new identity with its
 * derived WireGuard key, and names the host endpoint ADDRESS:(20000 + i)
 * (IPv4): strangers, or, once a receiver has them as peers
 * (bench/thousand-peers.sh), a thousand peers; "key BASE64 ADDRESS:PORT"
 * lines come first. Identity i is the same in every run (its seed is
 * the BLAKE2b hash of "mdns-flood i"), so that a receiver can be given
 * the peers of a run to come.
 *
 *   mdns-flood N [--spread | --unbound | --valid ADDRESS] */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/address.h>
#include <avahi-common/error.h>
#include <avahi-common/strlst.h>
#include <avahi-glib/glib-watch.h>
#include <sodium.h>

#include "announcement.h"
#include "base64.h"
#include "txt.h"

typedef struct {
  guint count;
  guint established;
  gboolean unbound;
  gboolean valid;
  guint8 address[4];            /* --valid: the endpoints' */
  GMainLoop *loop;
} Flood;

static void
group_callback (AvahiEntryGroup *group, AvahiEntryGroupState state, void *user_data)
{
  Flood *flood = user_data;

  if (state == AVAHI_ENTRY_GROUP_ESTABLISHED && ++flood->established == flood->count)
    {
      printf ("published %u\n", flood->count);
      fflush (stdout);
    }
  else if (state == AVAHI_ENTRY_GROUP_COLLISION || state == AVAHI_ENTRY_GROUP_FAILURE)
    {
      fprintf (stderr, "mdns-flood: a service could not be published\n");
      exit (1);
    }
}

/* The TXT strings of bogus service i. */
static AvahiStringList *
bogus_txt (const Flood *flood, guint i)
{
  g_autoptr (WgdKeyPair) id = NULL;
  g_autoptr (WgdKeyPair) other = NULL;
  g_autoptr (WgdAnnouncement) ann = NULL;
  g_auto (GStrv) txt = NULL;
  AvahiStringList *l = NULL;

  if (i % 3 == 0 && !flood->unbound && !flood->valid)
    {
      gchar garbage[64];

      g_snprintf (garbage, sizeof garbage, "a0=%08x-not-a-record", randombytes_random ());
      return avahi_string_list_new ("txtvers=1", garbage, NULL);
    }
  if (flood->valid)
    {
      g_autofree gchar *name = g_strdup_printf ("mdns-flood %u", i);
      guint8 seed[WGD_KEY_LEN];

      crypto_generichash (seed, sizeof seed, (const guint8 *) name, strlen (name), NULL, 0);
      id = wgd_key_pair_new_from_seed (seed);
    }
  else
    id = wgd_key_pair_generate ();
  ann = wgd_announcement_new ();
  if (flood->unbound)
    {
      g_autofree gchar *key = NULL;

      other = wgd_key_pair_generate ();
      wgd_key_pair_wg_public (other, ann->wg_key);
      key = wgd_key_to_base64 (ann->wg_key);
      printf ("key %s\n", key);
    }
  else
    wgd_key_pair_wg_public (id, ann->wg_key);
  if (flood->valid)
    {
      WgdEndpoint *ep = &ann->endpoints[ann->n_endpoints++];
      g_autofree gchar *key = wgd_key_to_base64 (ann->wg_key);
      gchar text[INET_ADDRSTRLEN];

      ep->kind = WGD_ENDPOINT_HOST;
      ep->family = 4;
      memcpy (ep->address, flood->address, sizeof flood->address);
      ep->port = (guint16) (20000 + i);
      printf ("key %s %s:%u\n", key, inet_ntop (AF_INET, flood->address, text, sizeof text),
              ep->port);
    }
  ann->timestamp = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  ann->lifetime = 600;
  if (!wgd_announcement_sign (ann, id, NULL))
    abort ();
  if (i % 3 == 1 && !flood->unbound && !flood->valid)
    {
      ann->record[ann->record_len - 1] ^= 1;
      txt = wgd_txt_encode (ann->record, ann->record_len, NULL);
    }
  else
    txt = wgd_txt_encode (ann->record, ann->record_len, ann->wg_key);
  /* avahi_string_list_add prepends: backwards keeps the order. */
  for (guint k = g_strv_length (txt); k > 0; k--)
    l = avahi_string_list_add (l, txt[k - 1]);
  return l;
}

int
main (int argc, char **argv)
{
  Flood flood = { 0 };
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  AvahiGLibPoll *poll;
  AvahiClient *client;
  int err = 0;
  guint64 n;
  gboolean spread = argc == 3 && g_str_equal (argv[2], "--spread");

  flood.unbound = argc == 3 && g_str_equal (argv[2], "--unbound");
  flood.valid = argc == 4 && g_str_equal (argv[2], "--valid")
                && inet_pton (AF_INET, argv[3], flood.address) == 1;
  if ((argc != 2 && !spread && !flood.unbound && !flood.valid)
      || !g_ascii_string_to_unsigned (argv[1], 10, 1, 1000, &n, NULL))
    {
      fprintf (stderr, "usage: mdns-flood N [--spread | --unbound | --valid IPV4] "
               "(N from 1 to 1000)\n");
      return 2;
    }
  if (sodium_init () < 0)
    return 1;
  flood.count = (guint) n;
  poll = avahi_glib_poll_new (NULL, G_PRIORITY_DEFAULT);
  client = avahi_client_new (avahi_glib_poll_get (poll), 0, NULL, NULL, &err);
  if (client == NULL)
    {
      fprintf (stderr, "mdns-flood: %s\n", avahi_strerror (err));
      return 1;
    }
  for (guint i = 0; i < flood.count; i++)
    {
      /* One group each: a group holds at most 32 entries. */
      AvahiEntryGroup *group = avahi_entry_group_new (client, group_callback, &flood);
      AvahiStringList *txt = bogus_txt (&flood, i);
      g_autofree gchar *name = g_strdup_printf (spread ? "spread-%u" : "bogus-%u", i);
      g_autofree gchar *host = spread ? g_strdup_printf ("spread-%u.local", i) : NULL;
      g_autofree gchar *ip = g_strdup_printf ("10.77.%u.%u", 1 + i / 250, 1 + i % 250);
      AvahiAddress address;

      if (group == NULL
          || (spread
              && (avahi_address_parse (ip, AVAHI_PROTO_INET, &address) == NULL
                  || avahi_entry_group_add_address (group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                    AVAHI_PUBLISH_NO_REVERSE, host,
                                                    &address) < 0))
          || avahi_entry_group_add_service_strlst (group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                                   name, "_wireguard._udp", NULL, host, 51820,
                                                   txt) < 0
          || avahi_entry_group_commit (group) < 0)
        {
          fprintf (stderr, "mdns-flood: cannot publish %s: %s\n", name,
                   avahi_strerror (avahi_client_errno (client)));
          return 1;
        }
      avahi_string_list_free (txt);
    }
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}
