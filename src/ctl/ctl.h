/* ctl.h — the commands of wgdiscoverctl, the dispatcher that picks one,
 * and the exit statuses they share. */
#pragma once

#include <glib.h>

#include "keys.h"

#define CTL_PROGRAM "wgdiscoverctl"

/* Exit statuses (wgdiscoverctl(1), EXIT STATUS). Only verify can
 * reject; every command can meet bad options or bad input; the rest are
 * the online commands' ways to fail. */
enum {
  CTL_EXIT_OK = 0,
  CTL_EXIT_REJECTED = 1,
  CTL_EXIT_USAGE = 2,
  CTL_EXIT_NO_PEER = 3,      /* no such peer, an ambiguous name, not pending */
  CTL_EXIT_NO_BUS = 4,       /* no system bus */
  CTL_EXIT_NOT_RUNNING = 5,  /* nothing owns org.wgdiscover1 */
  CTL_EXIT_NOT_ALLOWED = 6,  /* the bus or polkit refused the caller */
  CTL_EXIT_DAEMON = 7,       /* the daemon reported an error or did not answer */
};

/* What --help prints for a command, and how errors name it. */
typedef struct {
  const gchar *name;          /* "ca sign"; NULL for the program itself */
  const gchar *parameters;    /* after [OPTION…] in the usage line, or NULL */
  const gchar *summary;
  const gchar *description;   /* after the options, or NULL */
} CtlUsage;

typedef struct {
  const gchar *name;
  int (*run) (int argc, char **argv);
  const gchar *summary;
} CtlCommand;

/* Runs the command argv[1] names (argv[0] being the parent), or handles
 * --help for the parent, or fails with a usage error. commands ends with
 * an entry whose name is NULL. */
int ctl_dispatch (const CtlUsage *usage, const CtlCommand *commands, int argc, char **argv);

int ctl_cmd_genkey (int argc, char **argv);
int ctl_cmd_signkey (int argc, char **argv);
int ctl_cmd_wgkey (int argc, char **argv);
int ctl_cmd_wgpubkey (int argc, char **argv);
int ctl_cmd_ca (int argc, char **argv);
int ctl_cmd_announce (int argc, char **argv);
int ctl_cmd_verify (int argc, char **argv);
int ctl_cmd_status (int argc, char **argv);
int ctl_cmd_peers (int argc, char **argv);
int ctl_cmd_peer (int argc, char **argv);
int ctl_cmd_approve (int argc, char **argv);
int ctl_cmd_reject (int argc, char **argv);
int ctl_cmd_pause (int argc, char **argv);
int ctl_cmd_resume (int argc, char **argv);
int ctl_cmd_reload (int argc, char **argv);
int ctl_cmd_monitor (int argc, char **argv);
int ctl_cmd_ifconf (int argc, char **argv);

/* Reads a key pair on stdin and prints the key key_of gives: the body of
 * signkey, wgkey, wgpubkey and ca pubkey. secret marks a private key. */
int ctl_keys_print (const CtlUsage *usage, void (*key_of) (const WgdKeyPair *pair,
                                                           guint8 out[WGD_KEY_LEN]),
                    gboolean secret, int argc, char **argv);
/* The signing key of an identity, the public key of a CA: a key_of. */
void ctl_key_pair_public (const WgdKeyPair *pair, guint8 out[WGD_KEY_LEN]);
