/* dbus-authority.c — asks polkit whether a D-Bus caller may do an action.
 *
 * A check is a chain of asynchronous calls on the main loop: the bus
 * says the caller's uid (root is allowed without polkit, as systemd's
 * services do, so that root can act with polkitd absent); polkit is
 * asked about the caller's unique bus name, the subject polkit trusts
 * (it resolves the name to the process itself), allowing an
 * authentication agent to ask the user for a password. Anything but a
 * clear yes is org.freedesktop.DBus.Error.AccessDenied, with a message
 * that says why; a polkit that is absent or fails is also logged, since
 * that is the administrator's to fix. Checks in flight are bounded: each
 * may wait long for a password. */
#include "config.h"

#include <glib/gi18n.h>
#include <polkit/polkit.h>

#include "dbus-authority.h"

#define AUTHORITY_MAX_CHECKS 64

struct _WgdDbusAuthority {
  GCancellable *cancellable;
  GPtrArray *checks;            /* Check *, in flight; not owned */
};

typedef struct {
  WgdDbusAuthority *authority;  /* NULL once the authority is freed */
  GCancellable *cancellable;
  GDBusMethodInvocation *invocation;
  gchar *action_id;
  WgdDbusAuthorizedFunc func;
  gpointer user_data;
} Check;

static void
check_free (Check *check)
{
  if (check->authority != NULL)
    g_ptr_array_remove_fast (check->authority->checks, check);
  g_object_unref (check->cancellable);
  g_object_unref (check->invocation);
  g_free (check->action_id);
  g_free (check);
}

/* The end of a check that says no: the invocation is answered and the
 * check freed. */
static void
check_deny (Check *check, const gchar *message)
{
  g_dbus_method_invocation_return_dbus_error (check->invocation,
                                              "org.freedesktop.DBus.Error.AccessDenied", message);
  check_free (check);
}

static void
check_allow (Check *check)
{
  if (g_cancellable_is_cancelled (check->cancellable))
    check_deny (check, _("wgdiscoverd is stopping"));
  else
    {
      check->func (check->invocation, check->user_data);
      check_free (check);
    }
}

/* The bus or polkit failed (polkitd absent or not answering, the
 * action not installed): the caller is refused and the administrator
 * told. */
static void
check_fail (Check *check, const GError *error)
{
  g_autofree gchar *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      check_deny (check, _("wgdiscoverd is stopping"));
      return;
    }
  /* Translators: %s: the polkit action; %s: what went wrong (polkit's or the bus's words). */
  message = g_strdup_printf (_("cannot check the authorization for %s: %s"),
                             check->action_id, error->message);
  g_warning ("D-Bus: %s", message);
  check_deny (check, message);
}

static void
on_authorization (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Check *check = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PolkitAuthorizationResult) result =
    polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), res, &error);
  g_autofree gchar *message = NULL;

  if (result == NULL)
    {
      check_fail (check, error);
      return;
    }
  if (polkit_authorization_result_get_is_authorized (result))
    {
      check_allow (check);
      return;
    }
  if (polkit_authorization_result_get_is_challenge (result))
    /* Translators: %s is the polkit action. */
    message = g_strdup_printf (_("not authorized for %s: authentication is required, and no "
                                 "polkit authentication agent of the caller's session answered"),
                               check->action_id);
  else
    /* Translators: %s is the polkit action. */
    message = g_strdup_printf (_("not authorized for %s"), check->action_id);
  g_debug ("D-Bus: %s: %s", g_dbus_method_invocation_get_sender (check->invocation), message);
  check_deny (check, message);
}

static void
on_polkit (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Check *check = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PolkitAuthority) polkit = polkit_authority_get_finish (res, &error);
  g_autoptr (PolkitSubject) subject = NULL;

  if (polkit == NULL)
    {
      check_fail (check, error);
      return;
    }
  subject = polkit_system_bus_name_new (g_dbus_method_invocation_get_sender (check->invocation));
  polkit_authority_check_authorization (polkit, subject, check->action_id, NULL,
                                        POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION,
                                        check->cancellable, on_authorization, check);
}

static void
on_unix_user (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Check *check = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply =
    g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &error);
  guint32 uid;

  if (reply == NULL)
    {
      check_fail (check, error);
      return;
    }
  g_variant_get (reply, "(u)", &uid);
  if (uid == 0)
    {
      check_allow (check);
      return;
    }
  polkit_authority_get_async (check->cancellable, on_polkit, check);
}

void
wgd_dbus_authority_check (WgdDbusAuthority *authority, GDBusMethodInvocation *invocation,
                          const gchar *action_id, WgdDbusAuthorizedFunc func, gpointer user_data)
{
  const gchar *sender = g_dbus_method_invocation_get_sender (invocation);
  Check *check;

  if (sender == NULL)
    {
      /* A peer-to-peer connection: nobody the bus vouches for. */
      g_dbus_method_invocation_return_dbus_error (invocation,
                                                  "org.freedesktop.DBus.Error.AccessDenied",
                                                  _("the caller has no bus name"));
      return;
    }
  if (authority->checks->len >= AUTHORITY_MAX_CHECKS)
    {
      g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR,
                                                     G_DBUS_ERROR_LIMITS_EXCEEDED,
                                                     _("too many authorization checks are "
                                                       "waiting; try again later"));
      return;
    }
  check = g_new0 (Check, 1);
  check->authority = authority;
  check->cancellable = g_object_ref (authority->cancellable);
  check->invocation = g_object_ref (invocation);
  check->action_id = g_strdup (action_id);
  check->func = func;
  check->user_data = user_data;
  g_ptr_array_add (authority->checks, check);
  g_dbus_connection_call (g_dbus_method_invocation_get_connection (invocation),
                          "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionUnixUser", g_variant_new ("(s)", sender),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          check->cancellable, on_unix_user, check);
}

WgdDbusAuthority *
wgd_dbus_authority_new (void)
{
  WgdDbusAuthority *authority = g_new0 (WgdDbusAuthority, 1);

  authority->cancellable = g_cancellable_new ();
  authority->checks = g_ptr_array_new ();
  return authority;
}

void
wgd_dbus_authority_free (WgdDbusAuthority *authority)
{
  if (authority == NULL)
    return;
  for (guint i = 0; i < authority->checks->len; i++)
    ((Check *) g_ptr_array_index (authority->checks, i))->authority = NULL;
  g_cancellable_cancel (authority->cancellable);
  g_object_unref (authority->cancellable);
  g_ptr_array_unref (authority->checks);
  g_free (authority);
}
