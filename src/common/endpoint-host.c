/* endpoint-host.c — parsing Endpoint= values the way wg(8) splits them,
 * but checking the host strictly, since the daemon hands it to DNS. */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>
#include <glib/gi18n.h>

#include "endpoint-host.h"
#include "wgd-error.h"

/* What a message shows of the text: escaped (it may hold anything) and
 * cut, so that a hostile value neither floods nor forges a log line. */
#define ECHO_MAX 64

static gchar *
echo_text (const gchar *text, gsize len)
{
  g_autofree gchar *cut = g_strndup (text, MIN (len, ECHO_MAX));

  if (len > ECHO_MAX)
    {
      g_autofree gchar *escaped = g_strescape (cut, NULL);

      return g_strconcat (escaped, "...", NULL);
    }
  return g_strescape (cut, NULL);
}

static gpointer G_GNUC_PRINTF (3, 4)
endpoint_error (GError **error, const gchar *text, const gchar *format, ...)
{
  g_autofree gchar *echo = echo_text (text, strlen (text));
  g_autofree gchar *why = NULL;
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  /* Translators: "endpoint 'HOST:PORT': what is wrong with it". */
  g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID, _("endpoint '%s': %s"), echo, why);
  return NULL;
}

static gboolean
is_ipv4 (const gchar *host)
{
  struct in_addr a;

  return inet_pton (AF_INET, host, &a) == 1;
}

static gboolean
is_ipv6 (const gchar *host)
{
  struct in6_addr a;

  return inet_pton (AF_INET6, host, &a) == 1;
}

/* An interface name or number after '%'. The kernel allows more in a
 * name (dev_valid_name() refuses only '/', ':' and whitespace), but a
 * ']' or '%' there would make the endpoint text ambiguous. */
static gboolean
is_scope_id (const gchar *name)
{
  gsize len = strlen (name);

  if (len == 0 || len >= IFNAMSIZ || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return FALSE;
  for (const gchar *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_-.+=@", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* RFC 1123 host name; says why not in *why (a static string). */
static gboolean
is_host_name (const gchar *host, const gchar **why)
{
  gsize len = strlen (host);
  const gchar *label = host;
  gboolean all_digits = TRUE;

  if (len > 0 && host[len - 1] == '.')
    len--;
  if (len > 253)
    {
      *why = N_("a host name has at most 253 characters");
      return FALSE;
    }
  for (gsize i = 0; i <= len; i++)
    {
      gchar c = i < len ? host[i] : '.';

      if (c == '.')
        {
          gsize label_len = (gsize) (host + i - label);

          if (label_len == 0)
            {
              *why = N_("a host name has no empty labels");
              return FALSE;
            }
          if (label_len > 63)
            {
              *why = N_("a label of a host name has at most 63 characters");
              return FALSE;
            }
          if (label[0] == '-' || host[i - 1] == '-')
            {
              *why = N_("a label of a host name neither starts nor ends with '-'");
              return FALSE;
            }
          if (i < len)
            all_digits = TRUE;
          label = host + i + 1;
          continue;
        }
      if (!g_ascii_isalnum (c) && c != '-')
        {
          *why = N_("a host name has only letters, digits, '-' and '.'");
          return FALSE;
        }
      if (!g_ascii_isdigit (c))
        all_digits = FALSE;
    }
  if (all_digits)
    {
      *why = N_("neither an IPv4 address nor a host name (the last label is all digits)");
      return FALSE;
    }
  return TRUE;
}

WgdHostEndpoint *
wgd_host_endpoint_parse (const gchar *text, GError **error)
{
  g_autoptr (WgdHostEndpoint) endpoint = NULL;
  g_autofree gchar *host = NULL;
  const gchar *port_text;
  const gchar *why = NULL;
  const gchar *percent;
  guint64 port = 0;
  gsize len = strlen (text);

  if (len == 0)
    return endpoint_error (error, text, _("is empty"));
  if (len > WGD_HOST_ENDPOINT_TEXT_MAX)
    return endpoint_error (error, text, _("longer than %d characters"),
                           WGD_HOST_ENDPOINT_TEXT_MAX);
  if (text[0] == '[')
    {
      const gchar *close = strchr (text, ']');

      if (close == NULL)
        return endpoint_error (error, text, _("no ']' after '['"));
      if (close[1] != ':')
        return endpoint_error (error, text, _("no ':PORT' after ']'"));
      host = g_strndup (text + 1, (gsize) (close - text - 1));
      port_text = close + 2;
    }
  else
    {
      const gchar *colon = strrchr (text, ':');

      if (colon == NULL)
        return endpoint_error (error, text, _("no ':PORT' at the end"));
      host = g_strndup (text, (gsize) (colon - text));
      port_text = colon + 1;
    }
  if (port_text[0] == '\0')
    return endpoint_error (error, text, _("no port after ':'"));
  for (const gchar *p = port_text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return endpoint_error (error, text, _("the port is not a decimal number"));
  if (!g_ascii_string_to_unsigned (port_text, 10, 0, 65535, &port, NULL)
      || port == 0)
    return endpoint_error (error, text, _("port %s is out of range (1 to 65535)"), port_text);
  if (host[0] == '\0')
    return endpoint_error (error, text, _("no host before the port"));

  endpoint = g_new0 (WgdHostEndpoint, 1);
  endpoint->port = (guint16) port;
  percent = strchr (host, '%');
  if (percent != NULL)
    {
      g_autofree gchar *address = g_strndup (host, (gsize) (percent - host));

      if (!is_ipv6 (address))
        return endpoint_error (error, text, _("a scope id ('%%' and interface) needs an "
                                              "IPv6 address before it"));
      if (!is_scope_id (percent + 1))
        return endpoint_error (error, text, _("the scope id after '%%' is not an "
                                              "interface name or number"));
      endpoint->literal = TRUE;
    }
  else if (strchr (host, ':') != NULL)
    {
      if (!is_ipv6 (host))
        return endpoint_error (error, text, _("the host has a ':' but is not an IPv6 address"));
      endpoint->literal = TRUE;
    }
  else if (is_ipv4 (host))
    endpoint->literal = TRUE;
  else if (!is_host_name (host, &why))
    return endpoint_error (error, text, "%s", _(why));
  endpoint->host = g_steal_pointer (&host);
  return g_steal_pointer (&endpoint);
}

gchar *
wgd_host_endpoint_to_string (const WgdHostEndpoint *endpoint)
{
  if (strchr (endpoint->host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", endpoint->host, endpoint->port);
  return g_strdup_printf ("%s:%u", endpoint->host, endpoint->port);
}

void
wgd_host_endpoint_free (WgdHostEndpoint *endpoint)
{
  if (endpoint == NULL)
    return;
  g_free (endpoint->host);
  g_free (endpoint);
}
