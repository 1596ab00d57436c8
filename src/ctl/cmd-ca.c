/* cmd-ca.c — the mesh CA: create its key, print its public key (the
 * mesh's identity), sign node certificates and revocation lists. The CA
 * secret only ever comes from standard input or a 0600 file. */
#include "config.h"

#include <sodium.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "certificate.h"
#include "clock.h"
#include "ctl.h"
#include "ctl-io.h"
#include "revocation.h"
#include "wgd-error.h"

#define SECONDS_PER_DAY 86400

static int
ca_cmd_init (int argc, char **argv)
{
  static const CtlUsage usage = {
    "ca init", NULL,
    N_("Print a new mesh CA secret key, in the same form as an identity."),
    N_("Keep it offline, mode 0600: (umask 077; wgdiscoverctl ca init > ca.key)"),
  };
  g_autoptr (WgdKeyPair) ca = NULL;
  g_autoptr (CtlSecret) text = NULL;
  int status;

  if (!ctl_options_parse (&usage, NULL, &argc, &argv, &status))
    return status;
  ca = wgd_key_pair_generate ();
  text = wgd_key_pair_to_text (ca);
  ctl_io_warn_exposed_stdout (usage.name);
  return ctl_io_print (usage.name, text);
}

static int
ca_cmd_pubkey (int argc, char **argv)
{
  static const CtlUsage usage = {
    "ca pubkey", NULL,
    N_("Read a CA secret key on standard input and print its public key, the mesh key."),
    NULL,
  };

  return ctl_keys_print (&usage, ctl_key_pair_public, FALSE, argc, argv);
}

static gboolean
ca_parse_addresses (GStrv addresses, WgdCertificate *cert, GError **error)
{
  guint n = g_strv_length (addresses);

  if (n > WGD_CERTIFICATE_PREFIXES_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   _("a certificate holds at most %d --address"), WGD_CERTIFICATE_PREFIXES_MAX);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    if (!wgd_prefix_parse (addresses[i], &cert->prefixes[i], error))
      {
        g_prefix_error (error, "--address: ");
        return FALSE;
      }
  cert->n_prefixes = n;
  return TRUE;
}

static int
ca_cmd_sign (int argc, char **argv)
{
  static const CtlUsage usage = {
    "ca sign", NULL,
    /* Translators: FILE is the placeholder of --ca in the option list. */
    N_("Sign a node certificate with the CA key in --ca FILE and print it in base64url."),
    /* Translators: only "Example:" is to be translated. */
    N_("Example:\n"
       "  wgdiscoverctl ca sign --ca ca.key --name node1 \\\n"
       "    --signkey \"$(wgdiscoverctl signkey < identity)\" \\\n"
       "    --wgkey \"$(wgdiscoverctl wgpubkey < identity)\" --address 10.0.0.2/32"),
  };
  g_autofree gchar *ca_path = NULL;
  g_autofree gchar *name = NULL;
  g_autofree gchar *signkey = NULL;
  g_autofree gchar *wgkey = NULL;
  g_autofree gchar *days_text = NULL;
  g_autofree gchar *serial_text = NULL;
  g_autofree gchar *not_before_text = NULL;
  g_auto (GStrv) addresses = NULL;
  const GOptionEntry entries[] = {
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca_path, N_("The CA secret key file (mode 0600)"),
      N_("FILE") },
    { "name", 0, 0, G_OPTION_ARG_FILENAME, &name, N_("The node's name"), N_("NAME") },
    { "signkey", 0, 0, G_OPTION_ARG_STRING, &signkey, N_("The node's signing key"), N_("KEY") },
    { "wgkey", 0, 0, G_OPTION_ARG_STRING, &wgkey, N_("The node's WireGuard public key"),
      N_("KEY") },
    { "address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &addresses,
      N_("A tunnel address or prefix of the node (repeatable; a bare address is a host prefix)"),
      N_("PREFIX") },
    { "days", 0, 0, G_OPTION_ARG_STRING, &days_text, N_("Days of validity (default 365)"), "N" },
    { "serial", 0, 0, G_OPTION_ARG_STRING, &serial_text, N_("Serial number (default random)"),
      "N" },
    { "not-before", 0, 0, G_OPTION_ARG_STRING, &not_before_text,
      N_("Start of validity in seconds since the epoch (default now)"), "UNIX" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdCertificate) cert = wgd_certificate_new ();
  g_autoptr (WgdKeyPair) ca = NULL;
  g_autofree gchar *encoded = NULL;
  g_autofree gchar *line = NULL;
  guint64 days = 365;
  int status;

  if (!ctl_options_parse (&usage, entries, &argc, &argv, &status))
    return status;
  if (ca_path == NULL || name == NULL || signkey == NULL || wgkey == NULL || addresses == NULL)
    return ctl_fail (usage.name, _("--ca, --name, --signkey, --wgkey and --address are required"));

  cert->not_before = wgd_clock_now ();
  if (!ctl_option_parse_name ("--name", name, cert->name, &error)
      || !ctl_option_parse_key ("--signkey", signkey, cert->signing_key, &error)
      || !ctl_option_parse_key ("--wgkey", wgkey, cert->wg_key, &error)
      || !ca_parse_addresses (addresses, cert, &error)
      || (days_text != NULL
          && !ctl_option_parse_u64 ("--days", days_text, 1, G_MAXUINT32, &days, &error))
      || (serial_text != NULL
          && !ctl_option_parse_u64 ("--serial", serial_text, 0, G_MAXUINT64, &cert->serial,
                                    &error))
      || (not_before_text != NULL
          && !ctl_option_parse_u64 ("--not-before", not_before_text, 0, G_MAXUINT64,
                                    &cert->not_before, &error)))
    return ctl_fail_error (usage.name, error);
  if (serial_text == NULL)
    {
      /* 63 bits, so the serial fits a signed 64-bit integer in any tool. */
      randombytes_buf (&cert->serial, sizeof cert->serial);
      cert->serial &= G_MAXINT64;
    }
  if (cert->not_before > G_MAXUINT64 - days * SECONDS_PER_DAY)
    return ctl_fail (usage.name, _("--not-before plus --days lies past the end of time"));
  cert->not_after = cert->not_before + days * SECONDS_PER_DAY;

  ca = wgd_key_pair_load (ca_path, &error);
  if (ca == NULL || !wgd_certificate_sign (cert, ca, &error))
    return ctl_fail_error (usage.name, error);
  encoded = wgd_base64url_encode (cert->raw, cert->raw_len);
  line = g_strconcat (encoded, "\n", NULL);
  return ctl_io_print (usage.name, line);
}

static int
ca_cmd_revoke (int argc, char **argv)
{
  static const CtlUsage usage = {
    "ca revoke", NULL,
    N_("Sign a revocation list of certificate serials and print it in base64url."),
    N_("A newer list replaces an older one, so list every serial still revoked."),
  };
  g_autofree gchar *ca_path = NULL;
  g_autofree gchar *issued_text = NULL;
  g_auto (GStrv) serials = NULL;
  const GOptionEntry entries[] = {
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca_path, N_("The CA secret key file (mode 0600)"),
      N_("FILE") },
    { "serial", 0, 0, G_OPTION_ARG_STRING_ARRAY, &serials,
      N_("A revoked certificate's serial (repeatable)"), "N" },
    { "issued", 0, 0, G_OPTION_ARG_STRING, &issued_text,
      N_("Issue time in seconds since the epoch (default now)"), "UNIX" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdRevocationList) list = wgd_revocation_list_new ();
  g_autoptr (WgdKeyPair) ca = NULL;
  g_autofree gchar *encoded = NULL;
  g_autofree gchar *line = NULL;
  int status;

  if (!ctl_options_parse (&usage, entries, &argc, &argv, &status))
    return status;
  if (ca_path == NULL || serials == NULL)
    return ctl_fail (usage.name, _("--ca and --serial are required"));

  list->issued = wgd_clock_now ();
  if (issued_text != NULL
      && !ctl_option_parse_u64 ("--issued", issued_text, 0, G_MAXUINT64, &list->issued, &error))
    return ctl_fail_error (usage.name, error);
  for (gchar **s = serials; *s != NULL; s++)
    {
      guint64 serial;

      if (!ctl_option_parse_u64 ("--serial", *s, 0, G_MAXUINT64, &serial, &error))
        return ctl_fail_error (usage.name, error);
      g_array_append_val (list->serials, serial);
    }

  ca = wgd_key_pair_load (ca_path, &error);
  if (ca == NULL || !wgd_revocation_list_sign (list, ca, &error))
    return ctl_fail_error (usage.name, error);
  encoded = wgd_base64url_encode (g_bytes_get_data (list->raw, NULL),
                                  g_bytes_get_size (list->raw));
  line = g_strconcat (encoded, "\n", NULL);
  return ctl_io_print (usage.name, line);
}

int
ctl_cmd_ca (int argc, char **argv)
{
  static const CtlUsage usage = {
    /* Translators: the placeholder for a subcommand in "wgdiscoverctl ca [OPTION…] SUBCOMMAND". */
    "ca", N_("SUBCOMMAND"),
    N_("Manage a mesh CA: the key whose certificates let nodes join a mesh."),
    /* Translators: "ca pubkey", "verify --ca" and "[Mesh]" are typed as they are;
       KEY is the placeholder of a key. */
    N_("The CA public key (ca pubkey) is the mesh's identity; receivers trust it\n"
       "with verify --ca KEY or the daemon's [Mesh] configuration."),
  };
  static const CtlCommand subcommands[] = {
    { "init", ca_cmd_init, N_("Print a new CA secret key") },
    { "pubkey", ca_cmd_pubkey, N_("Print the public key of the CA secret on stdin") },
    { "sign", ca_cmd_sign, N_("Sign a node certificate") },
    { "revoke", ca_cmd_revoke, N_("Sign a revocation list") },
    { NULL, NULL, NULL },
  };

  return ctl_dispatch (&usage, subcommands, argc, argv);
}
