#!/bin/bash
# test-verify.sh — bench/verify.sh runs and prints every figure and ratio
# it promises, and the decision on a record of a known key allocates no
# memory: a short run (1 s per measurement), checked for its lines and
# the allocation count, never for any speed. Prints TAP. Needs
# $WGD_BUILDDIR.
#
# shellcheck disable=SC2016

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
source "$top/tests/lan/tap.sh"
: "${WGD_BUILDDIR:?set WGD_BUILDDIR to the build directory}"

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# figures LABEL: how many lines say LABEL N records/s ratio R (goal ...).
figures () {
  grep -cE "^  $1 +[0-9]+ records/s +ratio +[0-9.]+ +\(goal >= [0-9.]+: (met|missed)\)" "$tmp/out"
}
# none LABEL: how many of those lines say no allocation per record.
none () {
  grep -cE "^  $1 .*, 0\.000 allocations/record$" "$tmp/out"
}

VERIFY=$WGD_BUILDDIR/bench/verify VERIFY_SECONDS=1 "$top/bench/verify.sh" > "$tmp/out" 2> "$tmp/err"
# shellcheck disable=SC2034
bench_status=$?
echo "1..4"
sed 's/^/# /' "$tmp/out" "$tmp/err"
check "the benchmark exits with status 0" '[ "$bench_status" = 0 ] && [ ! -s "$tmp/err" ]'
check "both modes with bare verification" \
  '[ "$(grep -cE "^  bare crypto_sign_verify_detached +[0-9]+ records/s$" "$tmp/out")" = 2 ] &&
   grep -q "^endpoint mode" "$tmp/out" && grep -q "^mesh mode" "$tmp/out"'
check "new and re-heard records with their ratios, in both modes" \
  '[ "$(figures "new records of a known key")" = 2 ] &&
   [ "$(figures "the same record heard again")" = 2 ]'
# AddressSanitizer takes every allocation itself: nothing to count.
if grep -qa __asan_init "$WGD_BUILDDIR/bench/verify"; then
  echo "ok 4 # SKIP allocations are not counted under AddressSanitizer"
else
  check "no allocation per record: new or heard again, in both modes" \
    '[ "$(none "new records of a known key")" = 2 ] &&
     [ "$(none "the same record heard again")" = 2 ]'
fi
