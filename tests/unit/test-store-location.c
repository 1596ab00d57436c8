/* test-store-location.c — Store= parsed strictly: every form with its
 * defaults, every refusal with what it names, the canonical text
 * parsing back to the same location, and the kind's name table. */
#include "config.h"

#include <string.h>

#include "store-location.h"
#include "wgd-error.h"

static void
test_kind_round_trip (void)
{
  for (guint k = 0; k < RDV_STORE_KIND_COUNT; k++)
    {
      RdvStoreKind back;

      g_assert_true (rdv_store_kind_from_string (rdv_store_kind_to_string (k), &back));
      g_assert_cmpuint (back, ==, k);
    }
  g_assert_false (rdv_store_kind_from_string ("mysql", &(RdvStoreKind) { 0 }));
}

static void
test_good (void)
{
  const struct {
    const gchar *text;
    RdvStoreKind kind;
    const gchar *host, *socket_path;
    guint port, db;
    const gchar *canonical;
  } good[] = {
    { "sqlite", RDV_STORE_KIND_SQLITE, NULL, NULL, 0, 0, "sqlite" },
    { "redis://localhost", RDV_STORE_KIND_REDIS_TCP, "localhost", NULL, 6379, 0,
      "redis://localhost:6379/0" },
    { "redis://10.0.0.5:6380/3", RDV_STORE_KIND_REDIS_TCP, "10.0.0.5", NULL, 6380, 3,
      "redis://10.0.0.5:6380/3" },
    { "redis://redis-1.example.org/15", RDV_STORE_KIND_REDIS_TCP, "redis-1.example.org", NULL,
      6379, 15, "redis://redis-1.example.org:6379/15" },
    { "redis://[::1]:7000/1", RDV_STORE_KIND_REDIS_TCP, "::1", NULL, 7000, 1,
      "redis://[::1]:7000/1" },
    { "redis://[2001:db8::7]", RDV_STORE_KIND_REDIS_TCP, "2001:db8::7", NULL, 6379, 0,
      "redis://[2001:db8::7]:6379/0" },
    { "unix:/run/redis/redis.sock", RDV_STORE_KIND_REDIS_UNIX, NULL, "/run/redis/redis.sock", 0,
      0, "unix:/run/redis/redis.sock?db=0" },
    { "unix:/tmp/r.sock?db=9", RDV_STORE_KIND_REDIS_UNIX, NULL, "/tmp/r.sock", 0, 9,
      "unix:/tmp/r.sock?db=9" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (RdvStoreLocation) where = rdv_store_location_parse (good[i].text, &error);
      g_autoptr (RdvStoreLocation) back = NULL;
      g_autofree gchar *text = NULL;

      g_assert_no_error (error);
      g_assert_cmpint (where->kind, ==, good[i].kind);
      g_assert_cmpstr (where->host, ==, good[i].host);
      g_assert_cmpstr (where->socket_path, ==, good[i].socket_path);
      g_assert_cmpuint (where->port, ==, good[i].port);
      g_assert_cmpuint (where->db, ==, good[i].db);
      text = rdv_store_location_to_string (where);
      g_assert_cmpstr (text, ==, good[i].canonical);
      back = rdv_store_location_parse (text, &error);
      g_assert_no_error (error);
      g_assert_true (rdv_store_location_equal (where, back));
      g_clear_pointer (&back, rdv_store_location_free);
      back = rdv_store_location_copy (where);
      g_assert_true (rdv_store_location_equal (where, back));
    }
}

/* Sentinels in order, with their default port, the primary's name and
 * the database; the canonical text parses back to the same. */
static void
test_sentinel (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RdvStoreLocation) where =
    rdv_store_location_parse ("sentinel://10.0.0.7,[2001:db8::7]:26380,s3.example.org/rdv-1/2",
                              &error);
  g_autoptr (RdvStoreLocation) back = NULL;
  g_autoptr (RdvStoreLocation) copy = NULL;
  g_autofree gchar *text = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (where->kind, ==, RDV_STORE_KIND_REDIS_SENTINEL);
  g_assert_cmpuint (where->n_sentinels, ==, 3);
  g_assert_cmpstr (where->sentinels[0].host, ==, "10.0.0.7");
  g_assert_cmpuint (where->sentinels[0].port, ==, 26379);
  g_assert_cmpstr (where->sentinels[1].host, ==, "2001:db8::7");
  g_assert_cmpuint (where->sentinels[1].port, ==, 26380);
  g_assert_cmpstr (where->sentinels[2].host, ==, "s3.example.org");
  g_assert_cmpstr (where->primary_name, ==, "rdv-1");
  g_assert_cmpuint (where->db, ==, 2);
  text = rdv_store_location_to_string (where);
  g_assert_cmpstr (text, ==,
                   "sentinel://10.0.0.7:26379,[2001:db8::7]:26380,s3.example.org:26379/rdv-1/2");
  back = rdv_store_location_parse (text, &error);
  g_assert_no_error (error);
  g_assert_true (rdv_store_location_equal (where, back));
  copy = rdv_store_location_copy (where);
  g_assert_true (rdv_store_location_equal (where, copy));
  g_free (copy->sentinels[2].host);
  copy->sentinels[2].host = g_strdup ("s4.example.org");
  g_assert_false (rdv_store_location_equal (where, copy));
}

static void
test_bad (void)
{
  g_autofree gchar *long_path = g_strdup_printf ("unix:/%s", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  const struct {
    const gchar *text, *error;
  } bad[] = {
    { "", "'': not sqlite, redis://HOST[:PORT][/DB], unix:/PATH[?db=N] or "
          "sentinel://HOST[:PORT][,HOST[:PORT]]/NAME[/DB]" },
    { "SQLite", "'SQLite': not sqlite" },
    { "redis:/h", "'redis:/h': not sqlite" },
    { "rediss://h", "'rediss://h': not sqlite" },
    { "redis://", "'redis://': a host is missing" },
    { "redis://:6379", "'redis://:6379': a host is missing" },
    { "redis://h:0", "'redis://h:0': the port '0' is not a number from 1 to 65535" },
    { "redis://h:65536", "the port '65536' is not a number" },
    { "redis://h:", "the port '' is not a number" },
    { "redis://h:+1", "the port '+1' is not a number" },
    { "redis://h/x", "'redis://h/x': the database 'x' is not a number from 0 to 65535" },
    { "redis://h/", "the database '' is not a number" },
    { "redis://h/-1", "the database '-1' is not a number" },
    { "redis://h/65536", "the database '65536' is not a number" },
    { "redis://h/1/2", "the database '1/2' is not a number" },
    { "redis://user:pw@h", "a password or user goes in StorePasswordFile=, never in the URL" },
    { "redis://h?db=1", "a redis:// URL has no query and no fragment" },
    { "redis://h#x", "a redis:// URL has no query and no fragment" },
    { "redis://::1", "an IPv6 address goes in brackets" },
    { "redis://[::1", "'[' without ']'" },
    { "redis://[10.0.0.1]", "'10.0.0.1' in brackets is not an IPv6 address" },
    { "redis://[::1]x", "after ']' comes ':PORT' or nothing" },
    { "redis://-h", "'-h' is not a host name or an IPv4 address" },
    { "redis://h..example", "'h..example' is not a host name" },
    { "redis://h_1", "'h_1' is not a host name" },
    { "redis://h.", "'h.' is not a host name" },
    { "unix:", "the socket '' is not an absolute path" },
    { "unix:run/redis.sock", "the socket 'run/redis.sock' is not an absolute path" },
    { "unix:/r.sock?database=1", "the only parameter is ?db=N" },
    { "unix:/r.sock?db=", "the database '' is not a number" },
    { "unix:/r\tsock", "the socket's path has a control character" },
    { long_path, "the socket's path is longer than 107 bytes" },
    { "sentinel://", "'sentinel://': a host is missing" },
    { "sentinel://s1", "the primary's name is missing" },
    { "sentinel://s1/", "the primary's name '' is not 1 to 64 letters" },
    { "sentinel://s1,/m", "a host is missing" },
    { "sentinel://s1:0/m", "the port '0' is not a number" },
    { "sentinel://s1/m y", "the primary's name 'm y' is not" },
    { "sentinel://s1/m/x", "the database 'x' is not a number" },
    { "sentinel://s1/m?db=1", "a sentinel:// URL has no query and no fragment" },
    { "sentinel://pw@s1/m", "never in the URL" },
    { "sentinel://a,b,c,d,e,f,g,h,i/m", "more than 8 Sentinels" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (RdvStoreLocation) where = rdv_store_location_parse (bad[i].text, &error);

      g_assert_null (where);
      g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, bad[i].error));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store-location/kind-round-trip", test_kind_round_trip);
  g_test_add_func ("/store-location/good", test_good);
  g_test_add_func ("/store-location/sentinel", test_sentinel);
  g_test_add_func ("/store-location/bad", test_bad);
  return g_test_run ();
}
