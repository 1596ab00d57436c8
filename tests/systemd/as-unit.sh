#!/usr/bin/env bash
# as-unit.sh — runs a command the way systemd would run it for a unit,
# for tests on a machine whose PID 1 is not systemd (so nothing can be
# started through systemd here):
#
#   as-unit.sh UNIT UID GID STATE_DIR CMD [ARG...]
#
# As root, in a mount namespace of its own: every mount read-only but
# STATE_DIR (ProtectSystem=strict, ProtectKernelTunables=,
# ProtectControlGroups=; StateDirectory=), empty /tmp and /var/tmp
# (PrivateTmp=; but for the directories of what is tested), nothing in /home, /root and /run/user (ProtectHome=;
# not where the command itself lies, so that a build under /home can
# still be tested), a /dev of null, zero, full, random, urandom and tty
# alone (PrivateDevices=), and a /proc of processes only, other users'
# hidden (ProcSubset=pid, ProtectProc=invisible). Then as UID:GID with no
# supplementary groups, the unit's AmbientCapabilities= in the
# inheritable, ambient and bounding sets and nothing else
# (AmbientCapabilities=, CapabilityBoundingSet=; for uid 0 too; none
# when both are empty), no_new_privs
# (NoNewPrivileges=), and the unit's seccomp filters (unit-seccomp.py).
# UMask=0077 too. The command runs in the foreground (exec).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ ${1:-} != --inside ]]; then
  (( $# >= 5 )) || { echo "usage: as-unit.sh UNIT UID GID STATE_DIR CMD [ARG...]" >&2; exit 2; }
  exec unshare --mount --propagation private -- "$BASH" "${BASH_SOURCE[0]}" --inside "$@"
fi
shift
unit=$1 uid=$2 gid=$3 state=$4
shift 4
cmd=$(command -v "$1")

# ProtectSystem=strict: every mount read-only, /proc and /dev replaced
# below; the state directory a writable mount of its own.
mount --bind "$state" "$state"
# A mount's fields: id parent dev root point options [optional...] -
# type source super-options. Namespace files (nsfs) are no file system.
while read -ra f; do
  point=$(printf '%b' "${f[4]//\\/\\0}")
  for ((i = 6; i < ${#f[@]}; i++)); do [[ ${f[i]} == - ]] && break; done
  [[ ${f[i + 1]:-} == nsfs ]] && continue
  case $point in /proc|/proc/*|/dev|/dev/*|"$state") continue ;; esac
  mount -o remount,bind,ro "$point" ||
    echo "as-unit.sh: cannot make $point read-only" >&2
done < /proc/self/mountinfo

# PrivateTmp=: an empty /tmp and /var/tmp. What is tested may lie there
# (a build or a checkout under /tmp): those directories are put back on
# the empty one, read-only like the rest, through a descriptor opened
# before it hid them; and STATE_DIR (a test's temporary directory), as
# the writable mount it is.
tested=()
while read -r p; do
  [[ ${#tested[@]} -gt 0 && $p == "${tested[-1]}"/* ]] || tested+=("$p")
done <<< "$(printf '%s\n' "$(dirname "$cmd")" "$(dirname "$unit")" "$here" | sort -u)"
for d in /tmp /var/tmp; do
  [[ -d $d ]] || continue
  kept=() fds=()
  for p in "${tested[@]}" "$state"; do
    [[ $p == "$d"/* ]] || continue
    exec {fd}< "$p"
    kept+=("$p") fds+=("$fd")
  done
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d"
  for i in "${!kept[@]}"; do
    (umask 022 && mkdir -p "${kept[i]}")
    # Not canonicalized: that would name the new, empty directory.
    mount --no-canonicalize --bind "/proc/self/fd/${fds[i]}" "${kept[i]}"
    [[ ${kept[i]} == "$state" ]] || mount -o remount,bind,ro "${kept[i]}"
    exec {fds[i]}<&-
  done
done
for d in /home /root /run/user; do
  [[ -d $d ]] || continue
  if [[ $cmd == "$d"/* || $unit == "$d"/* || $here == "$d"/* ]]; then
    echo "as-unit.sh: $d holds what is tested; ProtectHome= is not emulated for it" >&2
    continue
  fi
  mount -t tmpfs -o ro,mode=000 tmpfs "$d"
done

mount -t tmpfs -o mode=755,nosuid,noexec tmpfs /dev
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/full c 1 7
mknod -m 666 /dev/random c 1 8
mknod -m 666 /dev/urandom c 1 9
mknod -m 666 /dev/tty c 5 0
mount -o remount,ro /dev
mount -t proc -o subset=pid,hidepid=invisible,nosuid,nodev,noexec proc /proc

# "CAP_NET_ADMIN CAP_NET_RAW" → "+net_admin,+net_raw", as setpriv takes
# them; an empty AmbientCapabilities= (with CapabilityBoundingSet=
# empty, checked) is no capability at all, for uid 0 too.
grep -q '^AmbientCapabilities=' "$unit" ||
  { echo "as-unit.sh: no AmbientCapabilities= in $unit" >&2; exit 2; }
caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_/+/p' |
       paste -sd,)
if [[ -z $caps ]]; then
  grep -qx 'CapabilityBoundingSet=' "$unit" ||
    { echo "as-unit.sh: AmbientCapabilities= is empty but CapabilityBoundingSet= is not" >&2; exit 2; }
  caps_set=-all ambient=-all
else
  caps_set=-all,$caps ambient=$caps
fi
umask 077
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups \
  --inh-caps="$caps_set" --ambient-caps="$ambient" --bounding-set="$caps_set" \
  --no-new-privs -- /usr/bin/python3 "$here/unit-seccomp.py" "$unit" "$@"
