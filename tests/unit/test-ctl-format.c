/* test-ctl-format.c — what wgdiscoverctl's online commands print: times
 * as "12 s ago", endpoint reasons in a word, property values in words,
 * JSON names and values, and tables cut to a width. */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "ctl-format.h"
#include "ctl-json.h"
#include "ctl-table.h"

#define NOW ((guint64) 1800000000)

static void
test_ago (void)
{
  const struct {
    guint64 age;
    const gchar *text;
  } cases[] = {
    { 0, "0 s ago" },        { 12, "12 s ago" },      { 59, "59 s ago" },
    { 60, "1 min ago" },     { 3599, "59 min ago" },  { 3600, "1 h ago" },
    { 86399, "23 h ago" },   { 86400, "1 d ago" },    { 864000, "10 d ago" },
  };
  g_autofree gchar *never = ctl_format_ago (0, NOW);
  g_autofree gchar *future = ctl_format_ago (NOW + 5, NOW);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *text = ctl_format_ago (NOW - cases[i].age, NOW);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
  g_assert_cmpstr (never, ==, "never");
  /* A peer's clock ahead of ours is no negative age. */
  g_assert_cmpstr (future, ==, "0 s ago");
}

/* Every EndpointReason of docs/dbus-api.md has its own word; what a newer
 * daemon may say is shown as it is. */
static void
test_source (void)
{
  const gchar *reasons[] = {
    "LAN address on a subnet we share", "LAN address", "public address as seen from outside",
    "configured address", "restored",
  };
  g_autoptr (GHashTable) words = g_hash_table_new (g_str_hash, g_str_equal);

  for (gsize i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      const gchar *word = ctl_format_source (reasons[i]);

      g_assert_cmpuint (strlen (word), <=, 10);
      g_assert_null (strchr (word, ' '));
      g_assert_true (g_hash_table_add (words, (gpointer) word));
    }
  g_assert_cmpstr (ctl_format_source (""), ==, "-");
  g_assert_cmpstr (ctl_format_source ("a reason of tomorrow"), ==, "a reason of tomorrow");
}

static void
assert_value (const gchar *property, GVariant *value, const gchar *expected)
{
  g_autoptr (GVariant) owned = g_variant_ref_sink (value);
  g_autofree gchar *text = ctl_format_value (property, owned, NOW);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_value (void)
{
  g_autoptr (GVariantBuilder) counts = g_variant_builder_new (G_VARIANT_TYPE ("a{su}"));
  g_autoptr (GVariantBuilder) zeros = g_variant_builder_new (G_VARIANT_TYPE ("a{su}"));
  g_autoptr (GVariantBuilder) candidates = g_variant_builder_new (G_VARIANT_TYPE ("a(sst)"));

  assert_value ("RxBytes", g_variant_new_uint64 (1200), "1.2 kB");
  assert_value ("TxBytes", g_variant_new_uint64 (0), "0 bytes");
  assert_value ("LatestHandshake", g_variant_new_uint64 (0), "never");
  assert_value ("EndpointChanges", g_variant_new_uint32 (7), "7");
  assert_value ("ListenPort", g_variant_new_uint16 (51820), "51820");
  assert_value ("Paused", g_variant_new_boolean (TRUE), "yes");
  assert_value ("Present", g_variant_new_boolean (FALSE), "no");
  assert_value ("Endpoint", g_variant_new_string (""), "-");
  assert_value ("Name", g_variant_new_string ("h2"), "h2");
  g_variant_builder_add (counts, "{su}", "malformed", 2);
  g_variant_builder_add (counts, "{su}", "expired", 0);
  g_variant_builder_add (counts, "{su}", "no-binding", 1);
  assert_value ("AnnouncementsRejected", g_variant_builder_end (counts),
                "malformed 2, no-binding 1");
  g_variant_builder_add (zeros, "{su}", "derived", 0);
  assert_value ("PeersByTrust", g_variant_builder_end (zeros), "none");
  g_variant_builder_add (candidates, "(sst)", "10.77.0.2:51820", "mdns", (guint64) 3);
  g_variant_builder_add (candidates, "(sst)", "[fd77::2]:51820", "mdns", (guint64) 4);
  assert_value ("Candidates", g_variant_builder_end (candidates),
                "10.77.0.2:51820 (mdns, 3 s ago), [fd77::2]:51820 (mdns, 4 s ago)");
}

/* The JSON names of every property of the API: snake case, WireGuard as
 * one word, no two alike. */
static void
test_json_names (void)
{
  const gchar *xml_path = g_getenv ("WGD_DBUS_XML");
  g_autofree gchar *xml = NULL;
  g_autoptr (GDBusNodeInfo) node = NULL;
  g_autoptr (GError) error = NULL;
  guint n = 0;

  const struct {
    const gchar *property, *name;
  } known[] = {
    { "WireGuardKey", "wireguard_key" }, { "LatestHandshake", "latest_handshake" },
    { "ListenPort", "listen_port" },     { "Name", "name" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    {
      g_autofree gchar *name = ctl_json_name (known[i].property);

      g_assert_cmpstr (name, ==, known[i].name);
    }
  if (xml_path == NULL)
    xml_path = "data/org.wgdiscover1.xml";
  g_assert_true (g_file_get_contents (xml_path, &xml, NULL, &error));
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  for (GDBusInterfaceInfo **i = node->interfaces; *i != NULL; i++)
    {
      g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                            NULL);

      for (GDBusPropertyInfo **p = (*i)->properties; p != NULL && *p != NULL; p++, n++)
        {
          gchar *name = ctl_json_name ((*p)->name);

          g_assert_true (g_regex_match_simple ("^[a-z]+(_[a-z]+)*$", name, 0, 0));
          g_assert_true (g_hash_table_add (names, name));
        }
    }
  g_assert_cmpuint (n, >=, 20);
}

static gchar *
json_of (GVariant *value)
{
  g_autoptr (GVariant) owned = g_variant_ref_sink (value);
  g_autoptr (JsonNode) node = ctl_json_value (owned);

  return json_to_string (node, FALSE);
}

static void
test_json_values (void)
{
  g_autoptr (GVariantBuilder) counts = g_variant_builder_new (G_VARIANT_TYPE ("a{su}"));
  g_autoptr (GVariantBuilder) candidates = g_variant_builder_new (G_VARIANT_TYPE ("a(sst)"));
  const gchar *paths[] = { "/org/wgdiscover1/interface/wg0", NULL };
  g_autofree gchar *c = NULL, *a = NULL, *o = NULL, *t = NULL, *b = NULL;

  g_variant_builder_add (counts, "{su}", "malformed", 2);
  g_variant_builder_add (counts, "{su}", "expired", 0);
  c = json_of (g_variant_builder_end (counts));
  g_assert_cmpstr (c, ==, "{\"malformed\":2,\"expired\":0}");
  g_variant_builder_add (candidates, "(sst)", "10.77.0.2:51820", "mdns", (guint64) 3);
  a = json_of (g_variant_builder_end (candidates));
  g_assert_cmpstr (a, ==, "[{\"endpoint\":\"10.77.0.2:51820\",\"source\":\"mdns\",\"age\":3}]");
  o = json_of (g_variant_new_objv (paths, -1));
  g_assert_cmpstr (o, ==, "[\"/org/wgdiscover1/interface/wg0\"]");
  t = json_of (g_variant_new_uint64 (1800000000));
  g_assert_cmpstr (t, ==, "1800000000");
  b = json_of (g_variant_new_boolean (TRUE));
  g_assert_cmpstr (b, ==, "true");
}

static void
test_table (void)
{
  const gchar *headers[] = { "NAME", "ENDPOINT", "RX", NULL };
  const gchar *row1[] = { "h2", "10.77.0.2:51820", "1.2 kB" };
  const gchar *row2[] = { "a-very-long-name-äöü", "[fd77:1234:5678::2]:51820", "0 bytes" };
  g_autoptr (CtlTable) table = ctl_table_new (headers);
  g_autofree gchar *wide = NULL;
  g_autofree gchar *narrow = NULL;
  g_auto (GStrv) lines = NULL;

  ctl_table_set_shrinkable (table, 0, 6);
  ctl_table_set_shrinkable (table, 1, 15);
  ctl_table_add_row (table, row1);
  ctl_table_add_row (table, row2);
  wide = ctl_table_render (table, 80);
  g_assert_cmpstr (wide, ==,
                   "NAME                  ENDPOINT                   RX\n"
                   "h2                    10.77.0.2:51820            1.2 kB\n"
                   "a-very-long-name-äöü  [fd77:1234:5678::2]:51820  0 bytes\n");
  narrow = ctl_table_render (table, 40);
  lines = g_strsplit (narrow, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  for (gchar **l = lines; *l != NULL; l++)
    g_assert_cmpint (g_utf8_strlen (*l, -1), <=, 40);
  g_assert_true (g_str_has_prefix (lines[2], "a-very-long-n…  [fd77:1234:567…  0 bytes"));
  g_assert_true (g_str_has_suffix (lines[2], "0 bytes"));
  /* Cut no further than the columns allow, even if that is too wide. */
  g_clear_pointer (&narrow, g_free);
  narrow = ctl_table_render (table, 10);
  g_assert_nonnull (strstr (narrow, "a-ver…  [fd77:1234:567…  0 bytes\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ctl-format/ago", test_ago);
  g_test_add_func ("/ctl-format/source", test_source);
  g_test_add_func ("/ctl-format/value", test_value);
  g_test_add_func ("/ctl-format/json-names", test_json_names);
  g_test_add_func ("/ctl-format/json-values", test_json_values);
  g_test_add_func ("/ctl-format/table", test_table);
  return g_test_run ();
}
