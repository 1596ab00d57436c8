/* keys.c — identities and CA keys: generation, text form, key files and
 * the Ed25519 → X25519 derivation. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "base64.h"
#include "keys.h"
#include "wgd-error.h"

/* A key file holds one line; anything bigger is not a key file. */
#define KEY_FILE_MAX 256

WgdKeyPair *
wgd_key_pair_new_from_seed (const guint8 seed[WGD_KEY_LEN])
{
  WgdKeyPair *pair = g_new0 (WgdKeyPair, 1);

  memcpy (pair->seed, seed, WGD_KEY_LEN);
  crypto_sign_seed_keypair (pair->public_key, pair->secret_key, pair->seed);
  return pair;
}

WgdKeyPair *
wgd_key_pair_generate (void)
{
  guint8 seed[WGD_KEY_LEN];
  WgdKeyPair *pair;

  randombytes_buf (seed, sizeof seed);
  pair = wgd_key_pair_new_from_seed (seed);
  sodium_memzero (seed, sizeof seed);
  return pair;
}

void
wgd_key_pair_free (WgdKeyPair *pair)
{
  if (pair == NULL)
    return;
  sodium_memzero (pair, sizeof *pair);
  g_free (pair);
}

guint
wgd_key_hash (gconstpointer key)
{
  static guint8 secret[crypto_shorthash_KEYBYTES];
  static gsize initialised;
  guint8 out[crypto_shorthash_BYTES];
  guint hash;

  if (g_once_init_enter (&initialised))
    {
      randombytes_buf (secret, sizeof secret);
      g_once_init_leave (&initialised, 1);
    }
  crypto_shorthash (out, key, WGD_KEY_LEN, secret);
  memcpy (&hash, out, sizeof hash);
  return hash;
}

gboolean
wgd_key_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, WGD_KEY_LEN) == 0;
}

void
wgd_secret_free (gchar *secret)
{
  if (secret == NULL)
    return;
  sodium_memzero (secret, strlen (secret));
  g_free (secret);
}

WgdKeyPair *
wgd_key_pair_parse (const gchar *text, GError **error)
{
  guint8 seed[WGD_KEY_LEN];
  WgdKeyPair *pair;

  if (!wgd_key_from_base64 (text, seed, error))
    return NULL;
  pair = wgd_key_pair_new_from_seed (seed);
  sodium_memzero (seed, sizeof seed);
  return pair;
}

WgdKeyPair *
wgd_key_pair_load (const gchar *path, GError **error)
{
  gchar buf[KEY_FILE_MAX + 1];
  struct stat st;
  ssize_t n;
  gsize len = 0;
  int fd;
  WgdKeyPair *pair;
  g_autoptr (GError) local = NULL;

  /* O_NONBLOCK: a FIFO in place of the key file must not hang us. */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      int e = errno;

      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, _("cannot open key file %s: %s"),
                   path, g_strerror (e));
      return NULL;
    }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, WGD_ERROR, WGD_ERROR_IO, _("key file %s is not a regular file"), path);
      return NULL;
    }
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    {
      close (fd);
      g_set_error (error, WGD_ERROR, WGD_ERROR_INSECURE,
                   _("key file %s is accessible by group or others (mode %04o); "
                     "it holds a secret key: run 'chmod 600 %s'"),
                   path, (unsigned) (st.st_mode & 07777), path);
      return NULL;
    }
  while (len <= KEY_FILE_MAX)
    {
      n = read (fd, buf + len, sizeof buf - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;

          close (fd);
          sodium_memzero (buf, sizeof buf);
          g_set_error (error, WGD_ERROR, WGD_ERROR_IO, _("cannot read key file %s: %s"),
                       path, g_strerror (e));
          return NULL;
        }
      if (n == 0)
        break;
      len += (gsize) n;
    }
  close (fd);
  if (len > KEY_FILE_MAX)
    {
      sodium_memzero (buf, sizeof buf);
      g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED,
                   _("key file %s is too large to be a key file"), path);
      return NULL;
    }
  buf[len] = '\0';
  pair = wgd_key_pair_parse (buf, &local);
  sodium_memzero (buf, sizeof buf);
  if (pair == NULL)
    g_set_error (error, WGD_ERROR, WGD_ERROR_MALFORMED, _("key file %s: %s"), path, local->message);
  return pair;
}

gchar *
wgd_key_pair_to_text (const WgdKeyPair *pair)
{
  gchar *text = g_malloc (WGD_KEY_BASE64_LEN + 2);

  sodium_bin2base64 (text, WGD_KEY_BASE64_LEN + 1, pair->seed, WGD_KEY_LEN,
                     sodium_base64_VARIANT_ORIGINAL);
  text[WGD_KEY_BASE64_LEN] = '\n';
  text[WGD_KEY_BASE64_LEN + 1] = '\0';
  return text;
}

void
wgd_key_pair_wg_private (const WgdKeyPair *pair, guint8 out[WGD_KEY_LEN])
{
  /* libsodium clamps the result, so it is a valid X25519 private key. */
  crypto_sign_ed25519_sk_to_curve25519 (out, pair->secret_key);
}

void
wgd_key_pair_wg_public (const WgdKeyPair *pair, guint8 out[WGD_KEY_LEN])
{
  /* Our own public key is a valid point by construction. */
  if (crypto_sign_ed25519_pk_to_curve25519 (out, pair->public_key) != 0)
    g_assert_not_reached ();
}

void
wgd_key_fingerprint (const guint8 signing_key[WGD_KEY_LEN], gchar out[WGD_FINGERPRINT_LEN + 1])
{
  static const gchar domain[] = "wgdiscover fingerprint v1";
  crypto_generichash_state state;
  guint8 hash[crypto_generichash_BYTES];
  gchar *p = out;

  crypto_generichash_init (&state, NULL, 0, sizeof hash);
  crypto_generichash_update (&state, (const guint8 *) domain, sizeof domain - 1);
  crypto_generichash_update (&state, signing_key, WGD_KEY_LEN);
  crypto_generichash_final (&state, hash, sizeof hash);
  for (guint i = 0; i < 10; i++)
    {
      if (i > 0 && i % 2 == 0)
        *p++ = '-';
      p += g_snprintf (p, 3, "%02x", hash[i]);
    }
  *p = '\0';
}

gboolean
wgd_wg_key_from_signing_key (const guint8 signing_key[WGD_KEY_LEN], guint8 out[WGD_KEY_LEN])
{
  return crypto_sign_ed25519_pk_to_curve25519 (out, signing_key) == 0;
}
