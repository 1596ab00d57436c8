/* test-address-monitor.c — the rtnetlink address monitor against the
 * real kernel, in a network namespace of its own: addresses added and
 * removed on a veth, its link going down and up, and the link deleted;
 * links appearing, renamed and going; routes added through a link. */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "address-monitor.h"
#include "netns.h"

typedef struct {
  TestNetns *ns;
  GMainContext *context;
  WgdAddressMonitor *monitor;
  GPtrArray *events;            /* "+10.0.0.1/24@va", "-…" */
} Fixture;

static gchar *
address_to_string (const WgdLocalAddress *a)
{
  g_autoptr (GInetAddress) inet =
    g_inet_address_new_from_bytes (a->address, a->family == 4 ? G_SOCKET_FAMILY_IPV4
                                                               : G_SOCKET_FAMILY_IPV6);
  g_autofree gchar *s = g_inet_address_to_string (inet);

  return g_strdup_printf ("%s/%u@%s", s, a->prefix_length, a->ifname);
}

static void
on_event (WgdAddressMonitor *monitor, WgdAddressEvent event, const WgdLocalAddress *address,
          gpointer user_data)
{
  Fixture *f = user_data;
  g_autofree gchar *s = address_to_string (address);

  g_ptr_array_add (f->events, g_strdup_printf ("%c%s", event == WGD_ADDRESS_ADDED ? '+' : '-', s));
}

static void
on_link (WgdAddressMonitor *monitor, WgdLinkEvent event, guint32 ifindex, const gchar *ifname,
         gpointer user_data)
{
  Fixture *f = user_data;

  char sign = '?';

  g_assert_cmpuint (ifindex, >, 0);
  switch (event)
    {
    case WGD_LINK_ADDED:
      sign = '+';
      break;
    case WGD_LINK_REMOVED:
      sign = '-';
      break;
    case WGD_LINK_ROUTED:
      sign = '>';
      break;
    }
  g_ptr_array_add (f->events, g_strdup_printf ("link%c%s", sign, ifname));
}

static gboolean
has_event (Fixture *f, const gchar *event)
{
  for (guint i = 0; i < f->events->len; i++)
    if (g_strcmp0 (g_ptr_array_index (f->events, i), event) == 0)
      return TRUE;
  return FALSE;
}

/* Iterates the main loop until the event arrives; fails after 10 s. */
static void
wait_event (Fixture *f, const gchar *event)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!has_event (f, event))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree gchar *seen = NULL;

          g_ptr_array_add (f->events, NULL);
          seen = g_strjoinv (" ", (gchar **) f->events->pdata);
          g_error ("no event %s within 10 s; saw: %s", event, seen);
        }
      g_main_context_iteration (f->context, FALSE);
      g_usleep (1000);
    }
}

static gboolean
current_has (Fixture *f, const gchar *wanted)
{
  g_autoptr (GArray) now = wgd_address_monitor_get_addresses (f->monitor);

  for (guint i = 0; i < now->len; i++)
    {
      g_autofree gchar *s = address_to_string (&g_array_index (now, WgdLocalAddress, i));

      if (g_strcmp0 (s, wanted) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->ns = test_netns_enter ();
  f->context = g_main_context_ref_thread_default ();
  f->events = g_ptr_array_new_with_free_func (g_free);
  test_run ("ip link add va type veth peer name vb");
  test_run ("ip addr add 10.200.0.9/24 dev va");
  f->monitor = wgd_address_monitor_new (on_event, f, &error);
  g_assert_no_error (error);
  g_assert_true (wgd_address_monitor_set_link_func (f->monitor, on_link, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  wgd_address_monitor_free (f->monitor);
  test_netns_leave (f->ns);
  g_ptr_array_unref (f->events);
  g_main_context_unref (f->context);
}

static void
test_events (Fixture *f, gconstpointer data)
{
  /* va is down: its address exists but is not usable yet. */
  g_assert_false (current_has (f, "10.200.0.9/24@va"));
  g_assert_cmpuint (f->events->len, ==, 0);

  test_run ("ip link set vb up");
  test_run ("ip link set va up");
  wait_event (f, "+10.200.0.9/24@va");
  g_assert_true (current_has (f, "10.200.0.9/24@va"));

  test_run ("ip addr add 10.200.0.1/24 dev va");
  wait_event (f, "+10.200.0.1/24@va");
  test_run ("ip addr add 2001:db8::1/64 dev va nodad");
  wait_event (f, "+2001:db8::1/64@va");
  g_assert_true (current_has (f, "2001:db8::1/64@va"));

  test_run ("ip addr del 10.200.0.1/24 dev va");
  wait_event (f, "-10.200.0.1/24@va");
  g_assert_false (current_has (f, "10.200.0.1/24@va"));

  /* The peer end going down takes the carrier, and so the address. */
  test_run ("ip link set vb down");
  wait_event (f, "-10.200.0.9/24@va");
  g_assert_false (current_has (f, "10.200.0.9/24@va"));
  g_ptr_array_set_size (f->events, 0);
  test_run ("ip link set vb up");
  wait_event (f, "+10.200.0.9/24@va");

  test_run ("ip link del va");
  wait_event (f, "-10.200.0.9/24@va");
  g_assert_false (current_has (f, "10.200.0.9/24@va"));
  g_assert_false (current_has (f, "2001:db8::1/64@va"));
}

static void
test_rename (Fixture *f, gconstpointer data)
{
  test_run ("ip link set va name vx");
  test_run ("ip link set vb up");
  test_run ("ip link set vx up");
  /* Events carry the interface's current name. */
  wait_event (f, "+10.200.0.9/24@vx");
}

/* Links that come, get renamed and go: how the daemon learns of a
 * WireGuard interface created after it started. Those there at the
 * start are no event. */
static void
test_links (Fixture *f, gconstpointer data)
{
  test_run ("ip link add wgl0 type veth peer name wgl0p");
  wait_event (f, "link+wgl0");
  wait_event (f, "link+wgl0p");
  test_run ("ip link set wgl0 name wgl1");
  wait_event (f, "link-wgl0");
  wait_event (f, "link+wgl1");
  test_run ("ip link del wgl1");
  wait_event (f, "link-wgl1");
  wait_event (f, "link-wgl0p");
  g_assert_false (has_event (f, "link+va"));
  g_assert_false (has_event (f, "link+vb"));
}

/* A route added or removed through a link is an event of that link, as
 * wg-quick and NetworkManager route a new WireGuard peer's allowed-ips
 * and NetworkManager and networkd remove that route with the peer; a
 * route through another link is not. */
static void
test_routes (Fixture *f, gconstpointer data)
{
  test_run ("ip link set va up");
  /* No IPv6 address of its own: no routes of the kernel's come later. */
  test_run ("ip link add wgr0 type veth peer name wgr0p");
  test_run ("ip link set wgr0 addrgenmode none");
  test_run ("ip link set wgr0 up");
  test_run ("ip link set wgr0p up");
  test_run ("ip route add 10.201.0.7/32 dev wgr0");
  wait_event (f, "link>wgr0");
  g_ptr_array_set_size (f->events, 0);
  test_run ("ip -6 route add 2001:db8:7::/64 dev wgr0");
  wait_event (f, "link>wgr0");
  /* A route through va marks the point up to which the events were
   * read (rtnetlink keeps their order); after it, one more through va
   * is no event of wgr0. */
  test_run ("ip route add 10.202.0.0/16 dev va");
  wait_event (f, "link>va");
  g_ptr_array_set_size (f->events, 0);
  test_run ("ip route add 10.204.0.0/16 dev va");
  wait_event (f, "link>va");
  g_assert_false (has_event (f, "link>wgr0"));
  g_ptr_array_set_size (f->events, 0);
  test_run ("ip route del 10.201.0.7/32 dev wgr0");
  wait_event (f, "link>wgr0");
  g_ptr_array_set_size (f->events, 0);
  test_run ("ip -6 route del 2001:db8:7::/64 dev wgr0");
  wait_event (f, "link>wgr0");
}

static void
test_needs_root (void)
{
  g_test_skip ("network namespaces need root");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (geteuid () != 0)
    {
      g_test_add_func ("/address-monitor/needs-root", test_needs_root);
      return g_test_run ();
    }
  g_test_add ("/address-monitor/events", Fixture, NULL, fixture_set_up, test_events,
              fixture_tear_down);
  g_test_add ("/address-monitor/rename", Fixture, NULL, fixture_set_up, test_rename,
              fixture_tear_down);
  g_test_add ("/address-monitor/links", Fixture, NULL, fixture_set_up, test_links,
              fixture_tear_down);
  g_test_add ("/address-monitor/routes", Fixture, NULL, fixture_set_up, test_routes,
              fixture_tear_down);
  return g_test_run ();
}
