/* ctl-bus.c — wgdiscoverctl's side of the D-Bus API: the connection, the
 * proxies (the daemon's own generated code, src/daemon/wgd-api.c), peers
 * by name or key, method calls, and what each failure is called. */
#include "config.h"

#include <glib/gi18n.h>

#include "base64.h"
#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-io.h"

#define BUS_NAME "org.wgdiscover1"
#define BUS_PATH "/org/wgdiscover1"
/* Long enough for someone to type a password when polkit asks; a daemon
 * that has not answered by then will not. */
#define CALL_TIMEOUT_MS (5 * 60 * 1000)

G_DEFINE_QUARK (ctl-bus-error-quark, ctl_bus_error)

void
ctl_bus_free (CtlBus *bus)
{
  g_clear_object (&bus->objects);
  g_clear_object (&bus->manager);
  g_clear_object (&bus->connection);
  g_free (bus);
}

CtlBus *
ctl_bus_open (const gchar *command, gboolean need_daemon, int *status)
{
  g_autoptr (CtlBus) bus = g_new0 (CtlBus, 1);
  g_autoptr (GError) error = NULL;

  bus->connection = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (bus->connection == NULL)
    {
      g_autofree gchar *message = NULL;

      g_dbus_error_strip_remote_error (error);
      message = g_strdup_printf (_("cannot connect to the system bus: %s"), error->message);
      *status = ctl_fail_status (CTL_EXIT_NO_BUS, command, message);
      return NULL;
    }
  /* The shared connection would end the process when the bus goes;
   * monitor says so instead. */
  g_dbus_connection_set_exit_on_close (bus->connection, FALSE);
  bus->manager = wgd_api_manager_proxy_new_sync (bus->connection,
                                                 G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                                                 BUS_NAME, BUS_PATH, NULL, &error);
  if (bus->manager != NULL)
    bus->objects = wgd_api_object_manager_client_new_sync (
        bus->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START, BUS_NAME,
        BUS_PATH, NULL, &error);
  if (bus->objects == NULL)
    {
      *status = ctl_bus_fail (command, _("read wgdiscoverd's state"), error);
      return NULL;
    }
  if (need_daemon && !ctl_bus_is_running (bus))
    {
      *status = ctl_fail_status (CTL_EXIT_NOT_RUNNING, command,
                                 _("wgdiscoverd is not running (nothing owns org.wgdiscover1 "
                                   "on the system bus)"));
      return NULL;
    }
  return g_steal_pointer (&bus);
}

gboolean
ctl_bus_is_running (CtlBus *bus)
{
  g_autofree gchar *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (bus->manager));

  return owner != NULL;
}

const gchar *
ctl_bus_peer_label (WgdApiPeer *peer)
{
  const gchar *name = wgd_api_peer_get_name (peer);

  return name != NULL && *name != '\0' ? name : wgd_api_peer_get_wire_guard_key (peer);
}

static gint
peer_compare (gconstpointer a, gconstpointer b)
{
  WgdApiPeer *pa = (WgdApiPeer *) a, *pb = (WgdApiPeer *) b;
  int c = g_strcmp0 (wgd_api_peer_get_name (pa), wgd_api_peer_get_name (pb));

  return c != 0 ? c
                : g_strcmp0 (wgd_api_peer_get_wire_guard_key (pa),
                             wgd_api_peer_get_wire_guard_key (pb));
}

GList *
ctl_bus_list_peers (CtlBus *bus, gboolean pending_only)
{
  GList *objects = g_dbus_object_manager_get_objects (bus->objects);
  GList *peers = NULL;

  for (GList *l = objects; l != NULL; l = l->next)
    {
      WgdApiPeer *peer = wgd_api_object_get_peer (WGD_API_OBJECT (l->data));

      if (peer == NULL)
        continue;
      if (pending_only && g_strcmp0 (wgd_api_peer_get_trust (peer), "pending") != 0)
        {
          g_object_unref (peer);
          continue;
        }
      peers = g_list_prepend (peers, peer);
    }
  g_list_free_full (objects, g_object_unref);
  return g_list_sort (peers, peer_compare);
}

WgdApiPeer *
ctl_bus_find_peer (CtlBus *bus, const gchar *text, GError **error)
{
  GList *peers = ctl_bus_list_peers (bus, FALSE);
  g_autoptr (GPtrArray) found = g_ptr_array_new ();
  g_autofree gchar *key = NULL;
  guint8 raw[WGD_KEY_LEN];
  WgdApiPeer *peer = NULL;

  /* A key is compared in its canonical text, so stray whitespace does
   * not matter. */
  if (wgd_key_from_base64 (text, raw, NULL))
    key = wgd_key_to_base64 (raw);
  for (GList *l = peers; l != NULL; l = l->next)
    if (key != NULL ? g_strcmp0 (wgd_api_peer_get_wire_guard_key (l->data), key) == 0
                    : g_strcmp0 (wgd_api_peer_get_name (l->data), text) == 0)
      g_ptr_array_add (found, l->data);

  if (found->len == 1)
    peer = g_object_ref (g_ptr_array_index (found, 0));
  else if (found->len == 0)
    g_set_error (error, CTL_BUS_ERROR, CTL_BUS_ERROR_NO_PEER,
                 _("no peer '%s' (see 'wgdiscoverctl peers')"), text);
  else
    {
      g_autoptr (GString) keys = g_string_new (NULL);

      for (guint i = 0; i < found->len; i++)
        g_string_append_printf (keys, "%s%s", i > 0 ? ", " : "",
                                wgd_api_peer_get_wire_guard_key (g_ptr_array_index (found, i)));
      g_set_error (error, CTL_BUS_ERROR, CTL_BUS_ERROR_NO_PEER,
                   /* Translators: %s are a name, then keys separated by commas. */
                   _("the name '%s' is ambiguous: peers %s; give the WireGuard key instead"),
                   text, keys->str);
    }
  g_list_free_full (peers, g_object_unref);
  return peer;
}

WgdApiInterface *
ctl_bus_get_interface (CtlBus *bus, const gchar *path)
{
  g_autoptr (GDBusObject) object = g_dbus_object_manager_get_object (bus->objects, path);

  return object != NULL ? wgd_api_object_get_interface (WGD_API_OBJECT (object)) : NULL;
}

gboolean
ctl_bus_call (CtlBus *bus, const gchar *method, GVariant *parameters, GError **error)
{
  g_autoptr (GVariant) reply =
    g_dbus_proxy_call_sync (G_DBUS_PROXY (bus->manager), method, parameters,
                            G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                            CALL_TIMEOUT_MS, NULL, error);

  return reply != NULL;
}

/* The errors that mean the caller may not: the bus policy's, and
 * polkit's as the daemon passes them on. */
static gboolean
error_is_denial (const gchar *name)
{
  return g_str_equal (name, "org.freedesktop.DBus.Error.AccessDenied")
         || g_str_equal (name, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired")
         || g_str_has_prefix (name, "org.freedesktop.PolicyKit1.Error.");
}

int
ctl_bus_fail (const gchar *command, const gchar *action, const GError *error)
{
  g_autofree gchar *name = g_dbus_error_get_remote_error (error);
  g_autoptr (GError) stripped = g_error_copy (error);
  g_autofree gchar *message = NULL;

  if (error->domain == CTL_BUS_ERROR)
    return ctl_fail_status (CTL_EXIT_NO_PEER, command, error->message);
  g_dbus_error_strip_remote_error (stripped);
  if (name == NULL)
    return ctl_fail_status (CTL_EXIT_DAEMON, command, stripped->message);
  if (error_is_denial (name))
    {
      message = g_strdup_printf (_("not allowed: %s; ask an administrator or use sudo"), action);
      return ctl_fail_status (CTL_EXIT_NOT_ALLOWED, command, message);
    }
  if (g_str_equal (name, "org.freedesktop.DBus.Error.ServiceUnknown")
      || g_str_equal (name, "org.freedesktop.DBus.Error.NameHasNoOwner"))
    return ctl_fail_status (CTL_EXIT_NOT_RUNNING, command,
                            _("wgdiscoverd is not running (nothing owns org.wgdiscover1 "
                              "on the system bus)"));
  if (g_str_equal (name, "org.freedesktop.DBus.Error.UnknownMethod"))
    return ctl_fail_status (CTL_EXIT_DAEMON, command,
                            _("this wgdiscoverd cannot do that (is it older than "
                              "wgdiscoverctl?)"));
  if (g_str_equal (name, "org.wgdiscover1.Error.NotPending"))
    return ctl_fail_status (CTL_EXIT_NO_PEER, command, stripped->message);
  return ctl_fail_status (CTL_EXIT_DAEMON, command, stripped->message);
}
