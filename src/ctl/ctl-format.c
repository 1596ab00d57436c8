/* ctl-format.c — human forms of the D-Bus API's values. */
#include "config.h"

#include <inttypes.h>
#include <glib/gi18n.h>

#include "ctl-format.h"

typedef enum {
  KIND_TIME,
  KIND_SIZE,
} ValueKind;

/* The properties whose numbers are not plain counts. */
static const struct {
  const gchar *property;
  ValueKind kind;
} value_kinds[] = {
  { "LatestHandshake", KIND_TIME },
  { "LastSeen", KIND_TIME },
  { "RxBytes", KIND_SIZE },
  { "TxBytes", KIND_SIZE },
};

/* EndpointReason (docs/dbus-api.md) and its short form. */
static const struct {
  const gchar *reason;
  const gchar *source;
} sources[] = {
  { "LAN address on a subnet we share", "subnet" },
  { "LAN address", "lan" },
  { "public address as seen from outside", "public" },
  { "configured address", "configured" },
  { "roamed", "roamed" },
  { "restored", "restored" },
  { "", "-" },
};

gchar *
ctl_format_ago (guint64 then, guint64 now)
{
  guint64 age = now > then ? now - then : 0;

  if (then == 0)
    return g_strdup (_("never"));
  if (age < 60)
    return g_strdup_printf (_("%" PRIu64 " s ago"), age);
  if (age < 60 * 60)
    return g_strdup_printf (_("%" PRIu64 " min ago"), age / 60);
  if (age < 24 * 60 * 60)
    return g_strdup_printf (_("%" PRIu64 " h ago"), age / (60 * 60));
  return g_strdup_printf (_("%" PRIu64 " d ago"), age / (24 * 60 * 60));
}

gchar *
ctl_format_time (guint64 then, guint64 now)
{
  g_autoptr (GDateTime) time = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *ago = NULL;

  if (then == 0 || then > G_MAXINT64
      || (time = g_date_time_new_from_unix_local ((gint64) then)) == NULL)
    return ctl_format_ago (then, now);
  text = g_date_time_format (time, "%F %T");
  ago = ctl_format_ago (then, now);
  return g_strdup_printf ("%s (%s)", text, ago);
}

gchar *
ctl_format_size (guint64 bytes)
{
  g_autofree gchar *text = g_format_size (bytes);
  g_autoptr (GString) plain = g_string_new (text);

  /* GLib puts a no-break space before "kB" but not before "bytes": one
   * kind of space, which any terminal and script takes. */
  g_string_replace (plain, "\u00a0", " ", 0);
  return g_strdup (plain->str);
}

const gchar *
ctl_format_source (const gchar *reason)
{
  for (gsize i = 0; i < G_N_ELEMENTS (sources); i++)
    if (g_strcmp0 (reason, sources[i].reason) == 0)
      return sources[i].source;
  return reason;
}

static gchar *
format_counts (GVariant *value)
{
  g_autoptr (GString) text = g_string_new (NULL);
  GVariantIter iter;
  const gchar *key;
  guint32 count;

  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "{&su}", &key, &count))
    if (count > 0)
      g_string_append_printf (text, "%s%s %" G_GUINT32_FORMAT, text->len ? ", " : "", key,
                              count);
  return text->len > 0 ? g_strdup (text->str) : g_strdup (_("none"));
}

static gchar *
format_candidates (GVariant *value)
{
  g_autoptr (GString) text = g_string_new (NULL);
  GVariantIter iter;
  const gchar *endpoint, *source;
  guint64 age;

  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&s&st)", &endpoint, &source, &age))
    /* Translators: an endpoint, where it was heard (mdns) and how many seconds ago. */
    g_string_append_printf (text, _("%s%s (%s, %" PRIu64 " s ago)"), text->len ? ", " : "",
                            endpoint, source, age);
  return text->len > 0 ? g_strdup (text->str) : g_strdup (_("none"));
}

gchar *
ctl_format_value (const gchar *property, GVariant *value, guint64 now)
{
  for (gsize i = 0; i < G_N_ELEMENTS (value_kinds); i++)
    if (g_str_equal (property, value_kinds[i].property)
        && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
      switch (value_kinds[i].kind)
        {
        case KIND_TIME:
          return ctl_format_time (g_variant_get_uint64 (value), now);
        case KIND_SIZE:
          return ctl_format_size (g_variant_get_uint64 (value));
        }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return g_strdup (g_variant_get_boolean (value) ? _("yes") : _("no"));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
      || g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH))
    {
      const gchar *s = g_variant_get_string (value, NULL);

      return g_strdup (*s != '\0' ? s : "-");
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("a{su}")))
    return format_counts (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("a(sst)")))
    return format_candidates (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("ao")))
    {
      g_autofree const gchar **paths = g_variant_get_objv (value, NULL);

      return *paths != NULL ? g_strjoinv (", ", (gchar **) paths) : g_strdup (_("none"));
    }
  return g_variant_print (value, FALSE);
}
