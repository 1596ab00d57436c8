#!/usr/bin/python3
# ws-blackhole.py — a TCP proxy in front of wgdiscover-rendezvous that
# breaks WebSockets silently, as some proxies do (tests/lan/test-wan-mesh.sh):
# every connection is passed on to the server unchanged until the server
# answers 101 Switching Protocols; from then on nothing is passed either
# way, and both sides are kept open and read into the void. Logs
# "TIME upgraded" per WebSocket it swallowed.
# Usage: ws-blackhole.py ADDRESS PORT SERVER_ADDRESS SERVER_PORT LOG
import socket
import sys
import threading
import time

address, port, server_address, server_port, log_path = (
    sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
log = open(log_path, "a", buffering=1)


def pipe(src, dst, state, from_server):
    """Copies src to dst until src closes; after the server's 101, swallows."""
    head = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if state["upgraded"]:
                continue
            if from_server and not state["answered"]:
                head += data
                if b"\r\n" in head:
                    state["answered"] = True
                    if head.split(b"\r\n", 1)[0].split(b" ")[1:2] == [b"101"]:
                        # The 101 itself goes through: the client thinks it
                        # has a WebSocket.
                        dst.sendall(data)
                        state["upgraded"] = True
                        log.write("%.3f upgraded\n" % time.time())
                        continue
            dst.sendall(data)
    except OSError:
        pass
    # A swallowed WebSocket's client side stays open when the server goes:
    # only the client's own close ends it.
    ends = [src] if state["upgraded"] and from_server else [src, dst]
    for s in ends:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    try:
        upstream = socket.create_connection((server_address, server_port))
    except OSError:
        # The server is not up (yet): the client must not wait forever.
        client.close()
        return
    state = {"upgraded": False, "answered": False}
    threading.Thread(target=pipe, args=(client, upstream, state, False), daemon=True).start()
    pipe(upstream, client, state, True)


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((address, port))
listener.listen(64)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
