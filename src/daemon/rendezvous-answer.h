/* rendezvous-answer.h — what the daemon reads in a rendezvous server's
 * answers (docs/rendezvous.md §1, §2), pure and hostile-input safe: the
 * record of a GET /v1/peers/<key>, the seen_from of a PUT, the error
 * code of a refusal, a mesh's listing and a watch's message. Bodies
 * larger than WGD_RDV_ANSWER_MAX (a listing: WGD_RDV_LISTING_MAX) are
 * refused. */
#pragma once

#include <glib.h>

#include "keys.h"

#define WGD_RDV_ANSWER_MAX 8192
/* A listing holds at most this many records (more are refused, not cut:
 * a server that sends more is not following the protocol)... */
#define WGD_RDV_LISTING_RECORDS_MAX 1024
/* ... in at most this many bytes (a record is at most 1024 bytes, 1366
 * in base64url, with its key, timestamps and JSON around it). */
#define WGD_RDV_LISTING_MAX (WGD_RDV_LISTING_RECORDS_MAX * 1600 + 256)

/* The record of a 200 answer to GET /v1/peers/<key>: decoded from
 * base64url, well-formed (its signature is the caller's to check) and
 * for key. */
GBytes *wgd_rdv_answer_parse_peer (const gchar *body, gsize len, const guint8 key[WGD_KEY_LEN],
                                   GError **error);
/* The address of seen_from in a 200 answer to PUT: family 4 or 6,
 * address in network order (IPv4 in the first 4 bytes). */
gboolean wgd_rdv_answer_parse_seen_from (const gchar *body, gsize len, guint8 *family,
                                         guint8 address[16], GError **error);
/* The "error" code of a refusal, with control characters escaped, or
 * NULL if the body has none. */
gchar *wgd_rdv_answer_parse_error_code (const gchar *body, gsize len);
/* The records (GBytes, each well-formed and claiming the mesh: naming it
 * or certified by its CA) of a 200 answer to GET
 * /v1/meshes/<mesh>/announcements. One bad record fails the whole
 * answer: a server that sends one is broken or lying. */
GPtrArray *wgd_rdv_answer_parse_listing (const gchar *body, gsize len,
                                         const guint8 mesh[WGD_KEY_LEN], GError **error);
/* The record of a watch's text message, checked as a listing's. */
GBytes *wgd_rdv_answer_parse_pushed (const gchar *text, gsize len, const guint8 mesh[WGD_KEY_LEN],
                                     GError **error);
