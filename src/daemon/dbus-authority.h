/* dbus-authority.h — may this D-Bus caller do that? Every method of the
 * API that changes something asks here first (docs/dbus-api.md,
 * Authorization): root is allowed, anyone else is asked of polkit, which
 * may let an authentication agent ask for a password. Nothing blocks the
 * main loop. */
#pragma once

#include <gio/gio.h>

typedef struct _WgdDbusAuthority WgdDbusAuthority;

WgdDbusAuthority *wgd_dbus_authority_new (void);
/* Cancels the checks in flight: their callers get an error, their
 * functions are never called. */
void wgd_dbus_authority_free (WgdDbusAuthority *authority);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WgdDbusAuthority, wgd_dbus_authority_free)

typedef void (*WgdDbusAuthorizedFunc) (GDBusMethodInvocation *invocation, gpointer user_data);

/* Asks polkit asynchronously whether the sender of invocation may do
 * action_id (uid 0 is granted without asking); if so calls
 * func (invocation, user_data) from the main loop, else returns
 * org.freedesktop.DBus.Error.AccessDenied on invocation and func is never
 * called. */
void wgd_dbus_authority_check (WgdDbusAuthority *authority, GDBusMethodInvocation *invocation,
                               const gchar *action_id, WgdDbusAuthorizedFunc func,
                               gpointer user_data);
