/* main.c — wgdiscoverd: options, configuration, signals and the main
 * loop. SIGTERM and SIGINT withdraw our mDNS service and stop; SIGHUP
 * and the D-Bus method Reload re-read the configuration and apply it to
 * the running core as a change (one that cannot be read or applied is
 * reported and the running one kept). */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <sodium.h>

#include "daemon.h"
#include "dbus-bus.h"
#include "dbus-interface.h"
#include "dbus-manager.h"
#include "dbus-peer.h"
#include "detach.h"
#include "i18n.h"
#include "sd-notify.h"

typedef struct {
  GMainLoop *loop;
  gchar *config_path;
  gchar *state_dir;             /* --state-dir, which outlives reloads */
  WgdConfig *config;
  WgdDaemon *daemon;
  /* The D-Bus API: sinks listening to the core (docs/dbus-api.md). */
  GDBusObjectManagerServer *objects;
  WgdDbusManager *dbus_manager;
  WgdDbusInterfaces *dbus_interfaces;
  WgdDbusPeers *dbus_peers;
  WgdDbusBus *bus;
  guint status_source;          /* looking for readiness every second */
  guint status_listener;
  guint status_idle;            /* STATUS= once the core's events of this round are told */
  gboolean ready;               /* READY=1 was sent */
  gchar *status_sent;           /* the last STATUS= */
} Main;

static gboolean
on_stop (gpointer user_data)
{
  Main *m = user_data;

  g_message (_("stopping"));
  wgd_sd_notify ("STOPPING=1");
  g_main_loop_quit (m->loop);
  return G_SOURCE_CONTINUE;
}

static void
main_apply_options (Main *m, WgdConfig *config)
{
  if (m->state_dir != NULL)
    {
      g_free (config->state_directory);
      config->state_directory = g_strdup (m->state_dir);
    }
}

/* The one way a configuration is reloaded (SIGHUP): read and checked in
 * full first; a configuration that cannot be read or applied is
 * reported and the running one kept; a good one is applied as a change. */
static gboolean
main_reload (Main *m, GError **error)
{
  g_autoptr (WgdConfig) config = wgd_config_load (m->config_path, TRUE, error);

  if (config == NULL)
    return FALSE;
  main_apply_options (m, config);
  if (!wgd_daemon_reload (m->daemon, config, error))
    return FALSE;
  wgd_config_free (m->config);
  m->config = g_steal_pointer (&config);
  return TRUE;
}

/* A reload as systemd and the log see it, whoever asked for it (SIGHUP,
 * or the D-Bus method Reload through WgdDbusReloadFunc). */
static gboolean
main_reload_and_report (gpointer user_data, GError **error)
{
  Main *m = user_data;
  g_autoptr (GError) local = NULL;
  g_autofree gchar *reloading = g_strdup_printf ("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT,
                                                 g_get_monotonic_time ());
  gboolean ok;

  /* systemd's Type=notify-reload wants the time with RELOADING=1. */
  wgd_sd_notify (reloading);
  ok = main_reload (m, &local);
  if (ok)
    g_message (_("configuration reloaded from %s"), m->config_path);
  else
    {
      g_warning (_("reload: keeping the running configuration: %s"), local->message);
      g_propagate_error (error, g_steal_pointer (&local));
    }
  wgd_sd_notify ("READY=1");
  return ok;
}

static gboolean
on_reload (gpointer user_data)
{
  main_reload_and_report (user_data, NULL);
  return G_SOURCE_CONTINUE;
}

/* The D-Bus API listens to the core, which knows nothing of it. The bus
 * is connected in the background: without one, the daemon works on. */
static void
main_start_dbus (Main *m)
{
  m->objects = g_dbus_object_manager_server_new (WGD_DBUS_PATH);
  m->dbus_manager = wgd_dbus_manager_new (m->daemon, main_reload_and_report, m);
  m->dbus_interfaces = wgd_dbus_interfaces_new (m->daemon, m->objects);
  m->dbus_peers = wgd_dbus_peers_new (m->daemon, m->objects);
  m->bus = wgd_dbus_bus_new (m->objects, wgd_dbus_manager_get_skeleton (m->dbus_manager));
}

static void
main_stop_dbus (Main *m)
{
  g_clear_pointer (&m->bus, wgd_dbus_bus_free);
  g_clear_pointer (&m->dbus_peers, wgd_dbus_peers_free);
  g_clear_pointer (&m->dbus_interfaces, wgd_dbus_interfaces_free);
  g_clear_pointer (&m->dbus_manager, wgd_dbus_manager_free);
  g_clear_object (&m->objects);
}

/* READY=1 once our service is published, looked for every second (the
 * publication is avahi-daemon's, no event of the core's); STATUS= each
 * time it changes, and never else, so that an idle daemon stays idle. */
static void
main_send_status (Main *m)
{
  gboolean ready = m->ready || wgd_daemon_is_ready (m->daemon);
  g_autofree gchar *status = wgd_daemon_status (m->daemon);
  g_autofree gchar *line = NULL;

  if (ready == m->ready && g_strcmp0 (status, m->status_sent) == 0)
    return;
  line = g_strdup_printf ("%sSTATUS=%s", ready && !m->ready ? "READY=1\n" : "", status);
  wgd_sd_notify (line);
  m->ready = ready;
  g_free (m->status_sent);
  m->status_sent = g_steal_pointer (&status);
}

static gboolean
on_status (gpointer user_data)
{
  Main *m = user_data;

  main_send_status (m);
  if (!m->ready)
    return G_SOURCE_CONTINUE;
  m->status_source = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
on_status_idle (gpointer user_data)
{
  Main *m = user_data;

  m->status_idle = 0;
  main_send_status (m);
  return G_SOURCE_REMOVE;
}

/* A round of events can name every peer: the line is made once after it. */
static void
on_daemon_event (WgdDaemon *daemon, WgdDaemonEvent event, const guint8 *wg_key,
                 const gchar *ifname, gpointer user_data)
{
  Main *m = user_data;

  if (m->status_idle == 0)
    m->status_idle = g_idle_add (on_status_idle, m);
}

int
main (int argc, char **argv)
{
  Main m = { 0 };
  g_autofree gchar *config_path = NULL;
  g_autofree gchar *state_dir = NULL;
  g_autofree gchar *ifconf_file = NULL;
  gboolean foreground = FALSE, debug = FALSE, version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      NULL /* set below: it names WGD_CONFIG_PATH */, N_("FILE") },
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &state_dir,
      N_("State directory (overrides StateDirectory=)"), N_("DIR") },
    { "ifconf", 0, 0, G_OPTION_ARG_FILENAME, &ifconf_file,
      N_("Read the peers of wg-quick's, networkd's and NetworkManager's files from FILE, "
         "written by wgdiscover-ifconf.service, not from those files"), N_("FILE") },
    { "foreground", 'f', 0, G_OPTION_ARG_NONE, &foreground,
      N_("Stay in the foreground (for systemd and other supervisors)"), NULL },
    { "debug", 'd', 0, G_OPTION_ARG_NONE, &debug, N_("Log debugging messages"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *config_help = NULL;

  wgd_i18n_init ();
  /* GOption translates the texts of the entries and the summary when it
   * prints the help; the one with the path in it is translated here. */
  /* Translators: %s is the path of the default configuration file. */
  config_help = g_strdup_printf (_("Configuration file (default %s)"), WGD_CONFIG_PATH);
  entries[0].description = config_help;
  context = g_option_context_new (N_("- find WireGuard peers"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_log_set_writer_func (wgd_detach_log_writer, NULL, NULL);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                N_("Advertises this node's WireGuard endpoint over mDNS, finds "
                                   "the other peers,\nverifies their signed announcements and "
                                   "sets their endpoints."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("wgdiscoverd: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("wgdiscoverd %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (sodium_init () < 0)
    {
      g_printerr ("wgdiscoverd: %s\n", _("libsodium failed to initialise"));
      return 1;
    }
  if (debug)
    g_log_set_debug_enabled (TRUE);
  /* Absolute, as a detached daemon works from / and reloads later. */
  m.config_path = g_canonicalize_filename (config_path ? config_path : WGD_CONFIG_PATH, NULL);
  m.config = wgd_config_load (m.config_path, config_path == NULL, &error);
  if (m.config == NULL)
    {
      g_printerr ("wgdiscoverd: %s\n", error->message);
      g_free (m.config_path);
      return 1;
    }
  m.state_dir = state_dir ? g_canonicalize_filename (state_dir, NULL) : NULL;
  main_apply_options (&m, m.config);
  /* Before the daemon exists: a fork must not split avahi-client's or
   * GLib's state between two processes. */
  if (!foreground && !wgd_detach_begin (&error))
    m.daemon = NULL;
  else
    m.daemon = wgd_daemon_new (m.config, ifconf_file, &error);
  if (m.daemon == NULL)
    {
      g_printerr ("wgdiscoverd: %s\n", error->message);
      wgd_config_free (m.config);
      g_free (m.config_path);
      g_free (m.state_dir);
      return 1;
    }
  wgd_detach_finish ();
  m.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_stop, &m);
  g_unix_signal_add (SIGINT, on_stop, &m);
  g_unix_signal_add (SIGHUP, on_reload, &m);
  main_send_status (&m);
  if (!m.ready)
    m.status_source = g_timeout_add_seconds (1, on_status, &m);
  m.status_listener = wgd_daemon_add_listener (m.daemon, on_daemon_event, &m);
  main_start_dbus (&m);
  g_main_loop_run (m.loop);

  g_clear_handle_id (&m.status_source, g_source_remove);
  g_clear_handle_id (&m.status_idle, g_source_remove);
  wgd_daemon_remove_listener (m.daemon, m.status_listener);
  main_stop_dbus (&m);
  wgd_daemon_stop (m.daemon);
  wgd_daemon_free (m.daemon);
  wgd_config_free (m.config);
  g_main_loop_unref (m.loop);
  g_free (m.config_path);
  g_free (m.state_dir);
  g_free (m.status_sent);
  return 0;
}
