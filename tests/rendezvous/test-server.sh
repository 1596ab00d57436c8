#!/bin/bash
# test-server.sh — wgdiscover-rendezvous end to end on loopback: a real
# server process with a state directory of its own, records made by
# wgdiscoverctl, requests by curl. PUT and GET, every refusal with its
# code and status and nothing stored by it, the rate limit, restart and
# SIGKILL right after an answer, plain HTTP off loopback, TLS, a server
# for one mesh. Prints TAP. Needs $WGDISCOVER_RENDEZVOUS, $WGDISCOVERCTL,
# curl, openssl and basenc. With RDV_STORE=redis (test-server-redis.sh)
# the same on a redis-server of its own (server-lib.sh).
#
# shellcheck disable=SC2016

set -u

server=${WGDISCOVER_RENDEZVOUS:?set WGDISCOVER_RENDEZVOUS to the wgdiscover-rendezvous binary}
ctl=${WGDISCOVERCTL:?set WGDISCOVERCTL to the wgdiscoverctl binary}
for tool in curl openssl basenc; do
  command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing (tools/deps)"; exit 99; }
done

source "${srcdir:-.}/tests/rendezvous/server-lib.sh"

echo "1..54"
port=18480
url=http://127.0.0.1:$port

# put FILE: PUTs the record in FILE; status in $status, answer in body.
put () {
  status=$(curl -s -o body -w '%{http_code}' -X PUT --data-binary @"$1" "$url/v1/announcements")
}

# get KEY: GET /v1/peers/KEY.
get () {
  status=$(curl -s -D headers -o body -w '%{http_code}' "$url/v1/peers/$1")
}

# json FIELD: a member of the last answer, a flat JSON object (nested
# ones by their own name: seen_from's "address"), without the quotes.
json () {
  sed -n 's/.*"'"$1"'":\("\([^"]*\)"\|\([^,}"]*\)\).*/\2\3/p' body
}

# error CODE STATUS: the last answer was this JSON error.
error () {
  [ "$status" = "$2" ] && [ "$(json error)" = "$1" ] && [ -n "$(json message)" ]
}

# served_is FILE: GET of our key returns exactly the bytes of FILE.bin.
served_is () {
  get "$key_url" && [ "$status" = 200 ] && json record | b64url_decode >served.bin \
    && cmp -s served.bin "$1.bin"
}

metric () {
  curl -s "$url/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

now=$(date +%s)
"$ctl" genkey >id
wg_key=$("$ctl" wgpubkey <id)
# Standard base64, percent-encoded: what a client with `wg show` has.
key_url=$(printf '%s' "$wg_key" | sed 's|/|%2F|g; s|+|%2B|g; s|=|%3D|g')
"$ctl" announce --identity id --endpoint 192.0.2.1:51820 --timestamp "$((now - 10))" >good
"$ctl" announce --identity id --endpoint 192.0.2.1:51820 --timestamp "$((now - 20))" >older
"$ctl" announce --identity id --endpoint 192.0.2.1:51820 --timestamp 1000000000 --lifetime 60 >expired
"$ctl" announce --identity id --endpoint 192.0.2.1:51820 --timestamp "$((now + 3600))" >future
"$ctl" announce --identity id --endpoint 192.0.2.2:51820 --timestamp "$((now - 5))" >newer
"$ctl" announce --identity id --endpoint 192.0.2.3:51820 --timestamp "$((now - 2))" >newest
for f in good older expired future newer newest; do binary "$f"; done
# One bit of the signature flipped.
size=$(stat -c %s good.bin)
{ head -c $((size - 10)) good.bin
  printf "\\$(printf %03o $(( $(od -An -tu1 -j $((size - 10)) -N1 good.bin) ^ 1 )))"
  tail -c 9 good.bin; } >forged.bin
head -c 2000 /dev/urandom >oversized.bin
head -c 200 /dev/urandom >garbage.bin

fast='[Server]
Listen=127.0.0.1:18480
RequestsPerSecond=1000
RequestBurst=1000'

# --- PUT and GET ---------------------------------------------------------------
start "$fast"
check "the server starts on loopback with plain HTTP" '[ $? -eq 0 ]'
put good.bin
check "PUT of a valid record: 200, stored" '[ "$status" = 200 ] && [ "$(json status)" = stored ]'
check "the answer says the address and port the request came from" \
  '[ "$(json address)" = 127.0.0.1 ] && [ "$(json port)" -gt 0 ]'
check "the answer gives the record's timestamp and expiry" \
  '[ "$(json timestamp)" = "$((now - 10))" ] && [ "$(json expires)" = "$((now - 10 + 3600))" ]'
check "GET by standard base64, percent-encoded, returns the record byte for byte" 'served_is good'
check "the answer carries the key, timestamp and expiry" \
  '[ "$(json wireguard_key)" = "$wg_key" ] && [ "$(json expires)" = "$((now - 10 + 3600))" ]'
key_b64url=$(printf '%s' "$wg_key" | tr '+/' '-_' | tr -d =)
get "$key_b64url"
check "GET by unpadded base64url works as well" '[ "$status" = 200 ]'
put good.bin
check "the same record again: 200, already known" \
  '[ "$status" = 200 ] && [ "$(json status)" = already-known ]'

# --- refusals ------------------------------------------------------------------
put forged.bin
check "a flipped bit: 422 bad-signature" 'error bad-signature 422'
put older.bin
check "an older record of the same key: 409 replayed" 'error replayed 409'
put expired.bin
check "an expired record: 422 expired" 'error expired 422'
put future.bin
check "a record from the future: 422 future" 'error future 422'
put oversized.bin
check "2000 bytes: 413 too-large" 'error too-large 413'
put garbage.bin
check "random bytes: 400 malformed" 'error malformed 400'
status=$(curl -s -o body -w '%{http_code}' -X PUT -H 'Transfer-Encoding: chunked' \
  --data-binary @good.bin "$url/v1/announcements")
check "a body of unknown length (chunked): 413 too-large" 'error too-large 413'
check "after all refusals GET still returns the good record" 'served_is good'
check "the refusals are counted by reason" \
  '[ "$(metric "wgdiscover_rendezvous_puts_refused_total{reason=\"bad-signature\"}")" = 1 ] &&
   [ "$(metric "wgdiscover_rendezvous_puts_refused_total{reason=\"replayed\"}")" = 1 ] &&
   [ "$(metric "wgdiscover_rendezvous_puts_refused_total{reason=\"too-large\"}")" = 2 ] &&
   [ "$(metric "wgdiscover_rendezvous_puts_refused_total{reason=\"malformed\"}")" = 1 ]'
check "metrics count the stored record and the accepted PUTs" \
  '[ "$(metric wgdiscover_rendezvous_records)" = 1 ] &&
   [ "$(metric wgdiscover_rendezvous_puts_accepted_total)" = 2 ]'
check "metrics count requests by route and status" \
  '[ "$(metric "wgdiscover_rendezvous_requests_total{route=\"announce\",status=\"422\"}")" = 3 ]'
check "every PUT has its audit line, with key, source and reason" \
  '[ "$(grep -c "PUT accepted: key $wg_key from 127.0.0.1" log)" = 2 ] &&
   grep -q "PUT refused (bad-signature): key $wg_key from 127.0.0.1" log &&
   grep -q "PUT refused (too-large): key - from 127.0.0.1" log'
get AAAA
check "GET of something that is no key: 400 bad-key" 'error bad-key 400'
get AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
check "GET of an unknown key: 404 not-found" 'error not-found 404'
status=$(curl -s -o body -w '%{http_code}' -X DELETE "$url/v1/announcements")
check "DELETE: 405 method-not-allowed" 'error method-not-allowed 405'
status=$(curl -s -o body -w '%{http_code}' "$url/v2/whatever")
check "an unknown path: 404 not-found" 'error not-found 404'

# Every connection above was closed by curl after its answer. libsoup 3.2
# keeps such a connection's socket forever unless the answer closed it.
sockets () { find "/proc/$spid/fd" -lname 'socket:*' 2>/dev/null | wc -l; }
before=$(sockets)
for _ in $(seq 20); do curl -s -o /dev/null "$url/metrics"; get AAAA; done
check "40 connections closed by the client leave no socket behind in the server" \
  '[ "$(sockets)" -le "$before" ] && [ "$before" -le $((2 + store_sockets)) ] &&
   [ "$(grep -ci "^connection: close" <(curl -s -D - -o /dev/null "$url/metrics"))" = 1 ]'

# --- durability -----------------------------------------------------------------
stop
start "$fast"
check "after a restart GET returns the record" 'served_is good'
put newer.bin
check "a newer record replaces it" '[ "$status" = 200 ] && [ "$(json status)" = stored ]'
put newest.bin
ok=$status
kill -9 "$spid"
wait "$spid" 2>/dev/null
disown "$spid" 2>/dev/null
check "PUT answered 200 just before SIGKILL" '[ "$ok" = 200 ]'
start "$fast"
check "after SIGKILL the record answered 200 is served" 'served_is newest'
put newer.bin
check "after SIGKILL the replaced record is still refused as replayed" 'error replayed 409'
stop

# --- rate limit ------------------------------------------------------------------
start '[Server]
Listen=127.0.0.1:18480
RequestsPerSecond=1
RequestBurst=3'
codes=
for _ in 1 2 3 4; do
  get "$key_url"
  codes="$codes $status"
done
check "the fourth request within a second: 429 rate-limited" \
  '[ "$codes" = " 200 200 200 429" ] && error rate-limited 429'
retry=$(tr -d '\r' <headers | awk -F': ' 'tolower($1) == "retry-after" { print $2 }')
check "429 carries Retry-After in seconds" '[ -n "$retry" ] && [ "$retry" -ge 1 ]'
check "metrics are not rate-limited" '[ -n "$(metric wgdiscover_rendezvous_records)" ]'
sleep 1.1
get "$key_url"
check "a second later a request is served again" '[ "$status" = 200 ]'
stop

# --- caps and proxies ------------------------------------------------------------
"$ctl" genkey >id2
"$ctl" announce --identity id2 --endpoint 192.0.2.4:51820 >second
binary second
start '[Server]
Listen=127.0.0.1:18480
MaxRecords=1
TrustedProxies=127.0.0.2'
put second.bin
check "past MaxRecords= a new key is refused: 507 server-full" 'error server-full 507'
put newest.bin
check "the key already stored is still taken (already known)" '[ "$status" = 200 ]'
status=$(curl -s -o body -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.5' -X PUT \
  --data-binary @newest.bin "$url/v1/announcements")
check "X-Forwarded-For from an address not in TrustedProxies= is ignored" \
  '[ "$status" = 200 ] && [ "$(json address)" = 127.0.0.1 ]'
stop
start '[Server]
Listen=127.0.0.1:18480
TrustedProxies=127.0.0.1'
status=$(curl -s -o body -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.5' \
  -X PUT --data-binary @newest.bin "$url/v1/announcements")
check "from a trusted proxy the last X-Forwarded-For address is the source, its port unknown" \
  '[ "$status" = 200 ] && [ "$(json address)" = 203.0.113.5 ] && [ "$(json port)" = null ]'
stop

# --- listening -----------------------------------------------------------------
printf '[Server]\nListen=0.0.0.0:18480\n' >conf
"$server" --config conf --state-dir "$tmp/state" >out 2>&1
rc=$?
check "plain HTTP on a non-loopback address is refused at start" \
  '[ "$rc" -ne 0 ] && grep -q "AllowPlainHTTP=true" out'
start '[Server]
Listen=[::]:18480
AllowPlainHTTP=true'
check "with AllowPlainHTTP=true it listens on [::], for IPv4" '[ $? -eq 0 ] && served_is newest'
status=$(curl -s -o body -w '%{http_code}' -X PUT --data-binary @newest.bin \
  "http://[::1]:$port/v1/announcements")
check "and for IPv6, which it sees as such" '[ "$status" = 200 ] && [ "$(json address)" = ::1 ]'
stop
printf '[Server]\nListen=127.0.0.1:18480\nColour=blue\n' >conf
"$server" --config conf --state-dir "$tmp/state" >out 2>&1
rc=$?
check "an unknown key is an error naming file, line, group and key" \
  '[ "$rc" -ne 0 ] && grep -q "conf:3: \[Server\] Colour: unknown key" out'
"$server" --config missing.conf >out 2>&1
rc=$?
check "a named configuration file that is missing is an error" \
  '[ "$rc" -ne 0 ] && grep -q missing.conf out'
check "--version prints the version" '"$server" --version | grep -q "^wgdiscover-rendezvous "'

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout tls.key -out tls.crt 2>/dev/null
# LeakSanitizer's tracer crashes on the threads GnuTLS leaves at exit
# ("Tracer caught signal 11", exit status 1): the TLS server runs
# without the leak check; every other server keeps it.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
scheme=https curl_tls="--cacert tls.crt" start "[Server]
Listen=127.0.0.1:18480
Certificate=$tmp/tls.crt
PrivateKey=$tmp/tls.key"
check "with a certificate the server starts with TLS" '[ $? -eq 0 ]'
status=$(curl -s -o body -w '%{http_code}' --cacert tls.crt "https://127.0.0.1:$port/v1/peers/$key_url")
check "curl --cacert gets the record over HTTPS" '[ "$status" = 200 ] && [ -n "$(json record)" ]'
status=$(curl -s -o body -w '%{http_code}' "https://127.0.0.1:$port/v1/peers/$key_url")
check "without the CA the certificate is not trusted" '[ "$status" = 000 ]'
stop

# --- a server for one mesh ---------------------------------------------------------
"$ctl" ca init >ca.key
ca_pub=$("$ctl" ca pubkey <ca.key)
"$ctl" ca init >other.key
"$ctl" genkey >node
"$ctl" ca sign --ca ca.key --name node --signkey "$("$ctl" signkey <node)" \
  --wgkey "$("$ctl" wgpubkey <node)" --address 10.0.0.2 >node.cert
"$ctl" ca sign --ca other.key --name node --signkey "$("$ctl" signkey <node)" \
  --wgkey "$("$ctl" wgpubkey <node)" --address 10.0.0.2 >other.cert
"$ctl" announce --identity node --endpoint 192.0.2.9:51820 --cert node.cert >certified
"$ctl" announce --identity node --endpoint 192.0.2.9:51820 --cert other.cert >othermesh
"$ctl" announce --identity node --endpoint 192.0.2.9:51820 >derived
for f in certified othermesh derived; do binary "$f"; done
state_reset
start "$fast
[Mesh office]
CA=$ca_pub"
put derived.bin
check "a mesh server refuses a record without a certificate: 422 no-binding" \
  'error no-binding 422'
put othermesh.bin
check "a mesh server refuses another CA's certificate: 403 wrong-mesh" 'error wrong-mesh 403'
put certified.bin
check "a mesh server stores a record its CA certified" '[ "$status" = 200 ]'
stop
"$ctl" genkey >node2
"$ctl" ca sign --ca ca.key --name node2 --signkey "$("$ctl" signkey <node2)" \
  --wgkey "$("$ctl" wgpubkey <node2)" --address 10.0.0.3 >node2.cert
"$ctl" announce --identity node2 --endpoint 192.0.2.10:51820 --cert node2.cert >certified2
binary certified2
start "$fast
MaxRecordsPerMesh=1
[Mesh office]
CA=$ca_pub"
put certified2.bin
check "past MaxRecordsPerMesh= another member is refused: 507 mesh-full" 'error mesh-full 507'
stop
"$ctl" ca revoke --ca ca.key --serial 4242 >revoked.list
"$ctl" ca sign --ca ca.key --name node2 --signkey "$("$ctl" signkey <node2)" \
  --wgkey "$("$ctl" wgpubkey <node2)" --address 10.0.0.3 --serial 4242 >revoked.cert
"$ctl" announce --identity node2 --endpoint 192.0.2.10:51820 --cert revoked.cert >revoked
binary revoked
start "$fast
[Mesh office]
CA=$ca_pub
Revocations=$tmp/revoked.list"
put revoked.bin
check "a certificate the mesh's Revocations= list names: 422 revoked" 'error revoked 422'
put certified2.bin
check "a certificate it does not name is taken" '[ "$status" = 200 ]'
stop
check "every server stopped with SIGTERM exited with status 0" '[ "$unclean" = 0 ]'
exit 0
