#!/usr/bin/env python3
"""unit-seccomp.py — runs a command under the seccomp filters that a
systemd unit's lines ask for, built with libseccomp the way systemd builds
them, for tests on a machine whose PID 1 is not systemd:

    unit-seccomp.py UNIT CMD [ARG...]

It reads SystemCallFilter= (groups expanded by `systemd-analyze
syscall-filter`, so they are systemd's own), SystemCallErrorNumber=,
SystemCallArchitectures=native, RestrictAddressFamilies= (an allow list),
MemoryDenyWriteExecute=, LockPersonality= and RestrictNamespaces=yes, and
refuses any other form of them, so the filter cannot quietly differ from
the unit's. The calling process must have no_new_privs set (setpriv
--no-new-privs) or be root. Needs python3-seccomp."""

import errno
import os
import socket
import subprocess
import sys

import seccomp

CLONE_NEWTIME = 0x80
NAMESPACE_FLAGS = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 |
                   0x20000000 | 0x40000000 | CLONE_NEWTIME)
PROT_WRITE, PROT_EXEC = 0x2, 0x4
SHM_EXEC = 0o100000
PER_LINUX, PERSONALITY_QUERY = 0, 0xffffffff


def fail(message):
    print(f"unit-seccomp.py: {message}", file=sys.stderr)
    sys.exit(2)


def read_unit(path):
    """The [Service] assignments we emulate, in order, as (key, value)."""
    keys = {"SystemCallFilter", "SystemCallErrorNumber", "SystemCallArchitectures",
            "RestrictAddressFamilies", "MemoryDenyWriteExecute", "LockPersonality",
            "RestrictNamespaces"}
    section, found = None, []
    with open(path, encoding="utf-8") as unit:
        for line in unit:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            key, _, value = line.partition("=")
            if section == "[Service]" and key in keys:
                found.append((key, value.strip()))
    return found


def systemd_groups():
    """systemd's system call groups, {"@name": [member, ...]}, from one
    call of `systemd-analyze syscall-filter` (all groups, blank-line
    separated; members may be groups)."""
    out = subprocess.run(["systemd-analyze", "--no-pager", "syscall-filter"],
                         check=True, capture_output=True, text=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        entry = line.strip()
        if not entry:
            current = None
        elif current is None and entry.startswith("@"):
            current = groups.setdefault(entry, [])
        elif current is not None and not entry.startswith("#"):
            current.append(entry)
    return groups


def expand(name, groups):
    """The system calls of a name: itself, or the members of a @group."""
    if not name.startswith("@"):
        return {name}
    if name not in groups:
        fail(f"systemd-analyze knows no group {name}")
    calls = set()
    for member in groups[name]:
        calls |= expand(member, groups)
    return calls


def yes(value):
    return value.lower() in ("yes", "true", "1", "on")


def main():
    if len(sys.argv) < 3:
        fail("usage: unit-seccomp.py UNIT CMD [ARG...]")
    groups = systemd_groups()
    allowed, families, error = None, None, errno.EPERM
    mdwe = lock_personality = restrict_ns = False
    for key, value in read_unit(sys.argv[1]):
        if key == "SystemCallFilter":
            deny = value.startswith("~")
            names = set()
            for name in value.lstrip("~").split():
                names |= expand(name, groups)
            if deny:
                if allowed is None:
                    fail("a deny list without an allow list first is not emulated")
                allowed -= names
            else:
                allowed = names if allowed is None else allowed | names
        elif key == "SystemCallErrorNumber":
            error = getattr(errno, value, None)
            if error is None:
                fail(f"SystemCallErrorNumber={value} is not known")
        elif key == "SystemCallArchitectures":
            if value != "native":
                fail(f"SystemCallArchitectures={value} is not emulated")
        elif key == "RestrictAddressFamilies":
            if value.startswith("~") or value == "none":
                fail(f"RestrictAddressFamilies={value} is not emulated")
            families = [getattr(socket, name) for name in value.split()]
        elif key == "MemoryDenyWriteExecute":
            mdwe = yes(value)
        elif key == "LockPersonality":
            lock_personality = yes(value)
        elif key == "RestrictNamespaces":
            if value.lower() not in ("yes", "no"):
                fail(f"RestrictNamespaces={value} is not emulated")
            restrict_ns = yes(value)
    if allowed is None:
        fail(f"{sys.argv[1]} has no SystemCallFilter=")

    # A filter for the native architecture only: a call through another
    # (SystemCallArchitectures=native) kills, as under systemd.
    f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(error))
    conditional = {}

    def allow_if(call, *args):
        conditional.setdefault(call, []).append(args)

    if families is not None:
        for family in families:
            allow_if("socket", seccomp.Arg(0, seccomp.EQ, family))
    if mdwe:
        # Never writable and executable at once, never made executable later.
        allow_if("mmap", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0))
        allow_if("mmap", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_WRITE, 0))
        allow_if("mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0))
        allow_if("pkey_mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0))
        allow_if("shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, 0))
    if lock_personality:
        allow_if("personality", seccomp.Arg(0, seccomp.EQ, PER_LINUX))
        allow_if("personality", seccomp.Arg(0, seccomp.EQ, PERSONALITY_QUERY))
    if restrict_ns:
        allow_if("clone", seccomp.Arg(0, seccomp.MASKED_EQ, NAMESPACE_FLAGS, 0))
        allow_if("unshare", seccomp.Arg(0, seccomp.MASKED_EQ, NAMESPACE_FLAGS, 0))
        allowed.discard("setns")
        # Its flags are out of a filter's reach: systemd makes it ENOSYS,
        # and the C library falls back to clone.
        allowed.discard("clone3")
        f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")

    for call in sorted(allowed):
        try:
            if call in conditional:
                for args in conditional[call]:
                    f.add_rule(seccomp.ALLOW, call, *args)
            else:
                f.add_rule(seccomp.ALLOW, call)
        except (RuntimeError, ValueError):
            # Not a call of this architecture (systemd skips these too).
            pass
    f.load()
    os.execvp(sys.argv[2], sys.argv[2:])


main()
