/* dbus-bus.c — the system bus connection and the name org.wgdiscover1.
 * Only this file talks to the bus itself; the objects are made by
 * dbus-manager.c, dbus-interface.c and dbus-peer.c, which know nothing
 * of the connection. */
#include "config.h"

#include <glib/gi18n.h>

#include "dbus-bus.h"

struct _WgdDbusBus {
  GDBusObjectManagerServer *objects;
  GDBusInterfaceSkeleton *manager;
  GCancellable *cancellable;
  GDBusConnection *connection;
  gboolean exported;
  guint owner_id;
};

gchar *
wgd_dbus_path_for_interface (const gchar *ifname)
{
  g_autofree gchar *escaped = g_dbus_escape_object_path (ifname);

  return g_strconcat (WGD_DBUS_PATH "/interface/", escaped, NULL);
}

gchar *
wgd_dbus_path_for_peer (const guint8 wg_key[WGD_KEY_LEN])
{
  GString *path = g_string_new (WGD_DBUS_PATH "/peer/");

  for (guint i = 0; i < 8; i++)
    g_string_append_printf (path, "%02x", wg_key[i]);
  return g_string_free (path, FALSE);
}

static void
on_name_acquired (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
  g_message (_("D-Bus: %s is on the system bus"), name);
}

/* Called once when the name cannot be had (taken, or the bus policy
 * does not let this user own it: not queued for, so nothing follows),
 * or when the bus goes away later. */
static void
on_name_lost (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
  if (connection == NULL || g_dbus_connection_is_closed (connection))
    g_warning (_("D-Bus: the connection to the system bus closed; the D-Bus API is off "
                 "until wgdiscoverd restarts, everything else goes on"));
  else
    g_warning (_("D-Bus: cannot own the name %s: another process has it (another "
                 "wgdiscoverd?), or the bus policy (org.wgdiscover1.conf) does not let this "
                 "user own it; the D-Bus API is off, everything else goes on"), name);
}

static void
on_bus (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection = g_bus_get_finish (result, &error);
  WgdDbusBus *bus;

  if (connection == NULL)
    {
      /* bus is gone when cancelled. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message (_("D-Bus: no system bus (%s); the D-Bus API is off, everything else "
                     "works"), error->message);
      return;
    }
  bus = user_data;
  bus->connection = connection;
  /* A bus that goes away must not take the daemon with it. */
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  /* Everything is exported before the name is asked for, so that a
   * client that sees the name finds the objects. */
  g_dbus_object_manager_server_set_connection (bus->objects, connection);
  if (!g_dbus_interface_skeleton_export (bus->manager, connection, WGD_DBUS_PATH, &error))
    {
      g_warning (_("D-Bus: cannot export %s: %s; the D-Bus API is off"), WGD_DBUS_PATH,
                 error->message);
      return;
    }
  bus->exported = TRUE;
  bus->owner_id = g_bus_own_name_on_connection (connection, WGD_DBUS_NAME,
                                                G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE, on_name_acquired,
                                                on_name_lost, bus, NULL);
}

WgdDbusBus *
wgd_dbus_bus_new (GDBusObjectManagerServer *objects, GDBusInterfaceSkeleton *manager)
{
  WgdDbusBus *bus = g_new0 (WgdDbusBus, 1);

  bus->objects = g_object_ref (objects);
  bus->manager = g_object_ref (manager);
  bus->cancellable = g_cancellable_new ();
  g_bus_get (G_BUS_TYPE_SYSTEM, bus->cancellable, on_bus, bus);
  return bus;
}

void
wgd_dbus_bus_free (WgdDbusBus *bus)
{
  if (bus == NULL)
    return;
  g_cancellable_cancel (bus->cancellable);
  if (bus->owner_id != 0)
    g_bus_unown_name (bus->owner_id);
  if (bus->connection != NULL)
    {
      if (bus->exported)
        g_dbus_interface_skeleton_unexport (bus->manager);
      g_dbus_object_manager_server_set_connection (bus->objects, NULL);
      /* What is queued (the name's release) goes out before we exit. */
      g_dbus_connection_flush_sync (bus->connection, NULL, NULL);
      g_object_unref (bus->connection);
    }
  g_object_unref (bus->cancellable);
  g_object_unref (bus->manager);
  g_object_unref (bus->objects);
  g_free (bus);
}
