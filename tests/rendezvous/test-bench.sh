#!/bin/bash
# test-bench.sh — bench/rendezvous.sh runs and prints every figure and
# ratio it promises: a short run (1 s per measurement, few records),
# checked for its lines, not for any speed. Prints TAP. Needs what the
# benchmark needs (wrk, nginx, curl) and $WGD_BUILDDIR.
#
# shellcheck disable=SC2016

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
source "$top/tests/lan/tap.sh"
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing (tools/deps)"; exit 99; }
done
: "${WGD_BUILDDIR:?set WGD_BUILDDIR to the build directory}"

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# has REGEX: a line of the output starts (after its indent) with this.
has () {
  grep -qE "^ *$1" "$tmp/out"
}

# figure NAME: the output has a line NAME ... N req/s with p50 and p99.
figure () {
  grep -qE "^  $1 +[0-9]+ req/s +p50 +[0-9.]+ ms +p99 +[0-9.]+ ms" "$tmp/out"
}

RDV_BENCH_ROUNDS=1 RDV_BENCH_SECONDS=1 RDV_BENCH_RECORDS=100 RDV_BENCH_CONNECTIONS=4 \
  "$top/bench/rendezvous.sh" > "$tmp/out" 2> "$tmp/err"
# shellcheck disable=SC2034
bench_status=$?
echo "1..8"
sed 's/^/# /' "$tmp/out" "$tmp/err"
check "the benchmark exits with status 0" '[ "$bench_status" = 0 ] && [ ! -s "$tmp/err" ]'
check "GETs of the server and of nginx with and without keep-alive" \
  'figure wgdiscover-rendezvous && figure "nginx, keep-alive" && figure "nginx, keepalive_timeout 0"'
check "the GET ratios against both nginx references" \
  'has "ratio GET / nginx keep-alive: *[0-9.]+" && has "ratio GET / nginx keepalive_timeout 0: *[0-9.]+"'
check "accepted PUTs" \
  'figure "accepted, new key each, on [a-z0-9]+" &&
   grep -qE "^    in all rounds [1-9][0-9]* accepted of [0-9]+ answers in [0-9.]+ s" "$tmp/out"'
# Whether the records last the second depends on the speed; a run that
# ended early used them up, and must count every one of them, the first
# included (wrk asks for one request before the run and sends nothing of it).
check "records used up early: each of them counted once" \
  'awk '"'"'/^    in all rounds/ && $10 < 1 && $4 != 100 { bad = 1 } END { exit bad }'"'"' "$tmp/out"'
check "already-known PUTs" 'figure "already-known: the same record"'
check "the bare signature check and with the derived key" \
  'has "crypto_sign_verify_detached +[0-9]+ /s" && has "verify \+ derive WireGuard key +[0-9]+ /s"'
check "the PUT ratios against the signature check" \
  'has "ratio accepted PUTs \([a-z0-9]+\) / verify: +[0-9.]+" && has "ratio already-known PUTs / verify: +[0-9.]+"'
