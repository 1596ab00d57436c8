#!/usr/bin/env bash
# test-install.sh — `make install DESTDIR=…` puts every file where a
# distribution expects it. Prints TAP.
#
#  1. Installed as configured (DESTDIR only): every file is where the
#     build's own directory variables say, binaries 0755 and data 0644;
#     the installed unit and D-Bus activation file start the installed
#     daemon, and the unit, sysusers.d, D-Bus policy and polkit policy
#     all name the same system user.
#  2. Installed as a distribution does (prefix=/usr, sysconfdir=/etc):
#     the unit and sysusers.d file where `pkg-config --variable` of
#     systemd says, the D-Bus policy, activation file and interface where
#     dbus-1's pkg-config file says, the polkit actions where
#     polkit-gobject-1's says, the completion where bash-completion's says
#     (or its usual directory without it), manuals and the catalogue
#     under /usr/share. When the build was configured with other systemd
#     or completion directories (make distcheck does), those are checked
#     at the configured places and the test says so.
#
# Needs WGD_MAKE (the make program) and WGD_BUILDDIR (the build tree);
# the directory variables come from the build's Makefile itself
# (make print-install-dirs), so nothing is guessed here.

make=${WGD_MAKE:?WGD_MAKE names make}
builddir=${WGD_BUILDDIR:?WGD_BUILDDIR names the build tree}
n=0
fails=0
check() {
  n=$((n + 1))
  if eval "$2"; then
    echo "ok $n - $1"
  else
    echo "not ok $n - $1"
    fails=$((fails + 1))
  fi
}

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# make as a command of its own, not a part of the make check around it
# (whose jobserver and flags it would otherwise inherit).
submake() {
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$make" -s --no-print-directory -C "$builddir" "$@"
}

# The build's directories, after make's own expansion, for the given
# overrides; as shell assignments (dir_NAME=VALUE).
install_dirs() {
  submake print-install-dirs "$@" | grep -E "^dir_[a-z]+='[^']*'\$"
}

# mode FILE: its permission bits in octal.
mode() { stat -c %a "$1"; }

# Part 1: as configured.
d1=$tmp/as-configured
if ! submake install DESTDIR="$d1" > "$tmp/install1.log" 2>&1; then
  echo "1..1"
  echo "not ok 1 - make install DESTDIR=… succeeds"
  sed 's/^/# /' "$tmp/install1.log"
  exit 0
fi
eval "$(install_dirs)" || exit 99

files=(
  "$dir_bindir/wgdiscoverctl:755"
  "$dir_sbindir/wgdiscoverd:755"
  "$dir_sbindir/wgdiscover-rendezvous:755"
  "$dir_systemdsystemunitdir/wgdiscoverd.service:644"
  "$dir_systemdsystemunitdir/wgdiscover-rendezvous.service:644"
  "$dir_systemdsystemunitdir/wgdiscover-ifconf.service:644"
  "$dir_systemdsystemunitdir/wgdiscover-ifconf.path:644"
  "$dir_pkgdatadir/wgdiscoverd-userspace.conf:644"
  "$dir_sysusersdir/wgdiscover.conf:644"
  "$dir_sysusersdir/wgdiscover-rendezvous.conf:644"
  "$dir_dbussystemdir/org.wgdiscover1.conf:644"
  "$dir_dbusservicesdir/org.wgdiscover1.service:644"
  "$dir_dbusinterfacesdir/org.wgdiscover1.xml:644"
  "$dir_polkitpolicydir/org.wgdiscover1.policy:644"
  "$dir_mandir/man1/wgdiscoverctl.1:644"
  "$dir_mandir/man5/wgdiscoverd.conf.5:644"
  "$dir_mandir/man8/wgdiscoverd.8:644"
  "$dir_mandir/man8/wgdiscover-rendezvous.8:644"
  "$dir_bashcompletiondir/wgdiscoverctl:644"
  "$dir_localedir/de/LC_MESSAGES/wgdiscover.mo:644"
  "$dir_docdir/README.md:644"
  "$dir_docdir/architecture.md:644"
  "$dir_docdir/trust-model.md:644"
  "$dir_docdir/record-format.md:644"
  "$dir_docdir/dbus-api.md:644"
  "$dir_docdir/rendezvous.md:644"
  "$dir_docdir/dynamic-dns.md:644"
  "$dir_docdir/examples/wgdiscoverd.conf:644"
)
for entry in "${files[@]}"; do
  f=${entry%:*}
  want=${entry##*:}
  check "installed: $f, mode $want" "[ -f '$d1$f' ] && [ \"\$(mode '$d1$f')\" = $want ]"
done
check "nothing else is installed (every file installed is one of those ${#files[@]})" \
  "[ \"\$(find '$d1' -type f | wc -l)\" -eq ${#files[@]} ]"
find "$d1" -type f | sed "s|^$d1|# installed: |"

unit=$d1$dir_systemdsystemunitdir/wgdiscoverd.service
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
check "the unit's ExecStart ($exec_start) is the installed daemon" \
  "[ '$exec_start' = '$dir_sbindir/wgdiscoverd' ] && [ -x '$d1$exec_start' ]"
activation=$d1$dir_dbusservicesdir/org.wgdiscover1.service
check "the D-Bus activation file names org.wgdiscover1, the installed daemon and the unit" \
  "grep -qx 'Name=org.wgdiscover1' '$activation' &&
   grep -q '^Exec=$dir_sbindir/wgdiscoverd ' '$activation' &&
   grep -qx 'SystemdService=wgdiscoverd.service' '$activation'"
user=$(sed -n 's/^User=//p' "$unit")
check "the unit runs as wgdiscover" "[ '$user' = wgdiscover ]"
check "sysusers.d creates that user" \
  "grep -qE '^u[[:space:]]+$user[[:space:]]' '$d1$dir_sysusersdir/wgdiscover.conf'"
check "the D-Bus policy lets that user (and root) own org.wgdiscover1, and nobody else" \
  "/usr/bin/python3 - '$d1$dir_dbussystemdir/org.wgdiscover1.conf' '$user' <<'EOF'
import sys, xml.etree.ElementTree as ET
owners = set()
for policy in ET.parse(sys.argv[1]).getroot().iter('policy'):
    for allow in policy.iter('allow'):
        if allow.get('own') == 'org.wgdiscover1':
            owners.add(policy.get('user') or policy.get('context') or policy.get('group'))
sys.exit(0 if owners == {'root', sys.argv[2]} else 1)
EOF"
check "the polkit policy's owner annotation names that user, on every action" \
  "/usr/bin/python3 - '$d1$dir_polkitpolicydir/org.wgdiscover1.policy' '$user' <<'EOF'
import sys, xml.etree.ElementTree as ET
actions = list(ET.parse(sys.argv[1]).getroot().iter('action'))
ok = bool(actions)
for a in actions:
    owners = [x.text for x in a.iter('annotate') if x.get('key') == 'org.freedesktop.policykit.owner']
    ok = ok and owners == ['unix-user:' + sys.argv[2]]
sys.exit(0 if ok else 1)
EOF"
check "the installed catalogue is one msgunfmt reads" \
  "! command -v msgunfmt > /dev/null || msgunfmt '$d1$dir_localedir/de/LC_MESSAGES/wgdiscover.mo' > /dev/null"

# Part 2: as a distribution installs it.
d2=$tmp/distribution
distro=(prefix=/usr exec_prefix=/usr sysconfdir=/etc localstatedir=/var)
if ! submake install DESTDIR="$d2" "${distro[@]}" > "$tmp/install2.log" 2>&1; then
  check "make install DESTDIR=… prefix=/usr sysconfdir=/etc succeeds" false
  sed 's/^/# /' "$tmp/install2.log"
  echo "1..$n"
  exit 0
fi
eval "$(install_dirs "${distro[@]}")" || exit 99

# expect NAME FILE DIR [WHY]: FILE is in DIR, as the distribution's
# pkg-config files say.
expect() {
  check "$1: $3/$2" "[ -f '$d2$3/$2' ]"
}
# pc_dir PACKAGE VARIABLE CONFIGURED: what PACKAGE's pkg-config file says,
# with its prefix /usr; the configured directory when the build was
# configured elsewhere (said as a comment).
pc_dir() {
  local said
  said=$(pkg-config --define-variable=prefix=/usr --variable="$2" "$1" 2>/dev/null)
  if [ -n "$said" ] && [ "$said" != "$3" ]; then
    echo "# $1's $2 is $said; this build was configured with $3" >&2
    said=$3
  fi
  echo "${said:-$3}"
}
dbus_datadir=$(pkg-config --variable=datadir dbus-1)
expect "D-Bus policy where dbus-1.pc says" org.wgdiscover1.conf "$dbus_datadir/dbus-1/system.d"
expect "D-Bus activation where dbus-1.pc says" org.wgdiscover1.service \
  "$(pkg-config --variable=system_bus_services_dir dbus-1)"
expect "D-Bus interface where dbus-1.pc says" org.wgdiscover1.xml \
  "$(pkg-config --variable=interfaces_dir dbus-1)"
expect "polkit actions where polkit-gobject-1.pc says" org.wgdiscover1.policy \
  "$(pkg-config --variable=policydir polkit-gobject-1)"
expect "unit where systemd.pc says" wgdiscoverd.service \
  "$(pc_dir systemd systemdsystemunitdir "$dir_systemdsystemunitdir")"
expect "sysusers.d where systemd.pc says" wgdiscover.conf \
  "$(pc_dir systemd sysusersdir "$dir_sysusersdir")"
completions=$(pc_dir bash-completion completionsdir "$dir_bashcompletiondir")
expect "completion where bash-completion looks" wgdiscoverctl "$completions"
expect "daemon" wgdiscoverd /usr/sbin
expect "wgdiscoverctl" wgdiscoverctl /usr/bin
expect "manual" wgdiscoverd.8 /usr/share/man/man8
expect "manual" wgdiscoverd.conf.5 /usr/share/man/man5
expect "manual" wgdiscoverctl.1 /usr/share/man/man1
expect "German catalogue" wgdiscover.mo /usr/share/locale/de/LC_MESSAGES
expect "example configuration" wgdiscoverd.conf /usr/share/doc/wgdiscover/examples

echo "1..$n"
