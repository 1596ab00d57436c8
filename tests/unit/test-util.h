/* test-util.h — fixtures shared by the unit tests: hex, the known-answer
 * vectors file, fixed keys, and records built field by field. */
#pragma once

#include <glib.h>

#include "announcement.h"
#include "keys.h"

/* Decodes hex into a new GBytes; aborts the test on bad hex. */
GBytes *test_hex_decode (const gchar *hex);
gchar *test_hex_encode (const guint8 *data, gsize len);

/* tests/data/vectors.ini, from $WGD_TEST_DATA or the source tree. */
GKeyFile *test_vectors_load (void);
/* A hex value of the vectors file as bytes. */
GBytes *test_vectors_get_bytes (GKeyFile *vectors, const gchar *group, const gchar *key);
guint64 test_vectors_get_u64 (GKeyFile *vectors, const gchar *group, const gchar *key);

/* A key pair whose seed is n repeated: distinct, reproducible keys. */
WgdKeyPair *test_key_pair (guint8 n);

/* Appends one field (type, length, value) to a record body. */
void test_field_append (GByteArray *body, guint8 type, const void *value, gsize len);
void test_field_append_u64 (GByteArray *body, guint8 type, guint64 value);
void test_field_append_u32 (GByteArray *body, guint8 type, guint32 value);
/* The four required fields for an identity with its derived WireGuard key. */
void test_fields_required (GByteArray *body, const WgdKeyPair *id, guint64 timestamp,
                           guint32 lifetime);
/* version 1 | body | signature: a record signed over arbitrary fields, so
 * tests can build what the encoder never would. */
GBytes *test_record_sign (const WgdKeyPair *id, GByteArray *body);

/* A signed announcement with derived keys and one endpoint. */
WgdAnnouncement *test_announcement_new (const WgdKeyPair *id, guint64 timestamp,
                                        guint32 lifetime);

/* Random sources for the rendezvous client's jitter (WgdRdvRandomFunc):
 * always the largest draw below upper, or always 0. */
guint32 test_random_max (guint32 upper, gpointer user_data);
guint32 test_random_zero (guint32 upper, gpointer user_data);
