/* push-message.h — what goes over a mesh's Redis channel when a record
 * of the mesh is stored (docs/rendezvous.md 4.2): the channel's name and
 * the message, "HEX(WireGuard key) TIMESTAMP EXPIRES " and then the
 * record's bytes. The store's put script publishes it (store-redis.c);
 * the subscriber (push-redis.c) decodes it into the record its watchers
 * are sent. Pure: no I/O. */
#pragma once

#include <glib.h>

#include "store.h"

/* Redis's channels are not per database: the database is in the name,
 * so that two fleets in two databases of one Redis stay apart. */
#define RDV_PUSH_CHANNEL_PREFIX "wgdiscover:rdv:push:"

gchar *rdv_push_channel (guint db, const guint8 mesh_key[WGD_KEY_LEN]);
/* The mesh a channel of database db is for; FALSE for any other name. */
gboolean rdv_push_channel_parse (guint db, const gchar *channel, gsize len,
                                 guint8 mesh_key[WGD_KEY_LEN]);
/* The message as the put script builds it (for tests and seeds). */
GBytes *rdv_push_message_encode (const RdvStoredRecord *r);
/* The record of mesh_key a message carries; NULL and an error when the
 * message is malformed. */
RdvStoredRecord *rdv_push_message_decode (const guint8 mesh_key[WGD_KEY_LEN], const guint8 *data,
                                          gsize len, GError **error);
