#!/bin/sh
# test-ctl.sh — wgdiscoverctl end to end: every command, its output
# formats, and its errors (one line on stderr, nothing on stdout, exit 2).
# Prints TAP. Needs $WGDISCOVERCTL; $WG (wg) is optional.
#
# Conditions are single-quoted strings that check evaluates later:
# shellcheck disable=SC2016,SC2034

set -u

ctl=${WGDISCOVERCTL:?set WGDISCOVERCTL to the wgdiscoverctl binary}
wg=${WG-}

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
cd "$tmp" || exit 99
# Key files must be 0600 to be accepted; the tests relax that on purpose.
umask 077

echo "1..133"
n=0

# check DESCRIPTION CONDITION: one test, passing when CONDITION (shell
# code, evaluated) succeeds; on failure the last run's output follows as
# TAP diagnostics.
check () {
  n=$((n + 1))
  if eval "$2"; then
    echo "ok $n - $1"
  else
    echo "not ok $n - $1"
    sed 's/^/# stdout: /' out 2>/dev/null
    sed 's/^/# stderr: /' err 2>/dev/null
  fi
}

# run ARGS...: runs wgdiscoverctl; stdout in out, stderr in err, status in rc.
run () {
  "$ctl" "$@" >out 2>err
  rc=$?
}

# usage_error COMMAND: the last run failed as bad input should.
usage_error () {
  [ "$rc" -eq 2 ] && [ ! -s out ] && [ "$(wc -l <err)" -eq 1 ] \
    && grep -q "^wgdiscoverctl: $1: ." err
}

# verdict PATTERN STATUS: the last verify ended in this verdict and status.
verdict () {
  [ "$rc" -eq "$2" ] && [ ! -s err ] && tail -n 1 out | grep -Eq "^verdict: $1"
}

# flip: changes the 30th character of a line of base64url.
flip () {
  awk '{ c = substr($0, 30, 1); r = (c == "A") ? "B" : "A";
         print substr($0, 1, 29) r substr($0, 31) }'
}

# txt_chunks_ok: after txtvers=1 and pub=, the lines are a0=, a1=, … in
# order, each of at most 240 characters of base64url, and there are several.
txt_chunks_ok () {
  awk 'NR > 2 {
         if ($0 !~ ("^a" (NR - 3) "=[A-Za-z0-9_-]+$")) exit 1
         if (length($0) - index($0, "=") > 240) exit 1
       }
       END { exit !(NR > 3) }'
}

# lists_commands: the last run's output lists every command.
lists_commands () {
  for c in genkey signkey wgkey wgpubkey ca announce verify ifconf; do
    grep -q "^  $c " out || return 1
  done
}

now=$(date +%s)
zero=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
echo "$zero" >zero

# --- genkey, signkey, wgkey, wgpubkey ----------------------------------

run genkey
check "genkey prints one line of 44 characters of base64" \
  '[ "$rc" -eq 0 ] && [ "$(wc -l <out)" -eq 1 ] && grep -Eqx "[A-Za-z0-9+/]{43}=" out'
mv out id
run genkey
check "genkey prints a different identity each time" \
  '[ "$rc" -eq 0 ] && ! cmp -s out id'
mv out other

# Known answers for the all-zero seed, checked against wg and an
# independent Ed25519 implementation when they were recorded.
run signkey <zero
check "signkey of a fixed identity" \
  '[ "$rc" -eq 0 ] && [ "$(cat out)" = O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik= ]'
run wgpubkey <zero
check "wgpubkey of a fixed identity" \
  '[ "$rc" -eq 0 ] && [ "$(cat out)" = W/Vcc7guviK+gPNDBmevVw+uJVamQV5rMNQGUwCqlH0= ]'
run wgkey <zero
check "wgkey of a fixed identity" \
  '[ "$rc" -eq 0 ] && [ "$(cat out)" = UEatwduoOIZ7K7v90MNCPli1eXC1JnqQ9XlgkkqH8VY= ]'

if [ -n "$wg" ] && [ -x "$wg" ]; then
  agree=yes
  for _ in 1 2 3 4 5; do
    "$ctl" genkey >random
    [ "$("$ctl" wgkey <random | "$wg" pubkey)" = "$("$ctl" wgpubkey <random)" ] || agree=no
  done
  check "wg pubkey of wgkey equals wgpubkey for random identities" '[ "$agree" = yes ]'
else
  n=$((n + 1))
  echo "ok $n # SKIP wg not installed"
fi

printf '  %s  \n\n' "$zero" >padded
run signkey <padded
check "signkey ignores whitespace around the key" \
  '[ "$rc" -eq 0 ] && [ "$(cat out)" = O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik= ]'

: >empty
for cmd in signkey wgkey wgpubkey; do
  run "$cmd" <empty
  check "$cmd refuses empty standard input" "usage_error $cmd && grep -q empty err"
done

cat id other >two
run wgkey <two
secret=$(cut -c1-20 id)
check "wgkey refuses two keys on standard input, without showing them" \
  'usage_error wgkey && grep -q "more than one" err && ! grep -qF "$secret" err'

printf '%sxyz\n' "$(cat id)" >long
run signkey <long
check "signkey refuses a key of the wrong length, without showing it" \
  'usage_error signkey && grep -q "not a key" err && ! grep -qF "$secret" err'

head -c 5000 /dev/zero | tr '\0' A >huge
run signkey <huge
check "signkey refuses more than a few KiB of input" 'usage_error signkey && grep -q larger err'

# --- ca init, ca pubkey --------------------------------------------------

run ca init
check "ca init prints a secret key" \
  '[ "$rc" -eq 0 ] && [ "$(wc -l <out)" -eq 1 ] && grep -Eqx "[A-Za-z0-9+/]{43}=" out'
mv out ca.key
run ca pubkey <ca.key
check "ca pubkey prints the CA public key" \
  '[ "$rc" -eq 0 ] && grep -Eqx "[A-Za-z0-9+/]{43}=" out && ! cmp -s out ca.key'
ca_pub=$(cat out)
run ca pubkey <zero
check "ca pubkey of a fixed key" \
  '[ "$rc" -eq 0 ] && [ "$(cat out)" = O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik= ]'
run ca pubkey <empty
check "ca pubkey refuses empty standard input" 'usage_error "ca pubkey"'
"$ctl" ca init >other-ca.key
other_ca_pub=$("$ctl" ca pubkey <other-ca.key)

# --- ca sign ---------------------------------------------------------------

id_sign=$("$ctl" signkey <id)
id_wg=$("$ctl" wgpubkey <id)
other_sign=$("$ctl" signkey <other)
other_wg=$("$ctl" wgpubkey <other)

run ca sign --ca ca.key --name node1 --signkey "$id_sign" --wgkey "$id_wg" \
  --address 10.0.0.2/32 --address fd00::2 --serial 42 --not-before "$((now - 60))" --days 2
check "ca sign prints a certificate in base64url on one line" \
  '[ "$rc" -eq 0 ] && [ "$(wc -l <out)" -eq 1 ] && grep -Eqx "[A-Za-z0-9_-]+" out'
mv out cert

cp ca.key open.key
chmod 644 open.key
ca_secret=$(cut -c1-20 ca.key)
run ca sign --ca open.key --name node1 --signkey "$id_sign" --wgkey "$id_wg" --address 10.0.0.2
check "ca sign refuses a CA key file of mode 0644, saying how to fix it" \
  'usage_error "ca sign" && grep -q 0644 err && grep -q "chmod 600" err && ! grep -qF "$ca_secret" err'

run ca sign --ca missing.key --name node1 --signkey "$id_sign" --wgkey "$id_wg" --address 10.0.0.2
check "ca sign reports a missing CA key file" 'usage_error "ca sign" && grep -q missing.key err'

printf '%s junk\n' "$(cat ca.key)" >bad.key
run ca sign --ca bad.key --name node1 --signkey "$id_sign" --wgkey "$id_wg" --address 10.0.0.2
check "ca sign refuses a CA key file that is not one key, without showing it" \
  'usage_error "ca sign" && ! grep -qF "$ca_secret" err'

run ca sign --ca ca.key --name node1 --signkey "$id_sign" --wgkey "$id_wg"
check "ca sign requires --address" 'usage_error "ca sign" && grep -q -- --address err'
run ca sign --ca ca.key --signkey "$id_sign" --wgkey "$id_wg" --address 10.0.0.2
check "ca sign requires --name" 'usage_error "ca sign" && grep -q -- --name err'
run ca sign --ca ca.key --name node1 --signkey "$id_sign" --wgkey "$id_wg" --address 10.0.0.300
check "ca sign refuses a bad --address" 'usage_error "ca sign" && grep -q -- --address err'
run ca sign --ca ca.key --name node1 --signkey "$id_sign" --wgkey "$id_wg" --address 10.0.0.1/24
check "ca sign refuses a prefix with host bits set" 'usage_error "ca sign" && grep -q -- --address err'
run ca sign --ca ca.key --name node1 --signkey nope --wgkey "$id_wg" --address 10.0.0.2
check "ca sign refuses a bad --signkey" 'usage_error "ca sign" && grep -q -- --signkey err'
run ca sign --ca ca.key --name "$(printf '%064d' 0)" --signkey "$id_sign" --wgkey "$id_wg" \
  --address 10.0.0.2
check "ca sign refuses a name longer than 63 bytes" 'usage_error "ca sign" && grep -q -- --name err'
run ca sign --ca ca.key --name node1 --signkey "$id_sign" --wgkey "$id_wg" --address 10.0.0.2 \
  --days 0
check "ca sign refuses --days 0" 'usage_error "ca sign" && grep -q -- --days err'
run ca sign --ca ca.key --name node1 --signkey "$id_sign" --wgkey "$id_wg" --address 10.0.0.2 \
  --serial -1
check "ca sign refuses a negative --serial" 'usage_error "ca sign" && grep -q -- --serial err'

# --- announce, verify: derived ------------------------------------------------

run announce --identity zero --timestamp 1700000000 --lifetime 3600 \
  --endpoint 192.0.2.1:51820 --name node
check "announce of a fixed identity and time gives the known record" \
  '[ "$rc" -eq 0 ] && [ "$(cat out)" = AQEAIDtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdopAgAgW_Vcc7guviK-gPNDBmevVw-uJVamQV5rMNQGUwCqlH0DAAgAAAAAZVPxAAQABAAADhAFAAgBBMAAAgHKbAYABG5vZGVMSNgVGHrk2KtoRQpr5v_LAJ_yqQA2NbImX0Zr59g03gab_3H9LqvahZ5cFMguhfqPIA2dkncbkbGnqGcz_XoK ]'
mv out known
run verify --now 1700000010 <known
check "verify prints every field of the known record" \
  '[ "$(head -n 8 out)" = "version: 1
signing key: O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=
wireguard key: W/Vcc7guviK+gPNDBmevVw+uJVamQV5rMNQGUwCqlH0=
timestamp: 1700000000 (2023-11-14T22:13:20Z)
lifetime: 3600
expires: 1700003600 (2023-11-14T23:13:20Z)
endpoint: host 192.0.2.1:51820
name: node" ]'
check "verify --now accepts the known record with a derived binding" \
  'verdict "accepted \(binding: derived\)$" 0'

run announce --identity id --endpoint 192.0.2.1:51820 --endpoint 'reflexive:[2001:db8::1]:51820' \
  --endpoint configured:198.51.100.7:4500 --name node1
check "announce prints the record in base64url on one line" \
  '[ "$rc" -eq 0 ] && [ "$(wc -l <out)" -eq 1 ] && grep -Eqx "[A-Za-z0-9_-]+" out && [ ! -s err ]'
mv out derived
run verify <derived
check "verify accepts a derived record" 'verdict "accepted \(binding: derived\)$" 0'
check "verify shows each endpoint with its kind" \
  'grep -qx "endpoint: host 192.0.2.1:51820" out \
   && grep -qx "endpoint: reflexive \[2001:db8::1\]:51820" out \
   && grep -qx "endpoint: configured 198.51.100.7:4500" out'
check "verify shows the keys the identity gives" \
  'grep -qx "signing key: $id_sign" out && grep -qx "wireguard key: $id_wg" out'
run verify --mode mesh --ca "$ca_pub" <derived
check "verify in mesh mode rejects a record without a certificate" 'verdict "rejected: no-binding" 1'

LC_ALL=C.UTF-8 "$ctl" announce --identity id --endpoint 192.0.2.1:51820 --name 'nöde' >utf8
run verify <utf8
check "a UTF-8 name survives announce and verify" \
  'verdict accepted 0 && grep -qx "name: nöde" out'

cp id open.id
chmod 644 open.id
id_secret=$(cut -c1-20 id)
run announce --identity open.id --endpoint 192.0.2.1:51820
check "announce refuses an identity file of mode 0644, saying how to fix it" \
  'usage_error announce && grep -q 0644 err && grep -q "chmod 600" err && ! grep -qF "$id_secret" err'
chmod 600 open.id
run announce --identity open.id --endpoint 192.0.2.1:51820
check "announce takes the same file at mode 0600" '[ "$rc" -eq 0 ] && [ -s out ]'

# --- freshness, tampering, input errors -------------------------------------

"$ctl" announce --identity id --endpoint 192.0.2.1:51820 --timestamp 1000000000 --lifetime 60 >old
run verify <old
check "verify rejects an expired record" 'verdict "rejected: expired: " 1'
run verify --now 1000000030 <old
check "verify --now decides at the given time" 'verdict accepted 0'
"$ctl" announce --identity id --endpoint 192.0.2.1:51820 --timestamp "$((now + 3600))" >future
run verify <future
check "verify rejects a record from the future" 'verdict "rejected: future: " 1'

flip <derived >flipped
run verify <flipped
check "verify rejects a record with a changed character" \
  'verdict "rejected: (bad-signature|malformed): " 1 && ! cmp -s flipped derived'

echo AAAA >short
run verify <short
check "verify rejects base64url that is no record as malformed, fields unshown" \
  'verdict "rejected: malformed: " 1 && [ "$(wc -l <out)" -eq 1 ]'
awk 'BEGIN { for (i = 0; i < 1468; i++) printf "A"; print "" }' >big
run verify <big
check "verify rejects an oversized record as too-large" 'verdict "rejected: too-large: " 1'

echo 'not-base64url!' >garbage
run verify <garbage
check "verify refuses input that is not base64url with exit 2" 'usage_error verify'
echo 'two words' >words
run verify <words
check "verify refuses several words that are not TXT strings" 'usage_error verify'
run verify <empty
check "verify refuses empty input" 'usage_error verify && grep -q empty err'

# --- certificates and pins ----------------------------------------------------

run announce --identity id --endpoint 192.0.2.1:51820 --cert cert --name node1
check "announce --cert signs a record" '[ "$rc" -eq 0 ] && [ -s out ]'
mv out certified
run verify --ca "$ca_pub" --mode mesh <certified
check "verify in mesh mode accepts the certified record" \
  'verdict "accepted \(binding: certificate\)$" 0'
check "verify shows the certificate and the mesh" \
  'grep -qx "certificate serial: 42" out && grep -qx "certificate prefix: 10.0.0.2/32" out \
   && grep -qx "certificate prefix: fd00::2/128" out && grep -qx "mesh: $ca_pub" out \
   && grep -qx "certificate name: node1" out && grep -qx "certificate ca: $ca_pub" out \
   && grep -qx "certificate not-after: $((now - 60 + 2 * 86400)) (.*)" out'
run verify --ca "$ca_pub" <certified
check "verify in endpoint mode accepts it with the certificate binding" \
  'verdict "accepted \(binding: certificate\)$" 0'
run verify --mode mesh <certified
check "verify in mesh mode without --ca is a usage error" 'usage_error verify'
run verify --mode mesh --ca "$ca_pub" --ca "$other_ca_pub" <certified
check "verify in mesh mode with two --ca and no --mesh is a usage error" 'usage_error verify'
run verify --mode mesh --mesh "$other_ca_pub" --ca "$ca_pub" <certified
check "verify in mesh mode rejects a record of another mesh" 'verdict "rejected: wrong-mesh: " 1'
run verify --mesh "$ca_pub" <certified
check "verify refuses --mesh outside mesh mode" 'usage_error verify'
run verify --mode bogus <certified
check "verify refuses an unknown --mode" 'usage_error verify'

"$ctl" announce --identity id --endpoint 192.0.2.1:51820 --cert cert --txt >txt
check "announce --txt prints txtvers=1 first" '[ "$(head -n 1 txt)" = txtvers=1 ]'
check "announce --txt splits the record into a0=, a1=, ... of at most 240 characters" \
  'txt_chunks_ok <txt'
check "announce --txt names the record's WireGuard key in pub=, second" \
  '[ "$(sed -n 2p txt)" = "pub=$("$ctl" wgpubkey <id)" ]'
run verify --ca "$ca_pub" --mode mesh <txt
check "verify accepts the record as TXT strings" 'verdict "accepted \(binding: certificate\)$" 0'
grep -v '^pub=' txt >txt-legacy
run verify --ca "$ca_pub" --mode mesh <txt-legacy
check "verify accepts the TXT strings of a sender before pub=" \
  'verdict "accepted \(binding: certificate\)$" 0'
sed "s|^pub=.*|pub=$zero|" txt >txt-lying
run verify --ca "$ca_pub" --mode mesh <txt-lying
check "verify rejects TXT strings whose pub= is another key than the record's as malformed" \
  'verdict "rejected: malformed: the TXT.s pub= names another WireGuard key" 1'
grep -v '^a1=' txt >txt-gap
run verify <txt-gap
check "verify rejects TXT strings with a missing chunk as malformed" \
  'verdict "rejected: malformed: " 1'

"$ctl" ca sign --ca ca.key --name pinned --signkey "$id_sign" --wgkey "$other_wg" \
  --address 10.0.0.3 >pin-cert
"$ctl" announce --identity id --endpoint 192.0.2.1:51820 --cert pin-cert >pinned
run verify <pinned
check "verify rejects a WireGuard key that is neither derived nor pinned" \
  'verdict "rejected: no-binding: " 1'
check "verify shows the certificate's WireGuard key as the record's" \
  'grep -qx "wireguard key: $other_wg" out'
run verify --pin "$other_wg=$id_sign" <pinned
check "verify --pin accepts the pinned signing key" 'verdict "accepted \(binding: pinned\)$" 0'
run verify --pin "$other_wg=$other_sign" <pinned
check "verify --pin with another signing key rejects" 'verdict "rejected: no-binding: " 1'
run verify --pin "$other_wg" <pinned
check "verify refuses a --pin without =SIGNKEY" 'usage_error verify && grep -q -- --pin err'
run verify --ca nope <pinned
check "verify refuses a bad --ca key" 'usage_error verify && grep -q -- --ca err'

"$ctl" ca sign --ca ca.key --name stranger --signkey "$other_sign" --wgkey "$other_wg" \
  --address 10.0.0.4 >other-cert
run announce --identity id --endpoint 192.0.2.1:51820 --cert other-cert
check "announce refuses a certificate for another signing key" \
  'usage_error announce && grep -q -- --cert err'
run announce --identity id --endpoint 192.0.2.1:51820 --cert cert --mesh "$other_ca_pub"
check "announce refuses a --mesh that did not sign --cert" 'usage_error announce'
run announce --identity id --endpoint 192.0.2.1:51820 --cert missing-cert
check "announce reports a missing --cert file" 'usage_error announce && grep -q missing-cert err'
run announce --identity id --endpoint 192.0.2.1:51820 --cert garbage
check "announce refuses a --cert file that is not base64url" 'usage_error announce'

# --- revocation -------------------------------------------------------------------

run ca revoke --ca ca.key --serial 42 --serial 7
check "ca revoke prints a revocation list in base64url" \
  '[ "$rc" -eq 0 ] && [ "$(wc -l <out)" -eq 1 ] && grep -Eqx "[A-Za-z0-9_-]+" out'
mv out revoked
run verify --ca "$ca_pub" --mode mesh --revocations revoked <certified
check "verify rejects a revoked certificate" 'verdict "rejected: revoked: " 1'
"$ctl" ca revoke --ca ca.key --serial 7 >revoked-other
run verify --ca "$ca_pub" --mode mesh --revocations revoked-other <certified
check "verify accepts a certificate whose serial is not revoked" 'verdict accepted 0'
run verify --revocations revoked <certified
check "verify refuses a revocation list of a CA it does not trust" \
  'usage_error verify && grep -q -- --revocations err'
flip <revoked >revoked-forged
run verify --ca "$ca_pub" --revocations revoked-forged <certified
check "verify refuses a revocation list with a bad signature" 'usage_error verify'
run verify --ca "$ca_pub" --revocations missing-list <certified
check "verify reports a missing revocation list file" 'usage_error verify'
run ca revoke --ca ca.key
check "ca revoke requires --serial" 'usage_error "ca revoke" && grep -q -- --serial err'
run ca revoke --ca ca.key --serial x1
check "ca revoke refuses a bad --serial" 'usage_error "ca revoke" && grep -q -- --serial err'
chmod 644 open.key
run ca revoke --ca open.key --serial 1
check "ca revoke refuses a CA key file of mode 0644" 'usage_error "ca revoke" && grep -q chmod err'

# --- announce option errors --------------------------------------------------------

run announce --identity id --endpoint 192.0.2.1
check "announce refuses an endpoint without a port" 'usage_error announce && grep -q -- --endpoint err'
run announce --identity id --endpoint 192.0.2.1:0
check "announce refuses port 0" 'usage_error announce && grep -q -- --endpoint err'
run announce --identity id --endpoint bogus:192.0.2.1:51820
check "announce refuses an unknown endpoint kind" 'usage_error announce && grep -q -- --endpoint err'
run announce --identity id
check "announce requires --endpoint" 'usage_error announce && grep -q -- --endpoint err'
run announce --endpoint 192.0.2.1:51820
check "announce requires --identity" 'usage_error announce && grep -q -- --identity err'
run announce --identity id --endpoint 192.0.2.1:51820 --lifetime 0
check "announce refuses --lifetime 0" 'usage_error announce && grep -q -- --lifetime err'
run announce --identity id --endpoint 192.0.2.1:51820 --name "$(printf 'a\tb')"
check "announce refuses a name with a control character" 'usage_error announce && grep -q -- --name err'

# --- ifconf: the other managers' files, offline ------------------------------------
mkdir -p root/etc/wireguard root/etc/NetworkManager/system-connections
run ifconf --root=root
check "ifconf with no manager's file finds no peer, and says so" \
  '[ "$rc" -eq 0 ] && [ ! -s err ] && grep -q "no WireGuard peer" out'
"$ctl" genkey | "$ctl" wgkey > wg-private
"$ctl" genkey | "$ctl" wgpubkey > wg-peer
printf '[Interface]\nPrivateKey = %s\n[Peer]\nPublicKey = %s\nEndpoint = home.example.org:51820\n' \
  "$(cat wg-private)" "$(cat wg-peer)" > root/etc/wireguard/wg0.conf
printf '[connection]\ntype=wireguard\ninterface-name=wg1\n[wireguard-peer.%s]\nendpoint=x:0\n' \
  "$(cat wg-peer)" > root/etc/NetworkManager/system-connections/bad.nmconnection
run ifconf --root=root
check "ifconf shows the wg-quick peer, reports the bad keyfile on stderr and exits 0" \
  '[ "$rc" -eq 0 ] && grep -q "^wg0 .* home.example.org:51820 *wg-quick " out \
   && [ "$(wc -l <err)" -eq 1 ] && grep -q "^wgdiscoverctl: ifconf: .*bad.nmconnection:4: .*port 0" err \
   && ! grep -qF "$(cat wg-private)" out'
run ifconf --root=root --json
check "ifconf --json has the peer and the error" \
  '[ "$rc" -eq 0 ] && grep -qF "\"public_key\" : \"$(cat wg-peer)\"" out \
   && grep -q "\"manager\" : \"wg-quick\"" out && grep -q "bad.nmconnection:4" out'
run ifconf --root=root --export=peers
check "ifconf --export writes the peer, mode 0644 under umask 077, and no private key" \
  '[ "$rc" -eq 0 ] && grep -qx "peers: 1 peer written" out \
   && grep -qxF "[Peer wg0 $(cat wg-peer)]" peers && grep -qx "Endpoint=home.example.org:51820" peers \
   && ! grep -qF "$(cat wg-private)" peers && [ "$(stat -c %a peers)" = 644 ]'
run ifconf --root=root --export=no/such/dir/peers
check "ifconf --export into a missing directory fails" \
  '[ "$rc" -eq 2 ] && grep -q "no/such/dir/peers" err && [ ! -s out ]'
run ifconf --json --export=peers
check "ifconf --json with --export is a usage error" 'usage_error ifconf'
run ifconf --root=no-such-root
check "ifconf --root that is no directory is a usage error" 'usage_error ifconf'
run ifconf --help
check "ifconf --help names --export and --root" \
  '[ "$rc" -eq 0 ] && grep -q -- "--export=FILE" out && grep -q -- "--root=DIR" out'

# --- dispatch, help, output errors ------------------------------------------------------

run frobnicate
check "an unknown command is a usage error" 'usage_error frobnicate'
run
check "no command is a usage error" \
  '[ "$rc" -eq 2 ] && [ ! -s out ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "^wgdiscoverctl: " err'
run ca frobnicate
check "an unknown ca subcommand is a usage error" 'usage_error "ca frobnicate"'
run genkey --bogus
check "an unknown option is a usage error" 'usage_error genkey'
run genkey extra
check "an unexpected argument is a usage error" 'usage_error genkey'

run --help
check "--help lists every command" \
  '[ "$rc" -eq 0 ] && [ ! -s err ] && grep -q "^Usage:" out && lists_commands'
for cmd in genkey signkey wgkey wgpubkey ca "ca init" "ca pubkey" "ca sign" "ca revoke" \
  announce verify; do
  # shellcheck disable=SC2086 # "ca sign" is two words on purpose
  run $cmd --help
  check "$cmd --help prints its usage" \
    '[ "$rc" -eq 0 ] && [ ! -s err ] && grep -q "wgdiscoverctl $cmd" out'
done
run verify -h
check "-h is --help" '[ "$rc" -eq 0 ] && grep -q "^Exit status" out'

# The online commands without a system bus (tests/lan/test-ctl-online.sh
# runs them against the daemon): one line and status 4; usage errors
# before any bus.
for cmd in status peers "peer h2" "approve h2" "reject h2" pause resume reload monitor; do
  # shellcheck disable=SC2086 # the command's words
  DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus "$ctl" $cmd >out 2>err
  rc=$?
  check "$cmd without a system bus: one line, status 4" \
    '[ "$rc" -eq 4 ] && [ ! -s out ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "cannot connect to the system bus" err'
done
run peer
check "peer without a name is a usage error" 'usage_error peer && grep -q "missing NAME|KEY" err'
run peer h2 h3
check "peer with two names is a usage error" 'usage_error peer'
run peers extra
check "peers with an argument is a usage error" 'usage_error peers'
run pause --json extra
check "pause with an argument is a usage error" 'usage_error pause'
run monitor --bogus
check "monitor with an unknown option is a usage error" 'usage_error monitor'
run approve --help
check "approve --help says to compare the fingerprint" \
  '[ "$rc" -eq 0 ] && grep -q "fingerprint" out && grep -q "approve \[OPTION.*\] NAME|KEY" out'

if [ -w /dev/full ]; then
  "$ctl" genkey >/dev/full 2>err
  rc=$?
  check "a failed write is reported" \
    '[ "$rc" -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "cannot write" err'
else
  n=$((n + 1))
  echo "ok $n # SKIP no /dev/full"
fi

[ "$n" -eq 133 ] || echo "# ran $n tests, planned 133"
