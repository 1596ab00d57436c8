/* record-json.c — a stored record in JSON. */
#include "config.h"

#include "base64.h"
#include "record-json.h"

void
rdv_record_json_add (JsonBuilder *b, const RdvStoredRecord *r)
{
  g_autofree gchar *wg = wgd_key_to_base64 (r->wg_key);
  g_autofree gchar *record = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (r->record, &len);

  record = wgd_base64url_encode (data, len);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "wireguard_key");
  json_builder_add_string_value (b, wg);
  json_builder_set_member_name (b, "record");
  json_builder_add_string_value (b, record);
  json_builder_set_member_name (b, "timestamp");
  json_builder_add_int_value (b, (gint64) r->timestamp);
  json_builder_set_member_name (b, "expires");
  json_builder_add_int_value (b, (gint64) r->expires);
  json_builder_end_object (b);
}

gchar *
rdv_record_json_to_string (const RdvStoredRecord *r)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  rdv_record_json_add (b, r);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}
