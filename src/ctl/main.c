/* main.c — wgdiscoverctl's entry point: process setup, the command
 * table, and the dispatcher it shares with "ca" and its subcommands. */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ctl.h"
#include "ctl-io.h"
#include "i18n.h"

static const CtlCommand commands[] = {
  { "genkey", ctl_cmd_genkey, N_("Print a new identity (a secret key)") },
  { "signkey", ctl_cmd_signkey, N_("Print the signing key of the identity on stdin") },
  { "wgkey", ctl_cmd_wgkey, N_("Print the WireGuard private key of the identity on stdin") },
  { "wgpubkey", ctl_cmd_wgpubkey, N_("Print the WireGuard public key of the identity on stdin") },
  { "ca", ctl_cmd_ca,
    /* Translators: init, pubkey, sign and revoke are subcommands, typed as they are. */
    N_("Manage a mesh CA: init, pubkey, sign, revoke") },
  { "announce", ctl_cmd_announce, N_("Sign an announcement record") },
  { "verify", ctl_cmd_verify, N_("Decode a record on stdin and decide whether to trust it") },
  { "status", ctl_cmd_status, N_("Show the running wgdiscoverd: identity, interfaces, counters") },
  { "peers", ctl_cmd_peers, N_("Show the peers wgdiscoverd knows") },
  { "peer", ctl_cmd_peer, N_("Show everything about one peer") },
  { "approve", ctl_cmd_approve, N_("Approve a pending peer") },
  { "reject", ctl_cmd_reject, N_("Reject a pending peer") },
  { "pause", ctl_cmd_pause, N_("Stop announcing and setting endpoints until resume") },
  { "resume", ctl_cmd_resume, N_("End a pause") },
  { "reload", ctl_cmd_reload, N_("Make wgdiscoverd read its configuration again") },
  { "monitor", ctl_cmd_monitor, N_("Show changes in wgdiscoverd as they happen") },
  { "ifconf", ctl_cmd_ifconf,
    N_("Show the endpoints wg-quick, networkd and NetworkManager configure") },
  { NULL, NULL, NULL },
};

static const CtlUsage usage = {
  NULL,
  /* Translators: the placeholder for a command in "wgdiscoverctl [OPTION…] COMMAND". */
  N_("COMMAND"),
  N_("Tool for wgdiscover identities, mesh certificates and announcement records\n"
     "(offline), and for the running wgdiscoverd (over D-Bus)."),
  /* Translators: 'wgdiscoverctl COMMAND --help' is typed as it is, but
     COMMAND is the placeholder you chose above. */
  N_("Keys are standard base64, one per line, as wg prints them. Records,\n"
  "certificates and revocation lists are unpadded base64url on one line.\n"
  "Secret keys are read from standard input or from files of mode 0600,\n"
  "never from the command line.\n"
  "\n"
  "Exit status: 0 on success, 1 when verify rejects a record, 2 on a usage\n"
  "or input error, 3 when no such peer or no pending one is found, 4 without\n"
  "a system bus, 5 when wgdiscoverd is not running, 6 when the caller is not\n"
  "allowed, 7 when wgdiscoverd reports an error. Run 'wgdiscoverctl COMMAND\n"
  "--help' for a command's options."),
};

static gchar *
dispatch_describe (const CtlUsage *parent, const CtlCommand *table)
{
  GString *text = g_string_new (_("Commands:\n"));
  int width = 0;

  for (const CtlCommand *c = table; c->name != NULL; c++)
    width = MAX (width, (int) strlen (c->name));
  for (const CtlCommand *c = table; c->name != NULL; c++)
    g_string_append_printf (text, "  %-*s  %s\n", width, c->name, _(c->summary));
  if (parent->description != NULL)
    g_string_append_printf (text, "\n%s", _(parent->description));
  return g_string_free (text, FALSE);
}

int
ctl_dispatch (const CtlUsage *parent, const CtlCommand *table, int argc, char **argv)
{
  g_autofree gchar *description = NULL;
  CtlUsage help;
  int status;

  if (argc >= 2 && argv[1][0] != '-')
    {
      g_autofree gchar *name = NULL;

      for (const CtlCommand *c = table; c->name != NULL; c++)
        if (strcmp (c->name, argv[1]) == 0)
          return c->run (argc - 1, argv + 1);
      name = parent->name ? g_strconcat (parent->name, " ", argv[1], NULL) : g_strdup (argv[1]);
      return ctl_fail (name, _("unknown command (see '%s%s%s --help')"), CTL_PROGRAM,
                       parent->name ? " " : "", parent->name ? parent->name : "");
    }

  /* Without a command only --help makes sense. */
  help = *parent;
  help.description = description = dispatch_describe (parent, table);
  if (!ctl_options_parse (&help, NULL, &argc, &argv, &status))
    return status;
  return ctl_fail (parent->name, _("no command given (see --help)"));
}

int
main (int argc, char **argv)
{
  /* The locale's charset is what a name typed in a legacy locale is
   * converted from, and what messages are printed in. */
  wgd_i18n_init ();
  if (sodium_init () < 0)
    return ctl_fail (NULL, _("cannot initialise libsodium"));
  return ctl_dispatch (&usage, commands, argc, argv);
}
