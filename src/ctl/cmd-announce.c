/* cmd-announce.c — sign this node's announcement record (docs/record-format.md §2), as
 * one base64url line or as the DNS-SD TXT strings of docs/record-format.md §8. */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "announcement.h"
#include "base64.h"
#include "clock.h"
#include "ctl.h"
#include "ctl-io.h"
#include "txt.h"
#include "wgd-error.h"

/* A certificate's base64url is under 1400 characters. */
#define CERT_FILE_MAX 4096

static gboolean
announce_parse_endpoints (GStrv texts, WgdAnnouncement *ann, GError **error)
{
  static const struct {
    const gchar *prefix;
    WgdEndpointKind kind;
  } kinds[] = {
    { "host:", WGD_ENDPOINT_HOST },
    { "reflexive:", WGD_ENDPOINT_REFLEXIVE },
    { "configured:", WGD_ENDPOINT_CONFIGURED },
  };
  guint n = g_strv_length (texts);

  if (n > WGD_ENDPOINTS_MAX)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   _("a record carries at most %d --endpoint"), WGD_ENDPOINTS_MAX);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      const gchar *text = texts[i];
      WgdEndpointKind kind = WGD_ENDPOINT_HOST;

      for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
        if (g_str_has_prefix (text, kinds[k].prefix))
          {
            kind = kinds[k].kind;
            text += strlen (kinds[k].prefix);
            break;
          }
      if (!wgd_endpoint_parse (text, &ann->endpoints[i], error))
        {
          g_prefix_error (error, "--endpoint: ");
          return FALSE;
        }
      ann->endpoints[i].kind = kind;
    }
  ann->n_endpoints = n;
  return TRUE;
}

/* Checks what the record's receivers would check anyway, so a mistake
 * shows here rather than as a rejection on every peer. */
static gboolean
announce_load_certificate (const gchar *path, const WgdKeyPair *identity,
                           WgdCertificate *cert, GError **error)
{
  g_autofree gchar *text = ctl_io_read_file (path, CERT_FILE_MAX, error);
  guint8 raw[WGD_CERTIFICATE_MAX];
  gsize len;

  if (text == NULL)
    return FALSE;
  if (!ctl_io_decode_base64url (text, raw, sizeof raw, &len, error)
      || !wgd_certificate_decode (cert, raw, len, error))
    {
      g_prefix_error (error, "--cert %s: ", path);
      return FALSE;
    }
  if (!wgd_certificate_verify_signature (cert))
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   _("--cert %s: the certificate's signature does not verify"), path);
      return FALSE;
    }
  if (sodium_memcmp (cert->signing_key, identity->public_key, WGD_KEY_LEN) != 0)
    {
      g_set_error (error, WGD_ERROR, WGD_ERROR_INVALID,
                   _("--cert %s: the certificate is for another signing key than --identity's"),
                   path);
      return FALSE;
    }
  return TRUE;
}

static gchar *
announce_format (const WgdAnnouncement *ann, gboolean txt)
{
  g_autofree gchar *encoded = NULL;
  g_auto (GStrv) items = NULL;
  g_autofree gchar *joined = NULL;

  if (!txt)
    {
      encoded = wgd_base64url_encode (ann->record, ann->record_len);
      return g_strconcat (encoded, "\n", NULL);
    }
  items = wgd_txt_encode (ann->record, ann->record_len, ann->wg_key);
  joined = g_strjoinv ("\n", items);
  return g_strconcat (joined, "\n", NULL);
}

int
ctl_cmd_announce (int argc, char **argv)
{
  static const CtlUsage usage = {
    "announce", NULL,
    /* Translators: FILE is the placeholder of --identity in the option list. */
    N_("Sign an announcement record with the identity in --identity FILE."),
    /* Translators: host:, reflexive: and configured: are typed as they are,
       and so is the example command at the end. */
    N_("An endpoint is ADDRESS:PORT or [IPV6]:PORT, optionally prefixed with its\n"
       "kind: host: (the default), reflexive: or configured:.\n"
       "\n"
       "The record's WireGuard key is the one derived from the identity, or with\n"
       "--cert the certificate's; the mesh key defaults to the certificate's CA.\n"
       "\n"
       "Prints the record in base64url, or with --txt the TXT strings one per line:\n"
       "  avahi-publish -s node1 _wireguard._udp 51820 \\\n"
       "    $(wgdiscoverctl announce --identity identity --endpoint 192.0.2.1:51820 --txt)"),
  };
  g_autofree gchar *identity_path = NULL;
  g_autofree gchar *name = NULL;
  g_autofree gchar *cert_path = NULL;
  g_autofree gchar *mesh = NULL;
  g_autofree gchar *lifetime_text = NULL;
  g_autofree gchar *timestamp_text = NULL;
  g_auto (GStrv) endpoints = NULL;
  gboolean txt = FALSE;
  const GOptionEntry entries[] = {
    { "identity", 0, 0, G_OPTION_ARG_FILENAME, &identity_path,
      N_("The identity file (mode 0600)"), N_("FILE") },
    { "endpoint", 0, 0, G_OPTION_ARG_STRING_ARRAY, &endpoints,
      N_("Where the node can be reached (repeatable, at most 8)"),
      /* Translators: the placeholder of --endpoint; the description of
         announce calls ADDR ADDRESS and KIND its kind. */
      N_("[KIND:]ADDR:PORT") },
    { "name", 0, 0, G_OPTION_ARG_FILENAME, &name, N_("The node's name"), N_("NAME") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert_path,
      N_("A file with the node's mesh certificate in base64url"), N_("FILE") },
    { "mesh", 0, 0, G_OPTION_ARG_STRING, &mesh, N_("The mesh CA public key"), N_("KEY") },
    { "lifetime", 0, 0, G_OPTION_ARG_STRING, &lifetime_text,
      N_("Seconds the record stays valid (default 3600)"), N_("SECONDS") },
    { "timestamp", 0, 0, G_OPTION_ARG_STRING, &timestamp_text,
      N_("Signing time in seconds since the epoch (default now)"), "UNIX" },
    { "txt", 0, 0, G_OPTION_ARG_NONE, &txt, N_("Print DNS-SD TXT strings, one per line"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (WgdKeyPair) identity = NULL;
  g_autofree gchar *output = NULL;
  guint64 lifetime = 3600;
  int status;

  if (!ctl_options_parse (&usage, entries, &argc, &argv, &status))
    return status;
  if (identity_path == NULL || endpoints == NULL)
    return ctl_fail (usage.name, _("--identity and --endpoint are required"));

  ann->timestamp = wgd_clock_now ();
  if (!announce_parse_endpoints (endpoints, ann, &error)
      || (name != NULL && !ctl_option_parse_name ("--name", name, ann->name, &error))
      || (mesh != NULL && !ctl_option_parse_key ("--mesh", mesh, ann->mesh_key, &error))
      || (lifetime_text != NULL
          && !ctl_option_parse_u64 ("--lifetime", lifetime_text, 1, G_MAXUINT32, &lifetime,
                                    &error))
      || (timestamp_text != NULL
          && !ctl_option_parse_u64 ("--timestamp", timestamp_text, 0, G_MAXUINT64,
                                    &ann->timestamp, &error)))
    return ctl_fail_error (usage.name, error);
  ann->lifetime = (guint32) lifetime;
  ann->has_mesh = mesh != NULL;

  identity = wgd_key_pair_load (identity_path, &error);
  if (identity == NULL)
    return ctl_fail_error (usage.name, error);
  if (cert_path == NULL)
    wgd_key_pair_wg_public (identity, ann->wg_key);
  else
    {
      WgdCertificate *cert = &ann->certificate;

      if (!announce_load_certificate (cert_path, identity, cert, &error))
        return ctl_fail_error (usage.name, error);
      /* Every mesh-mode receiver would refuse such a record. */
      if (ann->has_mesh && sodium_memcmp (ann->mesh_key, cert->ca_key, WGD_KEY_LEN) != 0)
        return ctl_fail (usage.name, _("--mesh is not the CA that signed --cert"));
      ann->has_certificate = TRUE;
      ann->has_mesh = TRUE;
      memcpy (ann->mesh_key, cert->ca_key, WGD_KEY_LEN);
      memcpy (ann->wg_key, cert->wg_key, WGD_KEY_LEN);
    }

  if (!wgd_announcement_sign (ann, identity, &error))
    return ctl_fail_error (usage.name, error);
  output = announce_format (ann, txt);
  return ctl_io_print (usage.name, output);
}
