/* ctl-format.h — the values of the D-Bus API in human form, for the
 * online commands' text output: times as "12 s ago", byte counts in
 * human units, endpoint reasons abbreviated, and any property's value. */
#pragma once

#include <glib.h>

/* "12 s ago", "3 min ago", "5 h ago", "2 d ago"; "never" for 0. */
gchar *ctl_format_ago (guint64 then, guint64 now);
/* A time in the local zone with how long ago it was; "never" for 0. */
gchar *ctl_format_time (guint64 then, guint64 now);
/* "1.2 kB" (SI units, as g_format_size, with a plain space). */
gchar *ctl_format_size (guint64 bytes);
/* A Peer's EndpointReason in a word: subnet, lan, public, configured,
 * roamed, restored; "-" when wgdiscoverd did not set the endpoint; an unknown
 * reason as it is. */
const gchar *ctl_format_source (const gchar *reason);
/* The value of a property of the API (named as in the XML) in words:
 * times and byte counts as above, booleans yes/no, counters per reason
 * only where non-zero, candidates with source and age, "-" for an empty
 * string. */
gchar *ctl_format_value (const gchar *property, GVariant *value, guint64 now);
