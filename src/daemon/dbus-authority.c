/* dbus-authority.c — authorization of D-Bus callers, for now by uid
 * alone: root may, everyone else is refused (polkit comes with the
 * authorization work of issue 10). The sender's uid is asked of the bus
 * asynchronously. */
#include "config.h"

#include <glib/gi18n.h>

#include "dbus-authority.h"

struct _WgdDbusAuthority {
  GCancellable *cancellable;
};

typedef struct {
  GDBusMethodInvocation *invocation;
  WgdDbusAuthorizedFunc func;
  gpointer user_data;
} Check;

static void
check_free (Check *check)
{
  g_object_unref (check->invocation);
  g_free (check);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Check, check_free)

WgdDbusAuthority *
wgd_dbus_authority_new (void)
{
  WgdDbusAuthority *authority = g_new0 (WgdDbusAuthority, 1);

  authority->cancellable = g_cancellable_new ();
  return authority;
}

void
wgd_dbus_authority_free (WgdDbusAuthority *authority)
{
  if (authority == NULL)
    return;
  g_cancellable_cancel (authority->cancellable);
  g_object_unref (authority->cancellable);
  g_free (authority);
}

static void
on_unix_user (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Check) check = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                              &error);
  guint32 uid = G_MAXUINT32;

  /* Cancelled: the daemon is going away, and the call with it. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (reply != NULL)
    g_variant_get (reply, "(u)", &uid);
  if (uid != 0)
    {
      g_dbus_method_invocation_return_dbus_error (check->invocation,
                                                  "org.freedesktop.DBus.Error.AccessDenied",
                                                  _("not allowed: only root may do that"));
      return;
    }
  check->func (check->invocation, check->user_data);
}

void
wgd_dbus_authority_check (WgdDbusAuthority *authority, GDBusMethodInvocation *invocation,
                          const gchar *action_id, WgdDbusAuthorizedFunc func, gpointer user_data)
{
  Check *check = g_new0 (Check, 1);

  check->invocation = g_object_ref (invocation);
  check->func = func;
  check->user_data = user_data;
  g_dbus_connection_call (g_dbus_method_invocation_get_connection (invocation),
                          "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionUnixUser",
                          g_variant_new ("(s)", g_dbus_method_invocation_get_sender (invocation)),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          authority->cancellable, on_unix_user, check);
}
