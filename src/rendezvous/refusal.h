/* refusal.h — the stable error codes of the rendezvous server's HTTP API
 * (docs/rendezvous.md): one table of code, name and HTTP status. The
 * names of refusals that mean what a daemon's verdict means are the
 * daemon's reason names (trust.h). */
#pragma once

#include <glib.h>

#include "trust.h"

typedef enum {
  RDV_CODE_OK,
  RDV_CODE_MALFORMED,
  RDV_CODE_TOO_LARGE,
  RDV_CODE_BAD_SIGNATURE,
  RDV_CODE_NO_BINDING,
  RDV_CODE_BAD_CERTIFICATE,
  RDV_CODE_EXPIRED,
  RDV_CODE_NOT_YET_VALID,
  RDV_CODE_FUTURE,
  RDV_CODE_REPLAYED,
  RDV_CODE_REVOKED,
  RDV_CODE_WRONG_MESH,
  RDV_CODE_KEY_HELD,
  RDV_CODE_MESH_FULL,
  RDV_CODE_SERVER_FULL,
  RDV_CODE_RATE_LIMITED,
  RDV_CODE_BAD_KEY,
  RDV_CODE_NOT_FOUND,
  RDV_CODE_METHOD_NOT_ALLOWED,
  RDV_CODE_FORBIDDEN,
  RDV_CODE_NOT_WEBSOCKET,
  RDV_CODE_TOO_MANY_WEBSOCKETS,
  RDV_CODE_UNAVAILABLE,
  RDV_CODE_INTERNAL,
  RDV_CODE_COUNT,
} RdvCode;

const gchar *rdv_code_to_string (RdvCode code);
gboolean rdv_code_from_string (const gchar *text, RdvCode *code);
guint rdv_code_http_status (RdvCode code);
/* The daemon's reason as the server's code. */
RdvCode rdv_code_from_reason (WgdReason reason);
