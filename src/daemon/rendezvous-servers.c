/* rendezvous-servers.c — the choice of server and the wait after a
 * failure (see the header). */
#include "config.h"

#include "rendezvous-servers.h"

struct _WgdRdvServers {
  GStrv urls;
  guint n;
  guint current;
  guint answered;               /* the server that answered last; n: none yet */
  guint failed_in_round;        /* servers that failed in a row since the round began */
  WgdRdvBackoff rounds;         /* rounds in which every server failed */
};

WgdRdvServers *
wgd_rdv_servers_new (const gchar *const *urls)
{
  WgdRdvServers *servers;

  g_return_val_if_fail (urls != NULL && urls[0] != NULL, NULL);
  servers = g_new0 (WgdRdvServers, 1);
  servers->urls = g_strdupv ((gchar **) urls);
  servers->n = g_strv_length (servers->urls);
  servers->answered = servers->n;
  return servers;
}

void
wgd_rdv_servers_free (WgdRdvServers *servers)
{
  if (servers == NULL)
    return;
  g_strfreev (servers->urls);
  g_free (servers);
}

const gchar *
wgd_rdv_servers_current (const WgdRdvServers *servers)
{
  return servers->urls[servers->current];
}

guint
wgd_rdv_servers_count (const WgdRdvServers *servers)
{
  return servers->n;
}

guint64
wgd_rdv_servers_failed (WgdRdvServers *servers, gboolean move, const gchar *retry_after,
                        WgdRdvRandomFunc random, gpointer user_data)
{
  guint64 wait;
  guint seconds;

  if (move)
    servers->current = (servers->current + 1) % servers->n;
  servers->failed_in_round++;
  if (move && servers->failed_in_round < servers->n)
    wait = WGD_RDV_SERVERS_NEXT_MS + random (WGD_RDV_SERVERS_NEXT_MS + 1, user_data);
  else
    {
      servers->failed_in_round = 0;
      wait = wgd_rdv_backoff_next (&servers->rounds, random, user_data);
    }
  if (wgd_rdv_parse_retry_after (retry_after, &seconds))
    wait = MAX (wait, (guint64) seconds * 1000);
  return wait;
}

gboolean
wgd_rdv_servers_succeeded (WgdRdvServers *servers)
{
  gboolean moved = servers->answered != servers->n && servers->answered != servers->current;

  servers->answered = servers->current;
  servers->failed_in_round = 0;
  wgd_rdv_backoff_reset (&servers->rounds);
  return moved;
}
