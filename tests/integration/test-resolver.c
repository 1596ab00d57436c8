/* test-resolver.c — the c-ares resolver against a real DNS server:
 * dnsmasq, started by the test on 127.0.0.1:53 of a network namespace of
 * its own, named in a resolv.conf the test writes and the resolver reads
 * as it would /etc/resolv.conf. Records with TTLs: A only, AAAA only,
 * both, a CNAME, NXDOMAIN, no address, a record changed while dnsmasq
 * runs, an answer too large for UDP; a server that never answers (a
 * socket nobody reads), cancelling, freeing and reloading. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <gio/gio.h>

#include "netns.h"
#include "resolver.h"

/* A server that never answers: c-ares gives up after 2 + 4 s. */
#define SILENT_ADDRESS "127.0.0.3"

static gchar *dnsmasq_path;

typedef struct {
  TestNetns *ns;
  gchar *dir;
  gchar *resolv_conf;
  GPtrArray *servers;           /* GSubprocess: the dnsmasqs */
  GSocket *silent;
  WgdResolver *resolver;
} Fixture;

typedef struct {
  guint calls;
  GArray *addresses;
  GError *error;
  WgdResolver **free_resolver;  /* freed from the callback if set */
} Answer;

static void
answer_clear (Answer *a)
{
  g_clear_pointer (&a->addresses, g_array_unref);
  g_clear_error (&a->error);
  a->calls = 0;
}

static void
on_answer (WgdResolver *resolver, GArray *addresses, const GError *error, gpointer user_data)
{
  Answer *a = user_data;

  g_assert_true ((addresses == NULL) != (error == NULL));
  a->calls++;
  if (addresses != NULL)
    {
      g_assert_cmpuint (addresses->len, >, 0);
      a->addresses = g_array_ref (addresses);
    }
  else
    a->error = g_error_copy (error);
  if (a->free_resolver != NULL)
    g_clear_pointer (a->free_resolver, wgd_resolver_free);
}

static gboolean
on_expired (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop, blocking, until the answer is there: the
 * resolver's sockets and timeouts must wake it. Fails after seconds.
 * Returns how often the loop woke up. */
static guint
wait_answer (Answer *a, guint seconds)
{
  gboolean expired = FALSE;
  guint timer = g_timeout_add_seconds (seconds, on_expired, &expired);
  guint wakeups = 0;

  while (a->calls == 0 && !expired)
    {
      g_main_context_iteration (NULL, TRUE);
      wakeups++;
    }
  if (a->calls == 0)
    g_error ("no answer within %u s", seconds);
  g_source_remove (timer);
  return wakeups;
}

/* Runs the main loop for a while, for callbacks that must not come. */
static void
run_for (guint milliseconds)
{
  gboolean expired = FALSE;

  g_timeout_add (milliseconds, on_expired, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

/* Nothing left to watch and no timer: the context would sleep for
 * good, with only its own wake-up fd polled. */
static void
assert_idle (void)
{
  GMainContext *context = g_main_context_default ();
  GPollFD fds[8];
  gint priority;
  gint timeout;
  gint n;

  g_assert_true (g_main_context_acquire (context));
  g_main_context_prepare (context, &priority);
  n = g_main_context_query (context, priority, &timeout, fds, G_N_ELEMENTS (fds));
  g_main_context_check (context, priority, fds, MIN (n, (gint) G_N_ELEMENTS (fds)));
  g_main_context_release (context);
  g_assert_cmpint (timeout, ==, -1);
  g_assert_cmpint (n, ==, 1);
}

static Answer
lookup (Fixture *f, const gchar *host)
{
  Answer a = { 0 };

  wgd_resolver_lookup (f->resolver, host, on_answer, &a);
  wait_answer (&a, 20);
  g_assert_cmpuint (a.calls, ==, 1);
  return a;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

/* The answer as "address/ttl" strings, sorted. */
static gchar *
answer_to_string (const Answer *a)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (a->error);
  for (guint i = 0; i < a->addresses->len; i++)
    {
      const WgdResolverAddress *r = &g_array_index (a->addresses, WgdResolverAddress, i);
      g_autofree gchar *s = g_inet_address_to_string (r->address);

      g_assert_cmpint (r->family, ==, g_inet_address_get_family (r->address));
      g_ptr_array_add (parts, g_strdup_printf ("%s/%u", s, r->ttl));
    }
  g_ptr_array_sort (parts, compare_strings);
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" ", (gchar **) parts->pdata);
}

static void
assert_lookup (Fixture *f, const gchar *host, const gchar *expected)
{
  Answer a = lookup (f, host);
  g_autofree gchar *s = answer_to_string (&a);

  g_assert_cmpstr (s, ==, expected);
  answer_clear (&a);
}

static void
assert_lookup_fails (Fixture *f, const gchar *host, gint code)
{
  Answer a = lookup (f, host);

  g_assert_error (a.error, WGD_RESOLVER_ERROR, code);
  /* The message says which name failed. */
  g_assert_nonnull (strstr (a.error->message, host));
  g_test_message ("%s", a.error->message);
  answer_clear (&a);
}

static void
write_file (Fixture *f, const gchar *name, const gchar *contents)
{
  g_autofree gchar *path = g_build_filename (f->dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
write_resolv_conf (Fixture *f, const gchar *server)
{
  g_autofree gchar *contents = NULL;

  /* A search domain under which one of the names exists: it must never
   * be appended. */
  contents = g_strdup_printf ("search wgd.test\nnameserver %s\n", server);
  write_file (f, "resolv.conf", contents);
}

static void
child_setup (gpointer user_data)
{
  /* Gone with the test, even one that aborts. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Waits until something listens on address:53/udp in the namespace. */
static void
wait_listening (const gchar *address)
{
  g_autofree gchar *wanted = g_strdup_printf ("%s:53", address);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree gchar *out = test_run_output ("ss -Hlun");

      if (strstr (out, wanted) != NULL)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("dnsmasq does not listen on %s within 10 s: %s", wanted, out);
      g_usleep (10 * 1000);
    }
}

/* dnsmasq answering for wgd.test from its command line and from the
 * file hosts-NAME, NXDOMAIN for the rest of wgd.test and example, and
 * REFUSED for everything else (it has no upstream server). */
static GSubprocess *
start_dnsmasq (Fixture *f, const gchar *name, const gchar *address, const gchar *const *records)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, g_strdup (dnsmasq_path));
  g_ptr_array_add (argv, g_strdup ("--keep-in-foreground"));
  g_ptr_array_add (argv, g_strdup ("--conf-file=/dev/null"));
  g_ptr_array_add (argv, g_strdup ("--no-resolv"));
  g_ptr_array_add (argv, g_strdup ("--no-hosts"));
  g_ptr_array_add (argv, g_strdup ("--user=root"));
  g_ptr_array_add (argv, g_strdup ("--group=root"));
  g_ptr_array_add (argv, g_strdup ("--bind-interfaces"));
  g_ptr_array_add (argv, g_strdup_printf ("--listen-address=%s", address));
  g_ptr_array_add (argv, g_strdup ("--port=53"));
  g_ptr_array_add (argv, g_strdup ("--local=/wgd.test/"));
  g_ptr_array_add (argv, g_strdup ("--local=/example/"));
  g_ptr_array_add (argv, g_strdup ("--local-ttl=45"));
  g_ptr_array_add (argv, g_strdup_printf ("--pid-file=%s/dnsmasq-%s.pid", f->dir, name));
  g_ptr_array_add (argv, g_strdup ("--log-queries"));
  g_ptr_array_add (argv, g_strdup_printf ("--log-facility=%s/dnsmasq-%s.log", f->dir, name));
  g_ptr_array_add (argv, g_strdup_printf ("--addn-hosts=%s/hosts-%s", f->dir, name));
  for (guint i = 0; records[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (records[i]));
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const gchar *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_ptr_array_add (f->servers, process);
  wait_listening (address);
  return process;
}

/* The queries dnsmasq NAME logged. */
static gchar *
dnsmasq_log (Fixture *f, const gchar *name)
{
  g_autofree gchar *path = g_strdup_printf ("%s/dnsmasq-%s.log", f->dir, name);
  g_autoptr (GError) error = NULL;
  gchar *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* dnsmasq's log once it has the line (it writes it after answering). */
static gchar *
wait_log (Fixture *f, const gchar *name, const gchar *line)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  for (;;)
    {
      gchar *log = dnsmasq_log (f, name);

      if (strstr (log, line) != NULL)
        return log;
      if (g_get_monotonic_time () > deadline)
        g_error ("dnsmasq logs no \"%s\" within 10 s: %s", line, log);
      g_free (log);
      g_usleep (10 * 1000);
    }
}

static void
stop_server (gpointer data)
{
  GSubprocess *process = data;

  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait (process, NULL, NULL));
  g_object_unref (process);
}

static const gchar *const records_a[] = {
  "--host-record=v4.wgd.test,10.53.0.4,120",
  "--host-record=v6.wgd.test,fd53::6,130",
  "--host-record=dual.wgd.test,10.53.0.2,fd53::2,140",
  /* Shorter than its target's, and longer. */
  "--cname=alias.wgd.test,v4.wgd.test,30",
  "--cname=slow-alias.wgd.test,v4.wgd.test,600",
  "--txt-record=text.wgd.test,noaddress",
  "--host-record=xn--bcher-kva.wgd.test,10.53.0.8,60",
  /* Where the search domain would lead v4.example. */
  "--host-record=v4.example.wgd.test,10.53.0.99,60",
  NULL
};

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; records_a[i] != NULL; i++)
    g_ptr_array_add (records, g_strdup (records_a[i]));
  for (guint i = 1; i <= 40; i++)
    g_ptr_array_add (records, g_strdup_printf ("--host-record=many.wgd.test,10.55.0.%u,50", i));
  g_ptr_array_add (records, NULL);

  f->ns = test_netns_enter ();
  test_run ("ip link set lo up");
  f->dir = g_dir_make_tmp ("wgd-resolver-XXXXXX", &error);
  g_assert_no_error (error);
  f->servers = g_ptr_array_new_with_free_func (stop_server);
  write_file (f, "hosts-a", "10.53.0.7 changing.wgd.test\n");
  start_dnsmasq (f, "a", "127.0.0.1", (const gchar *const *) records->pdata);
  write_resolv_conf (f, "127.0.0.1");
  f->resolv_conf = g_build_filename (f->dir, "resolv.conf", NULL);
  f->resolver = wgd_resolver_new (f->resolv_conf, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->resolver);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->resolver, wgd_resolver_free);
  g_clear_object (&f->silent);
  g_ptr_array_unref (f->servers);
  test_run ("rm -rf '%s'", f->dir);
  g_free (f->dir);
  g_free (f->resolv_conf);
  test_netns_leave (f->ns);
}

/* A UDP socket on SILENT_ADDRESS:53 that nobody reads. */
static void
start_silent_server (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (SILENT_ADDRESS);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (inet, 53);

  f->silent = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                            G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (f->silent, address, FALSE, &error));
  g_assert_no_error (error);
}

static void
test_records (Fixture *f, gconstpointer data)
{
  assert_lookup (f, "v4.wgd.test", "10.53.0.4/120");
  assert_lookup (f, "v6.wgd.test", "fd53::6/130");
  assert_lookup (f, "dual.wgd.test", "10.53.0.2/140 fd53::2/140");
  /* A trailing dot, and case, change nothing. */
  assert_lookup (f, "V4.wgd.test.", "10.53.0.4/120");
  /* A CNAME's TTL bounds its target's. */
  assert_lookup (f, "alias.wgd.test", "10.53.0.4/30");
  assert_lookup (f, "slow-alias.wgd.test", "10.53.0.4/120");
  /* From dnsmasq's hosts file, with its --local-ttl. */
  assert_lookup (f, "changing.wgd.test", "10.53.0.7/45");
  /* An internationalised name goes out in its IDNA form. */
  assert_lookup (f, "bücher.wgd.test", "10.53.0.8/60");
  /* With nothing pending, nothing is watched and no timer runs. */
  assert_idle ();
}

static void
test_families (Fixture *f, gconstpointer data)
{
  Answer a = lookup (f, "dual.wgd.test");

  g_assert_cmpuint (a.addresses->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      const WgdResolverAddress *r = &g_array_index (a.addresses, WgdResolverAddress, i);

      g_assert_true (r->family == G_SOCKET_FAMILY_IPV4 || r->family == G_SOCKET_FAMILY_IPV6);
      g_assert_cmpint (g_inet_address_get_family (r->address), ==, r->family);
    }
  g_assert_cmpint (g_array_index (a.addresses, WgdResolverAddress, 0).family, !=,
                   g_array_index (a.addresses, WgdResolverAddress, 1).family);
  answer_clear (&a);
}

/* More addresses than a 512-byte UDP answer holds: dnsmasq truncates
 * it, and c-ares asks again over TCP, whose connect the resolver
 * watches for writing. */
static void
test_tcp (Fixture *f, gconstpointer data)
{
  g_autofree gchar *log = NULL;
  Answer a = lookup (f, "many.wgd.test");

  g_assert_no_error (a.error);
  g_assert_cmpuint (a.addresses->len, ==, 40);
  for (guint i = 0; i < a.addresses->len; i++)
    {
      const WgdResolverAddress *r = &g_array_index (a.addresses, WgdResolverAddress, i);

      g_assert_cmpint (r->family, ==, G_SOCKET_FAMILY_IPV4);
      g_assert_cmpuint (r->ttl, ==, 50);
    }
  answer_clear (&a);
  log = wait_log (f, "a", "query[A] many.wgd.test");
  /* Once over UDP, once over TCP. */
  g_assert_nonnull (strstr (strstr (log, "query[A] many.wgd.test") + 1,
                            "query[A] many.wgd.test"));
  assert_idle ();
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_autofree gchar *log = NULL;

  assert_lookup_fails (f, "missing.wgd.test", WGD_RESOLVER_ERROR_NOT_FOUND);
  /* The name exists (a TXT record) but has no address. */
  assert_lookup_fails (f, "text.wgd.test", WGD_RESOLVER_ERROR_NO_DATA);
  /* v4.example.wgd.test exists, but the search domain is never tried. */
  assert_lookup_fails (f, "v4.example", WGD_RESOLVER_ERROR_NOT_FOUND);
  log = wait_log (f, "a", "v4.example from");
  g_assert_null (strstr (log, "v4.example.wgd.test"));
  /* REFUSED, by the only server there is. */
  assert_lookup_fails (f, "elsewhere.org", WGD_RESOLVER_ERROR_SERVER_FAILED);
  /* Not names: nothing goes out. */
  assert_lookup_fails (f, "bad..wgd.test", WGD_RESOLVER_ERROR_INVALID_NAME);
  assert_lookup_fails (f, "bad name.wgd.test", WGD_RESOLVER_ERROR_INVALID_NAME);
  assert_lookup_fails (f, "127.1", WGD_RESOLVER_ERROR_INVALID_NAME);
  assert_lookup_fails (f, "10.53.0.4.5", WGD_RESOLVER_ERROR_INVALID_NAME);
  assert_lookup_fails (f, "", WGD_RESOLVER_ERROR_INVALID_NAME);
  g_free (log);
  log = dnsmasq_log (f, "a");
  g_assert_null (strstr (log, "bad"));
  g_assert_null (strstr (log, "127.1"));
  g_assert_null (strstr (log, "10.53.0.4.5"));
  assert_idle ();
}

/* Literals are answered as themselves, later, and never asked of DNS. */
static void
test_literals (Fixture *f, gconstpointer data)
{
  g_autofree gchar *log = NULL;
  Answer a = { 0 };

  wgd_resolver_lookup (f->resolver, "192.0.2.1", on_answer, &a);
  g_assert_cmpuint (a.calls, ==, 0);
  wait_answer (&a, 5);
  g_assert_cmpuint (a.calls, ==, 1);
  g_assert_cmpuint (a.addresses->len, ==, 1);
  g_assert_cmpint (g_array_index (a.addresses, WgdResolverAddress, 0).family, ==,
                   G_SOCKET_FAMILY_IPV4);
  g_assert_cmpuint (g_array_index (a.addresses, WgdResolverAddress, 0).ttl, ==,
                    WGD_RESOLVER_TTL_NONE);
  answer_clear (&a);
  assert_lookup (f, "2001:db8::1", "2001:db8::1/0");
  assert_lookup (f, "10.53.0.4", "10.53.0.4/0");
  log = dnsmasq_log (f, "a");
  g_assert_null (strstr (log, "192.0.2.1"));
  g_assert_null (strstr (log, "2001:db8::1"));
  g_assert_null (strstr (log, "query[A] 10.53.0.4"));
  assert_idle ();
}

/* dnsmasq re-reads its hosts file on SIGHUP (and says so once it has):
 * the next lookup has the new addresses, then none. */
static void
test_changed (Fixture *f, gconstpointer data)
{
  GSubprocess *dnsmasq = g_ptr_array_index (f->servers, 0);
  g_autofree gchar *read2 = g_strdup_printf ("read %s/hosts-a - 2 names", f->dir);
  g_autofree gchar *read0 = g_strdup_printf ("read %s/hosts-a - 0 names", f->dir);

  assert_lookup (f, "changing.wgd.test", "10.53.0.7/45");
  write_file (f, "hosts-a", "10.53.0.77 changing.wgd.test\nfd53::77 changing.wgd.test\n");
  g_subprocess_send_signal (dnsmasq, SIGHUP);
  g_free (wait_log (f, "a", read2));
  assert_lookup (f, "changing.wgd.test", "10.53.0.77/45 fd53::77/45");
  write_file (f, "hosts-a", "");
  g_subprocess_send_signal (dnsmasq, SIGHUP);
  g_free (wait_log (f, "a", read0));
  assert_lookup_fails (f, "changing.wgd.test", WGD_RESOLVER_ERROR_NOT_FOUND);
}

/* A server that never answers: a timeout error within a bound, and a
 * cancelled lookup to the same server that never calls back. */
static void
test_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  Answer a = { 0 };
  Answer cancelled = { 0 };
  WgdResolverLookup *l;
  gint64 start;
  gint64 elapsed;
  guint wakeups;

  start_silent_server (f);
  write_resolv_conf (f, SILENT_ADDRESS);
  g_assert_true (wgd_resolver_reload (f->resolver, &error));
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  l = wgd_resolver_lookup (f->resolver, "v4.wgd.test", on_answer, &cancelled);
  wgd_resolver_lookup (f->resolver, "v6.wgd.test", on_answer, &a);
  wgd_resolver_cancel (f->resolver, l);
  wakeups = wait_answer (&a, 30);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("%u wake-ups", wakeups);
  /* Woken by the two timeouts (and little else), not polling. */
  g_assert_cmpuint (wakeups, <=, 8);
  g_assert_error (a.error, WGD_RESOLVER_ERROR, WGD_RESOLVER_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (a.error->message, "v6.wgd.test"));
  g_test_message ("timed out after %.1f s: %s", elapsed / 1e6, a.error->message);
  /* 2 s, then 4 s: the options took. */
  g_assert_cmpint (elapsed, >=, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (elapsed, <, 15 * G_USEC_PER_SEC);
  answer_clear (&a);
  /* The cancelled query ended with the other one. */
  run_for (500);
  g_assert_cmpuint (cancelled.calls, ==, 0);
  assert_idle ();
}

/* Cancelled before dnsmasq answers: only the other lookup calls back,
 * though both answers arrive. */
static void
test_cancel (Fixture *f, gconstpointer data)
{
  Answer cancelled = { 0 };
  Answer literal = { 0 };
  Answer a = { 0 };
  WgdResolverLookup *l;

  l = wgd_resolver_lookup (f->resolver, "v4.wgd.test", on_answer, &cancelled);
  wgd_resolver_cancel (f->resolver, l);
  /* An answered lookup not yet handed on, too. */
  l = wgd_resolver_lookup (f->resolver, "192.0.2.1", on_answer, &literal);
  wgd_resolver_cancel (f->resolver, l);
  wgd_resolver_lookup (f->resolver, "v6.wgd.test", on_answer, &a);
  wait_answer (&a, 20);
  g_assert_no_error (a.error);
  answer_clear (&a);
  run_for (200);
  g_assert_cmpuint (cancelled.calls, ==, 0);
  g_assert_cmpuint (literal.calls, ==, 0);
  assert_idle ();
}

/* Freeing the resolver, also from a callback, calls nothing after. */
static void
test_free (Fixture *f, gconstpointer data)
{
  Answer first = { .free_resolver = &f->resolver };
  Answer second = { 0 };
  Answer pending = { 0 };
  g_autoptr (GError) error = NULL;

  /* Both answered in the same turn of the main loop. */
  wgd_resolver_lookup (f->resolver, "192.0.2.1", on_answer, &first);
  wgd_resolver_lookup (f->resolver, "192.0.2.2", on_answer, &second);
  wgd_resolver_lookup (f->resolver, "v4.wgd.test", on_answer, &pending);
  wait_answer (&first, 5);
  g_assert_null (f->resolver);
  run_for (200);
  g_assert_cmpuint (second.calls, ==, 0);
  g_assert_cmpuint (pending.calls, ==, 0);
  answer_clear (&first);

  /* With a query out to a server that does not answer. */
  start_silent_server (f);
  write_resolv_conf (f, SILENT_ADDRESS);
  f->resolver = wgd_resolver_new (f->resolv_conf, &error);
  g_assert_no_error (error);
  wgd_resolver_lookup (f->resolver, "v4.wgd.test", on_answer, &pending);
  run_for (100);
  g_clear_pointer (&f->resolver, wgd_resolver_free);
  run_for (100);
  g_assert_cmpuint (pending.calls, ==, 0);
  assert_idle ();
}

static const gchar *const records_b[] = {
  "--host-record=v4.wgd.test,10.54.0.4,70",
  NULL
};

/* A new resolv.conf takes effect on reload, for new lookups and for one
 * pending at an unanswering server; an unreadable one changes nothing. */
static void
test_reload (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  Answer a = { 0 };
  gint64 start;

  write_file (f, "hosts-b", "");
  start_dnsmasq (f, "b", "127.0.0.2", records_b);
  assert_lookup (f, "v4.wgd.test", "10.53.0.4/120");
  write_resolv_conf (f, "127.0.0.2");
  /* Read only on reload. */
  assert_lookup (f, "v4.wgd.test", "10.53.0.4/120");
  g_assert_true (wgd_resolver_reload (f->resolver, &error));
  g_assert_no_error (error);
  assert_lookup (f, "v4.wgd.test", "10.54.0.4/70");

  /* Pending at a server that never answers, then sent again to the new
   * one: answered long before the first would have timed out. */
  start_silent_server (f);
  write_resolv_conf (f, SILENT_ADDRESS);
  g_assert_true (wgd_resolver_reload (f->resolver, &error));
  start = g_get_monotonic_time ();
  wgd_resolver_lookup (f->resolver, "v4.wgd.test", on_answer, &a);
  run_for (300);
  g_assert_cmpuint (a.calls, ==, 0);
  write_resolv_conf (f, "127.0.0.1");
  g_assert_true (wgd_resolver_reload (f->resolver, &error));
  g_assert_no_error (error);
  wait_answer (&a, 20);
  g_assert_cmpuint (a.calls, ==, 1);
  g_assert_no_error (a.error);
  /* Well before the silent server would have timed out (6 s). */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  {
    g_autofree gchar *s = answer_to_string (&a);

    g_assert_cmpstr (s, ==, "10.53.0.4/120");
  }
  answer_clear (&a);

  /* A configuration that cannot be read: an error, and the old one on. */
  test_run ("rm '%s'", f->resolv_conf);
  g_assert_false (wgd_resolver_reload (f->resolver, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, f->resolv_conf));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  assert_lookup (f, "v4.wgd.test", "10.53.0.4/120");
  g_assert_null (wgd_resolver_new (f->resolv_conf, &error));
  g_assert_nonnull (error);
  assert_idle ();
}

static void
test_skip (void)
{
  g_test_skip (geteuid () != 0 ? "network namespaces need root" : "dnsmasq is not installed");
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* Debian's is in /usr/sbin, which a user's PATH may lack. */
  dnsmasq_path = g_find_program_in_path ("dnsmasq");
  if (dnsmasq_path == NULL && g_file_test ("/usr/sbin/dnsmasq", G_FILE_TEST_IS_EXECUTABLE))
    dnsmasq_path = g_strdup ("/usr/sbin/dnsmasq");
  if (geteuid () != 0 || dnsmasq_path == NULL)
    {
      g_test_add_func ("/resolver/skip", test_skip);
      return g_test_run ();
    }
  g_test_add ("/resolver/records", Fixture, NULL, fixture_set_up, test_records, fixture_tear_down);
  g_test_add ("/resolver/families", Fixture, NULL, fixture_set_up, test_families,
              fixture_tear_down);
  g_test_add ("/resolver/tcp", Fixture, NULL, fixture_set_up, test_tcp, fixture_tear_down);
  g_test_add ("/resolver/errors", Fixture, NULL, fixture_set_up, test_errors, fixture_tear_down);
  g_test_add ("/resolver/literals", Fixture, NULL, fixture_set_up, test_literals,
              fixture_tear_down);
  g_test_add ("/resolver/changed", Fixture, NULL, fixture_set_up, test_changed,
              fixture_tear_down);
  g_test_add ("/resolver/timeout", Fixture, NULL, fixture_set_up, test_timeout,
              fixture_tear_down);
  g_test_add ("/resolver/cancel", Fixture, NULL, fixture_set_up, test_cancel, fixture_tear_down);
  g_test_add ("/resolver/free", Fixture, NULL, fixture_set_up, test_free, fixture_tear_down);
  g_test_add ("/resolver/reload", Fixture, NULL, fixture_set_up, test_reload, fixture_tear_down);
  status = g_test_run ();
  g_free (dnsmasq_path);
  return status;
}
