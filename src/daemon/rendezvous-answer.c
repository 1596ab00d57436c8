/* rendezvous-answer.c — parsing a rendezvous server's answers (see the header). */
#include "config.h"

#include "rendezvous-answer.h"

#include <string.h>
#include <arpa/inet.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <sodium.h>

#include "announcement.h"
#include "base64.h"
#include "wgd-error.h"

/* Whether the text is one JSON object and nothing else but whitespace.
 * json-glib 1.6 accepts several top-level values in a row, keeps the
 * last and loses the others' memory: a server could make every answer
 * leak. Braces are counted outside strings; a '/' outside a string (a
 * comment, which json-glib would skip) is refused, so that both read
 * the same structure. */
static gboolean
answer_is_one_object (const gchar *body, gsize len)
{
  gsize i = 0, depth = 0;
  gboolean in_string = FALSE;

  while (i < len && g_ascii_isspace (body[i]))
    i++;
  if (i == len || body[i] != '{')
    return FALSE;
  for (; i < len; i++)
    {
      gchar c = body[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '/')
        return FALSE;
      else if (c == '{' || c == '[')
        depth++;
      else if ((c == '}' || c == ']') && --depth == 0)
        break;
    }
  if (i >= len)
    return FALSE;
  for (i++; i < len; i++)
    if (!g_ascii_isspace (body[i]))
      return FALSE;
  return TRUE;
}

static JsonObject *
answer_object_max (const gchar *body, gsize len, gsize max, JsonParser *parser, GError **error)
{
  JsonNode *root;

  if (len > max)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, _("the answer is larger than %u bytes"),
                   (guint) max);
      return NULL;
    }
  if (!answer_is_one_object (body, len))
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("the answer is not a JSON object"));
      return NULL;
    }
  if (!json_parser_load_from_data (parser, body, (gssize) len, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("the answer is not a JSON object"));
      return NULL;
    }
  return json_node_get_object (root);
}

static JsonObject *
answer_object (const gchar *body, gsize len, JsonParser *parser, GError **error)
{
  return answer_object_max (body, len, WGD_RDV_ANSWER_MAX, parser, error);
}

/* A member that is a string, or NULL. */
static const gchar *
member_string (JsonObject *object, const gchar *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* The "record" of an object in the form of docs/rendezvous.md 1.2,
 * decoded into ann. */
static GBytes *
object_record (JsonObject *object, WgdAnnouncement *ann, GError **error)
{
  const gchar *text;
  guint8 record[WGD_RECORD_MAX];
  gsize record_len;

  if ((text = member_string (object, "record")) == NULL)
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID, _("the answer has no record"));
      return NULL;
    }
  if (!wgd_base64url_decode (text, strlen (text), record, sizeof record, &record_len, error)
      || !wgd_announcement_decode (ann, record, record_len, error))
    return NULL;
  return g_bytes_new (record, record_len);
}

GBytes *
wgd_rdv_answer_parse_peer (const gchar *body, gsize len, const guint8 key[WGD_KEY_LEN],
                           GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  JsonObject *answer = answer_object (body, len, parser, error);
  g_autoptr (GBytes) record = NULL;

  if (answer == NULL || (record = object_record (answer, ann, error)) == NULL)
    return NULL;
  /* A record for another key is not an answer to this question. */
  if (sodium_memcmp (ann->wg_key, key, WGD_KEY_LEN) != 0)
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("the record is for another WireGuard key"));
      return NULL;
    }
  return g_steal_pointer (&record);
}

/* A record of the mesh, from one element of a listing or a message. */
static GBytes *
mesh_record (JsonNode *node, const guint8 mesh[WGD_KEY_LEN], GError **error)
{
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (GBytes) record = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("a record of the mesh is not a JSON object"));
      return NULL;
    }
  if ((record = object_record (json_node_get_object (node), ann, error)) == NULL)
    return NULL;
  /* Checked again by the core; here, a server that mixes meshes is caught. */
  if (!(ann->has_mesh && sodium_memcmp (ann->mesh_key, mesh, WGD_KEY_LEN) == 0)
      && !(ann->has_certificate && sodium_memcmp (ann->certificate.ca_key, mesh, WGD_KEY_LEN) == 0))
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("a record of another mesh"));
      return NULL;
    }
  return g_steal_pointer (&record);
}

GPtrArray *
wgd_rdv_answer_parse_listing (const gchar *body, gsize len, const guint8 mesh[WGD_KEY_LEN],
                              GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *answer = answer_object_max (body, len, WGD_RDV_LISTING_MAX, parser, error);
  g_autoptr (GPtrArray) records = NULL;
  JsonNode *node;
  JsonArray *array;

  if (answer == NULL)
    return NULL;
  node = json_object_get_member (answer, "records");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("the answer has no records array"));
      return NULL;
    }
  array = json_node_get_array (node);
  if (json_array_get_length (array) > WGD_RDV_LISTING_RECORDS_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   _("the listing holds more than %u records"), WGD_RDV_LISTING_RECORDS_MAX);
      return NULL;
    }
  records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      GBytes *record = mesh_record (json_array_get_element (array, i), mesh, error);

      if (record == NULL)
        return NULL;
      g_ptr_array_add (records, record);
    }
  return g_steal_pointer (&records);
}

GBytes *
wgd_rdv_answer_parse_pushed (const gchar *text, gsize len, const guint8 mesh[WGD_KEY_LEN],
                             GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (answer_object (text, len, parser, error) == NULL)
    return NULL;
  return mesh_record (json_parser_get_root (parser), mesh, error);
}

gboolean
wgd_rdv_answer_parse_seen_from (const gchar *body, gsize len, guint8 *family,
                                guint8 address[16], GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *answer = answer_object (body, len, parser, error);
  JsonNode *seen;
  const gchar *text;

  if (answer == NULL)
    return FALSE;
  seen = json_object_get_member (answer, "seen_from");
  if (seen == NULL || !JSON_NODE_HOLDS_OBJECT (seen)
      || (text = member_string (json_node_get_object (seen), "address")) == NULL)
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("the answer has no seen_from address"));
      return FALSE;
    }
  memset (address, 0, 16);
  if (inet_pton (AF_INET, text, address) == 1)
    *family = 4;
  else if (inet_pton (AF_INET6, text, address) == 1)
    *family = 6;
  else
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("seen_from is not an IP address"));
      return FALSE;
    }
  return TRUE;
}

gchar *
wgd_rdv_answer_parse_error_code (const gchar *body, gsize len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *answer = answer_object (body, len, parser, NULL);
  const gchar *code = answer != NULL ? member_string (answer, "error") : NULL;

  return code != NULL ? g_strescape (code, NULL) : NULL;
}
