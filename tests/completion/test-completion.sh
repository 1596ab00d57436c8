#!/usr/bin/env bash
# test-completion.sh — the bash completion of wgdiscoverctl
# (completion/wgdiscoverctl), as bash calls it: COMP_WORDS and COMP_CWORD
# set, the completion function run, COMPREPLY compared with what the
# built wgdiscoverctl's --help lists. Needs only bash. Prints TAP.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
n=0
check() {
  n=$((n + 1))
  if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}

source "$srcdir/completion/wgdiscoverctl"
check "the completion is registered for wgdiscoverctl" \
  '[[ $(complete -p wgdiscoverctl) == *"-F _wgdiscoverctl"* ]]'

# complete WORD...: the completions of the last word (may be empty),
# one per line, sorted.
complete_words() {
  COMP_WORDS=("$ctl" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _wgdiscoverctl
  printf '%s\n' "${COMPREPLY[@]}" | sort
}
has() { grep -qxF -- "$2" <<< "$1"; }
lacks() { ! grep -qxF -- "$2" <<< "$1"; }

top=$(complete_words "")
for cmd in genkey signkey wgkey wgpubkey ca announce verify; do
  check "'wgdiscoverctl <TAB>' offers $cmd" 'has "$top" $cmd'
done
check "'wgdiscoverctl <TAB>' offers only commands" \
  '[[ $(wc -l <<< "$top") -eq $("$ctl" --help | awk "/^Commands:/ { on = 1; next } on && NF == 0 { on = 0 } on" | wc -l) ]]'
check "'wgdiscoverctl ve<TAB>' is verify" '[[ $(complete_words ve) == verify ]]'
ca=$(complete_words ca "")
check "'wgdiscoverctl ca <TAB>' offers init, pubkey, sign and revoke" \
  '[[ $ca == $(printf "%s\n" init pubkey revoke sign) ]]'
sign=$(complete_words ca sign --)
for opt in --ca --name --signkey --wgkey --address --days --serial --not-before --help; do
  check "'wgdiscoverctl ca sign --<TAB>' offers $opt" 'has "$sign" $opt'
done
check "'wgdiscoverctl ca sign --<TAB>' offers no option of announce" 'lacks "$sign" --identity'
announce=$(complete_words announce --)
check "'wgdiscoverctl announce --<TAB>' offers --identity and --txt" \
  'has "$announce" --identity && has "$announce" --txt'
check "'wgdiscoverctl verify --mode <TAB>' offers endpoint and mesh" \
  '[[ $(complete_words verify --mode "") == $(printf "%s\n" endpoint mesh) ]]'
# bash splits "--mode=m" at the "=" (COMP_WORDBREAKS).
check "'wgdiscoverctl verify --mode=m<TAB>' is mesh" \
  '[[ $(complete_words verify --mode = m) == mesh ]]'
check "'wgdiscoverctl verify --mode=<TAB>' offers endpoint and mesh" \
  '[[ $(complete_words verify --mode =) == $(printf "%s\n" endpoint mesh) ]]'
check "'wgdiscoverctl verify --mode=mesh --<TAB>' offers verify's options" \
  'has "$(complete_words verify --mode = mesh --)" --pin'
dir=$(mktemp -d)
touch "$dir/identity"
check "'wgdiscoverctl announce --identity <TAB>' offers files" \
  '[[ $(complete_words announce --identity "$dir/id") == "$dir/identity" ]]'
check "a file given to --identity is no command word" \
  '[[ -n $(complete_words announce --identity "$dir/identity" --) ]]'
check "'wgdiscoverctl verify --ca <TAB>' offers no file (a key is asked for)" \
  '[[ -z $(complete_words verify --ca "$dir/") ]]'
rm -rf "$dir"
echo "1..$n"
