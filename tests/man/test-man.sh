#!/usr/bin/env bash
# test-man.sh — the manual pages: groff formats each without a warning,
# and each documents every option and command its program's --help lists,
# so the pages cannot fall behind the programs unnoticed. Prints TAP.
# Needs $WGDISCOVERCTL and $WGDISCOVERD; groff (groff-base).

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

for page in "$srcdir"/man/*.[18]; do
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
commands=$("$ctl" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { on = 0 } on { print $1 }')
check "wgdiscoverctl --help lists its commands" '[[ -n $commands ]]'
for cmd in $commands; do
  check "wgdiscoverctl.1 documents '$cmd'" 'documents wgdiscoverctl.1 "wgdiscoverctl $cmd"'
done
for cmd in "ca sign" "ca revoke" announce verify; do
  for opt in $(options_of "$ctl" $cmd); do
    check "wgdiscoverctl.1 documents $cmd $opt" 'documents wgdiscoverctl.1 "$opt"'
  done
done
echo "1..$n"
