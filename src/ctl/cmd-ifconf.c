/* cmd-ifconf.c — ifconf: the host-name endpoints that wg-quick,
 * systemd-networkd and NetworkManager are configured with, as the daemon
 * would take them (src/common/ifconf.h), shown or written to the file
 * that wgdiscover-ifconf.service hands to the unprivileged daemon
 * (ifconf-export.h). Offline: no D-Bus. */
#include "config.h"

#include <sys/stat.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "ctl.h"
#include "ctl-io.h"
#include "ctl-json.h"
#include "ctl-table.h"
#include "ifconf.h"
#include "ifconf-export.h"

/* What a terminal shows without wrapping, and what a pipe gets too. */
#define TABLE_WIDTH 80

enum { COL_INTERFACE, COL_PEER, COL_ENDPOINT, COL_MANAGER, COL_FILE, N_COLS };

/* "PATH:LINE" as the files' own messages name a place, LINE 0 left out. */
static gchar *
peer_place (const WgdIfconfPeer *peer)
{
  g_autofree gchar *file = wgd_ifconf_export_file_text (peer->path);

  if (peer->line == 0)
    return g_steal_pointer (&file);
  return g_strdup_printf ("%s:%u", file, peer->line);
}

static int
ifconf_print_table (const WgdIfconf *conf)
{
  const gchar *headers[N_COLS + 1] = {
    /* Translators: the titles of the columns of 'wgdiscoverctl ifconf'. */
    _("INTERFACE"), _("PEER"), _("ENDPOINT"), _("MANAGER"), _("FILE"), NULL,
  };
  g_autoptr (CtlTable) table = ctl_table_new (headers);
  g_autofree gchar *rendered = NULL;

  if (conf->peers->len == 0)
    return ctl_io_print ("ifconf", _("no WireGuard peer with an endpoint is configured\n"));
  ctl_table_set_shrinkable (table, COL_PEER, 12);
  ctl_table_set_shrinkable (table, COL_FILE, 16);
  for (guint i = 0; i < conf->peers->len; i++)
    {
      const WgdIfconfPeer *peer = g_ptr_array_index (conf->peers, i);
      g_autofree gchar *key = wgd_key_to_base64 (peer->public_key);
      g_autofree gchar *endpoint = wgd_host_endpoint_to_string (peer->endpoint);
      g_autofree gchar *place = peer_place (peer);
      const gchar *cells[N_COLS] = {
        peer->ifname, key, endpoint, wgd_ifconf_manager_to_string (peer->manager), place,
      };

      ctl_table_add_row (table, cells);
    }
  rendered = ctl_table_render (table, TABLE_WIDTH);
  return ctl_io_print ("ifconf", rendered);
}

static int
ifconf_print_json (const WgdIfconf *conf)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonArray *peers = json_array_new ();
  JsonArray *errors = json_array_new ();

  for (guint i = 0; i < conf->peers->len; i++)
    {
      const WgdIfconfPeer *peer = g_ptr_array_index (conf->peers, i);
      g_autofree gchar *key = wgd_key_to_base64 (peer->public_key);
      g_autofree gchar *endpoint = wgd_host_endpoint_to_string (peer->endpoint);
      g_autofree gchar *file = wgd_ifconf_export_file_text (peer->path);
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "interface", peer->ifname);
      json_object_set_string_member (entry, "public_key", key);
      json_object_set_string_member (entry, "endpoint", endpoint);
      json_object_set_string_member (entry, "manager",
                                     wgd_ifconf_manager_to_string (peer->manager));
      json_object_set_string_member (entry, "file", file);
      json_object_set_int_member (entry, "line", peer->line);
      json_array_add_object_element (peers, entry);
    }
  for (guint i = 0; i < conf->errors->len; i++)
    json_array_add_string_element (errors, ((const GError *) g_ptr_array_index (conf->errors,
                                                                                i))->message);
  json_object_set_array_member (object, "peers", peers);
  json_object_set_array_member (object, "errors", errors);
  json_node_set_object (node, object);
  return ctl_json_print ("ifconf", node, FALSE);
}

/* Replaces path at once (a reader sees the old file or the new one),
 * mode 0644 whatever the umask: the file is for the daemon's user. */
static int
ifconf_export (const WgdIfconf *conf, const gchar *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *data = NULL;
  g_autofree gchar *done = NULL;
  gsize len;
  mode_t umask_was;
  gboolean written;

  data = wgd_ifconf_export_to_data (conf, &len);
  umask_was = umask (0);
  written = g_file_set_contents_full (path, data, (gssize) len,
                                      G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error);
  umask (umask_was);
  if (!written)
    return ctl_fail_error ("ifconf", error);
  /* One line for the journal, under wgdiscover-ifconf.service. */
  done = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %u peer written\n",
                                       "%s: %u peers written\n", conf->peers->len),
                          path, conf->peers->len);
  return ctl_io_print ("ifconf", done);
}

int
ctl_cmd_ifconf (int argc, char **argv)
{
  static const CtlUsage usage = {
    "ifconf", NULL,
    N_("Show the WireGuard peers' endpoints that wg-quick, systemd-networkd and\n"
       "NetworkManager are configured with, as wgdiscoverd takes them: interface,\n"
       "peer, endpoint, manager and file. No private key is shown or written."),
    N_("Each file that cannot be read or parsed is reported on standard error\n"
       "and skipped, as wgdiscoverd skips it; the exit status is still 0.\n"
       "--export writes the file that wgdiscover-ifconf.service hands to\n"
       "wgdiscoverd --ifconf, replacing it at once, mode 0644."),
  };
  g_autofree gchar *root = NULL;
  g_autofree gchar *export_path = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "export", 0, 0, G_OPTION_ARG_FILENAME, &export_path,
      N_("Write the peers to FILE for wgdiscoverd --ifconf instead"), N_("FILE") },
    { "root", 0, 0, G_OPTION_ARG_FILENAME, &root,
      N_("Read the managers' directories under DIR (default /)"), N_("DIR") },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (WgdIfconf) conf = NULL;
  int status;

  if (!ctl_options_parse (&usage, entries, &argc, &argv, &status))
    return status;
  if (json && export_path != NULL)
    return ctl_fail (usage.name, _("--json and --export exclude each other"));
  if (root != NULL && !g_file_test (root, G_FILE_TEST_IS_DIR))
    {
      g_autofree gchar *shown = wgd_ifconf_export_file_text (root);

      return ctl_fail (usage.name, _("--root: '%s' is not a directory"), shown);
    }
  conf = wgd_ifconf_read (root != NULL ? root : "/");
  for (guint i = 0; i < conf->errors->len; i++)
    ctl_fail_error (usage.name, g_ptr_array_index (conf->errors, i));
  if (export_path != NULL)
    return ifconf_export (conf, export_path);
  if (json)
    return ifconf_print_json (conf);
  return ifconf_print_table (conf);
}
