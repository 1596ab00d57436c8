/* refusal.c — the table of the server's error codes. */
#include "config.h"

#include "refusal.h"

static const struct {
  const gchar *name;
  guint status;
} codes[RDV_CODE_COUNT] = {
  [RDV_CODE_OK] = { "ok", 200 },
  [RDV_CODE_MALFORMED] = { "malformed", 400 },
  [RDV_CODE_TOO_LARGE] = { "too-large", 413 },
  [RDV_CODE_BAD_SIGNATURE] = { "bad-signature", 422 },
  [RDV_CODE_NO_BINDING] = { "no-binding", 422 },
  [RDV_CODE_BAD_CERTIFICATE] = { "bad-certificate", 422 },
  [RDV_CODE_EXPIRED] = { "expired", 422 },
  [RDV_CODE_NOT_YET_VALID] = { "not-yet-valid", 422 },
  [RDV_CODE_FUTURE] = { "future", 422 },
  [RDV_CODE_REPLAYED] = { "replayed", 409 },
  [RDV_CODE_REVOKED] = { "revoked", 422 },
  [RDV_CODE_WRONG_MESH] = { "wrong-mesh", 403 },
  [RDV_CODE_KEY_HELD] = { "key-held", 409 },
  [RDV_CODE_MESH_FULL] = { "mesh-full", 507 },
  [RDV_CODE_SERVER_FULL] = { "server-full", 507 },
  [RDV_CODE_RATE_LIMITED] = { "rate-limited", 429 },
  [RDV_CODE_BAD_KEY] = { "bad-key", 400 },
  [RDV_CODE_NOT_FOUND] = { "not-found", 404 },
  [RDV_CODE_METHOD_NOT_ALLOWED] = { "method-not-allowed", 405 },
  [RDV_CODE_FORBIDDEN] = { "forbidden", 403 },
  [RDV_CODE_NOT_WEBSOCKET] = { "not-websocket", 400 },
  [RDV_CODE_TOO_MANY_WEBSOCKETS] = { "too-many-websockets", 503 },
  [RDV_CODE_UNAVAILABLE] = { "unavailable", 503 },
  [RDV_CODE_INTERNAL] = { "internal", 500 },
};

const gchar *
rdv_code_to_string (RdvCode code)
{
  g_return_val_if_fail (code < RDV_CODE_COUNT, "internal");
  return codes[code].name;
}

gboolean
rdv_code_from_string (const gchar *text, RdvCode *code)
{
  for (guint i = 0; i < RDV_CODE_COUNT; i++)
    if (g_strcmp0 (text, codes[i].name) == 0)
      {
        *code = i;
        return TRUE;
      }
  return FALSE;
}

guint
rdv_code_http_status (RdvCode code)
{
  g_return_val_if_fail (code < RDV_CODE_COUNT, 500);
  return codes[code].status;
}

RdvCode
rdv_code_from_reason (WgdReason reason)
{
  switch (reason)
    {
    case WGD_REASON_NONE:
      return RDV_CODE_OK;
    case WGD_REASON_MALFORMED:
      return RDV_CODE_MALFORMED;
    case WGD_REASON_TOO_LARGE:
      return RDV_CODE_TOO_LARGE;
    case WGD_REASON_BAD_SIGNATURE:
      return RDV_CODE_BAD_SIGNATURE;
    case WGD_REASON_NO_BINDING:
      return RDV_CODE_NO_BINDING;
    case WGD_REASON_BAD_CERTIFICATE:
      return RDV_CODE_BAD_CERTIFICATE;
    case WGD_REASON_EXPIRED:
      return RDV_CODE_EXPIRED;
    case WGD_REASON_NOT_YET_VALID:
      return RDV_CODE_NOT_YET_VALID;
    case WGD_REASON_FUTURE:
      return RDV_CODE_FUTURE;
    case WGD_REASON_REPLAYED:
      return RDV_CODE_REPLAYED;
    case WGD_REASON_REVOKED:
      return RDV_CODE_REVOKED;
    case WGD_REASON_WRONG_MESH:
      return RDV_CODE_WRONG_MESH;
    case WGD_REASON_COUNT:
      break;
    }
  return RDV_CODE_INTERNAL;
}
