#!/usr/bin/env bash
# test-unit.sh — the systemd files as built and installed:
# systemd-analyze verify finds nothing to say about wgdiscoverd.service,
# alone and with the drop-in for userspace WireGuard (a copy whose
# ExecStart= is the build's wgdiscoverd: verify wants it to exist);
# `systemd-analyze security --offline=true` rates its exposure at 2.5 at
# most (printed); wgdiscover-ifconf.service (root with no capability and
# no network) and its .path (watching the directories
# src/common/ifconf.c reads) pass verify too; systemd-sysusers reads
# the sysusers.d file; and
# `make install` puts the unit, the sysusers.d file and the drop-in where
# configure says, which is where systemd's pkg-config file says (under
# distcheck's prefix in make distcheck). PID 1 here need not be systemd:
# nothing is started. Prints TAP.

ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
unit=${WGD_SYSTEMD_UNIT:?WGD_SYSTEMD_UNIT names the built wgdiscoverd.service}
srcdir=${srcdir:-.}
n=0
check() {
  n=$((n + 1))
  if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}

if ! command -v systemd-analyze >/dev/null; then
  if [[ ${CI:-} == true ]]; then
    echo "1..1"; echo "not ok 1 - systemd-analyze is missing (apt-get install systemd)"
  else
    echo "1..0 # SKIP systemd-analyze is missing (apt-get install systemd)"
  fi
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check "the unit has every @variable@ substituted" "! grep -q '@[a-z_]*@' '$unit'"
check "its ExecStart= is the installed wgdiscoverd, reading wgdiscover-ifconf.service's file" \
  "grep -qx 'ExecStart=$WGD_SBINDIR/wgdiscoverd --foreground --ifconf=/run/wgdiscover-ifconf/peers' '$unit'"
check "it wants wgdiscover-ifconf.path and .service and starts after the service" \
  "grep -qx 'Wants=wgdiscover-ifconf.path wgdiscover-ifconf.service' '$unit' &&
   grep -q '^After=.* wgdiscover-ifconf.service' '$unit'"

mkdir "$tmp/units"
sed "s|^ExecStart=[^ ]*|ExecStart=$daemon|" "$unit" > "$tmp/units/wgdiscoverd.service"
check "the copy to verify runs the build's wgdiscoverd" \
  "grep -q '^ExecStart=$daemon --foreground' '$tmp/units/wgdiscoverd.service'"
# The units it wants, beside it, so that verify finds them.
ifconf_unit=${WGD_IFCONF_UNIT:?WGD_IFCONF_UNIT names the built wgdiscover-ifconf.service}
check "wgdiscover-ifconf.service's ExecStart= is the installed wgdiscoverctl ifconf --export" \
  "grep -qx 'ExecStart=$WGD_BINDIR/wgdiscoverctl ifconf --export=/run/wgdiscover-ifconf/peers' '$ifconf_unit'"
sed "s|^ExecStart=[^ ]*|ExecStart=$ctl|" "$ifconf_unit" > "$tmp/units/wgdiscover-ifconf.service"
cp "$srcdir/systemd/wgdiscover-ifconf.path" "$tmp/units/"
# verify prints warnings and errors; a good unit gets neither.
verify() {
  local out
  out=$(systemd-analyze verify --man=no "$tmp/units/wgdiscoverd.service" 2>&1)
  local status=$?
  [[ -n $out ]] && sed 's/^/#   /' <<< "$out"
  [[ $status == 0 && -z $out ]]
}
check "systemd-analyze verify finds nothing to say about the unit" verify

# Its exposure, and which hardening it lacks (the ✗ lines), on the record.
security() {
  # A UTF-8 locale, for the ✓ and ✗ looked for below.
  LC_ALL=C.UTF-8 systemd-analyze security --no-pager --offline=true \
    "$tmp/units/wgdiscoverd.service" 2>&1
}
exposure_of() { sed -n 's/.*Overall exposure level for wgdiscoverd.service: \([0-9.]*\).*/\1/p'; }
report=$(security)
sed 's/^/#   /' <<< "$report"
exposure=$(exposure_of <<< "$report")
echo "# exposure: ${exposure:-none printed}"
# Of the capabilities security looks at, only CAP_NET_ADMIN and the group
# with CAP_NET_RAW (for the punch's raw sockets) are left.
only_net_admin_raw() {
  local lacking
  lacking=$(grep -F '✗ CapabilityBoundingSet=' | awk '{ print $2 }' | sort | paste -sd' ')
  [[ $lacking == 'CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW) CapabilityBoundingSet=~CAP_NET_ADMIN' ]]
}
check "it runs as a static user that is not root" "grep -q '✓ User=/DynamicUser=' <<< \"\$report\""
check "with CAP_NET_ADMIN and CAP_NET_RAW as its only capabilities" \
  "only_net_admin_raw <<< \"\$report\""
check "its exposure ($exposure) is 2.5 at most" \
  "[[ -n \$exposure ]] && awk -v e='$exposure' 'BEGIN { exit !(e <= 2.5) }'"

# The drop-in, where an administrator puts it: verify and security read
# drop-ins beside the unit.
mkdir "$tmp/units/wgdiscoverd.service.d"
cp "$srcdir/systemd/wgdiscoverd-userspace.conf" "$tmp/units/wgdiscoverd.service.d/userspace.conf"
check "systemd-analyze verify finds nothing to say with the drop-in" verify
report=$(security)
root_exposure=$(exposure_of <<< "$report")
echo "# exposure with the drop-in (uid 0): ${root_exposure:-none printed}"
check "with the drop-in it runs as root (security says so)" \
  "grep -q '✗ User=/DynamicUser=' <<< \"\$report\""
check "and keeps CAP_NET_ADMIN and CAP_NET_RAW as its only capabilities" \
  "only_net_admin_raw <<< \"\$report\""

# systemd-sysusers only reads and prints with --dry-run: nothing on this
# machine changes.
sysusers=$(systemd-sysusers --dry-run --root="$tmp/sysroot" \
  "$(cd "$srcdir" && pwd)/systemd/sysusers.d/wgdiscover.conf" 2>&1)
sed 's/^/#   /' <<< "$sysusers"
check "systemd-sysusers would create the system user wgdiscover" \
  "grep -q \"Creating user '\\?wgdiscover'\\? \" <<< \"\$sysusers\""

# Root's reader of the managers' files: verified, root with no
# capability, and its path unit watching the nine directories ifconf.c
# reads.
ifconf_verify=$(cd "$tmp/units" && systemd-analyze verify --man=no wgdiscover-ifconf.service \
  wgdiscover-ifconf.path 2>&1)
ifconf_status=$?
sed 's/^/#   /' <<< "$ifconf_verify"
check "systemd-analyze verify finds nothing to say about wgdiscover-ifconf.service and .path" \
  '[[ $ifconf_status == 0 && -z $ifconf_verify ]]'
report=$(LC_ALL=C.UTF-8 systemd-analyze security --no-pager --offline=true \
  "$tmp/units/wgdiscover-ifconf.service" 2>&1)
sed 's/^/#   /' <<< "$report"
ifconf_exposure=$(sed -n 's/.*Overall exposure level for wgdiscover-ifconf.service: \([0-9.]*\).*/\1/p' <<< "$report")
echo "# wgdiscover-ifconf exposure: ${ifconf_exposure:-none printed}"
check "wgdiscover-ifconf.service runs as root (the files' owner)" \
  "grep -q '✗ User=/DynamicUser=' <<< \"\$report\""
check "with no capability at all" "! grep -qF '✗ CapabilityBoundingSet=' <<< \"\$report\""
check "and no network" "grep -q '✓ PrivateNetwork=' <<< \"\$report\""
check "its exposure ($ifconf_exposure) is 2.5 at most" \
  "[[ -n \$ifconf_exposure ]] && awk -v e='$ifconf_exposure' 'BEGIN { exit !(e <= 2.5) }'"
watched=$(sed -n 's/^PathChanged=//p' "$srcdir/systemd/wgdiscover-ifconf.path" | sort | paste -sd' ')
read_dirs=$(sed -n '/_dirs\[\] = {/,/};/p' "$srcdir/src/common/ifconf.c" | grep -o '"/[^"]*"' |
  tr -d '"' | sort -u | paste -sd' ')
check "the path unit watches the directories ifconf.c reads ($watched)" \
  "[[ -n \$read_dirs && \$watched == \$read_dirs ]]"

# The rendezvous server's unit: verified, no capability, its own user.
rdv_unit=${WGD_RENDEZVOUS_UNIT:?WGD_RENDEZVOUS_UNIT names the built wgdiscover-rendezvous.service}
rendezvous=${WGDISCOVER_RENDEZVOUS:?WGDISCOVER_RENDEZVOUS names wgdiscover-rendezvous}
check "the rendezvous unit's ExecStart= is the installed wgdiscover-rendezvous" \
  "grep -qx 'ExecStart=$WGD_SBINDIR/wgdiscover-rendezvous' '$rdv_unit'"
sed "s|^ExecStart=[^ ]*|ExecStart=$rendezvous|" "$rdv_unit" > "$tmp/units/wgdiscover-rendezvous.service"
rdv_verify=$(systemd-analyze verify --man=no "$tmp/units/wgdiscover-rendezvous.service" 2>&1)
rdv_status=$?
sed 's/^/#   /' <<< "$rdv_verify"
check "systemd-analyze verify finds nothing to say about the rendezvous unit" \
  '[[ $rdv_status == 0 && -z $rdv_verify ]]'
report=$(LC_ALL=C.UTF-8 systemd-analyze security --no-pager --offline=true \
  "$tmp/units/wgdiscover-rendezvous.service" 2>&1)
sed 's/^/#   /' <<< "$report"
rdv_exposure=$(sed -n 's/.*Overall exposure level for wgdiscover-rendezvous.service: \([0-9.]*\).*/\1/p' <<< "$report")
echo "# rendezvous exposure: ${rdv_exposure:-none printed}"
check "the rendezvous server runs as a static user that is not root" \
  "grep -q '✓ User=/DynamicUser=' <<< \"\$report\""
check "with no capability at all" "! grep -qF '✗ CapabilityBoundingSet=' <<< \"\$report\""
check "its exposure ($rdv_exposure) is 2.0 at most" \
  "[[ -n \$rdv_exposure ]] && awk -v e='$rdv_exposure' 'BEGIN { exit !(e <= 2.0) }'"
sysusers=$(systemd-sysusers --dry-run --root="$tmp/sysroot2" \
  "$(cd "$srcdir" && pwd)/systemd/sysusers.d/wgdiscover-rendezvous.conf" 2>&1)
check "systemd-sysusers would create the system user wgdiscover-rendezvous" \
  "grep -q \"Creating user '\\?wgdiscover-rendezvous'\\? \" <<< \"\$sysusers\""

if [[ $WGD_SYSTEMDSYSTEMUNITDIR == no || $WGD_SYSUSERSDIR == no ]]; then
  echo "# configure --without-systemdsystemunitdir or --without-sysusersdir: nothing to install"
  echo "1..$n"
  exit 0
fi
# Only the systemd files' install targets: the rest of make install is
# make distcheck's. Not the make running this test's jobs and variables.
dest=$tmp/dest
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$WGD_BUILDDIR" DESTDIR="$dest" \
  install-systemdsystemunitDATA install-sysusersDATA install-pkgdataDATA 2>&1 | sed 's/^/#   /'

check "make install puts the unit in $WGD_SYSTEMDSYSTEMUNITDIR" \
  "cmp -s '$unit' '$dest$WGD_SYSTEMDSYSTEMUNITDIR/wgdiscoverd.service'"
check "the sysusers.d file in $WGD_SYSUSERSDIR" \
  "cmp -s '$srcdir/systemd/sysusers.d/wgdiscover.conf' '$dest$WGD_SYSUSERSDIR/wgdiscover.conf'"
check "and the drop-in in $WGD_PKGDATADIR, not beside the unit" \
  "cmp -s '$srcdir/systemd/wgdiscoverd-userspace.conf' '$dest$WGD_PKGDATADIR/wgdiscoverd-userspace.conf' &&
   [[ ! -e '$dest$WGD_SYSTEMDSYSTEMUNITDIR/wgdiscoverd.service.d' ]]"
check "make install puts the rendezvous server's unit there too" \
  "cmp -s '$rdv_unit' '$dest$WGD_SYSTEMDSYSTEMUNITDIR/wgdiscover-rendezvous.service'"
check "and its sysusers.d file" \
  "cmp -s '$srcdir/systemd/sysusers.d/wgdiscover-rendezvous.conf' '$dest$WGD_SYSUSERSDIR/wgdiscover-rendezvous.conf'"
check "and wgdiscover-ifconf.service and .path" \
  "cmp -s '$ifconf_unit' '$dest$WGD_SYSTEMDSYSTEMUNITDIR/wgdiscover-ifconf.service' &&
   cmp -s '$srcdir/systemd/wgdiscover-ifconf.path' '$dest$WGD_SYSTEMDSYSTEMUNITDIR/wgdiscover-ifconf.path'"
check "nothing else" "[[ \$(find '$dest' -type f | wc -l) == 7 ]]"
# distcheck configures with its install directory in front of the
# pkg-config paths.
for var in systemdsystemunitdir sysusersdir; do
  pc=$(pkg-config --variable="$var" systemd)
  upper=WGD_${var^^}
  check "configure's $var (${!upper}) is systemd's ($pc)" \
    "[[ -n '$pc' && ( '${!upper}' == '$pc' || '${!upper}' == */_inst'$pc' ) ]]"
done
echo "1..$n"
