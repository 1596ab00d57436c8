/* ttl-punch.c — the punch of src/net/punch.h as a command, for the NAT
 * tests on the virtual internet (tests/lan/wan.sh):
 *
 *   ttl-punch LISTEN_PORT PEER_ADDRESS PEER_PORT [MAX_TTL]
 *
 * sends datagrams from LISTEN_PORT (WireGuard's, which it need not own:
 * the socket is raw) to the peer with TTL 1, 2, … as the plan says, and
 * prints how the plan ended: "passed 2", "blind 2", "overshot 3", …
 * It runs the daemon's punch (punch-socket.c) on a main loop of its own.
 * Needs CAP_NET_RAW. */
#include "config.h"

#include <stdio.h>
#include <arpa/inet.h>

#include "punch.h"

typedef struct {
  GMainLoop *loop;
  int status;
} Run;

static void
on_done (WgdPunch *punch, const WgdPunchPlan *plan, const GError *error, gpointer user_data)
{
  Run *run = user_data;

  if (error != NULL)
    {
      fprintf (stderr, "ttl-punch: %s\n", error->message);
      run->status = 1;
    }
  else
    printf ("%s %u\n", wgd_punch_outcome_to_string (plan->outcome), plan->ttl);
  g_main_loop_quit (run->loop);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdPunchSockets) sockets = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Run run = { .loop = loop };
  WgdPunch *punch;
  guint64 port, peer_port, max_ttl = WGD_PUNCH_MAX_TTL_DEFAULT;
  guint8 peer[4];

  if (argc < 4 || argc > 5
      || !g_ascii_string_to_unsigned (argv[1], 10, 1, 65535, &port, NULL)
      || inet_pton (AF_INET, argv[2], peer) != 1
      || !g_ascii_string_to_unsigned (argv[3], 10, 1, 65535, &peer_port, NULL)
      || (argc == 5 && !g_ascii_string_to_unsigned (argv[4], 10, 1, 255, &max_ttl, NULL)))
    {
      fprintf (stderr, "usage: ttl-punch LISTEN_PORT PEER_ADDRESS PEER_PORT [MAX_TTL]\n");
      return 2;
    }
  sockets = wgd_punch_sockets_open (&error);
  if (sockets == NULL)
    {
      fprintf (stderr, "ttl-punch: %s\n", error->message);
      return 1;
    }
  punch = wgd_punch_start (sockets, (guint16) port, peer, (guint16) peer_port, (guint8) max_ttl,
                           WGD_PUNCH_WAIT_MS_DEFAULT, on_done, &run);
  g_main_loop_run (loop);
  wgd_punch_free (punch);
  return run.status;
}
