/* fuzz-txt.c — libFuzzer target for the DNS-SD TXT form: the input is
 * split at '\n' and NUL bytes into TXT strings, reassembled by
 * wgd_txt_decode, and what comes out is decoded as an announcement. A
 * reassembled record and its pub= hint must survive wgd_txt_encode and
 * decode unchanged. */
#include "config.h"

#include <stdio.h>

#include "base64.h"
#include "fuzz-common.h"
#include "txt.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* More strings than any real TXT record has; the rest is dropped. */
#define ITEMS_MAX 512

static WgdAnnouncement *ann;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  ann = wgd_announcement_new ();
  return 0;
}

static gsize
split (const uint8_t *data, size_t size, WgdTxtItem *items)
{
  gsize n = 0, start = 0;

  for (gsize i = 0; i <= size && n < ITEMS_MAX; i++)
    if (i == size || data[i] == '\n' || data[i] == '\0')
      {
        items[n].data = data + start;
        items[n].len = i - start;
        n++;
        start = i + 1;
      }
  return n;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static WgdTxtItem items[ITEMS_MAX], again_items[ITEMS_MAX];
  guint8 record[WGD_RECORD_MAX], again[WGD_RECORD_MAX];
  guint8 hint[WGD_KEY_LEN], hint_again[WGD_KEY_LEN];
  gboolean has_hint = FALSE, has_hint_again = FALSE;
  gsize n_items, record_len = 0, again_len = 0, n_again = 0;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) strings = NULL;

  n_items = split (data, size, items);
  if (!wgd_txt_decode (items, n_items, record, &record_len, hint, &has_hint, &error))
    {
      FUZZ_ASSERT (error != NULL);
      return 0;
    }
  FUZZ_ASSERT (error == NULL);
  FUZZ_ASSERT (record_len <= WGD_RECORD_MAX);

  /* Re-encoded, the TXT strings give back the same bytes. */
  strings = wgd_txt_encode (record, record_len, has_hint ? hint : NULL);
  for (gchar **s = strings; *s != NULL && n_again < ITEMS_MAX; s++, n_again++)
    {
      FUZZ_ASSERT (strlen (*s) <= 4 + MAX (WGD_TXT_CHUNK_MAX, WGD_KEY_BASE64_LEN));
      again_items[n_again].data = (const guint8 *) *s;
      again_items[n_again].len = strlen (*s);
    }
  if (record_len > 0)
    {
      FUZZ_ASSERT (wgd_txt_decode (again_items, n_again, again, &again_len, hint_again,
                                   &has_hint_again, NULL));
      FUZZ_ASSERT (again_len == record_len && memcmp (again, record, record_len) == 0);
      FUZZ_ASSERT (has_hint_again == has_hint);
      FUZZ_ASSERT (!has_hint || memcmp (hint_again, hint, WGD_KEY_LEN) == 0);
    }

  if (wgd_announcement_decode (ann, record, record_len, NULL))
    (void) wgd_announcement_verify_signature (ann);
  return 0;
}
