/* ctl-json.c — D-Bus values as JSON for --json. */
#include "config.h"

#include <string.h>

#include "ctl-io.h"
#include "ctl-json.h"

gchar *
ctl_json_name (const gchar *property)
{
  g_autoptr (GString) name = g_string_new (NULL);

  for (const gchar *p = property; *p != '\0'; p++)
    {
      /* "WireGuard" is one word, as wg's users write it. */
      if (g_str_has_prefix (p, "WireGuard"))
        {
          g_string_append (name, name->len > 0 ? "_wireguard" : "wireguard");
          p += strlen ("WireGuard") - 1;
          continue;
        }
      if (g_ascii_isupper (*p) && name->len > 0)
        g_string_append_c (name, '_');
      g_string_append_c (name, g_ascii_tolower (*p));
    }
  return g_strdup (name->str);
}

static JsonNode *
json_counts (GVariant *value)
{
  g_autoptr (JsonObject) object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  GVariantIter iter;
  const gchar *key;
  guint32 count;

  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "{&su}", &key, &count))
    json_object_set_int_member (object, key, count);
  json_node_set_object (node, object);
  return node;
}

static JsonNode *
json_candidates (GVariant *value)
{
  g_autoptr (JsonArray) array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  GVariantIter iter;
  const gchar *endpoint, *source;
  guint64 age;

  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&s&st)", &endpoint, &source, &age))
    {
      JsonObject *candidate = json_object_new ();

      json_object_set_string_member (candidate, "endpoint", endpoint);
      json_object_set_string_member (candidate, "source", source);
      json_object_set_int_member (candidate, "age", (gint64) MIN (age, (guint64) G_MAXINT64));
      json_array_add_object_element (array, candidate);
    }
  json_node_set_array (node, array);
  return node;
}

JsonNode *
ctl_json_value (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("a{su}")))
    return json_counts (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("a(sst)")))
    return json_candidates (value);
  return json_gvariant_serialize (value);
}

void
ctl_json_add_properties (JsonObject *object, GDBusProxy *proxy)
{
  GDBusInterfaceInfo *info = g_dbus_proxy_get_interface_info (proxy);

  for (GDBusPropertyInfo **p = info->properties; p != NULL && *p != NULL; p++)
    {
      g_autoptr (GVariant) value = g_dbus_proxy_get_cached_property (proxy, (*p)->name);
      g_autofree gchar *name = ctl_json_name ((*p)->name);

      /* A property an older daemon does not have is left out. */
      if (value != NULL)
        json_object_set_member (object, name, ctl_json_value (value));
    }
}

void
ctl_json_add_changed (JsonObject *object, GVariant *changed)
{
  GVariantIter iter;
  const gchar *property;
  GVariant *value;

  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &property, &value))
    {
      g_autofree gchar *name = ctl_json_name (property);

      json_object_set_member (object, name, ctl_json_value (value));
      g_variant_unref (value);
    }
}

int
ctl_json_print (const gchar *command, JsonNode *node, gboolean one_line)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree gchar *text = NULL;
  g_autofree gchar *line = NULL;

  json_generator_set_pretty (generator, !one_line);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  line = g_strconcat (text, "\n", NULL);
  return ctl_io_print (command, line);
}
