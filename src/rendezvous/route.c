/* route.c — the server's routes and their path parameters. */
#include "config.h"

#include <string.h>

#include "base64.h"
#include "route.h"

#define PEERS_PREFIX "/v1/peers/"
#define MESHES_PREFIX "/v1/meshes/"
/* Standard base64 with every character percent-encoded is 132. */
#define SEGMENT_MAX 160

static const gchar *const route_names[RDV_ROUTE_COUNT] = {
  [RDV_ROUTE_ANNOUNCE] = "announce",
  [RDV_ROUTE_PEER] = "peer",
  [RDV_ROUTE_METRICS] = "metrics",
  [RDV_ROUTE_MESH_LIST] = "mesh-announcements",
  [RDV_ROUTE_MESH_WATCH] = "mesh-watch",
  [RDV_ROUTE_OTHER] = "other",
};

const gchar *
rdv_route_to_string (RdvRoute route)
{
  g_return_val_if_fail (route < RDV_ROUTE_COUNT, "other");
  return route_names[route];
}

gboolean
rdv_route_from_string (const gchar *text, RdvRoute *route)
{
  for (guint i = 0; i < RDV_ROUTE_COUNT; i++)
    if (g_strcmp0 (text, route_names[i]) == 0)
      {
        *route = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
rdv_route_parse_key (const gchar *segment, guint8 key[WGD_KEY_LEN])
{
  g_autofree gchar *text = NULL;
  gsize len = 0;

  if (strlen (segment) > SEGMENT_MAX)
    return FALSE;
  text = g_uri_unescape_string (segment, NULL);
  if (text == NULL)
    return FALSE;
  for (const gchar *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("+/=-_", *p) == NULL)
      return FALSE;
  if (strlen (text) == WGD_KEY_BASE64_LEN)
    return wgd_key_from_base64 (text, key, NULL);
  return wgd_base64url_decode (text, strlen (text), key, WGD_KEY_LEN, &len, NULL)
    && len == WGD_KEY_LEN;
}

/* /v1/meshes/KEY/announcements or /v1/meshes/KEY/watch: the last '/'
 * ends the key, which may hold an unescaped '/' of standard base64. */
static RdvRoute
route_parse_mesh (const gchar *rest, guint8 key[WGD_KEY_LEN], RdvCode *code)
{
  const gchar *slash = strrchr (rest, '/');
  g_autofree gchar *segment = NULL;
  RdvRoute route;

  if (slash == NULL)
    return RDV_ROUTE_OTHER;
  if (g_strcmp0 (slash, "/announcements") == 0)
    route = RDV_ROUTE_MESH_LIST;
  else if (g_strcmp0 (slash, "/watch") == 0)
    route = RDV_ROUTE_MESH_WATCH;
  else
    return RDV_ROUTE_OTHER;
  segment = g_strndup (rest, (gsize) (slash - rest));
  if (!rdv_route_parse_key (segment, key))
    *code = RDV_CODE_BAD_KEY;
  return route;
}

RdvRoute
rdv_route_parse (const gchar *method, const gchar *path, guint8 key[WGD_KEY_LEN],
                 RdvCode *code)
{
  RdvRoute route = RDV_ROUTE_OTHER;
  const gchar *want = NULL;

  *code = RDV_CODE_OK;
  if (g_strcmp0 (path, "/v1/announcements") == 0)
    {
      route = RDV_ROUTE_ANNOUNCE;
      want = "PUT";
    }
  else if (g_strcmp0 (path, "/metrics") == 0)
    {
      route = RDV_ROUTE_METRICS;
      want = "GET";
    }
  else if (g_str_has_prefix (path, PEERS_PREFIX))
    {
      route = RDV_ROUTE_PEER;
      want = "GET";
    }
  else if (g_str_has_prefix (path, MESHES_PREFIX))
    {
      RdvCode key_code = RDV_CODE_OK;

      route = route_parse_mesh (path + strlen (MESHES_PREFIX), key, &key_code);
      if (route == RDV_ROUTE_OTHER)
        {
          *code = RDV_CODE_NOT_FOUND;
          return route;
        }
      /* A WebSocket opens with a GET; HEAD could not upgrade. */
      if (route == RDV_ROUTE_MESH_WATCH ? g_strcmp0 (method, "GET") != 0
          : g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0)
        *code = RDV_CODE_METHOD_NOT_ALLOWED;
      else
        *code = key_code;
      return route;
    }
  else
    {
      *code = RDV_CODE_NOT_FOUND;
      return route;
    }
  if (g_strcmp0 (method, want) != 0 && !(g_strcmp0 (want, "GET") == 0
                                         && g_strcmp0 (method, "HEAD") == 0))
    *code = RDV_CODE_METHOD_NOT_ALLOWED;
  else if (route == RDV_ROUTE_PEER && !rdv_route_parse_key (path + strlen (PEERS_PREFIX), key))
    *code = RDV_CODE_BAD_KEY;
  return route;
}
