/* wg-apply.c — benchmark: change the endpoints of N peers on one
 * WireGuard interface through our backend, against the same change made
 * with one `wg set` per peer and with one `wg set` carrying all peers,
 * measured in the same run (docs/architecture.md §11). Timing on shared machines is
 * noisy, so the figures that matter are the ratios.
 *
 * Usage: wg-apply IFACE [N]   (the interface must exist; its peers are
 * replaced by N generated ones). Run it through bench/wg-apply.sh. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <gio/gio.h>
#include <sodium.h>

#include "base64.h"
#include "wg-device.h"

typedef guint8 Key[WGD_KEY_LEN];

typedef struct {
  const gchar *ifname;
  guint n;
  Key *keys;
  gchar **key_text;
  const gchar *wg;
} Bench;

static void
endpoint_for (guint i, guint round, WgdSockaddr *out)
{
  memset (out, 0, sizeof *out);
  out->in.sin_family = AF_INET;
  out->in.sin_port = htons ((guint16) (20000 + round));
  out->in.sin_addr.s_addr = htonl (0x0a000000u | (round << 16) | (i + 1));
}

static gdouble
run_backend (Bench *b, guint round)
{
  g_autofree WgdPeerChange *changes = g_new0 (WgdPeerChange, b->n);
  g_autoptr (GError) error = NULL;
  gint64 start;

  for (guint i = 0; i < b->n; i++)
    {
      memcpy (changes[i].public_key, b->keys[i], WGD_KEY_LEN);
      changes[i].flags = WGD_PEER_SET_ENDPOINT;
      endpoint_for (i, round, &changes[i].endpoint);
    }
  start = g_get_monotonic_time ();
  if (!wgd_device_set_peers (b->ifname, changes, b->n, &error))
    g_error ("backend: %s", error->message);
  return (gdouble) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static void
spawn_wg (Bench *b, GPtrArray *argv)
{
  g_autoptr (GError) error = NULL;
  gint status;

  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                     NULL, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    g_error ("wg set: %s", error->message);
}

static void
argv_add_peer (GPtrArray *argv, Bench *b, guint i, guint round)
{
  WgdSockaddr ep;

  endpoint_for (i, round, &ep);
  g_ptr_array_add (argv, g_strdup ("peer"));
  g_ptr_array_add (argv, g_strdup (b->key_text[i]));
  g_ptr_array_add (argv, g_strdup ("endpoint"));
  g_ptr_array_add (argv, wgd_sockaddr_to_string (&ep));
}

static GPtrArray *
argv_new (Bench *b)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (b->wg));
  g_ptr_array_add (argv, g_strdup ("set"));
  g_ptr_array_add (argv, g_strdup (b->ifname));
  return argv;
}

static gdouble
run_wg_single (Bench *b, guint round)
{
  g_autoptr (GPtrArray) argv = argv_new (b);
  gint64 start;

  for (guint i = 0; i < b->n; i++)
    argv_add_peer (argv, b, i, round);
  start = g_get_monotonic_time ();
  spawn_wg (b, argv);
  return (gdouble) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static gdouble
run_wg_per_peer (Bench *b, guint round)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < b->n; i++)
    {
      g_autoptr (GPtrArray) argv = argv_new (b);

      argv_add_peer (argv, b, i, round);
      spawn_wg (b, argv);
    }
  return (gdouble) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

/* A benchmark whose change did not happen measures nothing. */
static void
verify_round (Bench *b, guint round)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdDevice) device = wgd_device_get (b->ifname, &error);

  if (device == NULL)
    g_error ("reading %s: %s", b->ifname, error->message);
  if (device->peers->len != b->n)
    g_error ("%s has %u peers, expected %u", b->ifname, device->peers->len, b->n);
  for (guint i = 0; i < b->n; i++)
    {
      WgdPeer *peer = wgd_device_find_peer (device, b->keys[i]);
      WgdSockaddr want;

      endpoint_for (i, round, &want);
      if (peer == NULL || !wgd_sockaddr_equal (&peer->endpoint, &want))
        g_error ("peer %u does not have the endpoint of round %u", i, round);
    }
}

static void
setup_peers (Bench *b)
{
  g_autofree WgdPeerChange *changes = g_new0 (WgdPeerChange, b->n);
  g_autofree WgdPrefix *ips = g_new0 (WgdPrefix, b->n);
  g_autoptr (GError) error = NULL;
  guint8 private_key[WGD_KEY_LEN];

  randombytes_buf (private_key, sizeof private_key);
  if (!wgd_device_configure (b->ifname, private_key, 51820, &error))
    g_error ("configuring %s: %s", b->ifname, error->message);
  b->keys = g_new (Key, b->n);
  b->key_text = g_new0 (gchar *, b->n + 1);
  for (guint i = 0; i < b->n; i++)
    {
      guint8 secret[WGD_KEY_LEN];

      randombytes_buf (secret, sizeof secret);
      crypto_scalarmult_base (b->keys[i], secret);
      b->key_text[i] = wgd_key_to_base64 (b->keys[i]);
      memcpy (changes[i].public_key, b->keys[i], WGD_KEY_LEN);
      ips[i].family = 4;
      ips[i].length = 32;
      ips[i].address[0] = 10;
      ips[i].address[1] = 99;
      ips[i].address[2] = (guint8) (i >> 8);
      ips[i].address[3] = (guint8) i;
      changes[i].flags = WGD_PEER_ADD_ALLOWED_IPS;
      changes[i].allowed_ips = &ips[i];
      changes[i].n_allowed_ips = 1;
    }
  if (!wgd_device_set_peers (b->ifname, changes, b->n, &error))
    g_error ("adding %u peers: %s", b->n, error->message);
}

static int
compare_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble *v, guint n)
{
  qsort (v, n, sizeof *v, compare_double);
  return v[n / 2];
}

#define REPEATS 5

int
main (int argc, char **argv)
{
  Bench b = { 0 };
  g_autoptr (GError) error = NULL;
  const WgdBackend *device_backend;
  gdouble backend[REPEATS], single[REPEATS];
  gdouble t_backend, t_single, t_per_peer;
  guint round = 0;
  g_autofree gchar *wg = g_find_program_in_path ("wg");

  if (argc < 2 || argc > 3 || sodium_init () < 0)
    {
      g_printerr ("usage: %s IFACE [N]\n", argv[0]);
      return 2;
    }
  if (wg == NULL)
    {
      g_printerr ("wg not found: apt-get install wireguard-tools\n");
      return 2;
    }
  b.ifname = argv[1];
  b.n = argc == 3 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 1000;
  b.wg = wg;
  if (b.n == 0 || b.n > 60000)
    {
      g_printerr ("N must be 1 to 60000\n");
      return 2;
    }
  device_backend = wgd_backend_for (b.ifname, &error);
  if (device_backend == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  setup_peers (&b);

  /* One process per peer is so slow that one run is enough to see it. */
  t_per_peer = run_wg_per_peer (&b, ++round);
  verify_round (&b, round);
  /* Interleaved, so drift in machine load hits both alike. */
  for (guint r = 0; r < REPEATS; r++)
    {
      backend[r] = run_backend (&b, ++round);
      verify_round (&b, round);
      single[r] = run_wg_single (&b, ++round);
      verify_round (&b, round);
    }
  t_backend = median (backend, REPEATS);
  t_single = median (single, REPEATS);

  printf ("wg-apply: %u peers on %s (%s backend), median of %d runs\n", b.n, b.ifname,
          device_backend->name, REPEATS);
  printf ("  backend, one call            %8.4f s\n", t_backend);
  printf ("  wg set, one process          %8.4f s   backend is %.2fx faster\n", t_single,
          t_single / t_backend);
  printf ("  wg set, one process per peer %8.4f s   backend is %.1fx faster (1 run)\n",
          t_per_peer, t_per_peer / t_backend);
  g_strfreev (b.key_text);
  g_free (b.keys);
  return 0;
}
