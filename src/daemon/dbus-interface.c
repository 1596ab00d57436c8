/* dbus-interface.c — org.wgdiscover1.Interface: name, mode, listen
 * port, whether the interface is there and whether we advertise on it.
 * Objects come and go with the configuration (start, reload). */
#include "config.h"

#include "dbus-bus.h"
#include "dbus-interface.h"
#include "wgd-api.h"

struct _WgdDbusInterfaces {
  WgdDaemon *daemon;
  GDBusObjectManagerServer *objects;
  GHashTable *exported;         /* name → WgdApiInterface */
  guint listener;
};

static void
dbus_interface_update (WgdDbusInterfaces *self, WgdApiInterface *skeleton, const gchar *name)
{
  g_autoptr (WgdDaemonInterfaceInfo) info = wgd_daemon_get_interface (self->daemon, name);

  if (info == NULL)
    return;
  wgd_api_interface_set_name (skeleton, info->name);
  wgd_api_interface_set_mode (skeleton, wgd_mode_to_string (info->mode));
  wgd_api_interface_set_listen_port (skeleton, info->listen_port);
  wgd_api_interface_set_present (skeleton, info->present);
  wgd_api_interface_set_advertising (skeleton, info->advertising);
}

static void
dbus_interface_add (WgdDbusInterfaces *self, const gchar *name)
{
  g_autofree gchar *path = wgd_dbus_path_for_interface (name);
  g_autoptr (WgdApiObjectSkeleton) object = wgd_api_object_skeleton_new (path);
  g_autoptr (WgdApiInterface) skeleton = wgd_api_interface_skeleton_new ();

  /* Its values before it is exported: InterfacesAdded carries them. */
  dbus_interface_update (self, skeleton, name);
  wgd_api_object_skeleton_set_interface (object, skeleton);
  g_dbus_object_manager_server_export (self->objects, G_DBUS_OBJECT_SKELETON (object));
  g_hash_table_replace (self->exported, g_strdup (name), g_steal_pointer (&skeleton));
}

static void
dbus_interface_remove (WgdDbusInterfaces *self, const gchar *name)
{
  g_autofree gchar *path = wgd_dbus_path_for_interface (name);

  g_dbus_object_manager_server_unexport (self->objects, path);
  g_hash_table_remove (self->exported, name);
}

static void
on_daemon_event (WgdDaemon *daemon, WgdDaemonEvent event, const guint8 *wg_key,
                 const gchar *ifname, gpointer user_data)
{
  WgdDbusInterfaces *self = user_data;
  WgdApiInterface *skeleton;

  switch (event)
    {
    case WGD_DAEMON_INTERFACE_ADDED:
      dbus_interface_add (self, ifname);
      break;
    case WGD_DAEMON_INTERFACE_CHANGED:
      skeleton = g_hash_table_lookup (self->exported, ifname);
      if (skeleton != NULL)
        dbus_interface_update (self, skeleton, ifname);
      break;
    case WGD_DAEMON_INTERFACE_REMOVED:
      dbus_interface_remove (self, ifname);
      break;
    case WGD_DAEMON_PEER_ADDED:
    case WGD_DAEMON_PEER_CHANGED:
    case WGD_DAEMON_PEER_REMOVED:
    case WGD_DAEMON_COUNTERS_CHANGED:
    case WGD_DAEMON_PAUSED_CHANGED:
      break;
    }
}

WgdDbusInterfaces *
wgd_dbus_interfaces_new (WgdDaemon *daemon, GDBusObjectManagerServer *objects)
{
  WgdDbusInterfaces *self = g_new0 (WgdDbusInterfaces, 1);

  self->daemon = daemon;
  self->objects = g_object_ref (objects);
  self->exported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->listener = wgd_daemon_add_listener (daemon, on_daemon_event, self);
  return self;
}

void
wgd_dbus_interfaces_free (WgdDbusInterfaces *self)
{
  GHashTableIter iter;
  gpointer name;

  if (self == NULL)
    return;
  wgd_daemon_remove_listener (self->daemon, self->listener);
  g_hash_table_iter_init (&iter, self->exported);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    {
      g_autofree gchar *path = wgd_dbus_path_for_interface (name);

      g_dbus_object_manager_server_unexport (self->objects, path);
    }
  g_hash_table_unref (self->exported);
  g_object_unref (self->objects);
  g_free (self);
}
