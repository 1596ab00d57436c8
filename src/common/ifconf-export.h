/* ifconf-export.h — what wgd_ifconf_read found, as a file the
 * unprivileged daemon may read: the managers' files are root's and
 * mostly mode 0600, so wgdiscover-ifconf.service (root, no capability,
 * no network) reads them and writes this, and wgdiscoverd --ifconf reads
 * it (docs/dynamic-dns.md). Only the public part of each peer crosses:
 * interface, public key, endpoint, manager, file and line.
 *
 * A GKeyFile, one group per peer in the order of WgdIfconf's peers:
 *
 *   [Peer wg0 BASE64KEY]
 *   Endpoint=home.example.org:51820
 *   Manager=wg-quick
 *   File=/etc/wireguard/wg0.conf
 *   Line=7
 *
 * Pure: no I/O. */
#pragma once

#include <glib.h>

#include "ifconf.h"

/* The file's text (a comment saying what wrote it, then the peers);
 * conf's errors are not in it. File= is for messages only: a path that
 * is not UTF-8 or holds control characters is written as
 * wgd_ifconf_export_file_text shows it, and the parser refuses control
 * characters in it. */
gchar *wgd_ifconf_export_to_data (const WgdIfconf *conf, gsize *len);

/* A path as File= holds it, and as it is shown: itself when it is UTF-8
 * without control characters, else with "\xNN" for each byte that is
 * not (so "/a\nb" is "/a\x0ab"). */
gchar *wgd_ifconf_export_file_text (const gchar *path);

/* Reads what wgd_ifconf_export_to_data wrote, strictly: every group a
 * [Peer IFNAME KEY] given once, with exactly Endpoint=, Manager=, File=
 * (absolute) and Line=, each valid; WGD_IFCONF_FILE_MAX bytes at most.
 * Errors name path, line, group and key ("PATH:LINE: [GROUP] KEY: WHY").
 * The result's peers are in file order, each with its ifname; its
 * errors array is empty. */
WgdIfconf *wgd_ifconf_export_parse (const gchar *path, const gchar *data, gsize len,
                                    GError **error);
