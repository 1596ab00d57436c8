/* test-endpoint-host.c — Endpoint= values split as wg(8) splits them,
 * host names checked strictly, and every refusal saying why. */
#include "config.h"

#include <string.h>

#include "endpoint-host.h"
#include "wgd-error.h"

static void
test_accepted (void)
{
  const struct {
    const gchar *text, *host;
    guint port;
    gboolean literal;
    const gchar *canonical;
  } cases[] = {
    { "vpn.example.org:51820", "vpn.example.org", 51820, FALSE, NULL },
    { "VPN.Example.ORG:1", "VPN.Example.ORG", 1, FALSE, NULL },
    { "localhost:65535", "localhost", 65535, FALSE, NULL },
    { "home.example.org.:51820", "home.example.org.", 51820, FALSE, NULL },
    { "a-b.c0:7", "a-b.c0", 7, FALSE, NULL },
    { "xn--bcher-kva.example:443", "xn--bcher-kva.example", 443, FALSE, NULL },
    { "192.0.2.1:51820", "192.0.2.1", 51820, TRUE, NULL },
    { "[192.0.2.1]:51820", "192.0.2.1", 51820, TRUE, "192.0.2.1:51820" },
    { "[host.example]:9", "host.example", 9, FALSE, "host.example:9" },
    { "[2001:db8::1]:51820", "2001:db8::1", 51820, TRUE, NULL },
    { "[fe80::1%eth0]:51820", "fe80::1%eth0", 51820, TRUE, NULL },
    { "[fe80::1%2]:51820", "fe80::1%2", 51820, TRUE, NULL },
    /* wg(8) splits at the last ':' without brackets. */
    { "2001:db8::1:51820", "2001:db8::1", 51820, TRUE, "[2001:db8::1]:51820" },
    { "example.org:051820", "example.org", 51820, FALSE, "example.org:51820" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (WgdHostEndpoint) e = wgd_host_endpoint_parse (cases[i].text, &error);
      g_autofree gchar *back = NULL;

      g_assert_no_error (error);
      g_assert_nonnull (e);
      g_assert_cmpstr (e->host, ==, cases[i].host);
      g_assert_cmpuint (e->port, ==, cases[i].port);
      g_assert_cmpint (e->literal, ==, cases[i].literal);
      back = wgd_host_endpoint_to_string (e);
      g_assert_cmpstr (back, ==, cases[i].canonical ? cases[i].canonical : cases[i].text);
    }
}

static void
test_refused (void)
{
  g_autofree gchar *a64 = g_strnfill (64, 'a');
  g_autofree gchar *long_label = g_strdup_printf ("%s.example:1", a64);
  g_autofree gchar *long_name = NULL;
  g_autofree gchar *too_long = g_strnfill (WGD_HOST_ENDPOINT_TEXT_MAX + 1, 'a');
  GString *name = g_string_new (NULL);
  const struct {
    const gchar *text, *message;
  } cases[] = {
    { "", "endpoint '': is empty" },
    { "example.org", "endpoint 'example.org': no ':PORT' at the end" },
    { "example.org:", "endpoint 'example.org:': no port after ':'" },
    { "example.org:0", "endpoint 'example.org:0': port 0 is out of range (1 to 65535)" },
    { "example.org:65536", "port 65536 is out of range" },
    { "example.org:99999999999999999999", "is out of range" },
    { "example.org:https", "the port is not a decimal number" },
    { "example.org:+1", "the port is not a decimal number" },
    { "example.org:1 ", "the port is not a decimal number" },
    { "example.org:-1", "the port is not a decimal number" },
    { ":51820", "no host before the port" },
    { "[]:51820", "no host before the port" },
    { "[2001:db8::1:51820", "no ']' after '['" },
    { "[2001:db8::1]51820", "no ':PORT' after ']'" },
    { "[2001:db8::1]", "no ':PORT' after ']'" },
    { "[2001:db8::1]:", "no port after ':'" },
    { "2001:db8::g:51820", "the host has a ':' but is not an IPv6 address" },
    { "[192.0.2.1%eth0]:1", "needs an IPv6 address before it" },
    { "[fe80::1%]:1", "the scope id after '%' is not an interface name" },
    { "[fe80::1%a/b]:1", "the scope id after '%' is not an interface name" },
    { "[fe80::1%0123456789abcdef]:1", "the scope id after '%' is not an interface name" },
    /* Found by fuzz-ifconf: "[192::%eth0]]:51820" would not read back. */
    { "192::%eth0]:51820", "the scope id after '%' is not an interface name" },
    { "host_name.example:1", "only letters, digits, '-' and '.'" },
    { "host name:1", "only letters, digits, '-' and '.'" },
    { "h\xc3\xa9.example:1", "only letters, digits, '-' and '.'" },
    { "a..b:1", "no empty labels" },
    { ".example:1", "no empty labels" },
    { "example..:1", "no empty labels" },
    { "-a.example:1", "neither starts nor ends with '-'" },
    { "a-.example:1", "neither starts nor ends with '-'" },
    { long_label, "at most 63 characters" },
    { "1.2.3:51820", "neither an IPv4 address nor a host name" },
    { "192.0.2.256:1", "neither an IPv4 address nor a host name" },
    { "010.0.0.1:1", "neither an IPv4 address nor a host name" },
    { "example.123:1", "the last label is all digits" },
    { "bad\nline:1", "endpoint 'bad\\nline:1': " },
    { too_long, "longer than 300 characters" },
  };

  /* 127 labels of one letter: 253 characters with the dots, one more
   * label is too long. */
  for (guint i = 0; i < 128; i++)
    g_string_append (name, i ? ".a" : "a");
  g_string_append (name, ":1");
  long_name = g_string_free (name, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (WgdHostEndpoint) e = wgd_host_endpoint_parse (cases[i].text, &error);

      g_assert_null (e);
      g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("'%s': message '%s' lacks '%s'", cases[i].text, error->message,
                 cases[i].message);
      /* Whatever the input, the message is one printable line. */
      for (const gchar *p = error->message; *p != '\0'; p++)
        g_assert_true (g_ascii_isprint (*p));
    }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (WgdHostEndpoint) e = wgd_host_endpoint_parse (long_name, &error);

    g_assert_null (e);
    g_assert_nonnull (strstr (error->message, "at most 253 characters"));
    /* The echo is cut. */
    g_assert_nonnull (strstr (error->message, "..."));
  }
  {
    /* One label less: 253 characters, accepted. */
    g_autofree gchar *ok = g_strdup (long_name + 2);
    g_autoptr (GError) error = NULL;
    g_autoptr (WgdHostEndpoint) e = wgd_host_endpoint_parse (ok, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (strlen (e->host), ==, 253);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/endpoint-host/accepted", test_accepted);
  g_test_add_func ("/endpoint-host/refused", test_refused);
  return g_test_run ();
}
