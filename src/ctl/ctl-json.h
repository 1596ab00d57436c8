/* ctl-json.h — the online commands' --json output: the D-Bus API's
 * objects and values as JSON, named as wgdiscoverctl(1) documents
 * (a property's name in snake_case: WireGuardKey is wireguard_key). */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

/* The JSON field name of a property. */
gchar *ctl_json_name (const gchar *property);
/* A property's value: a{su} an object, a(sst) an array of
 * {endpoint, source, age}, the rest as json_gvariant_serialize makes it. */
JsonNode *ctl_json_value (GVariant *value);
/* Adds every property proxy holds to object, in the XML's order. */
void ctl_json_add_properties (JsonObject *object, GDBusProxy *proxy);
/* Adds the properties of a{sv} (from PropertiesChanged) to object. */
void ctl_json_add_changed (JsonObject *object, GVariant *changed);
/* Prints node and a newline: indented, or on one line (for monitor). */
int ctl_json_print (const gchar *command, JsonNode *node, gboolean one_line);
