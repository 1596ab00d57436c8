/* dbus-manager.c — org.wgdiscover1.Manager: the identity, the version,
 * the configured interfaces' paths and the counters, and the methods
 * that change what the daemon does. Every value is read from the core
 * when it says something changed; the generated skeleton sends
 * PropertiesChanged only for values that did change, once per main-loop
 * iteration. Every method asks polkit first (dbus-authority.h). */
#include "config.h"

#include <glib/gi18n.h>

#include "base64.h"
#include "dbus-authority.h"
#include "dbus-bus.h"
#include "dbus-error.h"
#include "dbus-manager.h"
#include "keys.h"
#include "wgd-api.h"

/* The polkit action of Rescan, Pause, Resume and Reload
 * (data/org.wgdiscover1.policy). */
#define ACTION_MANAGE "org.wgdiscover1.manage"

struct _WgdDbusManager {
  WgdDaemon *daemon;
  WgdApiManager *skeleton;
  WgdDbusAuthority *authority;
  WgdDbusReloadFunc reload;
  gpointer reload_data;
  guint listener;
};

/* The two keys of ApprovePeer and RejectPeer, or an InvalidKey error on
 * invocation (FALSE). */
static gboolean
dbus_manager_parse_keys (GDBusMethodInvocation *invocation, guint8 wg_key[WGD_KEY_LEN],
                         guint8 signing_key[WGD_KEY_LEN])
{
  GVariant *args = g_dbus_method_invocation_get_parameters (invocation);
  const gchar *wg = NULL;
  const gchar *signing = NULL;

  g_variant_get (args, "(&s&s)", &wg, &signing);
  if (!wgd_key_from_base64 (wg, wg_key, NULL))
    g_dbus_method_invocation_return_error (invocation, WGD_PAIRING_ERROR,
                                           WGD_PAIRING_ERROR_INVALID_KEY,
                                           _("the WireGuard key is not a key in base64"));
  else if (!wgd_key_from_base64 (signing, signing_key, NULL))
    g_dbus_method_invocation_return_error (invocation, WGD_PAIRING_ERROR,
                                           WGD_PAIRING_ERROR_INVALID_KEY,
                                           _("the signing key is not a key in base64"));
  else
    return TRUE;
  return FALSE;
}

/* Authorized: the decision, on the keys parsed again from the call. */
static void
dbus_manager_decide (GDBusMethodInvocation *invocation, WgdDbusManager *m,
                     gboolean (*decide) (WgdDaemon *, const guint8 *, const guint8 *, GError **))
{
  guint8 wg_key[WGD_KEY_LEN], signing_key[WGD_KEY_LEN];
  g_autoptr (GError) error = NULL;

  if (!dbus_manager_parse_keys (invocation, wg_key, signing_key))
    return;
  if (!decide (m->daemon, wg_key, signing_key, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
approve_authorized (GDBusMethodInvocation *invocation, gpointer user_data)
{
  dbus_manager_decide (invocation, user_data, wgd_daemon_approve_peer);
}

static void
reject_authorized (GDBusMethodInvocation *invocation, gpointer user_data)
{
  dbus_manager_decide (invocation, user_data, wgd_daemon_reject_peer);
}

/* Bad keys are refused before authorization is asked: nobody waits for
 * polkit to learn that they mistyped. */
static void
dbus_manager_ask (WgdDbusManager *m, GDBusMethodInvocation *invocation,
                  WgdDbusAuthorizedFunc authorized)
{
  guint8 wg[WGD_KEY_LEN], signing[WGD_KEY_LEN];

  if (dbus_manager_parse_keys (invocation, wg, signing))
    wgd_dbus_authority_check (m->authority, invocation, "org.wgdiscover1.approve", authorized,
                              m);
}

static gboolean
on_approve_peer (WgdApiManager *skeleton, GDBusMethodInvocation *invocation,
                 const gchar *wireguard_key, const gchar *signing_key, gpointer user_data)
{
  dbus_manager_ask (user_data, invocation, approve_authorized);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_reject_peer (WgdApiManager *skeleton, GDBusMethodInvocation *invocation,
                const gchar *wireguard_key, const gchar *signing_key, gpointer user_data)
{
  dbus_manager_ask (user_data, invocation, reject_authorized);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
dbus_manager_update_interfaces (WgdDbusManager *m)
{
  g_auto (GStrv) names = wgd_daemon_get_interface_names (m->daemon);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; names[i] != NULL; i++)
    g_ptr_array_add (paths, wgd_dbus_path_for_interface (names[i]));
  g_ptr_array_add (paths, NULL);
  wgd_api_manager_set_interfaces (m->skeleton, (const gchar *const *) paths->pdata);
}

/* Every reason but "accepted", so that a client finds every key. */
static GVariant *
dbus_manager_rejected (const WgdDaemonCounters *c)
{
  g_auto (GVariantBuilder) b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{su}"));

  for (guint r = 0; r < WGD_REASON_COUNT; r++)
    if (r != WGD_REASON_NONE)
      g_variant_builder_add (&b, "{su}", wgd_reason_to_string ((WgdReason) r), c->rejected[r]);
  return g_variant_builder_end (&b);
}

/* Every trust a known peer can have (not "none"), pending too, 0
 * included. */
static GVariant *
dbus_manager_peers_by_trust (WgdDbusManager *m)
{
  g_auto (GVariantBuilder) b = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{su}"));
  guint count[WGD_BINDING_COUNT];

  wgd_daemon_count_peers_by_trust (m->daemon, count);
  for (guint t = 0; t < WGD_BINDING_COUNT; t++)
    if (t != WGD_BINDING_NONE)
      g_variant_builder_add (&b, "{su}", wgd_binding_to_string ((WgdBinding) t), count[t]);
  return g_variant_builder_end (&b);
}

/* Interface → how its mesh is followed on the rendezvous server. */
static GVariant *
dbus_manager_rendezvous_meshes (WgdDbusManager *m)
{
  g_auto (GStrv) names = wgd_daemon_get_interface_names (m->daemon);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{ss}"));
  for (guint i = 0; names[i] != NULL; i++)
    {
      const gchar *state = wgd_daemon_get_rendezvous_mesh (m->daemon, names[i]);

      if (state != NULL)
        g_variant_builder_add (&b, "{ss}", names[i], state);
    }
  return g_variant_builder_end (&b);
}

static void
dbus_manager_update_counters (WgdDbusManager *m)
{
  WgdDaemonCounters c;
  const gchar *state, *error;
  guint64 retry_at;

  wgd_daemon_get_counters (m->daemon, &c);
  wgd_daemon_get_rendezvous (m->daemon, &state, &error, &retry_at);
  wgd_api_manager_set_rendezvous_state (m->skeleton, state);
  wgd_api_manager_set_rendezvous_error (m->skeleton, error);
  wgd_api_manager_set_rendezvous_retry_at (m->skeleton, retry_at);
  wgd_api_manager_set_rendezvous_meshes (m->skeleton, dbus_manager_rendezvous_meshes (m));
  wgd_api_manager_set_announcements_accepted (m->skeleton, c.accepted);
  wgd_api_manager_set_announcements_ignored (m->skeleton, c.ignored);
  wgd_api_manager_set_announcements_rejected (m->skeleton, dbus_manager_rejected (&c));
  wgd_api_manager_set_endpoint_changes (m->skeleton, c.endpoint_changes);
  wgd_api_manager_set_peers_by_trust (m->skeleton, dbus_manager_peers_by_trust (m));
}

static void
on_daemon_event (WgdDaemon *daemon, WgdDaemonEvent event, const guint8 *wg_key,
                 const gchar *ifname, gpointer user_data)
{
  WgdDbusManager *m = user_data;

  switch (event)
    {
    case WGD_DAEMON_INTERFACE_ADDED:
    case WGD_DAEMON_INTERFACE_REMOVED:
      dbus_manager_update_interfaces (m);
      break;
    /* Every round of changes ends with COUNTERS_CHANGED, which also
     * counts the peers again (added, removed, or of another trust): once
     * a round, not once a peer. */
    case WGD_DAEMON_COUNTERS_CHANGED:
      dbus_manager_update_counters (m);
      break;
    case WGD_DAEMON_PAUSED_CHANGED:
      wgd_api_manager_set_paused (m->skeleton, wgd_daemon_is_paused (daemon));
      break;
    case WGD_DAEMON_PEER_ADDED:
    case WGD_DAEMON_PEER_REMOVED:
    case WGD_DAEMON_PEER_CHANGED:
    case WGD_DAEMON_INTERFACE_CHANGED:
      break;
    }
}

/* --- The methods: each runs once polkit has said yes ------------------- */

static void
do_rescan (GDBusMethodInvocation *invocation, gpointer user_data)
{
  WgdDbusManager *m = user_data;

  wgd_daemon_rescan (m->daemon);
  wgd_api_manager_complete_rescan (m->skeleton, invocation);
}

/* The property follows at once, so that a caller reading it after the
 * reply sees the change (the core's event comes a moment later). */
static void
dbus_manager_set_paused (WgdDbusManager *m, gboolean paused)
{
  wgd_daemon_set_paused (m->daemon, paused);
  wgd_api_manager_set_paused (m->skeleton, wgd_daemon_is_paused (m->daemon));
}

static void
do_pause (GDBusMethodInvocation *invocation, gpointer user_data)
{
  WgdDbusManager *m = user_data;

  dbus_manager_set_paused (m, TRUE);
  wgd_api_manager_complete_pause (m->skeleton, invocation);
}

static void
do_resume (GDBusMethodInvocation *invocation, gpointer user_data)
{
  WgdDbusManager *m = user_data;

  dbus_manager_set_paused (m, FALSE);
  wgd_api_manager_complete_resume (m->skeleton, invocation);
}

static void
do_reload (GDBusMethodInvocation *invocation, gpointer user_data)
{
  WgdDbusManager *m = user_data;
  g_autoptr (GError) error = NULL;

  if (!m->reload (m->reload_data, &error))
    {
      g_dbus_method_invocation_return_error_literal (invocation, WGD_DBUS_ERROR,
                                                     WGD_DBUS_ERROR_INVALID_CONFIGURATION,
                                                     error->message);
      return;
    }
  wgd_api_manager_complete_reload (m->skeleton, invocation);
}

/* The methods of the action org.wgdiscover1.manage, by D-Bus name. */
static const struct {
  const gchar *name;
  const gchar *signal;
  WgdDbusAuthorizedFunc func;
} manage_methods[] = {
  { "Rescan", "handle-rescan", do_rescan },
  { "Pause", "handle-pause", do_pause },
  { "Resume", "handle-resume", do_resume },
  { "Reload", "handle-reload", do_reload },
};

static gboolean
on_handle_manage (WgdApiManager *skeleton, GDBusMethodInvocation *invocation, gpointer user_data)
{
  WgdDbusManager *m = user_data;
  const gchar *name = g_dbus_method_invocation_get_method_name (invocation);

  for (guint i = 0; i < G_N_ELEMENTS (manage_methods); i++)
    if (g_strcmp0 (name, manage_methods[i].name) == 0)
      {
        wgd_dbus_authority_check (m->authority, invocation, ACTION_MANAGE,
                                  manage_methods[i].func, m);
        return G_DBUS_METHOD_INVOCATION_HANDLED;
      }
  return G_DBUS_METHOD_INVOCATION_UNHANDLED;
}

WgdDbusManager *
wgd_dbus_manager_new (WgdDaemon *daemon, WgdDbusReloadFunc reload, gpointer reload_data)
{
  WgdDbusManager *m = g_new0 (WgdDbusManager, 1);
  guint8 signing_key[WGD_KEY_LEN], wg_key[WGD_KEY_LEN];
  gchar fingerprint[WGD_FINGERPRINT_LEN + 1];
  g_autofree gchar *signing = NULL;
  g_autofree gchar *wg = NULL;

  wgd_dbus_error_register ();

  m->daemon = daemon;
  m->reload = reload;
  m->reload_data = reload_data;
  m->authority = wgd_dbus_authority_new ();
  m->skeleton = wgd_api_manager_skeleton_new ();
  wgd_daemon_get_identity (daemon, signing_key, wg_key);
  signing = wgd_key_to_base64 (signing_key);
  wg = wgd_key_to_base64 (wg_key);
  wgd_key_fingerprint (signing_key, fingerprint);
  wgd_api_manager_set_version (m->skeleton, PACKAGE_VERSION);
  wgd_api_manager_set_signing_key (m->skeleton, signing);
  wgd_api_manager_set_fingerprint (m->skeleton, fingerprint);
  wgd_api_manager_set_wire_guard_key (m->skeleton, wg);
  wgd_api_manager_set_paused (m->skeleton, wgd_daemon_is_paused (daemon));
  dbus_manager_update_interfaces (m);
  dbus_manager_update_counters (m);
  for (guint i = 0; i < G_N_ELEMENTS (manage_methods); i++)
    g_signal_connect (m->skeleton, manage_methods[i].signal, G_CALLBACK (on_handle_manage), m);
  g_signal_connect (m->skeleton, "handle-approve-peer", G_CALLBACK (on_approve_peer), m);
  g_signal_connect (m->skeleton, "handle-reject-peer", G_CALLBACK (on_reject_peer), m);
  m->listener = wgd_daemon_add_listener (daemon, on_daemon_event, m);
  return m;
}

void
wgd_dbus_manager_free (WgdDbusManager *m)
{
  if (m == NULL)
    return;
  wgd_daemon_remove_listener (m->daemon, m->listener);
  /* First: no method runs once the manager is going. */
  wgd_dbus_authority_free (m->authority);
  g_signal_handlers_disconnect_by_data (m->skeleton, m);
  g_object_unref (m->skeleton);
  g_free (m);
}

GDBusInterfaceSkeleton *
wgd_dbus_manager_get_skeleton (WgdDbusManager *m)
{
  return G_DBUS_INTERFACE_SKELETON (m->skeleton);
}
