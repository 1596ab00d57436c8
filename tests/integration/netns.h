/* netns.h — what the namespace tests share: a network namespace of the
 * test's own, entered by the test process, and running commands in it. */
#pragma once

#include <glib.h>

typedef struct _TestNetns TestNetns;

/* Moves this thread into a new network namespace, so netlink sockets and
 * spawned commands all live there. It has no name: it goes away with
 * the last process in it, never left behind by a test that failed.
 * (Under `make check` every test also runs in tests/sandbox, whose PID
 * namespace ends whatever the test started.) */
TestNetns *test_netns_enter (void);
/* Returns home; the namespace goes once nothing runs in it. */
void test_netns_leave (TestNetns *ns);

/* Runs a shell command; the test fails if it does. */
void test_run (const gchar *format, ...) G_GNUC_PRINTF (1, 2);
/* Runs a shell command and returns its standard output. */
gchar *test_run_output (const gchar *format, ...) G_GNUC_PRINTF (1, 2);
