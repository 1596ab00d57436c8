/* fuzz-rdv-answer.c — libFuzzer target for what wgdiscoverd reads in a
 * rendezvous server's answers (src/daemon/rendezvous-answer.c): the same
 * bytes as a GET's peer answer (for Alice's key), a PUT's seen_from, a
 * refusal's error code, a mesh's listing and a watch's message (for the
 * mesh of the fuzz CA). */
#include "config.h"

#include <stdio.h>

#include "fuzz-common.h"
#include "rendezvous-answer.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static guint8 alice_wg[WGD_KEY_LEN];
static guint8 mesh_ca[WGD_KEY_LEN];
static WgdAnnouncement *ann;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (WgdKeyPair) alice = NULL;
  g_autoptr (WgdKeyPair) ca = NULL;

  fuzz_init ();
  alice = fuzz_key (FUZZ_SEED_ALICE);
  wgd_key_pair_wg_public (alice, alice_wg);
  ca = fuzz_key (FUZZ_SEED_CA);
  memcpy (mesh_ca, ca->public_key, WGD_KEY_LEN);
  ann = wgd_announcement_new ();
  return 0;
}

/* What is handed on from a listing or message decodes and claims the mesh. */
static void
check_mesh_record (GBytes *record)
{
  FUZZ_ASSERT (wgd_announcement_decode (ann, g_bytes_get_data (record, NULL),
                                        g_bytes_get_size (record), NULL));
  FUZZ_ASSERT ((ann->has_mesh && memcmp (ann->mesh_key, mesh_ca, WGD_KEY_LEN) == 0)
               || (ann->has_certificate
                   && memcmp (ann->certificate.ca_key, mesh_ca, WGD_KEY_LEN) == 0));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const gchar *body = (const gchar *) data;
  g_autoptr (GBytes) record = wgd_rdv_answer_parse_peer (body, size, alice_wg, NULL);
  g_autofree gchar *code = wgd_rdv_answer_parse_error_code (body, size);
  guint8 family = 0, address[16];
  g_autoptr (GPtrArray) listing = wgd_rdv_answer_parse_listing (body, size, mesh_ca, NULL);
  g_autoptr (GBytes) pushed = wgd_rdv_answer_parse_pushed (body, size, mesh_ca, NULL);

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
  if (listing != NULL)
    {
      FUZZ_ASSERT (listing->len <= WGD_RDV_LISTING_RECORDS_MAX);
      for (guint i = 0; i < listing->len; i++)
        check_mesh_record (g_ptr_array_index (listing, i));
    }
  if (pushed != NULL)
    check_mesh_record (pushed);
  return 0;
}
