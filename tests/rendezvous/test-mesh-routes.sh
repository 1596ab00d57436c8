#!/bin/bash
# test-mesh-routes.sh — the rendezvous server's mesh routes on loopback:
# GET /v1/meshes/KEY/announcements and the WebSocket
# GET /v1/meshes/KEY/watch, for members only (the membership proof of
# record-format.md §10). A member lists exactly the mesh's records; every
# non-member gets the same 403 whatever is wrong and whatever the mesh
# holds; a watcher gets a new record within milliseconds of its PUT (the
# figure is printed); the caps on WebSockets, the idle close and the
# drop of a reader that does not read. Prints TAP. Needs
# $WGDISCOVER_RENDEZVOUS, $WGDISCOVERCTL, $WGD_RDV_CLIENT, curl, basenc.
# With RDV_STORE=redis (test-mesh-routes-redis.sh) the same on a
# redis-server of its own (server-lib.sh).
#
# shellcheck disable=SC2016

set -u

server=${WGDISCOVER_RENDEZVOUS:?set WGDISCOVER_RENDEZVOUS to the wgdiscover-rendezvous binary}
ctl=${WGDISCOVERCTL:?set WGDISCOVERCTL to the wgdiscoverctl binary}
client=${WGD_RDV_CLIENT:?set WGD_RDV_CLIENT to tests/rendezvous/rdv-client}
for tool in curl basenc; do
  command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing (tools/deps)"; exit 99; }
done

source "${srcdir:-.}/tests/rendezvous/server-lib.sh"
fresh_state=1

echo "1..35"
port=18490
url=http://127.0.0.1:$port

put () {
  "$client" --url "$url" put "$1.bin" >put.out
}

# list_as ID CERT [ARGS]: a listing with a fresh proof; status in $status, body in body.
list_with () {
  status=$(curl -s -o body -w '%{http_code}' ${1:+-H "Authorization: $1"} "$url$path")
}

metric () {
  curl -s "$url/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

keys_in () {
  grep -o '"wireguard_key":"[^"]*"' "$1" | sort
}

b64url () {
  printf '%s' "$1" | tr '+/' '-_' | tr -d =
}

"$ctl" ca init >ca.key
ca=$("$ctl" ca pubkey <ca.key)
"$ctl" ca init >other.key
"$ctl" ca init >empty.key
empty=$("$ctl" ca pubkey <empty.key)
"$ctl" ca init >unserved.key
unserved=$("$ctl" ca pubkey <unserved.key)
sign () {  # sign CA NODE ADDRESS
  "$ctl" ca sign --ca "$1.key" --name "$2" --signkey "$("$ctl" signkey <"$2")" \
    --wgkey "$("$ctl" wgpubkey <"$2")" --address "$3" >"$2.$1.cert"
}
for node in alice bob carol dave eve; do "$ctl" genkey >$node; done
sign ca alice 10.0.0.2; sign ca bob 10.0.0.3; sign ca carol 10.0.0.4; sign ca dave 10.0.0.5
sign other eve 10.0.0.6; sign empty eve 10.0.0.6
now=$(date +%s)
"$ctl" announce --identity alice --endpoint 192.0.2.2:51820 --cert alice.ca.cert \
  --timestamp $((now - 60)) >alice1
"$ctl" announce --identity alice --endpoint 192.0.2.2:51821 --cert alice.ca.cert \
  --timestamp $((now - 30)) >alice2
"$ctl" announce --identity bob --endpoint 192.0.2.3:51820 --cert bob.ca.cert >bob1
for f in alice1 alice2 bob1; do binary $f; done
mesh=$(b64url "$ca")
path=/v1/meshes/$mesh/announcements
watch=/v1/meshes/$mesh/watch

# --- listing -------------------------------------------------------------------
start "[Server]
Listen=127.0.0.1:$port
RequestsPerSecond=1000
RequestBurst=1000
[Mesh office]
CA=$ca
[Mesh empty]
CA=$empty"
check "the mesh server starts" '[ $? -eq 0 ]'
put alice1
put_alice=$(cut -d" " -f1 put.out)
put bob1
check "two members' records are stored" \
  '[ "$put_alice" = 200 ] && [ "$(cut -d" " -f1 put.out)" = 200 ]'
"$client" --url "$url" --identity carol --cert carol.ca.cert list >list.out
sed 1d list.out >body
{ printf '%s\n' "\"wireguard_key\":\"$("$ctl" wgpubkey <alice)\"" \
    "\"wireguard_key\":\"$("$ctl" wgpubkey <bob)\""; } | sort >want
check "a member lists the mesh: 200 and exactly its two records" \
  '[ "$(head -n1 list.out)" = 200 ] && [ "$(keys_in body)" = "$(cat want)" ] &&
   grep -q "\"mesh\":\"$ca\"" body'
escaped=/v1/meshes/$(printf '%s' "$ca" | sed 's|/|%2F|g; s|+|%2B|g; s|=|%3D|g')/announcements
"$client" --url "$url" --identity carol --cert carol.ca.cert --path "$escaped" list >list.out
check "the key in standard base64, percent-encoded: the proof signs the path as sent" \
  '[ "$(head -n1 list.out)" = 200 ] && [ "$(sed 1d list.out | keys_in /dev/stdin)" = "$(cat want)" ]'
check "the listing is not to be cached" \
  'curl -s -D - -o /dev/null -H "Authorization: $("$client" --url "$url" --identity carol \
     --cert carol.ca.cert proof)" "$url$path" | grep -qi "^cache-control: no-store"'
"$client" --url "$url" --identity eve --cert eve.empty.cert list >list.out
check "a member of a mesh without records lists it empty" \
  '[ "$(head -n1 list.out)" = 200 ] && sed 1d list.out | grep -q "\"records\":\[\]"'

# Every refusal below must be this body, byte for byte.
list_with ""
cp body forbidden
check "no proof: 403 forbidden" \
  '[ "$status" = 403 ] && grep -q "\"error\":\"forbidden\"" forbidden'
refused () {  # refused DESCRIPTION AUTHORIZATION [PATH]
  local p=$path
  path=${3:-$path}
  list_with "$2"
  path=$p
  check "$1: 403, the same body" '[ "$status" = 403 ] && cmp -s body forbidden'
}
refused "a proof of another mesh" "$("$client" --url "$url" --identity eve --cert eve.other.cert \
  --mesh "$ca" proof)"
refused "a proof for another host" "$("$client" --url "$url" --identity carol \
  --cert carol.ca.cert --host rdv.example.org proof)"
refused "a proof for another path" "$("$client" --url "$url" --identity carol \
  --cert carol.ca.cert --path "$watch" proof)"
refused "a proof for another method" "$("$client" --url "$url" --identity carol \
  --cert carol.ca.cert --method HEAD proof)"
refused "a stale proof (10 minutes old)" "$("$client" --url "$url" --identity carol \
  --cert carol.ca.cert --timestamp $((now - 600)) proof)"
refused "a proof from the future (10 minutes ahead)" "$("$client" --url "$url" --identity carol \
  --cert carol.ca.cert --timestamp $((now + 600)) proof)"
proof=$("$client" --url "$url" --identity carol --cert carol.ca.cert proof)
list_with "$proof"
check "a fresh proof is taken once" '[ "$status" = 200 ]'
refused "the same proof again (replayed)" "$proof"
refused "a garbage header" "WGD-Membership %%%garbage%%%"
refused "another scheme" "Basic YWxpY2U6c2VjcmV0"
refused "a non-member asking for the empty mesh" "" "/v1/meshes/$(b64url "$empty")/announcements"
refused "a non-member asking for a mesh not served here" "" \
  "/v1/meshes/$(b64url "$unserved")/announcements"
refused "a member of a mesh not served here, with its own proof" \
  "$("$client" --url "$url" --identity eve --cert eve.other.cert \
     --path "/v1/meshes/$(b64url "$("$ctl" ca pubkey <other.key)")/announcements" proof)" \
  "/v1/meshes/$(b64url "$("$ctl" ca pubkey <other.key)")/announcements"
check "the reasons are in the metrics, not in the answers" \
  '[ "$(metric "wgdiscover_rendezvous_mesh_refused_total{reason=\"replayed\"}")" = 1 ] &&
   [ "$(metric "wgdiscover_rendezvous_mesh_refused_total{reason=\"stale\"}")" = 1 ] &&
   [ "$(metric "wgdiscover_rendezvous_mesh_refused_total{reason=\"future\"}")" = 1 ] &&
   [ "$(metric "wgdiscover_rendezvous_mesh_refused_total{reason=\"bad-signature\"}")" = 3 ] &&
   [ "$(metric "wgdiscover_rendezvous_mesh_refused_total{reason=\"not-served\"}")" = 2 ]'

# --- watch -----------------------------------------------------------------------
"$client" --url "$url" --identity carol --cert carol.ca.cert watch --count 1 --timeout 10 >watch.out &
wpid=$!
pids+=("$wpid")
for _ in $(seq 100); do grep -q '^open' watch.out && break; sleep 0.05; done
check "a member's watch opens" 'grep -q "^open" watch.out'
check "the WebSocket clients gauge counts it" \
  '[ "$(metric wgdiscover_rendezvous_websocket_clients)" = 1 ]'
put alice2
wait "$wpid"
put_at=$(cut -d" " -f2 put.out)
got_at=$(awk '$1 ~ /^[0-9]+$/ { print $1; exit }' watch.out)
latency=$(( ${got_at:-0} - ${put_at:-0} ))
echo "# push latency: $latency us from the PUT's 200 to the watcher's receipt (negative: before it)"
check "the watcher gets the new record within 2 s of the PUT's answer" \
  '[ -n "$got_at" ] && [ "$latency" -lt 2000000 ] &&
   grep -q "\"wireguard_key\":\"$("$ctl" wgpubkey <alice)\"" watch.out &&
   grep -q "\"record\":\"$(tr -d "\n" <alice2)\"" watch.out'
echo "# push latency on the server, from the PUT's arrival to the hand-off to the socket:" \
  "$(metric wgdiscover_rendezvous_push_latency_seconds_sum) s"
check "the push latency histogram counted it" \
  '[ "$(metric wgdiscover_rendezvous_push_latency_seconds_count)" = 1 ] &&
   [ "$(metric "wgdiscover_rendezvous_push_latency_seconds_bucket{le=\"+Inf\"}")" = 1 ]'
"$client" --url "$url" --mesh "$ca" --header "" watch --timeout 5 >watch.out
check "a watch without a proof is refused at the upgrade: 403" \
  'grep -q "^refused" watch.out && grep -q "^status 403" watch.out'
"$client" --url "$url" --identity eve --cert eve.other.cert --mesh "$ca" watch --timeout 5 >watch.out
check "a watch with another mesh's proof is refused at the upgrade: 403" \
  'grep -q "^status 403" watch.out'
status=$(curl -s -o body -w '%{http_code}' -H "Authorization: $("$client" --url "$url" \
  --identity carol --cert carol.ca.cert --path "$watch" proof)" "$url$watch")
check "a member's GET of the watch without an upgrade: 400 not-websocket" \
  '[ "$status" = 400 ] && grep -q "\"error\":\"not-websocket\"" body'
stop

# --- caps, idle and slow watchers -------------------------------------------------
start "[Server]
Listen=127.0.0.1:$port
RequestsPerSecond=1000
RequestBurst=1000
MaxWebSockets=2
WebSocketKeepalive=1
WebSocketTimeout=3
[Mesh office]
CA=$ca"
held=()
for i in 1 2; do
  "$client" --url "$url" --identity carol --cert carol.ca.cert watch --timeout 6 >held$i.out &
  held+=($!)
done
pids+=("${held[@]}")
for _ in $(seq 100); do grep -q '^open' held1.out && grep -q '^open' held2.out && break; sleep 0.05; done
"$client" --url "$url" --identity carol --cert carol.ca.cert watch --timeout 5 >watch.out
check "past MaxWebSockets= a watch is refused: 503" 'grep -q "^status 503" watch.out'
check "a watch answering pings stays open past WebSocketTimeout=" \
  'sleep 4; grep -q "^open" held1.out && ! grep -q "^closed" held1.out'
wait "${held[@]}"
stop
start "[Server]
Listen=127.0.0.1:$port
RequestsPerSecond=1000
RequestBurst=1000
MaxWebSocketsPerSource=1
WebSocketKeepalive=1
WebSocketTimeout=3
[Mesh office]
CA=$ca"
"$client" --url "$url" --identity carol --cert carol.ca.cert hold --timeout 10 >hold.out &
hpid=$!
pids+=("$hpid")
for _ in $(seq 100); do grep -q '^open' hold.out && break; sleep 0.05; done
"$client" --url "$url" --identity carol --cert carol.ca.cert watch --timeout 5 >watch.out
check "past MaxWebSocketsPerSource= a second watch from the address is refused: 503" \
  'grep -q "^status 503" watch.out'
wait "$hpid"
check "a watch that answers no ping is closed after WebSocketTimeout=" \
  'grep -qE "^closed [0-9]+ after [3-5]\." hold.out'
sed 's/^/# /' hold.out
check "the idle close is counted" \
  '[ "$(metric "wgdiscover_rendezvous_websockets_dropped_total{reason=\"idle\"}")" = 1 ]'
stop
start "[Server]
Listen=127.0.0.1:$port
RequestsPerSecond=10000
RequestBurst=10000
[Mesh office]
CA=$ca"
# About 50 pushes fill the buffers; a PUT takes up to a second under the
# sanitizers on a loaded machine, hence the long hold.
"$client" --url "$url" --identity carol --cert carol.ca.cert hold --timeout 180 >hold.out &
hpid=$!
pids+=("$hpid")
for _ in $(seq 100); do grep -q '^open' hold.out && break; sleep 0.05; done
endpoints=$(for i in $(seq 8); do printf -- '--endpoint 192.0.2.%d:51820 ' "$i"; done)
for i in $(seq 150); do
  # shellcheck disable=SC2086
  "$ctl" announce --identity dave --cert dave.ca.cert $endpoints --timestamp $((now - 250 + i)) >d
  binary d
  "$client" --url "$url" put d.bin >/dev/null
  grep -q '^closed' hold.out && break
done
wait "$hpid"
check "a watcher that does not read is dropped, not buffered for" \
  'grep -q "^closed" hold.out &&
   [ "$(metric "wgdiscover_rendezvous_websockets_dropped_total{reason=\"slow\"}")" = 1 ]'
echo "# dropped after $i PUTs"
check "the gauge is back to 0" '[ "$(metric wgdiscover_rendezvous_websocket_clients)" = 0 ]'
stop
