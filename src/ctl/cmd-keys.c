/* cmd-keys.c — genkey, signkey, wgkey and wgpubkey: a node's identity
 * and the keys it gives, in the spirit of wg genkey and wg pubkey. */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "ctl.h"
#include "ctl-io.h"

int
ctl_keys_print (const CtlUsage *usage, void (*key_of) (const WgdKeyPair *pair,
                                                       guint8 out[WGD_KEY_LEN]),
                gboolean secret, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdKeyPair) pair = NULL;
  g_autoptr (CtlSecret) text = NULL;
  g_autoptr (CtlSecret) line = NULL;
  guint8 key[WGD_KEY_LEN];
  int status;

  if (!ctl_options_parse (usage, NULL, &argc, &argv, &status))
    return status;
  pair = ctl_io_read_key_pair (&error);
  if (pair == NULL)
    return ctl_fail_error (usage->name, error);
  key_of (pair, key);
  text = wgd_key_to_base64 (key);
  sodium_memzero (key, sizeof key);
  line = g_strconcat (text, "\n", NULL);
  if (secret)
    ctl_io_warn_exposed_stdout (usage->name);
  return ctl_io_print (usage->name, line);
}

void
ctl_key_pair_public (const WgdKeyPair *pair, guint8 out[WGD_KEY_LEN])
{
  memcpy (out, pair->public_key, WGD_KEY_LEN);
}

int
ctl_cmd_genkey (int argc, char **argv)
{
  static const CtlUsage usage = {
    "genkey", NULL,
    N_("Print a new identity: a secret Ed25519 key in base64, for a 0600 file."),
    /* Translators: the command after "Example:" is typed as it is. */
    N_("Example: (umask 077; wgdiscoverctl genkey > identity)"),
  };
  g_autoptr (WgdKeyPair) pair = NULL;
  g_autoptr (CtlSecret) text = NULL;
  int status;

  if (!ctl_options_parse (&usage, NULL, &argc, &argv, &status))
    return status;
  pair = wgd_key_pair_generate ();
  text = wgd_key_pair_to_text (pair);
  ctl_io_warn_exposed_stdout (usage.name);
  return ctl_io_print (usage.name, text);
}

int
ctl_cmd_signkey (int argc, char **argv)
{
  static const CtlUsage usage = {
    "signkey", NULL,
    N_("Read an identity on standard input and print its Ed25519 signing (public) key."),
    NULL,
  };

  return ctl_keys_print (&usage, ctl_key_pair_public, FALSE, argc, argv);
}

int
ctl_cmd_wgkey (int argc, char **argv)
{
  static const CtlUsage usage = {
    "wgkey", NULL,
    N_("Read an identity on standard input and print its WireGuard private key."),
    /* Translators: the commands in quotes are typed as they are. */
    N_("For wg-quick, NetworkManager or systemd-networkd. 'wgdiscoverctl wgkey <\n"
       "identity | wg pubkey' prints the same key as 'wgdiscoverctl wgpubkey < identity'."),
  };

  return ctl_keys_print (&usage, wgd_key_pair_wg_private, TRUE, argc, argv);
}

int
ctl_cmd_wgpubkey (int argc, char **argv)
{
  static const CtlUsage usage = {
    "wgpubkey", NULL,
    N_("Read an identity on standard input and print its WireGuard public key."),
    NULL,
  };

  return ctl_keys_print (&usage, wgd_key_pair_wg_public, FALSE, argc, argv);
}
