/* fuzz-config.c — libFuzzer target for wgdiscoverd.conf: raw bytes into
 * wgd_config_load_data. A file is either refused with a message that
 * points into it, or accepted whole and consistent. Inputs naming
 * Certificate= or Revocations= files are skipped: those keys read other
 * files, which is not the parser's job (tests/unit covers them). */
#include "config.h"

#include <stdio.h>

#include "configuration.h"
#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

static gboolean
mentions (const uint8_t *data, size_t size, const gchar *word)
{
  return memmem (data, size, word, strlen (word)) != NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdConfig) config = NULL;
  g_autoptr (WgdTrustStore) store = NULL;

  if (mentions (data, size, "Certificate") || mentions (data, size, "Revocations"))
    return 0;
  config = wgd_config_load_data ("fuzz.conf", (const gchar *) data, size, &error);
  if (config == NULL)
    {
      FUZZ_ASSERT (error != NULL);
      FUZZ_ASSERT (g_str_has_prefix (error->message, "fuzz.conf"));
      return 0;
    }
  FUZZ_ASSERT (error == NULL);
  FUZZ_ASSERT (g_path_is_absolute (config->state_directory));
  for (guint i = 0; i < config->interfaces->len; i++)
    {
      const WgdInterfaceConfig *c = g_ptr_array_index (config->interfaces, i);

      FUZZ_ASSERT (c->name[0] != '\0');
      FUZZ_ASSERT (wgd_config_find_interface (config, c->name) == c);
      FUZZ_ASSERT (c->mode != WGD_MODE_MESH || c->mesh != NULL);
      FUZZ_ASSERT (c->mesh == NULL || wgd_config_find_mesh (config, c->mesh) != NULL);
      FUZZ_ASSERT (c->allow_interfaces == NULL || c->deny_interfaces == NULL);
    }
  store = wgd_config_trust_store_new (config);
  for (guint i = 0; i < config->meshes->len; i++)
    {
      const WgdMeshConfig *mesh = g_ptr_array_index (config->meshes, i);

      FUZZ_ASSERT (wgd_trust_store_has_ca (store, mesh->ca_key));
      FUZZ_ASSERT (mesh->certificate == NULL && mesh->revocations == NULL);
    }
  return 0;
}
