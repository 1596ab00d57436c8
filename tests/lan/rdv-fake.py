#!/usr/bin/python3
# rdv-fake.py — a stand-in for wgdiscover-rendezvous in the client's tests
# (tests/lan/test-rendezvous.sh): it logs every request as "TIME ADDRESS
# METHOD PATH" (TIME in seconds since the epoch, with fractions) and
# answers by MODE:
#   close      reads the request and closes the connection unanswered
#   429 N      429 rate-limited, Retry-After: N
#   serve FILE GET /v1/peers/... answers FILE's base64url record as
#              the server would (200 JSON); PUT answers stored
# Usage: rdv-fake.py ADDRESS PORT LOG MODE [ARG]
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

address, port, log_path, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
arg = sys.argv[5] if len(sys.argv) > 5 else None
log = open(log_path, "a", buffering=1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        log.write("%.3f %s %s %s\n" % (time.time(), self.client_address[0], self.command,
                                        self.path))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 4096))
        if mode == "close":
            self.close_connection = True
            self.connection.close()
            return
        if mode == "429":
            self.answer(429, {"error": "rate-limited", "message": "slow down"},
                        [("Retry-After", arg)])
            return
        if self.command == "PUT":
            self.answer(200, {"status": "stored", "seen_from":
                              {"address": self.client_address[0],
                               "port": self.client_address[1]}})
            return
        record = open(arg).read().strip()
        self.answer(200, {"record": record})

    do_GET = handle_any
    do_PUT = handle_any


ThreadingHTTPServer((address, port), Handler).serve_forever()
