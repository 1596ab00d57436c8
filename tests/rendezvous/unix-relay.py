#!/usr/bin/python3
# unix-relay.py — passes each connection to one unix socket on to another
# unix socket, both ways, until either side closes
# (tests/rendezvous/test-redis-push.sh puts one between a server and
# Redis). Stopped with SIGSTOP it is a network black hole for that server
# alone: its connections stay open and nothing passes, while the other
# servers reach Redis directly.
# Usage: unix-relay.py LISTEN_PATH TARGET_PATH
import os
import socket
import sys
import threading

listen_path, target_path = sys.argv[1], sys.argv[2]


def pipe(src, dst):
    """Copies src to dst until either fails or src closes; then ends both."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(listen_path)
os.chmod(listen_path, 0o700)
listener.listen(64)
while True:
    conn, _ = listener.accept()
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(target_path)
    except OSError:
        # Redis is not there: the server sees its connection closed.
        conn.close()
        upstream.close()
        continue
    threading.Thread(target=pipe, args=(conn, upstream), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()
