/* verify.c — how many records one core judges per second of CPU time,
 * against bare crypto_sign_verify_detached over the same bytes
 * (docs/record-format.md §5: the domain "wgdiscover-announcement-v1\0"
 * followed by the record without its signature), measured in the same
 * run.
 *
 * verify SECONDS < RECORD   (RECORD in hex, as bench/rdv-records prints
 *   it; the first line is used): the references for bench/rendezvous.sh's
 *   PUTs, "verify_per_second N" (bare) and "verify_derive_per_second N"
 *   (that and the derived binding's conversion, §7). Each is timed for
 *   SECONDS.
 *
 * verify --decide SECONDS: the daemon's decision path,
 *   wgd_trust_check_record with a trust store and a replay state holding
 *   a thousand other keys, as daemon_take_record uses them, for
 *   "new" records of a known key (each a newer timestamp, remembered
 *   with wgd_replay_state_accept as the daemon does) and a "reheard"
 *   record (the one accepted last, byte for byte); in endpoint mode with
 *   the derived binding, and ("mesh_") in mesh mode with a certificate.
 *   Each is measured with bare verification of its records, all in
 *   turn for SECONDS in all; prints the median rate of each, the
 *   ratios against bare verification, and the heap allocations per
 *   record (counted with G_SLICE=always-malloc, as bench/verify.sh runs
 *   it; not in a build with AddressSanitizer). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "announcement.h"
#include "trust.h"

/* Calls between two looks at the clock, so that reading it costs
 * nothing next to the cryptography. */
#define BATCH 64
/* Slices each measurement is cut into, taken in turn with the other
 * measurements, so that what else the machine does weighs on all alike;
 * the median slice counts. */
#define ROUNDS 21
/* Records of the known key signed ahead; the replay state is set back
 * below the first after the last. */
#define POOL 1024
#define OTHER_KEYS 1000
#define LIFETIME 86400

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined __SANITIZE_ADDRESS__ || __has_feature (address_sanitizer)
#define ALLOCATIONS_COUNTED 0
static guint64 allocations;
#else
#define ALLOCATIONS_COUNTED 1
/* Every allocation of the process passes here, GLib's included. */
extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *p, size_t size);
static guint64 allocations;

void *
malloc (size_t size)
{
  allocations++;
  return __libc_malloc (size);
}

void *
calloc (size_t n, size_t size)
{
  allocations++;
  return __libc_calloc (n, size);
}

void *
realloc (void *p, size_t size)
{
  allocations++;
  return __libc_realloc (p, size);
}
#endif

typedef struct {
  guint8 bytes[WGD_RECORD_MAX];
  gsize len;
  guint8 signed_bytes[sizeof WGD_RECORD_CONTEXT + WGD_RECORD_MAX];
  gsize signed_len;
  guint8 signature[WGD_SIGNATURE_LEN];
  guint8 signing_key[WGD_KEY_LEN];
  guint8 wg_key[WGD_KEY_LEN];
  guint64 timestamp;
} Record;

typedef struct {
  Record *pool;
  guint n_pool;
  guint next;
  WgdTrustStore *store;
  WgdReplayState *replay;
  WgdTrustContext ctx;
  WgdAnnouncement *ann;
} Bench;

static gboolean
record_init (Record *r, const guint8 *bytes, gsize len, GError **error)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();

  if (!wgd_announcement_decode (ann, bytes, len, error))
    return FALSE;
  memcpy (r->bytes, bytes, len);
  r->len = len;
  memcpy (r->signed_bytes, WGD_RECORD_CONTEXT, sizeof WGD_RECORD_CONTEXT);
  memcpy (r->signed_bytes + sizeof WGD_RECORD_CONTEXT, bytes, len - WGD_SIGNATURE_LEN);
  r->signed_len = sizeof WGD_RECORD_CONTEXT + len - WGD_SIGNATURE_LEN;
  memcpy (r->signature, ann->signature, WGD_SIGNATURE_LEN);
  memcpy (r->signing_key, ann->signing_key, WGD_KEY_LEN);
  memcpy (r->wg_key, ann->wg_key, WGD_KEY_LEN);
  r->timestamp = ann->timestamp;
  return TRUE;
}

static gboolean
check_signature (const Record *r)
{
  return crypto_sign_verify_detached (r->signature, r->signed_bytes, r->signed_len,
                                      r->signing_key) == 0;
}

static gboolean
check_signature_and_derived_key (const Record *r)
{
  guint8 wg_key[crypto_scalarmult_curve25519_BYTES];

  return check_signature (r)
    && crypto_sign_ed25519_pk_to_curve25519 (wg_key, r->signing_key) == 0
    && sodium_memcmp (wg_key, r->wg_key, sizeof wg_key) == 0;
}

static const Record *
bench_next (Bench *b)
{
  const Record *r = &b->pool[b->next];

  b->next = (b->next + 1) % b->n_pool;
  return r;
}

static gboolean
bench_bare (Bench *b)
{
  return check_signature (bench_next (b));
}

static gboolean
bench_bare_derive (Bench *b)
{
  return check_signature_and_derived_key (bench_next (b));
}

static gboolean
bench_decide_new (Bench *b)
{
  gboolean first = b->next == 0;
  const Record *r = bench_next (b);
  WgdVerdict v;

  if (first)
    {
      guint8 none[WGD_KEY_LEN] = { 0 };

      wgd_replay_state_update (b->replay, r->signing_key, r->timestamp - 1, none);
    }
  wgd_trust_check_record (b->store, b->replay, &b->ctx, r->bytes, r->len, b->ann, &v);
  if (!v.accepted || v.already_known)
    return FALSE;
  wgd_replay_state_accept (b->replay, b->ann);
  return TRUE;
}

/* The record heard again is the newest of the pool, accepted. */
static void
bench_accept_last (Bench *b)
{
  const Record *r = &b->pool[POOL - 1];
  WgdVerdict v;

  wgd_trust_check_record (b->store, b->replay, &b->ctx, r->bytes, r->len, b->ann, &v);
  if (!v.accepted)
    g_error ("verify: the newest record is refused: %s", v.detail);
  wgd_replay_state_accept (b->replay, b->ann);
}

static gboolean
bench_decide_reheard (Bench *b)
{
  const Record *r = &b->pool[POOL - 1];
  WgdVerdict v;

  wgd_trust_check_record (b->store, b->replay, &b->ctx, r->bytes, r->len, b->ann, &v);
  return v.accepted && v.already_known;
}

/* The CPU time this thread has used: on a shared machine, the time
 * others take the core away does not count against either side. */
static gint64
cpu_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Judges records for usec of CPU time; adds their number and the allocations they
 * made to *records and *allocated. */
static gdouble
rate (Bench *b, gboolean (*judge) (Bench *b), gint64 usec, guint64 *records, guint64 *allocated)
{
  guint64 count = 0, allocations_before = allocations;
  gint64 start = cpu_usec (), elapsed;

  do
    {
      for (guint i = 0; i < BATCH; i++)
        if (!judge (b))
          {
            g_printerr ("verify: a record was not judged as expected\n");
            exit (1);
          }
      count += BATCH;
      elapsed = cpu_usec () - start;
    }
  while (elapsed < usec);
  *records += count;
  *allocated += allocations - allocations_before;
  return (gdouble) count * G_USEC_PER_SEC / (gdouble) elapsed;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble *values)
{
  qsort (values, ROUNDS, sizeof *values, compare_doubles);
  return values[ROUNDS / 2];
}

typedef enum {
  SCENARIO_DERIVED,     /* endpoint mode, derived binding */
  SCENARIO_MESH,        /* mesh mode, certificate binding */
  SCENARIO_COUNT,
} Scenario;

/* A pool of records of one key, each newer than the one before. */
static Record *
pool_new (const WgdKeyPair *identity, const WgdKeyPair *ca, guint64 first)
{
  Record *pool = g_new0 (Record, POOL);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < POOL; i++)
    {
      g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();

      wgd_key_pair_wg_public (identity, ann->wg_key);
      ann->timestamp = first + i;
      ann->lifetime = LIFETIME;
      ann->n_endpoints = 1;
      ann->endpoints[0] = (WgdEndpoint) { .kind = WGD_ENDPOINT_HOST, .family = 4,
                                          .address = { 192, 0, 2, 1 }, .port = 51820 };
      g_strlcpy (ann->name, "bench", sizeof ann->name);
      if (ca != NULL)
        {
          WgdCertificate *c = &ann->certificate;

          memcpy (c->signing_key, identity->public_key, WGD_KEY_LEN);
          memcpy (c->wg_key, ann->wg_key, WGD_KEY_LEN);
          c->serial = 1;
          c->not_before = first - 1;
          c->not_after = first + LIFETIME;
          g_strlcpy (c->name, "bench", sizeof c->name);
          c->n_prefixes = 1;
          c->prefixes[0] = (WgdPrefix) { .family = 4, .length = 32, .address = { 10, 0, 0, 1 } };
          ann->has_certificate = TRUE;
          if (!wgd_certificate_sign (c, ca, &error))
            g_error ("verify: %s", error->message);
        }
      if (!wgd_announcement_sign (ann, identity, &error)
          || !record_init (&pool[i], ann->record, ann->record_len, &error))
        g_error ("verify: %s", error->message);
    }
  return pool;
}

typedef struct {
  const gchar *name;
  Scenario scenario;
  void (*prepare) (Bench *b);
  gboolean (*judge) (Bench *b);
  gdouble rates[ROUNDS];
  guint64 records;
  guint64 allocations;
} Kind;

/* A store and a replay state like a daemon's with a thousand peers, and
 * in them the pools' keys. */
static int
decide (guint64 seconds)
{
  g_autoptr (WgdKeyPair) identity = wgd_key_pair_generate ();
  g_autoptr (WgdKeyPair) ca = wgd_key_pair_generate ();
  g_autoptr (WgdTrustStore) store = wgd_trust_store_new ();
  g_autoptr (WgdReplayState) replay = wgd_replay_state_new ();
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  guint64 first = (guint64) g_get_real_time () / G_USEC_PER_SEC;
  g_autofree Record *derived = pool_new (identity, NULL, first);
  g_autofree Record *mesh = pool_new (identity, ca, first);
  Record *pools[SCENARIO_COUNT] = { derived, mesh };
  WgdTrustContext contexts[SCENARIO_COUNT] = {
    { .mode = WGD_MODE_ENDPOINT, .now = first + POOL },
    { .mode = WGD_MODE_MESH, .now = first + POOL },
  };
  Bench b = { .store = store, .replay = replay, .ann = ann, .n_pool = POOL };
  /* Each scenario's bare verification first: the others' reference. */
  Kind kinds[] = {
    { "verify", SCENARIO_DERIVED, NULL, bench_bare },
    { "new", SCENARIO_DERIVED, NULL, bench_decide_new },
    { "reheard", SCENARIO_DERIVED, bench_accept_last, bench_decide_reheard },
    { "mesh_verify", SCENARIO_MESH, NULL, bench_bare },
    { "mesh_new", SCENARIO_MESH, NULL, bench_decide_new },
    { "mesh_reheard", SCENARIO_MESH, bench_accept_last, bench_decide_reheard },
  };
  gdouble bare = 0;

  memcpy (contexts[SCENARIO_MESH].mesh_key, ca->public_key, WGD_KEY_LEN);
  wgd_trust_store_add_ca (store, ca->public_key);
  for (guint i = 0; i < OTHER_KEYS; i++)
    {
      guint8 key[WGD_KEY_LEN], digest[WGD_KEY_LEN];

      randombytes_buf (key, sizeof key);
      randombytes_buf (digest, sizeof digest);
      wgd_replay_state_update (replay, key, first, digest);
      if (i % 10 == 0)
        wgd_trust_store_add_pin (store, digest, key);
    }
  for (guint round = 0; round < ROUNDS; round++)
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      {
        b.pool = pools[kinds[k].scenario];
        b.ctx = contexts[kinds[k].scenario];
        b.next = 0;
        if (kinds[k].prepare != NULL)
          kinds[k].prepare (&b);
        kinds[k].rates[round] = rate (&b, kinds[k].judge,
                                      (gint64) seconds * G_USEC_PER_SEC / ROUNDS,
                                      &kinds[k].records, &kinds[k].allocations);
      }
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      gdouble r = median (kinds[k].rates);

      printf ("%s_per_second %.0f\n", kinds[k].name, r);
      if (kinds[k].judge == bench_bare)
        bare = r;
      else
        printf ("%s_ratio %.2f\n", kinds[k].name, r / bare);
      if (ALLOCATIONS_COUNTED)
        printf ("%s_allocations_per_record %.3f\n", kinds[k].name,
                (gdouble) kinds[k].allocations / (gdouble) kinds[k].records);
    }
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  gchar line[2 * WGD_RECORD_MAX + 2];
  guint8 bytes[WGD_RECORD_MAX];
  gsize len = 0;
  guint64 seconds = 0;
  gboolean decision = argc == 3 && strcmp (argv[1], "--decide") == 0;
  Record r;
  guint64 records = 0, allocated = 0;
  Bench b = { .pool = &r, .n_pool = 1 };

  if ((argc != 2 && !decision)
      || !g_ascii_string_to_unsigned (argv[argc - 1], 10, 1, 600, &seconds, NULL)
      || sodium_init () < 0)
    {
      g_printerr ("usage: %s SECONDS < RECORD_IN_HEX\n"
                  "       %s --decide SECONDS\n", argv[0], argv[0]);
      return 2;
    }
  if (decision)
    return decide (seconds);
  if (fgets (line, sizeof line, stdin) == NULL
      || sodium_hex2bin (bytes, sizeof bytes, line, strcspn (line, "\n"), NULL, &len, NULL) != 0
      || !record_init (&r, bytes, len, &error))
    {
      g_printerr ("%s: no record in hex on standard input%s%s\n", argv[0],
                  error != NULL ? ": " : "", error != NULL ? error->message : "");
      return 1;
    }
  if (!check_signature_and_derived_key (&r))
    {
      g_printerr ("%s: the record does not verify, or its WireGuard key is not derived from "
                  "its signing key\n", argv[0]);
      return 1;
    }
  printf ("verify_per_second %.0f\n",
          rate (&b, bench_bare, (gint64) seconds * G_USEC_PER_SEC, &records, &allocated));
  printf ("verify_derive_per_second %.0f\n",
          rate (&b, bench_bare_derive, (gint64) seconds * G_USEC_PER_SEC, &records,
                &allocated));
  return 0;
}
