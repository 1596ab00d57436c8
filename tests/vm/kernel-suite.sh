#!/bin/sh
# kernel-suite.sh — the kernel backend's tests, as one TAP test for
# `make check`: boots one QEMU guest with Debian's kernel (tests/vm/
# run-in-vm) and runs inside it every GTest program in $WGD_VM_TESTS with
# WGD_TEST_WG_IMPL=kernel, after proving the guest really has kernel
# WireGuard. Their results are reported here, renumbered.
#
# Tests that did not run never count as passed: without QEMU or the
# kernel this is a skip on a developer's machine and a failure in CI
# (CI=true), which installs them.

srcdir=${srcdir:-.}
runvm=$srcdir/tests/vm/run-in-vm
tests=${WGD_VM_TESTS:?WGD_VM_TESTS names the test programs to run in the guest}

if ! reason=$("$runvm" --check 2>&1); then
  if [ "${CI:-}" = true ]; then
    echo "1..1"
    echo "not ok 1 - kernel backend tests did not run: $reason"
    exit 0
  fi
  echo "1..0 # SKIP kernel backend tests need a QEMU guest: $reason"
  exit 0
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
guest_script='
if ip link add wgvmcheck type wireguard && wg show wgvmcheck >/dev/null; then
  echo "vm: kernel-wireguard $(uname -r)"
  ip link del wgvmcheck
fi
for t in '"$tests"'; do
  echo "vm: begin $t"
  WGD_TEST_WG_IMPL=kernel "$t" --tap -k
  echo "vm: end $t status $?"
done'
RUNVM_TIMEOUT=${RUNVM_TIMEOUT:-900} "$runvm" sh -c "$guest_script" > "$out" 2>&1
status=$?

n=0
report() { # ok|not ok, description
  n=$((n + 1))
  echo "$1 $n - $2"
}

if grep -q '^vm: kernel-wireguard ' "$out"; then
  report ok "the guest runs $(sed -n 's/^vm: kernel-wireguard //p' "$out") with kernel WireGuard"
else
  report "not ok" "the guest has no kernel WireGuard interface"
fi

for t in $tests; do
  name=$(basename "$t")
  planned=$(sed -n "\|^vm: begin $t\$|,\|^vm: end $t |p" "$out" | sed -n 's/^1\.\.\([0-9]*\).*/\1/p' | head -n 1)
  results=$(sed -n "\|^vm: begin $t\$|,\|^vm: end $t |p" "$out" | grep -E '^(ok|not ok) ')
  echo "$results" | while IFS= read -r line; do
    case $line in
      "ok "*) echo "ok - $name: ${line#ok [0-9]* }" ;;
      "not ok "*) echo "not ok - $name: ${line#not ok [0-9]* }" ;;
    esac
  done
  got=$(printf '%s\n' "$results" | grep -c -E '^(ok|not ok) ')
  if ! grep -q "^vm: end $t status 0\$" "$out" || [ "${planned:-x}" != "$got" ]; then
    echo "not ok - $name: exited with failure or ran $got of ${planned:-?} tests"
    sed -n "\|^vm: begin $t\$|,\|^vm: end $t |p" "$out" | grep -vE '^(ok|not ok) ' |
      tail -n 40 | sed 's/^/# /'
  fi
done | {
  while IFS= read -r line; do
    case $line in
      "#"*) echo "$line"; continue ;;
    esac
    n=$((n + 1))
    case $line in
      "ok - "*) echo "ok $n ${line#ok - }" ;;
      *) echo "not ok $n ${line#not ok - }" ;;
    esac
  done
  if [ "$status" -ne 0 ]; then
    n=$((n + 1))
    echo "not ok $n - the guest run ended with status $status"
    sed 's/^/# /' "$out" | tail -n 60
  fi
  echo "1..$n"
}
