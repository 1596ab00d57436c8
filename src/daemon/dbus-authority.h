/* dbus-authority.h — whether the sender of a D-Bus call may do what it
 * asks (docs/dbus-api.md, Authorization), asked without blocking the
 * main loop. */
#pragma once

#include <gio/gio.h>

typedef struct _WgdDbusAuthority WgdDbusAuthority;

WgdDbusAuthority *wgd_dbus_authority_new (void);
void wgd_dbus_authority_free (WgdDbusAuthority *authority); /* cancels checks in flight */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDbusAuthority, wgd_dbus_authority_free)

typedef void (*WgdDbusAuthorizedFunc) (GDBusMethodInvocation *invocation, gpointer user_data);

/* Asks whether the sender of invocation may do action_id (uid 0 is
 * granted without asking); if so calls func (invocation, user_data)
 * from the main loop, else returns org.freedesktop.DBus.Error.AccessDenied
 * on invocation and func is never called. */
void wgd_dbus_authority_check (WgdDbusAuthority *authority, GDBusMethodInvocation *invocation,
                               const gchar *action_id, WgdDbusAuthorizedFunc func,
                               gpointer user_data);
