/* cmd-status.c — status: who this node is to its peers (the identity and
 * the fingerprint to compare when pairing), whether wgdiscoverd is
 * paused, its interfaces, and what it has counted since it started. */
#include "config.h"

#include <glib/gi18n.h>

#include "clock.h"
#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-format.h"
#include "ctl-io.h"
#include "ctl-json.h"

static int
status_print_json (CtlBus *bus)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  const gchar *const *paths = wgd_api_manager_get_interfaces (bus->manager);
  JsonArray *interfaces = json_array_new ();

  ctl_json_add_properties (object, G_DBUS_PROXY (bus->manager));
  /* The interfaces themselves rather than their paths. */
  for (gsize i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autoptr (WgdApiInterface) iface = ctl_bus_get_interface (bus, paths[i]);
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "path", paths[i]);
      if (iface != NULL)
        ctl_json_add_properties (entry, G_DBUS_PROXY (iface));
      json_array_add_object_element (interfaces, entry);
    }
  json_object_set_array_member (object, "interfaces", interfaces);
  json_node_set_object (node, object);
  return ctl_json_print ("status", node, FALSE);
}

/* Appends "  LABEL  VALUE" if the daemon has the property. */
static void
append_property (GString *text, CtlBus *bus, const gchar *label, const gchar *property)
{
  g_autoptr (GVariant) value = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (bus->manager),
                                                                 property);
  g_autofree gchar *shown = NULL;

  if (value == NULL)
    return;
  shown = ctl_format_value (property, value, wgd_clock_now ());
  g_string_append_printf (text, "  %-24s %s\n", label, shown);
}

static void
append_interfaces (GString *text, CtlBus *bus)
{
  const gchar *const *paths = wgd_api_manager_get_interfaces (bus->manager);

  g_string_append (text, _("Interfaces:\n"));
  if (paths == NULL || paths[0] == NULL)
    g_string_append (text, _("  none configured\n"));
  for (gsize i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autoptr (WgdApiInterface) iface = ctl_bus_get_interface (bus, paths[i]);

      if (iface == NULL)
        continue;
      g_string_append_printf (text, "  %-15s %-8s ", wgd_api_interface_get_name (iface),
                              wgd_api_interface_get_mode (iface));
      g_string_append_printf (text, _("port %u"), wgd_api_interface_get_listen_port (iface));
      g_string_append_printf (text, ", %s, %s\n",
                              wgd_api_interface_get_present (iface) ? _("present")
                                                                    : _("not present"),
                              wgd_api_interface_get_advertising (iface)
                                ? _("advertising") : _("not advertising"));
    }
}

/* "Rendezvous mesh wg0: watched", one line per mesh followed. */
static void
append_rendezvous_meshes (GString *text, CtlBus *bus)
{
  GVariant *meshes = wgd_api_manager_get_rendezvous_meshes (bus->manager);
  GVariantIter iter;
  const gchar *ifname, *state;

  if (meshes == NULL)
    return;
  g_variant_iter_init (&iter, meshes);
  while (g_variant_iter_next (&iter, "{&s&s}", &ifname, &state))
    /* Translators: the state (connecting, watched, polled) stays in
       English, as on D-Bus. */
    g_string_append_printf (text, _("Rendezvous mesh %s: %s\n"), ifname, state);
}

/* "Rendezvous: backing-off until 2026-12-01T23:00:05Z (connection refused)". */
static void
append_rendezvous (GString *text, CtlBus *bus)
{
  const gchar *state = wgd_api_manager_get_rendezvous_state (bus->manager);
  const gchar *error = wgd_api_manager_get_rendezvous_error (bus->manager);
  guint64 retry_at = wgd_api_manager_get_rendezvous_retry_at (bus->manager);

  if (state == NULL)
    return;
  g_string_append_printf (text, _("Rendezvous: %s"), state);
  if (retry_at != 0)
    {
      g_autoptr (GDateTime) at = g_date_time_new_from_unix_utc ((gint64) retry_at);
      g_autofree gchar *when = g_date_time_format_iso8601 (at);

      g_string_append_printf (text, _(" until %s"), when);
    }
  if (error != NULL && error[0] != '\0')
    g_string_append_printf (text, " (%s)", error);
  g_string_append_c (text, '\n');
  append_rendezvous_meshes (text, bus);
}

static int
status_print_text (CtlBus *bus)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GVariant) paused =
    g_dbus_proxy_get_cached_property (G_DBUS_PROXY (bus->manager), "Paused");

  g_string_append_printf (text, "wgdiscoverd %s", wgd_api_manager_get_version (bus->manager));
  if (paused != NULL)
    g_string_append_printf (text, ", %s",
                            g_variant_get_boolean (paused) ? _("paused") : _("running"));
  g_string_append (text, _("\nIdentity (compare the fingerprint when pairing):\n"));
  append_property (text, bus, _("signing key"), "SigningKey");
  append_property (text, bus, _("fingerprint"), "Fingerprint");
  append_property (text, bus, _("WireGuard key"), "WireGuardKey");
  append_interfaces (text, bus);
  g_string_append (text, _("Since the start:\n"));
  append_property (text, bus, _("announcements accepted"), "AnnouncementsAccepted");
  append_property (text, bus, _("announcements ignored"), "AnnouncementsIgnored");
  append_property (text, bus, _("announcements rejected"), "AnnouncementsRejected");
  append_property (text, bus, _("endpoint changes"), "EndpointChanges");
  append_property (text, bus, _("peers by trust"), "PeersByTrust");
  append_rendezvous (text, bus);
  return ctl_io_print ("status", text->str);
}

int
ctl_cmd_status (int argc, char **argv)
{
  static const CtlUsage usage = {
    "status", NULL,
    N_("Show the running wgdiscoverd: its version, this node's identity and\n"
       "fingerprint, whether it is paused, its interfaces and its counters."),
    NULL,
  };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (CtlBus) bus = NULL;
  int status;

  if (!ctl_options_parse (&usage, entries, &argc, &argv, &status))
    return status;
  if ((bus = ctl_bus_open (usage.name, TRUE, &status)) == NULL)
    return status;
  return json ? status_print_json (bus) : status_print_text (bus);
}
