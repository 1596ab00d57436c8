/* punch-socket.c — the raw sockets of punch.h and the punches that run
 * over them on the main loop: the plan (punch.c) says which TTL comes
 * next; this file sends it and waits, without blocking, for its ICMP
 * answer or a timeout. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <glib-unix.h>

#include "punch.h"
#include "wgd-error.h"

struct _WgdPunchSockets {
  int udp_fd;                   /* raw IPPROTO_UDP: we write the UDP header */
  int icmp_fd;                  /* raw IPPROTO_ICMP: every ICMP message to us */
  guint icmp_watch;             /* while punches run */
  GList *punches;               /* WgdPunch, running */
};

struct _WgdPunch {
  WgdPunchSockets *sockets;
  WgdPunchPlan plan;
  struct sockaddr_in to;
  guint8 dst[4];
  guint16 src_port;
  guint16 dst_port;
  guint8 datagram[64];
  gsize len;
  guint wait_ms;
  guint timeout;                /* waiting for the last TTL's answer */
  guint idle;                   /* the first datagram, or the failure, to come */
  gboolean running;
  WgdPunchDoneFunc done;
  gpointer user_data;
};

static gboolean
io_error (GError **error, const gchar *what)
{
  int saved = errno;

  g_set_error (error, WGD_ERROR, WGD_ERROR_IO, "%s: %s", what, g_strerror (saved));
  return FALSE;
}

WgdPunchSockets *
wgd_punch_sockets_open (GError **error)
{
  g_autofree WgdPunchSockets *sockets = g_new0 (WgdPunchSockets, 1);

  sockets->udp_fd = socket (AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
  if (sockets->udp_fd < 0)
    {
      io_error (error, "cannot open a raw UDP socket (CAP_NET_RAW?)");
      return NULL;
    }
  sockets->icmp_fd = socket (AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
  if (sockets->icmp_fd < 0)
    {
      io_error (error, "cannot open a raw ICMP socket (CAP_NET_RAW?)");
      close (sockets->udp_fd);
      return NULL;
    }
  return g_steal_pointer (&sockets);
}

void
wgd_punch_sockets_free (WgdPunchSockets *sockets)
{
  if (sockets == NULL)
    return;
  g_return_if_fail (sockets->punches == NULL);
  close (sockets->udp_fd);
  close (sockets->icmp_fd);
  g_free (sockets);
}

/* The address the kernel would send from towards dst. */
static gboolean
source_address_for (const struct sockaddr_in *dst, guint8 src[4], GError **error)
{
  struct sockaddr_in local;
  socklen_t len = sizeof local;
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    return io_error (error, "cannot open a UDP socket");
  ok = connect (fd, (const struct sockaddr *) dst, sizeof *dst) == 0
       && getsockname (fd, (struct sockaddr *) &local, &len) == 0;
  if (!ok)
    io_error (error, "no route to the peer");
  close (fd);
  if (ok)
    memcpy (src, &local.sin_addr, 4);
  return ok;
}

static gboolean on_icmp (gint fd, GIOCondition condition, gpointer user_data);

static void
punch_detach (WgdPunch *punch)
{
  WgdPunchSockets *sockets = punch->sockets;

  if (!punch->running)
    return;
  punch->running = FALSE;
  g_clear_handle_id (&punch->timeout, g_source_remove);
  g_clear_handle_id (&punch->idle, g_source_remove);
  sockets->punches = g_list_remove (sockets->punches, punch);
  if (sockets->punches == NULL)
    g_clear_handle_id (&sockets->icmp_watch, g_source_remove);
}

/* Ends the punch and tells its owner, who may free it: nothing touches
 * the punch after. */
static void
punch_finish (WgdPunch *punch, const GError *error)
{
  punch_detach (punch);
  punch->done (punch, &punch->plan, error, punch->user_data);
}

static gboolean on_timeout (gpointer user_data);

/* Sends the plan's next TTL, or ends the punch. */
static void
punch_step (WgdPunch *punch)
{
  g_autoptr (GError) error = NULL;
  guint8 ttl = wgd_punch_plan_next (&punch->plan);
  int value = ttl;

  if (ttl == 0)
    {
      punch_finish (punch, NULL);
      return;
    }
  /* The socket is shared, but set and send happen in one go. */
  if (setsockopt (punch->sockets->udp_fd, IPPROTO_IP, IP_TTL, &value, sizeof value) != 0)
    io_error (&error, "cannot set the TTL");
  else if (sendto (punch->sockets->udp_fd, punch->datagram, punch->len, 0,
                   (const struct sockaddr *) &punch->to, sizeof punch->to) < 0)
    io_error (&error, "cannot send the datagram");
  if (error != NULL)
    {
      punch_finish (punch, error);
      return;
    }
  punch->timeout = g_timeout_add (punch->wait_ms, on_timeout, punch);
}

static gboolean
on_timeout (gpointer user_data)
{
  WgdPunch *punch = user_data;

  punch->timeout = 0;
  wgd_punch_plan_answer (&punch->plan, WGD_PUNCH_ICMP_NOT_OURS, NULL, punch->dst);
  punch_step (punch);
  return G_SOURCE_REMOVE;
}

static gboolean
on_icmp (gint fd, GIOCondition condition, gpointer user_data)
{
  WgdPunchSockets *sockets = user_data;
  guint8 buf[1500];
  ssize_t n;

  /* A bounded batch per wakeup: a flood of ICMP cannot hold the loop. */
  for (guint round = 0; round < 64 && (n = recv (fd, buf, sizeof buf, 0)) > 0; round++)
    {
      /* A copy: a punch that ends may free itself and leave the list. */
      g_autoptr (GList) punches = g_list_copy (sockets->punches);

      for (GList *l = punches; l != NULL; l = l->next)
        {
          WgdPunch *punch = l->data;
          guint8 from[4];
          WgdPunchIcmp kind;

          if (g_list_find (sockets->punches, punch) == NULL || punch->timeout == 0)
            continue;
          kind = wgd_punch_icmp_parse (buf, (gsize) n, punch->src_port, punch->dst,
                                       punch->dst_port, from);
          if (kind == WGD_PUNCH_ICMP_NOT_OURS)
            continue;
          g_clear_handle_id (&punch->timeout, g_source_remove);
          wgd_punch_plan_answer (&punch->plan, kind, from, punch->dst);
          punch_step (punch);
        }
      if (sockets->punches == NULL)
        return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
first_cb (gpointer user_data)
{
  WgdPunch *punch = user_data;

  punch->idle = 0;
  punch_step (punch);
  return G_SOURCE_REMOVE;
}

/* Fails at once, from the main loop, as a running punch would. */
static gboolean
fail_cb (gpointer user_data)
{
  WgdPunch *punch = user_data;
  g_autoptr (GError) error = NULL;

  punch->idle = 0;
  g_set_error_literal (&error, WGD_ERROR, WGD_ERROR_IO, "no route to the peer");
  punch->done (punch, &punch->plan, error, punch->user_data);
  return G_SOURCE_REMOVE;
}

WgdPunch *
wgd_punch_start (WgdPunchSockets *sockets, guint16 src_port, const guint8 dst[4],
                 guint16 dst_port, guint8 max_ttl, guint wait_ms, WgdPunchDoneFunc done,
                 gpointer user_data)
{
  WgdPunch *punch = g_new0 (WgdPunch, 1);
  guint8 src[4];

  punch->sockets = sockets;
  punch->to.sin_family = AF_INET;
  memcpy (&punch->to.sin_addr, dst, 4);
  memcpy (punch->dst, dst, 4);
  punch->src_port = src_port;
  punch->dst_port = dst_port;
  punch->wait_ms = wait_ms;
  punch->done = done;
  punch->user_data = user_data;
  wgd_punch_plan_init (&punch->plan, max_ttl);
  if (!source_address_for (&punch->to, src, NULL))
    {
      punch->idle = g_idle_add (fail_cb, punch);
      return punch;
    }
  punch->len = wgd_punch_udp_build (punch->datagram, sizeof punch->datagram, src, src_port,
                                    dst, dst_port, (const guint8 *) WGD_PUNCH_PAYLOAD,
                                    strlen (WGD_PUNCH_PAYLOAD));
  punch->running = TRUE;
  sockets->punches = g_list_prepend (sockets->punches, punch);
  if (sockets->icmp_watch == 0)
    sockets->icmp_watch = g_unix_fd_add (sockets->icmp_fd, G_IO_IN, on_icmp, sockets);
  /* The first datagram leaves from the main loop too: done never runs
   * inside this call. */
  punch->idle = g_idle_add (first_cb, punch);
  return punch;
}

void
wgd_punch_free (WgdPunch *punch)
{
  if (punch == NULL)
    return;
  punch_detach (punch);
  g_clear_handle_id (&punch->idle, g_source_remove);
  g_free (punch);
}
