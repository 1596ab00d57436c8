/* redis-sentinel.h — where the Redis primary is, for both of the
 * server's connections to it (store-redis.c and push-redis.c): the
 * location itself for redis:// and unix:, or, for sentinel://, the
 * address Redis Sentinel gives for the primary's name.
 *
 * Sentinel is asked at every connect, so that after a failover the
 * next connect reaches the new primary; a connection to the old one
 * fails (it is gone) or answers READONLY (it came back as a replica),
 * and both make the caller connect again. */
#pragma once

#include <glib.h>

#include "store-location.h"

/* A redis:// or unix: location to connect to: a copy of where unless it
 * is a sentinel:// one, whose Sentinels are then asked in turn, each
 * within timeout_ms; NULL and why each of them failed when none knew. */
RdvStoreLocation *rdv_redis_locate_primary (const RdvStoreLocation *where, guint timeout_ms,
                                            GError **error);
/* Whether a Redis error reply says the server is a replica now. */
gboolean rdv_redis_error_is_readonly (const gchar *message);
