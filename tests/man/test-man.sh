#!/usr/bin/env bash
# test-man.sh — the manual pages: groff formats each without a warning,
# each documents every option and command its program's --help lists, and
# wgdiscoverd.conf(5) every group and key the configuration parser knows
# (src/common/configuration.c), so the pages cannot fall behind the
# programs unnoticed. Prints TAP.
# Needs $WGDISCOVERCTL, $WGDISCOVERD and $WGDISCOVER_RENDEZVOUS; groff
# (groff-base).

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
n=0
check() {
  n=$((n + 1))
  if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}

if ! command -v groff > /dev/null; then
  echo "1..1"
  echo "not ok 1 - groff is missing (apt-get install groff-base)"
  exit 0
fi

for page in "$srcdir"/man/*.[158]; do
  warnings=$(groff -man -ww -z "$page" 2>&1)
  check "${page##*/} formats without warnings${warnings:+: $warnings}" '[[ -z $warnings ]]'
done

# The long options in a --help text, one per line.
options_of() { "$@" --help 2>&1 | grep -oE -- '--[a-z][a-z-]*' | grep -vx -- '--help' | sort -u; }
# Whether a page mentions an option or word, as groff source writes it.
documents() { grep -qF -- "${2//-/\\-}" "$srcdir/man/$1"; }

for opt in $(options_of "$daemon"); do
  check "wgdiscoverd.8 documents $opt" 'documents wgdiscoverd.8 "$opt"'
done
rendezvous=${WGDISCOVER_RENDEZVOUS:?WGDISCOVER_RENDEZVOUS names wgdiscover-rendezvous}
for opt in $(options_of "$rendezvous"); do
  check "wgdiscover-rendezvous.8 documents $opt" 'documents wgdiscover-rendezvous.8 "$opt"'
done
# The rendezvous server's keys: the strings of rdv-config.c's keys[] tables.
rdv_keys=$(awk '/static const gchar \*const keys\[\] = \{/ { on = 1 } on { print } on && /NULL \};/ { on = 0 }' \
  "$srcdir/src/rendezvous/rdv-config.c" | grep -oE '"[A-Za-z]+"' | tr -d '"' | sort -u)
check "rdv-config.c has key tables" '[[ -n $rdv_keys ]]'
for key in $rdv_keys; do
  check "wgdiscover-rendezvous.8 documents $key=" \
    'grep -qE "^\.BI? $key=" "$srcdir/man/wgdiscover-rendezvous.8"'
done
commands=$("$ctl" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { on = 0 } on { print $1 }')
check "wgdiscoverctl --help lists its commands" '[[ -n $commands ]]'
for cmd in $commands; do
  check "wgdiscoverctl.1 documents '$cmd'" 'documents wgdiscoverctl.1 "wgdiscoverctl $cmd"'
done
for cmd in "ca sign" "ca revoke" announce verify status peers peer approve reject pause resume \
  reload monitor; do
  for opt in $(options_of "$ctl" $cmd); do
    check "wgdiscoverctl.1 documents $cmd $opt" 'documents wgdiscoverctl.1 "$opt"'
  done
done
# The parser's keys: the strings of its "keys[] = { …, NULL }" tables.
parser=$srcdir/src/common/configuration.c
keys=$(awk '/static const gchar \*const keys\[\] = \{/ { on = 1 } on { print } on && /NULL \};/ { on = 0 }' \
  "$parser" | grep -oE '"[A-Za-z]+"' | tr -d '"' | sort -u)
check "configuration.c has key tables" '[[ $(wc -w <<< "$keys") -ge 10 ]]'
for key in $keys; do
  check "wgdiscoverd.conf.5 documents $key=" 'grep -qE "^\.B[IR]? $key=" "$srcdir/man/wgdiscoverd.conf.5"'
done
# The groups, as the parser's error for an unknown one lists them.
groups=$(grep -oE '\[(Daemon|[A-Z][a-z]+ NAME)\]' "$parser" | sort -u)
check "configuration.c names its groups" '[[ $(wc -l <<< "$groups") -ge 4 ]]'
while read -r group; do
  check "wgdiscoverd.conf.5 has a section $group" 'grep -qxF ".SH $group" "$srcdir/man/wgdiscoverd.conf.5"'
done <<< "$groups"
echo "1..$n"
