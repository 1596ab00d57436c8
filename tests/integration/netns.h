/* netns.h — what the namespace tests share: a network namespace of the
 * test's own, entered by the test process, and running commands in it. */
#pragma once

#include <glib.h>

typedef struct _TestNetns TestNetns;

/* Creates a namespace named PREFIX-PID and moves this thread into it, so
 * netlink sockets and spawned commands all live there. */
TestNetns *test_netns_enter (const gchar *prefix);
/* Kills what still runs in it, returns home and deletes it. */
void test_netns_leave (TestNetns *ns);
const gchar *test_netns_name (const TestNetns *ns);

/* Runs a shell command; the test fails if it does. */
void test_run (const gchar *format, ...) G_GNUC_PRINTF (1, 2);
/* Runs a shell command and returns its standard output. */
gchar *test_run_output (const gchar *format, ...) G_GNUC_PRINTF (1, 2);
