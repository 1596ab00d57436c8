/* test-push-message.c — push across servers' channel names and messages:
 * a record through encode and decode unchanged, the channel naming its
 * database and mesh, and every malformed message refused. */
#include "config.h"

#include <string.h>

#include "announcement.h"
#include "push-message.h"
#include "wgd-error.h"

static RdvStoredRecord *
record_sample (void)
{
  RdvStoredRecord *r = rdv_stored_record_new ();

  memset (r->wg_key, 0xa5, WGD_KEY_LEN);
  r->has_mesh = TRUE;
  memset (r->mesh_key, 0x3c, WGD_KEY_LEN);
  r->timestamp = 1796164245;
  r->expires = 1796167845;
  /* Spaces and NULs in the record are its bytes, not separators. */
  r->record = g_bytes_new ("\x01 \x00 2 3 ", 9);
  return r;
}

static void
test_round_trip (void)
{
  g_autoptr (RdvStoredRecord) r = record_sample ();
  g_autoptr (GBytes) message = rdv_push_message_encode (r);
  g_autoptr (GError) error = NULL;
  g_autoptr (RdvStoredRecord) back = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);

  back = rdv_push_message_decode (r->mesh_key, data, len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back->wg_key, WGD_KEY_LEN, r->wg_key, WGD_KEY_LEN);
  g_assert_true (back->has_mesh);
  g_assert_cmpmem (back->mesh_key, WGD_KEY_LEN, r->mesh_key, WGD_KEY_LEN);
  g_assert_cmpuint (back->timestamp, ==, r->timestamp);
  g_assert_cmpuint (back->expires, ==, r->expires);
  g_assert_true (g_bytes_equal (back->record, r->record));
}

static void
test_channel (void)
{
  guint8 mesh[WGD_KEY_LEN], back[WGD_KEY_LEN];
  g_autofree gchar *name = NULL;

  memset (mesh, 0x3c, sizeof mesh);
  name = rdv_push_channel (7, mesh);
  g_assert_cmpstr (name, ==, "wgdiscover:rdv:push:7:"
                   "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c");
  g_assert_true (rdv_push_channel_parse (7, name, strlen (name), back));
  g_assert_cmpmem (back, WGD_KEY_LEN, mesh, WGD_KEY_LEN);
  /* Another database's channel is not this server's. */
  g_assert_false (rdv_push_channel_parse (0, name, strlen (name), back));
  g_assert_false (rdv_push_channel_parse (7, name, strlen (name) - 1, back));
  g_assert_false (rdv_push_channel_parse (7, "wgdiscover:rdv:push:7:", 22, back));
}

static void
test_malformed (void)
{
  g_autoptr (RdvStoredRecord) r = record_sample ();
  g_autoptr (GBytes) message = rdv_push_message_encode (r);
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);
  g_autofree guint8 *big = NULL;
  const gchar *bad[] = {
    "",
    "a5 1 2 x",
    "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5 1 2 ",
    "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5 -1 2 x",
    "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5 1 x",
    "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5 99999999999999999999 2 x",
    "zza5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5 1 2 x",
    "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5x1 2 x",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (rdv_push_message_decode (r->mesh_key, (const guint8 *) bad[i],
                                              strlen (bad[i]), &error));
      g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
    }
  /* A record longer than any record is refused. */
  big = g_malloc0 (len + WGD_RECORD_MAX);
  memcpy (big, data, len);
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (rdv_push_message_decode (r->mesh_key, big, len + WGD_RECORD_MAX, &error));
    g_assert_error (error, WGD_ERROR, WGD_ERROR_INVALID);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/push-message/round-trip", test_round_trip);
  g_test_add_func ("/push-message/channel", test_channel);
  g_test_add_func ("/push-message/malformed", test_malformed);
  return g_test_run ();
}
