/* cmd-peers.c — peers and peer: the peers wgdiscoverd knows, as a table
 * or as JSON, and everything about one of them. */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n.h>

#include "clock.h"
#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-format.h"
#include "ctl-io.h"
#include "ctl-json.h"
#include "ctl-table.h"

/* What a terminal shows without wrapping, and what a pipe gets too. */
#define TABLE_WIDTH 80

enum { COL_NAME, COL_TRUST, COL_ENDPOINT, COL_SOURCE, COL_HANDSHAKE, COL_RX, COL_TX, N_COLS };

static JsonNode *
peer_to_json (WgdApiPeer *peer)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "path",
                                 g_dbus_proxy_get_object_path (G_DBUS_PROXY (peer)));
  ctl_json_add_properties (object, G_DBUS_PROXY (peer));
  json_node_take_object (node, object);
  return node;
}

static int
peers_print_json (GList *peers)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonArray *array = json_array_new ();

  for (GList *l = peers; l != NULL; l = l->next)
    json_array_add_element (array, peer_to_json (l->data));
  json_object_set_array_member (object, "peers", array);
  json_node_set_object (node, object);
  return ctl_json_print ("peers", node, FALSE);
}

/* Each peer as what peer, approve and reject take: its name when that
 * names it alone, else its key. */
static int
peers_print_names (GList *peers)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GString) text = g_string_new (NULL);

  for (GList *l = peers; l != NULL; l = l->next)
    {
      const gchar *name = wgd_api_peer_get_name (l->data);

      if (name != NULL)
        g_hash_table_insert (seen, (gpointer) name,
                             GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (seen, name))
                                               + 1));
    }
  for (GList *l = peers; l != NULL; l = l->next)
    {
      const gchar *name = wgd_api_peer_get_name (l->data);
      gboolean alone = name != NULL && *name != '\0'
                       && GPOINTER_TO_UINT (g_hash_table_lookup (seen, name)) == 1;

      g_string_append_printf (text, "%s\n",
                              alone ? name : wgd_api_peer_get_wire_guard_key (l->data));
    }
  return ctl_io_print ("peers", text->str);
}

static int
peers_print_table (GList *peers)
{
  const gchar *headers[N_COLS + 1] = {
    /* Translators: the titles of the columns of 'wgdiscoverctl peers'. */
    _("NAME"), _("TRUST"), _("ENDPOINT"), _("SOURCE"), _("HANDSHAKE"), _("RX"), _("TX"), NULL,
  };
  g_autoptr (CtlTable) table = ctl_table_new (headers);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GString) notes = g_string_new (NULL);
  g_autofree gchar *rendered = NULL;
  guint64 now = wgd_clock_now ();

  if (peers == NULL)
    return ctl_io_print ("peers", _("wgdiscoverd knows no peer yet\n"));
  ctl_table_set_shrinkable (table, COL_NAME, 8);
  ctl_table_set_shrinkable (table, COL_ENDPOINT, 16);
  ctl_table_set_shrinkable (table, COL_SOURCE, 6);
  for (GList *l = peers; l != NULL; l = l->next)
    {
      WgdApiPeer *peer = l->data;
      const gchar *name = wgd_api_peer_get_name (peer);
      const gchar *endpoint = wgd_api_peer_get_endpoint (peer);
      const gchar *trust = wgd_api_peer_get_trust (peer);
      g_autofree gchar *handshake = ctl_format_ago (wgd_api_peer_get_latest_handshake (peer),
                                                    now);
      g_autofree gchar *rx = ctl_format_size (wgd_api_peer_get_rx_bytes (peer));
      g_autofree gchar *tx = ctl_format_size (wgd_api_peer_get_tx_bytes (peer));
      const gchar *cells[N_COLS] = {
        name != NULL && *name != '\0' ? name : "-",
        trust != NULL ? trust : "-",
        endpoint != NULL && *endpoint != '\0' ? endpoint : "-",
        ctl_format_source (wgd_api_peer_get_endpoint_reason (peer)),
        handshake, rx, tx,
      };

      ctl_table_add_row (table, cells);
      if (g_strcmp0 (trust, "pending") == 0)
        {
          const gchar *fingerprint = wgd_api_peer_get_fingerprint (peer);

          g_string_append_printf (notes, _("pending: %s, fingerprint %s\n"),
                                  ctl_bus_peer_label (peer),
                                  fingerprint != NULL && *fingerprint != '\0' ? fingerprint
                                                                              : "-");
          g_string_append_printf (notes,
                                  /* Translators: the commands are typed as they are. */
                                  _("  compare it with 'wgdiscoverctl status' there, then "
                                    "'wgdiscoverctl approve'\n"));
        }
    }
  rendered = ctl_table_render (table, TABLE_WIDTH);
  g_string_append (text, rendered);
  if (notes->len > 0)
    g_string_append_printf (text, "\n%s", notes->str);
  return ctl_io_print ("peers", text->str);
}

int
ctl_cmd_peers (int argc, char **argv)
{
  static const CtlUsage usage = {
    "peers", NULL,
    N_("Show the peers wgdiscoverd knows: name, trust, endpoint and why, latest\n"
       "handshake, bytes received and sent."),
    NULL,
  };
  gboolean json = FALSE, names = FALSE, pending = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "names", 0, 0, G_OPTION_ARG_NONE, &names,
      N_("Print only what names each peer: its name, or its key"), NULL },
    { "pending", 0, 0, G_OPTION_ARG_NONE, &pending, N_("Show only pending peers"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (CtlBus) bus = NULL;
  GList *peers;
  int status;

  if (!ctl_options_parse (&usage, entries, &argc, &argv, &status))
    return status;
  if ((bus = ctl_bus_open (usage.name, TRUE, &status)) == NULL)
    return status;
  peers = ctl_bus_list_peers (bus, pending);
  if (json)
    status = peers_print_json (peers);
  else if (names)
    status = peers_print_names (peers);
  else
    status = peers_print_table (peers);
  g_list_free_full (peers, g_object_unref);
  return status;
}

static int
peer_print_text (CtlBus *bus, WgdApiPeer *peer)
{
  GDBusInterfaceInfo *info = g_dbus_proxy_get_interface_info (G_DBUS_PROXY (peer));
  g_autoptr (GString) text = g_string_new (NULL);
  guint64 now = wgd_clock_now ();
  int width = 0;

  for (GDBusPropertyInfo **p = info->properties; *p != NULL; p++)
    width = MAX (width, (int) strlen ((*p)->name));
  for (GDBusPropertyInfo **p = info->properties; *p != NULL; p++)
    {
      g_autoptr (GVariant) value = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (peer),
                                                                     (*p)->name);
      g_autofree gchar *shown = NULL;

      if (value == NULL)
        continue;
      if (g_str_equal ((*p)->name, "Candidates"))
        {
          GVariantIter iter;
          const gchar *endpoint, *source;
          guint64 age;

          g_string_append_printf (text, "%s:%s\n", (*p)->name,
                                  g_variant_n_children (value) == 0 ? " -" : "");
          g_variant_iter_init (&iter, value);
          while (g_variant_iter_next (&iter, "(&s&st)", &endpoint, &source, &age))
            /* Translators: an endpoint, where it was heard, how many seconds ago. */
            g_string_append_printf (text, _("  %s  %s  %" PRIu64 " s ago\n"), endpoint, source,
                                    age);
          continue;
        }
      if (g_str_equal ((*p)->name, "Interface"))
        {
          g_autoptr (WgdApiInterface) iface =
            ctl_bus_get_interface (bus, g_variant_get_string (value, NULL));

          if (iface != NULL)
            shown = g_strdup (wgd_api_interface_get_name (iface));
        }
      if (shown == NULL)
        shown = ctl_format_value ((*p)->name, value, now);
      g_string_append_printf (text, "%s:%*s %s\n", (*p)->name,
                              width - (int) strlen ((*p)->name), "", shown);
    }
  return ctl_io_print ("peer", text->str);
}

int
ctl_cmd_peer (int argc, char **argv)
{
  static const CtlUsage usage = {
    /* Translators: NAME and KEY are placeholders for a peer's name and WireGuard key. */
    "peer", N_("NAME|KEY"),
    N_("Show everything wgdiscoverd knows about one peer, named by its name or its\n"
       "WireGuard key."),
    NULL,
  };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (CtlBus) bus = NULL;
  g_autoptr (WgdApiPeer) peer = NULL;
  g_autoptr (GError) error = NULL;
  const gchar *which;
  int status;

  if (!ctl_options_parse_argument (&usage, entries, &argc, &argv, &which, &status))
    return status;
  if ((bus = ctl_bus_open (usage.name, TRUE, &status)) == NULL)
    return status;
  if ((peer = ctl_bus_find_peer (bus, which, &error)) == NULL)
    return ctl_bus_fail (usage.name, NULL, error);
  if (json)
    {
      g_autoptr (JsonNode) node = peer_to_json (peer);

      return ctl_json_print (usage.name, node, FALSE);
    }
  return peer_print_text (bus, peer);
}
