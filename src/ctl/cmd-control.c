/* cmd-control.c — the commands that change what wgdiscoverd does:
 * approve and reject a pending peer, pause, resume, reload. Each is one
 * method of org.wgdiscover1.Manager, which asks polkit whether the
 * caller may. */
#include "config.h"

#include <glib/gi18n.h>

#include "ctl.h"
#include "ctl-bus.h"
#include "ctl-io.h"
#include "ctl-json.h"

static int
control_print_json (const gchar *command, WgdApiPeer *peer)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "command", command);
  if (peer != NULL)
    {
      json_object_set_string_member (object, "name", wgd_api_peer_get_name (peer));
      json_object_set_string_member (object, "wireguard_key",
                                     wgd_api_peer_get_wire_guard_key (peer));
      json_object_set_string_member (object, "signing_key", wgd_api_peer_get_signing_key (peer));
      json_object_set_string_member (object, "fingerprint", wgd_api_peer_get_fingerprint (peer));
    }
  json_node_set_object (node, object);
  return ctl_json_print (command, node, TRUE);
}

/* approve and reject: the pending peer as it is shown, decided with the
 * very keys shown, so that what is approved is what was compared. */
static int
control_decide (const CtlUsage *usage, gboolean approve, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (CtlBus) bus = NULL;
  g_autoptr (WgdApiPeer) peer = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *action = NULL;
  g_autofree gchar *text = NULL;
  const gchar *which, *fingerprint;
  int status;

  if (!ctl_options_parse_argument (usage, entries, &argc, &argv, &which, &status))
    return status;
  if ((bus = ctl_bus_open (usage->name, TRUE, &status)) == NULL)
    return status;
  if ((peer = ctl_bus_find_peer (bus, which, &error)) == NULL)
    return ctl_bus_fail (usage->name, NULL, error);
  if (g_strcmp0 (wgd_api_peer_get_trust (peer), "pending") != 0)
    {
      g_autofree gchar *message =
        /* Translators: %s are a peer's name and its trust (derived, pinned, …). */
        g_strdup_printf (_("%s is not pending (its trust is %s)"), ctl_bus_peer_label (peer),
                         wgd_api_peer_get_trust (peer));

      return ctl_fail_status (CTL_EXIT_NO_PEER, usage->name, message);
    }
  fingerprint = wgd_api_peer_get_fingerprint (peer);
  if (!json)
    {
      text = g_strdup_printf (_("%s (%s)\n  fingerprint %s\n  signing key %s\n"),
                              ctl_bus_peer_label (peer), wgd_api_peer_get_wire_guard_key (peer),
                              fingerprint != NULL && *fingerprint != '\0' ? fingerprint : "-",
                              wgd_api_peer_get_signing_key (peer));
      if ((status = ctl_io_print (usage->name, text)) != CTL_EXIT_OK)
        return status;
    }
  /* Translators: %s is a peer's name. */
  action = g_strdup_printf (approve ? _("approve %s") : _("reject %s"), ctl_bus_peer_label (peer));
  if (!ctl_bus_call (bus, approve ? "ApprovePeer" : "RejectPeer",
                     g_variant_new ("(ss)", wgd_api_peer_get_wire_guard_key (peer),
                                    wgd_api_peer_get_signing_key (peer)),
                     &error))
    return ctl_bus_fail (usage->name, action, error);
  if (json)
    return control_print_json (usage->name, peer);
  g_free (text);
  text = g_strdup_printf (approve ? _("approved %s\n") : _("rejected %s\n"),
                          ctl_bus_peer_label (peer));
  return ctl_io_print (usage->name, text);
}

int
ctl_cmd_approve (int argc, char **argv)
{
  static const CtlUsage usage = {
    "approve", N_("NAME|KEY"),
    N_("Approve a pending peer: pin its signing key for its WireGuard key, for good.\n"
       "Compare the fingerprint shown with the one 'wgdiscoverctl status' shows on\n"
       "that node first."),
    NULL,
  };

  return control_decide (&usage, TRUE, argc, argv);
}

int
ctl_cmd_reject (int argc, char **argv)
{
  static const CtlUsage usage = {
    "reject", N_("NAME|KEY"),
    N_("Reject a pending peer: refuse its signing key for its WireGuard key, for good."),
    NULL,
  };

  return control_decide (&usage, FALSE, argc, argv);
}

/* pause, resume and reload: a method without arguments. */
static int
control_simple (const CtlUsage *usage, const gchar *method, const gchar *action,
                const gchar *done, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (CtlBus) bus = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if (!ctl_options_parse (usage, entries, &argc, &argv, &status))
    return status;
  if ((bus = ctl_bus_open (usage->name, TRUE, &status)) == NULL)
    return status;
  if (!ctl_bus_call (bus, method, NULL, &error))
    return ctl_bus_fail (usage->name, action, error);
  return json ? control_print_json (usage->name, NULL) : ctl_io_print (usage->name, done);
}

int
ctl_cmd_pause (int argc, char **argv)
{
  static const CtlUsage usage = {
    "pause", NULL,
    N_("Withdraw this node's announcements and stop setting endpoints until resume\n"
       "(or until wgdiscoverd restarts). Peers are still followed."),
    NULL,
  };

  return control_simple (&usage, "Pause", _("pause wgdiscoverd"), _("paused\n"), argc, argv);
}

int
ctl_cmd_resume (int argc, char **argv)
{
  static const CtlUsage usage = {
    "resume", NULL,
    N_("End a pause: announce again and decide every peer's endpoint again."),
    NULL,
  };

  return control_simple (&usage, "Resume", _("resume wgdiscoverd"), _("resumed\n"), argc, argv);
}

int
ctl_cmd_reload (int argc, char **argv)
{
  static const CtlUsage usage = {
    "reload", NULL,
    N_("Make wgdiscoverd read its configuration again, as SIGHUP does. A\n"
       "configuration it cannot apply changes nothing and is reported."),
    NULL,
  };

  return control_simple (&usage, "Reload", _("reload wgdiscoverd"), _("reloaded\n"), argc,
                         argv);
}
