/* cmd-verify.c — decode a record from standard input, show every field,
 * and decide on it with the very check the daemon runs (docs/record-format.md §6.3), from
 * a trust store built out of the options and without replay state. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "announcement.h"
#include "base64.h"
#include "clock.h"
#include "ctl.h"
#include "ctl-io.h"
#include "revocation.h"
#include "trust.h"
#include "txt.h"
#include "wgd-error.h"

/* The text of the largest record is under 1500 characters; the room
 * beyond lets an oversized record be judged (too-large) rather than
 * refused as input. */
#define RECORD_INPUT_MAX 65536
/* The base64url of the largest revocation list, with room for a newline. */
#define REVOCATIONS_FILE_MAX (WGD_REVOCATION_MAX / 3 * 4 + 16)

static gboolean
verify_parse_pin (const gchar *text, guint8 wg_key[WGD_KEY_LEN],
                  guint8 signing_key[WGD_KEY_LEN], GError **error)
{
  g_autofree gchar *wg_text = NULL;

  /* Both keys end in '=' padding: split at the key's length, not at the
   * first '='. */
  if (strlen (text) <= WGD_KEY_BASE64_LEN || text[WGD_KEY_BASE64_LEN] != '=')
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("--pin: expected WGKEY=SIGNKEY, two keys in base64"));
      return FALSE;
    }
  wg_text = g_strndup (text, WGD_KEY_BASE64_LEN);
  return ctl_option_parse_key ("--pin WGKEY", wg_text, wg_key, error)
         && ctl_option_parse_key ("--pin SIGNKEY", text + WGD_KEY_BASE64_LEN + 1, signing_key,
                                  error);
}

static gboolean
verify_add_cas (WgdTrustStore *store, GStrv cas, GError **error)
{
  for (gchar **s = cas; s != NULL && *s != NULL; s++)
    {
      guint8 key[WGD_KEY_LEN];

      if (!ctl_option_parse_key ("--ca", *s, key, error))
        return FALSE;
      wgd_trust_store_add_ca (store, key);
    }
  return TRUE;
}

static gboolean
verify_add_pins (WgdTrustStore *store, GStrv pins, GError **error)
{
  for (gchar **s = pins; s != NULL && *s != NULL; s++)
    {
      guint8 wg_key[WGD_KEY_LEN], signing_key[WGD_KEY_LEN];

      if (!verify_parse_pin (*s, wg_key, signing_key, error))
        return FALSE;
      wgd_trust_store_add_pin (store, wg_key, signing_key);
    }
  return TRUE;
}

static gboolean
verify_add_revocation_list (WgdTrustStore *store, const gchar *path, GError **error)
{
  g_autofree gchar *text = ctl_io_read_file (path, REVOCATIONS_FILE_MAX, error);
  g_autofree guint8 *raw = NULL;
  g_autoptr (WgdRevocationList) list = NULL;
  gsize len;

  if (text == NULL)
    return FALSE;
  raw = g_malloc (WGD_REVOCATION_MAX);
  if (!ctl_io_decode_base64url (text, raw, WGD_REVOCATION_MAX, &len, error)
      || (list = wgd_revocation_list_decode (raw, len, error)) == NULL
      || !wgd_trust_store_add_revocations (store, list, error))
    {
      g_prefix_error (error, "--revocations %s: ", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
verify_add_revocations (WgdTrustStore *store, GStrv paths, GError **error)
{
  for (gchar **s = paths; s != NULL && *s != NULL; s++)
    if (!verify_add_revocation_list (store, *s, error))
      return FALSE;
  return TRUE;
}

/* Fills ctx from the options; in mesh mode the mesh CA is trusted too,
 * so its revocation lists are taken. */
static gboolean
verify_set_context (WgdTrustContext *ctx, WgdTrustStore *store, const gchar *mode,
                    const gchar *mesh, GStrv cas, const gchar *now, GError **error)
{
  ctx->mode = WGD_MODE_ENDPOINT;
  ctx->now = wgd_clock_now ();
  if (mode != NULL && !wgd_mode_from_string (mode, &ctx->mode))
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           /* Translators: endpoint and mesh are typed as they are. */
                           _("--mode must be endpoint or mesh"));
      return FALSE;
    }
  if (now != NULL && !ctl_option_parse_u64 ("--now", now, 0, G_MAXUINT64, &ctx->now, error))
    return FALSE;
  if (ctx->mode != WGD_MODE_MESH)
    {
      if (mesh == NULL)
        return TRUE;
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("--mesh applies only to --mode mesh"));
      return FALSE;
    }
  if (mesh != NULL)
    {
      if (!ctl_option_parse_key ("--mesh", mesh, ctx->mesh_key, error))
        return FALSE;
    }
  else if (cas != NULL && g_strv_length (cas) == 1)
    {
      if (!ctl_option_parse_key ("--ca", cas[0], ctx->mesh_key, error))
        return FALSE;
    }
  else
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_INVALID,
                           _("--mode mesh needs --mesh KEY, or exactly one --ca KEY"));
      return FALSE;
    }
  wgd_trust_store_add_ca (store, ctx->mesh_key);
  return TRUE;
}

static gboolean
verify_is_txt (GStrv lines)
{
  for (gchar **l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, "txtvers="))
      return TRUE;
  return FALSE;
}

/* TXT strings as stripped lines; blank lines are not TXT strings. */
static gboolean
verify_decode_txt (GStrv lines, guint8 record[WGD_RECORD_MAX], gsize *len,
                   guint8 hint[WGD_KEY_LEN], gboolean *has_hint, GError **error)
{
  guint n_lines = g_strv_length (lines);
  g_autofree WgdTxtItem *items = g_new (WgdTxtItem, n_lines);
  gsize n_items = 0;

  for (guint i = 0; i < n_lines; i++)
    if (lines[i][0] != '\0')
      {
        items[n_items].data = (const guint8 *) lines[i];
        items[n_items].len = strlen (lines[i]);
        n_items++;
      }
  return wgd_txt_decode (items, n_items, record, len, hint, has_hint, error);
}

static gboolean
verify_decode_line (gchar *input, guint8 *record, gsize cap, gsize *len, GError **error)
{
  const gchar *text = g_strstrip (input);

  if (*text == '\0')
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                           _("standard input is empty; expected a record"));
      return FALSE;
    }
  if (strpbrk (text, " \t\n\r\v\f") != NULL)
    {
      g_set_error_literal (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                           _("standard input is neither one line of base64url "
                             "nor TXT strings (txtvers=1, a0=…)"));
      return FALSE;
    }
  if (!wgd_base64url_decode (text, strlen (text), record, cap, len, error))
    {
      g_prefix_error (error, _("standard input is not a record in base64url: "));
      return FALSE;
    }
  return TRUE;
}

static void
verify_append_key (GString *out, const gchar *label, const guint8 key[WGD_KEY_LEN])
{
  g_autofree gchar *text = wgd_key_to_base64 (key);

  g_string_append_printf (out, "%s: %s\n", label, text);
}

static void
verify_append_time (GString *out, const gchar *label, guint64 t)
{
  g_autoptr (GDateTime) when = NULL;
  g_autofree gchar *iso = NULL;

  /* GDateTime ends at year 9999: later times are shown as numbers. */
  if (t <= G_MAXINT64)
    when = g_date_time_new_from_unix_utc ((gint64) t);
  if (when == NULL)
    {
      g_string_append_printf (out, "%s: %" G_GUINT64_FORMAT "\n", label, t);
      return;
    }
  iso = g_date_time_format_iso8601 (when);
  g_string_append_printf (out, "%s: %" G_GUINT64_FORMAT " (%s)\n", label, t, iso);
}

static void
verify_describe_certificate (GString *out, const WgdCertificate *cert)
{
  verify_append_key (out, "certificate ca", cert->ca_key);
  verify_append_key (out, "certificate signing key", cert->signing_key);
  verify_append_key (out, "certificate wireguard key", cert->wg_key);
  g_string_append_printf (out, "certificate serial: %" G_GUINT64_FORMAT "\n", cert->serial);
  verify_append_time (out, "certificate not-before", cert->not_before);
  verify_append_time (out, "certificate not-after", cert->not_after);
  g_string_append_printf (out, "certificate name: %s\n", cert->name);
  for (gsize i = 0; i < cert->n_prefixes; i++)
    {
      g_autofree gchar *prefix = wgd_prefix_to_string (&cert->prefixes[i]);

      g_string_append_printf (out, "certificate prefix: %s\n", prefix);
    }
}

static void
verify_describe (GString *out, const WgdAnnouncement *ann)
{
  /* Saturated: a lifetime past the end of time never expires anyway. */
  guint64 expires = ann->timestamp > G_MAXUINT64 - ann->lifetime
                      ? G_MAXUINT64 : ann->timestamp + ann->lifetime;

  g_string_append_printf (out, "version: %u\n", ann->record[0]);
  verify_append_key (out, "signing key", ann->signing_key);
  verify_append_key (out, "wireguard key", ann->wg_key);
  verify_append_time (out, "timestamp", ann->timestamp);
  g_string_append_printf (out, "lifetime: %" G_GUINT32_FORMAT "\n", ann->lifetime);
  verify_append_time (out, "expires", expires);
  for (gsize i = 0; i < ann->n_endpoints; i++)
    {
      g_autofree gchar *endpoint = wgd_endpoint_to_string (&ann->endpoints[i]);

      g_string_append_printf (out, "endpoint: %s %s\n",
                              wgd_endpoint_kind_to_string (ann->endpoints[i].kind), endpoint);
    }
  if (ann->name[0] != '\0')
    g_string_append_printf (out, "name: %s\n", ann->name);
  if (ann->has_mesh)
    verify_append_key (out, "mesh", ann->mesh_key);
  if (ann->has_certificate)
    verify_describe_certificate (out, &ann->certificate);
}

int
ctl_cmd_verify (int argc, char **argv)
{
  static const CtlUsage usage = {
    "verify", NULL,
    N_("Read a record on standard input, print its fields and whether a receiver would trust it."),
    /* Translators: the output of verify is for scripts and stays in English:
       keep 'verdict: accepted (binding: B)' and 'verdict: rejected: REASON:
       DETAIL' as they are, and the reasons malformed and too-large too. */
    N_("The record is one line of base64url (as announce prints it) or TXT strings\n"
       "one per line (as announce --txt prints them; recognised by a txtvers= line).\n"
       "Nothing but the options is trusted, and no replay state is kept.\n"
       "\n"
       "The last line is the verdict: 'verdict: accepted (binding: B)' or\n"
       "'verdict: rejected: REASON: DETAIL'.\n"
       "\n"
       "Exit status: 0 accepted; 1 rejected, including valid base64url or TXT\n"
       "strings that do not hold a valid record (malformed, too-large); 2 usage or\n"
       "input error: a bad option, an unreadable file, a revocation list that is\n"
       "not signed by a --ca, or input that is neither base64url nor TXT strings."),
  };
  g_auto (GStrv) cas = NULL;
  g_auto (GStrv) pins = NULL;
  g_auto (GStrv) revocations = NULL;
  g_autofree gchar *mode = NULL;
  g_autofree gchar *mesh = NULL;
  g_autofree gchar *now = NULL;
  const GOptionEntry entries[] = {
    { "ca", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cas,
      N_("Trust certificates of this CA (repeatable)"), N_("KEY") },
    { "pin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &pins,
      /* Translators: SIGNKEY and WGKEY are the parts of the placeholder
         WGKEY=SIGNKEY, which is not translated. */
      N_("Trust SIGNKEY to speak for WireGuard key WGKEY (repeatable)"), "WGKEY=SIGNKEY" },
    { "revocations", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &revocations,
      N_("A revocation list of a --ca, in base64url (repeatable)"), N_("FILE") },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode,
      /* Translators: endpoint is the name of the mode, typed as it is. */
      N_("Decide as an interface in this mode (default endpoint)"), "endpoint|mesh" },
    { "mesh", 0, 0, G_OPTION_ARG_STRING, &mesh,
      N_("The mesh CA key in mesh mode (default: the only --ca)"), N_("KEY") },
    { "now", 0, 0, G_OPTION_ARG_STRING, &now,
      N_("Decide at this time, in seconds since the epoch (default now)"), "UNIX" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (WgdTrustStore) store = wgd_trust_store_new ();
  g_autoptr (WgdAnnouncement) ann = wgd_announcement_new ();
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree gchar *input = NULL;
  g_autofree guint8 *record = NULL;
  g_auto (GStrv) lines = NULL;
  WgdTrustContext ctx = { 0 };
  WgdVerdict verdict;
  guint8 hint[WGD_KEY_LEN];
  gboolean has_hint = FALSE;
  gsize len;
  int status;

  if (!ctl_options_parse (&usage, entries, &argc, &argv, &status))
    return status;
  if (!verify_add_cas (store, cas, &error)
      || !verify_set_context (&ctx, store, mode, mesh, cas, now, &error)
      || !verify_add_pins (store, pins, &error)
      || !verify_add_revocations (store, revocations, &error))
    return ctl_fail_error (usage.name, error);

  input = ctl_io_read_stdin (RECORD_INPUT_MAX, &error);
  if (input == NULL)
    return ctl_fail_error (usage.name, error);
  record = g_malloc (RECORD_INPUT_MAX);
  /* A TXT string never starts or ends in whitespace; a line may. */
  lines = g_strsplit (input, "\n", -1);
  for (gchar **l = lines; *l != NULL; l++)
    g_strstrip (*l);
  if (!verify_is_txt (lines))
    {
      if (!verify_decode_line (input, record, RECORD_INPUT_MAX, &len, &error))
        return ctl_fail_error (usage.name, error);
      wgd_trust_check_record (store, NULL, &ctx, record, len, ann, &verdict);
    }
  else if (verify_decode_txt (lines, record, &len, hint, &has_hint, &error))
    {
      wgd_trust_check_record (store, NULL, &ctx, record, len, ann, &verdict);
      if (has_hint)
        wgd_txt_check_hint (hint, ann, &verdict);
    }
  else
    {
      /* TXT strings that hold no record are a bad record, as the daemon
       * counts them, not bad input. */
      verdict = (WgdVerdict) {
        .reason = g_error_matches (error, WGD_ERROR, WGD_ERROR_TOO_LARGE)
                    ? WGD_REASON_TOO_LARGE : WGD_REASON_MALFORMED,
      };
      g_strlcpy (verdict.detail, error->message, sizeof verdict.detail);
    }

  /* These two are decoding failures: there are no fields to show. */
  if (verdict.reason != WGD_REASON_MALFORMED && verdict.reason != WGD_REASON_TOO_LARGE)
    verify_describe (out, ann);
  if (verdict.accepted)
    g_string_append_printf (out, "verdict: accepted (binding: %s)\n",
                            wgd_binding_to_string (verdict.binding));
  else
    g_string_append_printf (out, "verdict: rejected: %s: %s\n",
                            wgd_reason_to_string (verdict.reason), verdict.detail);
  status = ctl_io_print (usage.name, out->str);
  if (status != CTL_EXIT_OK)
    return status;
  return verdict.accepted ? CTL_EXIT_OK : CTL_EXIT_REJECTED;
}
