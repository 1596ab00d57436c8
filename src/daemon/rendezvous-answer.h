/* rendezvous-answer.h — what the daemon reads in a rendezvous server's
 * answers (docs/rendezvous.md §1, §2), pure and hostile-input safe: the
 * record of a GET /v1/peers/<key>, the seen_from of a PUT, the error
 * code of a refusal. Bodies larger than WGD_RDV_ANSWER_MAX are refused. */
#pragma once

#include <glib.h>

#include "keys.h"

#define WGD_RDV_ANSWER_MAX 8192

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
