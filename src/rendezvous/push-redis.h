/* push-redis.h — push across servers: a second connection to the
 * shared Redis, subscribed to the channel of each mesh this server has
 * watchers of (push-message.h), on the GLib main loop. Every record the
 * store's put script publishes, on any server, comes back here and is
 * handed to on_record. The connection comes back by itself after Redis
 * went away; then on_resumed is called for each mesh once its
 * subscription holds again, since what was published meanwhile is lost. */
#pragma once

#include <glib.h>

#include "store-location.h"
#include "store.h"

typedef struct _RdvPushRedis RdvPushRedis;

typedef void (*RdvPushRecordFunc) (const RdvStoredRecord *r, gpointer user_data);
typedef void (*RdvPushResumedFunc) (const guint8 mesh_key[WGD_KEY_LEN], gpointer user_data);

/* Connects in the background: nothing fails here. */
RdvPushRedis *rdv_push_redis_new (const RdvStoreLocation *where, const gchar *password,
                                  RdvPushRecordFunc on_record, RdvPushResumedFunc on_resumed,
                                  gpointer user_data);
void rdv_push_redis_free (RdvPushRedis *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RdvPushRedis, rdv_push_redis_free)

/* Whether this server wants the records of mesh_key (it has watchers). */
void rdv_push_redis_want (RdvPushRedis *p, const guint8 mesh_key[WGD_KEY_LEN], gboolean want);
