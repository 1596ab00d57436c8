#!/usr/bin/env bash
# test-po.sh — the translations in po/. Prints TAP.
#
#  1. Every catalogue po/LINGUAS lists is complete: msgfmt -c --statistics
#     counts no untranslated and no fuzzy message, and -c finds every
#     format string (%s, %u, %<PRIu64>, …) of a translation matching its
#     msgid's.
#  2. Every source file with strings marked for translation (_(), N_(),
#     g_dngettext) is in po/POTFILES.in, and every file listed there exists.
#  3. The catalogues are up to date with the sources: xgettext, run with
#     po/Makevars' options over po/POTFILES.in into a temporary directory,
#     extracts exactly the msgids of each catalogue (msgmerge of the two
#     leaves nothing untranslated and nothing obsolete).
#  4. The built catalogue po/de.gmo (make builds it from po/de.po) is not
#     older than po/de.po.
#  5. With a German locale and LANGUAGE=de, the programs speak German from
#     that built catalogue: wgdiscoverctl --help, an error of wgdiscoverctl,
#     and wgdiscoverd --help. The German texts expected are looked up in the
#     same catalogue with gettext(1), so rewording a translation does not
#     break the test, while an untranslated, missing or unused one does.
#     Every option a command's English --help lists is in its German
#     --help, and verify's verdict line, read by scripts, stays English.
#  6. Where the other tests run (LC_ALL=C.UTF-8, no LANGUAGE), and in the
#     C locale even with LANGUAGE=de, the programs speak English.
#
# How the programs find the built catalogue: both honour
# WGDISCOVER_LOCALEDIR (src/common/i18n.c), a directory laid out as
# LOCALEDIR is (de/LC_MESSAGES/wgdiscover.mo); the test copies
# po/de.gmo there, in its temporary directory. Nothing is installed.
#
# The German locale: compiled by localedef from the sources of the
# locales package into the temporary directory and found through LOCPATH,
# so the machine's locales stay as they are. Without those sources the
# test uses C.UTF-8, which glibc does not treat as C (it honours LANGUAGE
# there), and says so.
#
# Needs $WGDISCOVERCTL and $WGDISCOVERD; gettext (msgfmt, xgettext,
# msgmerge, gettext), and locales for localedef's sources.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
po=$srcdir/po
domain=wgdiscover
n=0
check() {
  n=$((n + 1))
  if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}

for tool in msgfmt xgettext msgmerge gettext; do
  if ! command -v "$tool" > /dev/null; then
    echo "1..1"
    echo "not ok 1 - $tool is missing (apt-get install gettext)"
    exit 0
  fi
done

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# 1. Complete catalogues. msgfmt prints e.g. "197 translated messages."
#    and adds ", N fuzzy translations, M untranslated messages." if any.
mapfile -t langs < <(sed 's/#.*//' "$po/LINGUAS" | tr -s ' \t' '\n' | sed '/^$/d')
check "po/LINGUAS lists a language" '(( ${#langs[@]} > 0 ))'
for lang in "${langs[@]}"; do
  stats=$(LC_ALL=C msgfmt -c --statistics -o /dev/null "$po/$lang.po" 2>&1)
  status=$?
  stats=${stats//$'\n'/ }
  check "po/$lang.po: msgfmt -c passes and counts nothing untranslated or fuzzy: $stats" \
    '(( status == 0 )) && [[ $stats =~ ^[0-9]+\ translated\ messages?\.$ ]]'
done

# 2. POTFILES.in names every file with marked strings, and only files.
listed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$po/POTFILES.in" | sort)
marked=$(cd "$srcdir" && grep -rlE --include='*.c' '(^|[^A-Za-z0-9_])(N?_|g_dngettext) ?\(' src | sort)
unlisted=$(comm -13 <(echo "$listed") <(echo "$marked") | tr '\n' ' ')
check "po/POTFILES.in lists every source file with marked strings${unlisted:+; not: $unlisted}" \
  '[[ -n $marked && -z $unlisted ]]'
absent=
for f in $listed; do [[ -f $srcdir/$f ]] || absent+=" $f"; done
check "every file po/POTFILES.in lists exists${absent:+; missing:$absent}" '[[ -z $absent ]]'

# 3. Up to date: a template made now, with the options po/Makefile uses.
options=$(sed -n '/^XGETTEXT_OPTIONS[[:space:]]*=/,/[^\\]$/p' "$po/Makevars" |
            sed -e 's/^XGETTEXT_OPTIONS[[:space:]]*=//' -e 's/\\$//' | tr '\n' ' ')
read -ra options <<< "$options"
echo "$listed" > "$tmp/POTFILES"
LC_ALL=C xgettext "${options[@]}" --directory="$srcdir" --files-from="$tmp/POTFILES" \
  --package-name="$domain" -o "$tmp/$domain.pot" 2> "$tmp/xgettext.err"
status=$?
check "xgettext extracts the marked strings with po/Makevars' options$(sed 's/^/; /' "$tmp/xgettext.err" | tr '\n' ' ')" \
  '(( status == 0 )) && grep -q "^msgid \"Show this help and exit\"" "$tmp/$domain.pot"'
for lang in "${langs[@]}"; do
  LC_ALL=C msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.merged.po" "$po/$lang.po" \
    "$tmp/$domain.pot" 2> /dev/null
  stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/$lang.merged.po" 2>&1)
  stale=$(grep -c '^#~ msgid' "$tmp/$lang.merged.po")
  check "po/$lang.po has every string the sources mark (merged with them: $stats)" \
    '[[ $stats =~ ^[0-9]+\ translated\ messages?\.$ ]]'
  check "po/$lang.po has no string the sources no longer mark; stale: $stale" '(( stale == 0 ))'
done

# 4. The built catalogue.
gmo=$po/de.gmo
check "po/de.gmo is built and not older than po/de.po" '[[ -s $gmo && ! $po/de.po -nt $gmo ]]'

# 5. German, from the built catalogue.
catalogues=$tmp/share/locale
mkdir -p "$catalogues/de/LC_MESSAGES"
cp "$gmo" "$catalogues/de/LC_MESSAGES/$domain.mo" 2> /dev/null
export WGDISCOVER_LOCALEDIR=$catalogues
german_locale=
mkdir -p "$tmp/locales"
# localedef may warn and exit non-zero yet make a usable locale: what
# counts is whether the C library takes it.
localedef -i de_DE -f UTF-8 "$tmp/locales/de_DE.UTF-8" > "$tmp/localedef.out" 2>&1
if [[ $(LOCPATH=$tmp/locales LC_ALL=de_DE.UTF-8 locale charmap 2>&1) == UTF-8 ]]; then
  german_locale=de_DE.UTF-8
  echo "# German locale: de_DE.UTF-8, compiled into the test's directory (LOCPATH)"
else
  echo "# localedef cannot make de_DE.UTF-8 here ($(tr '\n' ' ' < "$tmp/localedef.out"));" \
       "using C.UTF-8 with LANGUAGE=de"
fi
# de ARGS...: runs ARGS in German.
de() {
  if [[ -n $german_locale ]]; then
    LOCPATH=$tmp/locales LC_ALL=$german_locale LANGUAGE=de "$@"
  else
    LC_ALL=C.UTF-8 LANGUAGE=de "$@"
  fi
}
# german MSGID: its translation in the built catalogue, looked up in German.
german() { de env TEXTDOMAINDIR="$catalogues" gettext -- "$domain" "$1"; }
# speaks MSGID FILE: FILE has the translation of MSGID, and the
# translation is not the English text itself.
speaks() {
  local t
  t=$(german "$1")
  [[ -n $t && $t != "$1" ]] && grep -qF -- "$t" "$2" && ! grep -qF -- "$1" "$2"
}
# The long options of a --help text, one per line.
options_in() { grep -oE -- '--[a-z][a-z-]*' "$1" | sort -u; }

de "$ctl" --help > "$tmp/ctl-help" 2>&1
status=$?
check "wgdiscoverctl --help is German: $(sed -n 4p "$tmp/ctl-help")" \
  '(( status == 0 )) \
   && speaks "Tool for wgdiscover identities, mesh certificates and announcement records
(offline), and for the running wgdiscoverd (over D-Bus)." \
        "$tmp/ctl-help" \
   && speaks "Sign an announcement record" "$tmp/ctl-help"'

de "$ctl" signkey < /dev/null > "$tmp/ctl-out" 2> "$tmp/ctl-err"
status=$?
expected="wgdiscoverctl: signkey: $(german "standard input is empty; expected one secret key in base64")"
check "an error of wgdiscoverctl is German: $(cat "$tmp/ctl-err")" \
  '(( status == 2 )) && [[ ! -s $tmp/ctl-out && $(cat "$tmp/ctl-err") == "$expected" ]] \
   && speaks "standard input is empty; expected one secret key in base64" "$tmp/ctl-err"'

de "$ctl" ca sign --ca ca.key > /dev/null 2> "$tmp/ctl-err"
status=$?
check "a usage error of wgdiscoverctl is German: $(cat "$tmp/ctl-err")" \
  '(( status == 2 )) && speaks "--ca, --name, --signkey, --wgkey and --address are required" \
     "$tmp/ctl-err"'

de "$daemon" --help > "$tmp/daemon-help" 2>&1
status=$?
check "wgdiscoverd --help is German: $(grep -e '--debug' "$tmp/daemon-help")" \
  '(( status == 0 )) && speaks "Log debugging messages" "$tmp/daemon-help" \
   && speaks "Stay in the foreground (for systemd and other supervisors)" "$tmp/daemon-help" \
   && grep -qF -- "$(german "Configuration file (default %s)" | sed "s|%s.*|/|")" "$tmp/daemon-help"'

for cmd in "" genkey ca "ca sign" "ca revoke" announce verify; do
  # shellcheck disable=SC2086 # "ca sign" is two words on purpose
  LC_ALL=C.UTF-8 "$ctl" $cmd --help > "$tmp/en" 2>&1
  # shellcheck disable=SC2086
  de "$ctl" $cmd --help > "$tmp/de" 2>&1
  lost=$(comm -23 <(options_in "$tmp/en") <(options_in "$tmp/de") | tr '\n' ' ')
  check "wgdiscoverctl${cmd:+ $cmd} --help in German lists every option the English one does${lost:+; lost: $lost}" \
    '[[ -s $tmp/de && -z $lost ]] && ! cmp -s "$tmp/en" "$tmp/de"'
done

echo AAAA | de "$ctl" verify > "$tmp/verdict" 2> "$tmp/ctl-err"
status=$?
check "verify's verdict stays English in German: $(tail -n 1 "$tmp/verdict")" \
  '(( status == 1 )) && tail -n 1 "$tmp/verdict" | grep -q "^verdict: rejected: malformed: "'

# 6. English where the other tests run, and in the C locale.
env -u LANGUAGE LC_ALL=C.UTF-8 "$ctl" --help > "$tmp/en" 2>&1
check "wgdiscoverctl --help is English with LC_ALL=C.UTF-8 and no LANGUAGE" \
  'grep -q "^Commands:$" "$tmp/en" \
   && grep -qF "Tool for wgdiscover identities" "$tmp/en"'
LC_ALL=C LANGUAGE=de "$daemon" --help > "$tmp/en" 2>&1
check "wgdiscoverd --help is English with LC_ALL=C, even with LANGUAGE=de" \
  'grep -qF "Log debugging messages" "$tmp/en"'

echo "1..$n"
