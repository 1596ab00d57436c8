/* rdv-records.c — the load of bench/rendezvous.sh's accepted PUTs: N
 * signed records, each of a new identity (so each is a new key to the
 * server, never older than what it holds, never already known), signed
 * now with the default lifetime, one per line in hex, which the wrk
 * script turns back into bytes.
 *
 * Usage: rdv-records N */
#include "config.h"

#include <stdio.h>
#include <sodium.h>

#include "announcement.h"
#include "clock.h"

int
main (int argc, char **argv)
{
  guint64 n = 0;
  guint64 now;
  gchar hex[2 * WGD_RECORD_MAX + 1];

  if (argc != 2 || !g_ascii_string_to_unsigned (argv[1], 10, 1, 1000000, &n, NULL)
      || sodium_init () < 0)
    {
      g_printerr ("usage: %s N   (1 to 1000000 records)\n", argv[0]);
      return 2;
    }
  now = wgd_clock_now ();
  for (guint64 i = 0; i < n; i++)
    {
      g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
      g_autoptr (WgdKeyPair) identity = wgd_key_pair_generate ();
      g_autoptr (GError) error = NULL;
      WgdEndpoint *ep = &ann->endpoints[0];

      ann->timestamp = now;
      ann->lifetime = 3600;
      wgd_key_pair_wg_public (identity, ann->wg_key);
      ep->kind = WGD_ENDPOINT_HOST;
      ep->family = 4;
      /* 198.18.0.0/15, the benchmarking range of RFC 2544. */
      ep->address[0] = 198;
      ep->address[1] = (guint8) (18 + ((i >> 16) & 1));
      ep->address[2] = (guint8) (i >> 8);
      ep->address[3] = (guint8) i;
      ep->port = 51820;
      ann->n_endpoints = 1;
      if (!wgd_announcement_sign (ann, identity, &error))
        g_error ("signing record %" G_GUINT64_FORMAT ": %s", i, error->message);
      sodium_bin2hex (hex, sizeof hex, ann->record, ann->record_len);
      puts (hex);
    }
  return fflush (stdout) == 0 ? 0 : 1;
}
