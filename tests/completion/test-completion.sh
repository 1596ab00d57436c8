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
for cmd in genkey signkey wgkey wgpubkey ca announce verify status peers peer approve reject \
  pause resume reload monitor ifconf; do
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
for cmd in status peers peer approve reject pause resume reload monitor; do
  check "'wgdiscoverctl $cmd --<TAB>' offers --json" 'has "$(complete_words $cmd --)" --json'
done
ifconf=$(complete_words ifconf --)
check "'wgdiscoverctl ifconf --<TAB>' offers --json, --export and --root" \
  'has "$ifconf" --json && has "$ifconf" --export && has "$ifconf" --root'
mkdir "$dir/idir"
check "'wgdiscoverctl ifconf --root <TAB>' offers directories only" \
  '[[ $(complete_words ifconf --root "$dir/i") == "$dir/idir" ]]'
check "'wgdiscoverctl ifconf --export=<TAB>' offers files" \
  '[[ $(complete_words ifconf --export = "$dir/ide") == "$dir/identity" ]]'
peers=$(complete_words peers --)
check "'wgdiscoverctl peers --<TAB>' offers --names and --pending" \
  'has "$peers" --names && has "$peers" --pending'

# The peers, from a wgdiscoverctl that answers 'peers --names' as the
# daemon would (and runs the real one for the rest).
stub=$dir/wgdiscoverctl
cat > "$stub" <<STUB
#!/usr/bin/env bash
if [[ \$1 == peers && \$2 == --names ]]; then
  if [[ \${3:-} == --pending ]]; then echo h3; else printf '%s\n' h2 h3 'my laptop'; fi
  exit 0
fi
exec "$ctl" "\$@"
STUB
chmod +x "$stub"
complete_with() {
  COMP_WORDS=("$stub" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _wgdiscoverctl
  printf '%s\n' "${COMPREPLY[@]}" | sort
}
check "'wgdiscoverctl peer <TAB>' offers the daemon's peers, a name with a space quoted" \
  '[[ $(complete_with peer "") == "$(printf "%s\n" h2 h3 "my\\ laptop")" ]]'
check "'wgdiscoverctl peer h<TAB>' offers h2 and h3" \
  '[[ $(complete_with peer h) == $(printf "%s\n" h2 h3) ]]'
check "'wgdiscoverctl approve <TAB>' offers only the pending peer" '[[ $(complete_with approve "") == h3 ]]'
check "'wgdiscoverctl reject <TAB>' offers only the pending peer" '[[ $(complete_with reject "") == h3 ]]'
check "'wgdiscoverctl peer h2 <TAB>' offers nothing more" '[[ -z $(complete_with peer h2 "") ]]'
check "'wgdiscoverctl peer --<TAB>' offers --json" 'has "$(complete_with peer --)" --json'
# Without a bus (so without a daemon): no peers, and not a word on stderr.
nobus() {
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/no-bus complete_words "$@" 2> "$dir/stderr"
}
check "without a daemon, 'wgdiscoverctl peer <TAB>' offers nothing and says nothing" \
  '[[ -z $(nobus peer "") && ! -s $dir/stderr ]]'
check "without a daemon, 'wgdiscoverctl approve <TAB>' offers nothing and says nothing" \
  '[[ -z $(nobus approve "") && ! -s $dir/stderr ]]'
rm -rf "$dir"
echo "1..$n"
