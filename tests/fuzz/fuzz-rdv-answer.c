/* fuzz-rdv-answer.c — libFuzzer target for what wgdiscoverd reads in a
 * rendezvous server's answers (src/daemon/rendezvous-answer.c): the same
 * bytes as a GET's peer answer (for Alice's key), a PUT's seen_from and
 * a refusal's error code. */
#include "config.h"

#include <stdio.h>

#include "fuzz-common.h"
#include "rendezvous-answer.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static guint8 alice_wg[WGD_KEY_LEN];
static WgdAnnouncement *ann;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (WgdKeyPair) alice = NULL;

  fuzz_init ();
  alice = fuzz_key (FUZZ_SEED_ALICE);
  wgd_key_pair_wg_public (alice, alice_wg);
  ann = wgd_announcement_new ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const gchar *body = (const gchar *) data;
  g_autoptr (GBytes) record = wgd_rdv_answer_parse_peer (body, size, alice_wg, NULL);
  g_autofree gchar *code = wgd_rdv_answer_parse_error_code (body, size);
  guint8 family = 0, address[16];

  if (record != NULL)
    {
      /* What is handed on decodes, and is for the key asked. */
      FUZZ_ASSERT (wgd_announcement_decode (ann, g_bytes_get_data (record, NULL),
                                            g_bytes_get_size (record), NULL));
      FUZZ_ASSERT (memcmp (ann->wg_key, alice_wg, WGD_KEY_LEN) == 0);
    }
  if (wgd_rdv_answer_parse_seen_from (body, size, &family, address, NULL))
    FUZZ_ASSERT (family == 4 || family == 6);
  if (code != NULL)
    FUZZ_ASSERT (g_utf8_validate (code, -1, NULL));
  return 0;
}
