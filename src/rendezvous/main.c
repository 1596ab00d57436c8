/* main.c — wgdiscover-rendezvous: options, configuration, the store,
 * the server and the main loop. SIGTERM and SIGINT stop it; every
 * accepted record is on disk already, so stopping loses nothing. */
#include "config.h"

#define G_LOG_DOMAIN "wgdiscover-rendezvous"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <sys/stat.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "rdv-config.h"
#include "sd-notify.h"
#include "server.h"
#include "store.h"

static gboolean
on_stop (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("stopping");
  wgd_sd_notify ("STOPPING=1");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static int
fail (const gchar *what, const GError *error)
{
  g_printerr ("wgdiscover-rendezvous: %s%s%s\n", what ? what : "", what ? ": " : "",
              error->message);
  return 1;
}

static RdvStore *
store_open (const RdvConfig *config, GError **error)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *where = rdv_store_location_to_string (config->store);

  switch (config->store->kind)
    {
    case RDV_STORE_KIND_SQLITE:
      if (g_mkdir_with_parents (config->state_directory, 0700) != 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s",
                       config->state_directory, g_strerror (saved));
          return NULL;
        }
      path = g_build_filename (config->state_directory, RDV_STORE_SQLITE_FILE, NULL);
      g_message ("store: %s", path);
      return rdv_store_sqlite_open (path, error);
    case RDV_STORE_KIND_REDIS_TCP:
    case RDV_STORE_KIND_REDIS_UNIX:
    case RDV_STORE_KIND_REDIS_SENTINEL:
      g_message ("store: Redis at %s", where);
      return rdv_store_redis_open (config->store, config->store_password, error);
    case RDV_STORE_KIND_COUNT:
      break;
    }
  g_return_val_if_reached (NULL);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *config_path = NULL;
  g_autofree gchar *state_dir = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Read FILE instead of " RDV_CONFIG_PATH, "FILE" },
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &state_dir,
      "Keep the records in DIR instead of StateDirectory=", "DIR" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context =
    g_option_context_new ("- the wgdiscover rendezvous server");
  g_autoptr (GError) error = NULL;
  g_autoptr (RdvConfig) config = NULL;
  g_autoptr (RdvServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  RdvStore *store;

  setlocale (LC_ALL, "");
  umask (077);
  /* hiredis writes with write(2): a Redis that went away is to be an
   * EPIPE error of one request, not the end of the server. */
  signal (SIGPIPE, SIG_IGN);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
                                    "See wgdiscover-rendezvous(8) and docs/rendezvous.md.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("wgdiscover-rendezvous: %s\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr ("wgdiscover-rendezvous: unexpected argument '%s'\n", argv[1]);
      return 2;
    }
  if (version)
    {
      g_print ("wgdiscover-rendezvous %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (sodium_init () < 0)
    {
      g_printerr ("wgdiscover-rendezvous: libsodium could not be initialised\n");
      return 1;
    }
  /* Only the default file may be missing: a named one is meant to be read. */
  config = rdv_config_load (config_path ? config_path : RDV_CONFIG_PATH, config_path == NULL,
                            &error);
  if (config == NULL)
    return fail (NULL, error);
  if (state_dir != NULL)
    {
      g_free (config->state_directory);
      config->state_directory = g_strdup (state_dir);
    }
  store = store_open (config, &error);
  if (store == NULL)
    return fail (NULL, error);
  server = rdv_server_new (config, store, &error);
  if (server == NULL)
    return fail (NULL, error);
  if (!rdv_server_listen (server, &error))
    return fail (NULL, error);
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_stop, loop);
  g_unix_signal_add (SIGINT, on_stop, loop);
  wgd_sd_notify ("READY=1");
  g_main_loop_run (loop);
  return 0;
}
