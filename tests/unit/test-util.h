/* test-util.h — fixtures shared by the unit tests: hex, the known-answer
 * vectors file, fixed keys, records built field by field, and files
 * under a temporary root. */
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

/* The base64 text of the key of 32 bytes of n. */
gchar *test_key_text (guint8 n);
/* text with @1, @2, … replaced by the key texts of 0x11, 0x22, …. */
gchar *test_with_keys (const gchar *text);
/* Writes root/rel (directories made as needed) with test_with_keys
 * (text), and sets its mode. */
void test_put (const gchar *root, const gchar *rel, const gchar *text, int mode);
/* root/rel as a symbolic link to target. */
void test_put_link (const gchar *root, const gchar *rel, const gchar *target);
/* Removes path and everything below it (links, not what they point to). */
void test_remove_tree (const gchar *path);
