/* i18n.h — the one place where wgdiscoverctl and wgdiscoverd set up the
 * locale and their message catalogue (po/, README.md "Translations"). */
#pragma once

/* Sets the locale from the environment (LC_ALL, LC_MESSAGES, LANG; and
 * LANGUAGE, which glibc honours unless the locale is C or POSIX) and
 * binds the gettext domain GETTEXT_PACKAGE, in UTF-8 as GLib wants it,
 * to the catalogues in LOCALEDIR.
 *
 * WGDISCOVER_LOCALEDIR, if set, names another directory of catalogues
 * (DIR/LANG/LC_MESSAGES/wgdiscover.mo): the tests (tests/po/) and anyone
 * trying a translation from a build tree use it. It is read with
 * secure_getenv, so a program started with raised privileges (setuid,
 * file capabilities) ignores it: a catalogue holds format strings. */
void wgd_i18n_init (void);
