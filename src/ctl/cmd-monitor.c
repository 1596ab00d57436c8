/* cmd-monitor.c — monitor: what changes in wgdiscoverd, as it happens,
 * one line each (or one JSON object per line), from its D-Bus signals
 * alone, until interrupted. A daemon that is not running, or stops, is
 * waited for: the monitor goes on across restarts. */
#include "config.h"

#include <signal.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "clock.h"
#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-format.h"
#include "ctl-io.h"
#include "ctl-json.h"

typedef struct {
  CtlBus *bus;
  GMainLoop *loop;
  gboolean json;
  int status;
  gboolean running;      /* as last reported */
  GHashTable *shown;     /* "PATH PROPERTY" -> the text last printed */
} Monitor;

static void
monitor_stop (Monitor *monitor, int status)
{
  monitor->status = status;
  g_main_loop_quit (monitor->loop);
}

static GDateTime *
monitor_now (void)
{
  return g_date_time_new_from_unix_local ((gint64) MIN (wgd_clock_now (), (guint64) G_MAXINT64));
}

static void
monitor_print (Monitor *monitor, const gchar *text)
{
  if (ctl_io_print ("monitor", text) != CTL_EXIT_OK)
    monitor_stop (monitor, CTL_EXIT_USAGE);
}

/* "21:40:55 TEXT". */
static void
monitor_line (Monitor *monitor, const gchar *text)
{
  g_autoptr (GDateTime) now = monitor_now ();
  g_autofree gchar *time = g_date_time_format (now, "%T");
  g_autofree gchar *line = g_strdup_printf ("%s %s\n", time, text);

  monitor_print (monitor, line);
}

/* A JSON line: event plus the time and its kind. */
static void
monitor_event (Monitor *monitor, const gchar *kind, JsonObject *event)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (GDateTime) now = monitor_now ();
  g_autofree gchar *time = g_date_time_format_iso8601 (now);

  json_object_set_string_member (event, "time", time);
  json_object_set_string_member (event, "event", kind);
  json_node_set_object (node, event);
  if (ctl_json_print ("monitor", node, TRUE) != CTL_EXIT_OK)
    monitor_stop (monitor, CTL_EXIT_USAGE);
}

static void
monitor_daemon (Monitor *monitor)
{
  gboolean running = ctl_bus_is_running (monitor->bus);
  const gchar *version = wgd_api_manager_get_version (monitor->bus->manager);

  monitor->running = running;
  g_hash_table_remove_all (monitor->shown);

  if (monitor->json)
    {
      g_autoptr (JsonObject) event = json_object_new ();

      json_object_set_boolean_member (event, "running", running);
      if (running && version != NULL)
        json_object_set_string_member (event, "version", version);
      monitor_event (monitor, "daemon", event);
    }
  else if (running)
    {
      g_autofree gchar *text = g_strdup_printf (_("wgdiscoverd is running (version %s)"),
                                                version != NULL ? version : "?");

      monitor_line (monitor, text);
    }
  else
    monitor_line (monitor, _("wgdiscoverd is not running; waiting for it"));
}

static void
on_name_owner (GObject *proxy, GParamSpec *pspec, gpointer user_data)
{
  monitor_daemon (user_data);
}

/* Candidates without their ages, which change at every refresh. */
static gchar *
format_candidates (GVariant *value)
{
  g_autoptr (GString) text = g_string_new (NULL);
  GVariantIter iter;
  const gchar *endpoint;

  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&s&st)", &endpoint, NULL, NULL))
    g_string_append_printf (text, "%s%s", text->len ? ", " : "", endpoint);
  return text->len > 0 ? g_strdup (text->str) : g_strdup (_("none"));
}

/* Text lines "WHAT: Property = value" for each changed property whose
 * text is not what was printed last for it. */
static void
monitor_lines_changed (Monitor *monitor, const gchar *path, const gchar *what,
                       GVariant *changed)
{
  guint64 now = wgd_clock_now ();
  GVariantIter iter;
  const gchar *property;
  GVariant *value;

  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &property, &value))
    {
      g_autofree gchar *shown = g_variant_is_of_type (value, G_VARIANT_TYPE ("a(sst)"))
                                  ? format_candidates (value)
                                  : ctl_format_value (property, value, now);
      g_autofree gchar *key = g_strconcat (path, " ", property, NULL);

      if (g_strcmp0 (g_hash_table_lookup (monitor->shown, key), shown) != 0)
        {
          g_autofree gchar *text = g_strdup_printf ("%s: %s = %s", what, property, shown);

          monitor_line (monitor, text);
          g_hash_table_insert (monitor->shown, g_steal_pointer (&key), g_steal_pointer (&shown));
        }
      g_variant_unref (value);
    }
}

static void
on_manager_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                    gpointer user_data)
{
  Monitor *monitor = user_data;

  /* Only values count: a daemon that goes invalidates them all, and one
   * that comes sends them all before it is reported running. */
  if (g_variant_n_children (changed) == 0 || !monitor->running)
    return;
  if (monitor->json)
    {
      g_autoptr (JsonObject) event = json_object_new ();
      JsonObject *properties = json_object_new ();

      ctl_json_add_changed (properties, changed);
      json_object_set_object_member (event, "properties", properties);
      monitor_event (monitor, "manager-changed", event);
    }
  else
    monitor_lines_changed (monitor, g_dbus_proxy_get_object_path (proxy), "wgdiscoverd", changed);
}

/* What an object is called in a line: "peer h2", "interface wg0". */
static gchar *
object_label (GDBusObject *object)
{
  g_autoptr (WgdApiPeer) peer = wgd_api_object_get_peer (WGD_API_OBJECT (object));
  g_autoptr (WgdApiInterface) iface = wgd_api_object_get_interface (WGD_API_OBJECT (object));

  if (peer != NULL)
    /* Translators: %s is a peer's name (or key). */
    return g_strdup_printf (_("peer %s"), ctl_bus_peer_label (peer));
  if (iface != NULL)
    /* Translators: %s is an interface's name (wg0). */
    return g_strdup_printf (_("interface %s"), wgd_api_interface_get_name (iface));
  return g_strdup (g_dbus_object_get_object_path (object));
}

/* A JSON event about an object, with its path, its kind and what names it. */
static JsonObject *
object_event (GDBusObject *object, const gchar **kind_out)
{
  JsonObject *event = json_object_new ();
  g_autoptr (WgdApiPeer) peer = wgd_api_object_get_peer (WGD_API_OBJECT (object));
  g_autoptr (WgdApiInterface) iface = wgd_api_object_get_interface (WGD_API_OBJECT (object));

  json_object_set_string_member (event, "path", g_dbus_object_get_object_path (object));
  *kind_out = "object";
  if (peer != NULL)
    {
      *kind_out = "peer";
      json_object_set_string_member (event, "name", wgd_api_peer_get_name (peer));
      json_object_set_string_member (event, "wireguard_key",
                                     wgd_api_peer_get_wire_guard_key (peer));
    }
  else if (iface != NULL)
    {
      *kind_out = "interface";
      json_object_set_string_member (event, "name", wgd_api_interface_get_name (iface));
    }
  return event;
}

static void
monitor_object (Monitor *monitor, GDBusObject *object, gboolean added)
{
  g_autoptr (WgdApiPeer) peer = wgd_api_object_get_peer (WGD_API_OBJECT (object));
  g_autofree gchar *label = object_label (object);
  g_autofree gchar *text = NULL;

  if (monitor->json)
    {
      const gchar *kind;
      g_autoptr (JsonObject) event = object_event (object, &kind);
      g_autofree gchar *name = g_strconcat (kind, added ? "-added" : "-removed", NULL);

      if (added)
        {
          JsonObject *properties = json_object_new ();
          GList *interfaces = g_dbus_object_get_interfaces (object);

          for (GList *l = interfaces; l != NULL; l = l->next)
            ctl_json_add_properties (properties, l->data);
          g_list_free_full (interfaces, g_object_unref);
          json_object_set_object_member (event, "properties", properties);
        }
      monitor_event (monitor, name, event);
      return;
    }
  if (peer != NULL)
    /* Translators: "peer h2 appeared (KEY)"; the first %s is "peer NAME". */
    text = g_strdup_printf (added ? _("%s appeared (%s)") : _("%s vanished (%s)"), label,
                            wgd_api_peer_get_wire_guard_key (peer));
  else
    text = g_strdup_printf (added ? _("%s added") : _("%s removed"), label);
  monitor_line (monitor, text);
}

static void
on_object_added (GDBusObjectManager *objects, GDBusObject *object, gpointer user_data)
{
  monitor_object (user_data, object, TRUE);
}

static void
on_object_removed (GDBusObjectManager *objects, GDBusObject *object, gpointer user_data)
{
  g_autofree gchar *owner =
    g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (objects));

  /* The objects of a daemon that stopped: its own line says so. */
  if (owner == NULL)
    return;
  monitor_object (user_data, object, FALSE);
}

static void
on_object_changed (GDBusObjectManagerClient *objects, GDBusObjectProxy *object,
                   GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer user_data)
{
  Monitor *monitor = user_data;
  g_autofree gchar *label = NULL;

  if (g_variant_n_children (changed) == 0)
    return;
  if (monitor->json)
    {
      const gchar *kind;
      g_autoptr (JsonObject) event = object_event (G_DBUS_OBJECT (object), &kind);
      g_autofree gchar *name = g_strconcat (kind, "-changed", NULL);
      JsonObject *properties = json_object_new ();

      ctl_json_add_changed (properties, changed);
      json_object_set_object_member (event, "properties", properties);
      monitor_event (monitor, name, event);
      return;
    }
  label = object_label (G_DBUS_OBJECT (object));
  monitor_lines_changed (monitor, g_dbus_object_get_object_path (G_DBUS_OBJECT (object)), label,
                         changed);
}

static void
on_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
           gpointer user_data)
{
  Monitor *monitor = user_data;

  monitor_stop (monitor, ctl_fail_status (CTL_EXIT_NO_BUS, "monitor",
                                          _("the system bus went away")));
}

static gboolean
on_signal (gpointer user_data)
{
  monitor_stop (user_data, CTL_EXIT_OK);
  return G_SOURCE_CONTINUE;
}

int
ctl_cmd_monitor (int argc, char **argv)
{
  static const CtlUsage usage = {
    "monitor", NULL,
    N_("Show what changes in wgdiscoverd as it happens, one line each, until\n"
       "interrupted. A daemon that is not running, or stops, is waited for."),
    NULL,
  };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object per line"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (CtlBus) bus = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GHashTable) shown = NULL;
  Monitor monitor = { 0 };
  guint sources[2];
  int status;

  if (!ctl_options_parse (&usage, entries, &argc, &argv, &status))
    return status;
  if ((bus = ctl_bus_open (usage.name, FALSE, &status)) == NULL)
    return status;
  loop = g_main_loop_new (NULL, FALSE);
  shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  monitor = (Monitor) { bus, loop, json, CTL_EXIT_OK, FALSE, shown };
  g_signal_connect (bus->manager, "notify::g-name-owner", G_CALLBACK (on_name_owner), &monitor);
  g_signal_connect (bus->manager, "g-properties-changed", G_CALLBACK (on_manager_changed),
                    &monitor);
  g_signal_connect (bus->objects, "object-added", G_CALLBACK (on_object_added), &monitor);
  g_signal_connect (bus->objects, "object-removed", G_CALLBACK (on_object_removed), &monitor);
  g_signal_connect (bus->objects, "interface-proxy-properties-changed",
                    G_CALLBACK (on_object_changed), &monitor);
  g_signal_connect (bus->connection, "closed", G_CALLBACK (on_closed), &monitor);
  sources[0] = g_unix_signal_add (SIGINT, on_signal, &monitor);
  sources[1] = g_unix_signal_add (SIGTERM, on_signal, &monitor);
  monitor_daemon (&monitor);
  if (monitor.status == CTL_EXIT_OK)
    g_main_loop_run (loop);
  g_source_remove (sources[0]);
  g_source_remove (sources[1]);
  g_signal_handlers_disconnect_by_data (bus->manager, &monitor);
  g_signal_handlers_disconnect_by_data (bus->objects, &monitor);
  g_signal_handlers_disconnect_by_data (bus->connection, &monitor);
  return monitor.status;
}
