#!/usr/bin/env bash
# test-avahi-txt.sh — signed records really cross Avahi: on a virtual LAN
# (tests/lan/lan.sh) host 1 publishes a record as `wgdiscoverctl announce
# --txt` prints it, host 2 resolves it with avahi-browse, and `wgdiscoverctl
# verify` accepts what arrived; a record changed on the way is refused.
# Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names the wgdiscoverctl to test}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 2
work=$lan_dir
umask 077
"$ctl" genkey > "$work/id"
now=$(date +%s)

# Waits (up to 10 s) for host 2 to resolve service NAME; prints its TXT
# strings one per line.
resolve_txt() {
  local name=$1 line tries
  for ((tries = 0; tries < 20; tries++)); do
    line=$(lan_exec 2 avahi-browse -rpt _wireguard._udp 2>/dev/null |
           awk -F';' -v n="$name" '$1 == "=" && $3 == "IPv4" && $4 == n' | head -n 1)
    if [[ -n $line ]]; then
      # The TXT field is the last: "a" "b" … with no quotes inside base64url.
      echo "${line##*;}" | tr ' ' '\n' | tr -d '"'
      return 0
    fi
    sleep 0.5
  done
  return 1
}

# A genuine record.
mapfile -t txt < <("$ctl" announce --identity "$work/id" --endpoint 10.77.0.1:51820 --name h1 \
                   --timestamp "$now" --txt)
lan_exec 1 avahi-publish -s h1 _wireguard._udp 51820 "${txt[@]}" >/dev/null 2>&1 &
start=$(date +%s%N)
if resolve_txt h1 > "$work/got"; then
  ok "host 2 resolves the service host 1 publishes"
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "# publish to resolved: ${elapsed} ms (an upper bound: mDNS probing plus 0.5 s polling)"
else
  not_ok "host 2 resolves the service host 1 publishes"
fi
check "the TXT strings arrive as they were published" \
  "diff <(printf '%s\n' \"\${txt[@]}\" | sort) <(sort '$work/got') >/dev/null"
"$ctl" verify --now "$now" < "$work/got" > "$work/verdict" 2>&1
status=$?
check "wgdiscoverctl verify accepts the record that crossed Avahi" \
  "[[ $status -eq 0 ]] && grep -q 'verdict: accepted (binding: derived)' '$work/verdict'"
check "its endpoint is host 1's LAN address" "grep -q '10.77.0.1:51820' '$work/verdict'"

# The same record with one character of its first chunk changed.
forged=("${txt[@]}")
chunk=${forged[1]}
c=${chunk:10:1}
[[ $c == A ]] && r=B || r=A
forged[1]="${chunk:0:10}$r${chunk:11}"
lan_exec 1 avahi-publish -s h1-forged _wireguard._udp 51821 "${forged[@]}" >/dev/null 2>&1 &
if resolve_txt h1-forged > "$work/got-forged"; then
  "$ctl" verify --now "$now" < "$work/got-forged" > "$work/verdict-forged" 2>&1
  status=$?
  check "a record changed in transit is rejected" \
    "[[ $status -eq 1 ]] && grep -qE 'verdict: rejected: (bad-signature|malformed)' '$work/verdict-forged'"
else
  not_ok "host 2 resolves the forged service"
fi
echo "1..$n"
