#!/usr/bin/env python3
"""journal-sink.py SOCKET OUT — stands in for journald on a test host:
receives native-protocol datagrams on SOCKET and appends one line per
entry to OUT, "PRIORITY MESSAGE", so a test can see what a detached
daemon logged."""
import os
import socket
import struct
import sys


def fields(data):
    """The KEY=value and binary-safe KEY\\n<le64 length><value> fields."""
    out = {}
    i = 0
    while i < len(data):
        nl = data.find(b"\n", i)
        if nl < 0:
            nl = len(data)
        line = data[i:nl]
        if b"=" in line:
            key, _, value = line.partition(b"=")
            out[key] = value
            i = nl + 1
        else:
            (length,) = struct.unpack_from("<Q", data, nl + 1)
            start = nl + 9
            out[line] = data[start:start + length]
            i = start + length + 1
    return out


def main():
    path, log = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    with open(log, "ab", buffering=0) as out:
        while True:
            data = sock.recv(1 << 20)
            f = fields(data)
            out.write(f.get(b"PRIORITY", b"?") + b" " + f.get(b"MESSAGE", b"") + b"\n")


main()
