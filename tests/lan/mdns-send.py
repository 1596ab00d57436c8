#!/usr/bin/env python3
"""mdns-send.py — raw mDNS packets from a hostile host of a test LAN
(tests/lan/lan.sh), for the tests that need what no well-behaved
responder sends. Run inside that host's namespaces only: it sends to the
mDNS groups (224.0.0.251, ff02::fb) on one interface, from port 5353 of
the source addresses given, and nothing else.

  mdns-send.py --from ADDR [--from ADDR]... [--dev IFNAME] [--rate PPS]
               [--ptr PREFIX COUNT]
               [--txt INSTANCE [--srv HOST] [--variants N] STRING...]
               [--junk SECONDS]

--ptr announces PTR records of _wireguard._udp for the instances
PREFIX-0 … PREFIX-(COUNT-1), and nothing more: names that never answer
for their SRV or TXT. --txt sends, as an unsolicited response, a PTR
for INSTANCE and a TXT record (cache-flush bit set) of the STRINGs;
with --srv, an SRV record naming HOST.local too; with --variants N, N
such TXT records, each with "n=<i>" added, one packet each. --junk
sends queries that nobody answers, as many as the rate allows, for
SECONDS: what keeps a stopped receiver's socket buffer full. Packets
go out round robin over the source addresses, one each (IPv4 ones to
224.0.0.251, IPv6 ones to ff02::fb), --rate packets a second (default
1000). Prints "sent N packets".
"""
import argparse
import socket
import struct
import sys
import time

SERVICE = "_wireguard._udp.local"
T_A, T_PTR, T_TXT, T_SRV = 1, 12, 16, 33
CLASS_IN, CACHE_FLUSH = 1, 0x8000
PACKET_MAX = 1400  # under the veth's MTU, with the IPv6 and UDP headers
POINTER_TO_SERVICE = b"\xc0\x0c"  # the service type, written first at offset 12


def encode_name(name):
    out = b""
    for label in name.split("."):
        raw = label.encode()
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def record(owner, rtype, rclass, ttl, rdata):
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def response(records):
    """A response packet: the service type's name comes first, so that
    records may point to it."""
    return struct.pack(">HHHHHH", 0, 0x8400, 0, len(records), 0, 0) + b"".join(records)


def ptr_packets(prefix, count, ttl):
    """PTR records for the instances, as few packets as they fit in."""
    packets, records, size = [], [], 12
    for i in range(count):
        label = ("%s-%d" % (prefix, i)).encode()
        rdata = bytes([len(label)]) + label + POINTER_TO_SERVICE
        if records and size + 2 + 10 + len(rdata) > PACKET_MAX:
            packets.append(response(records))
            records, size = [], 12
        owner = POINTER_TO_SERVICE if records else encode_name(SERVICE)
        records.append(record(owner, T_PTR, CLASS_IN, ttl, rdata))
        size += len(records[-1])
    if records:
        packets.append(response(records))
    return packets


def txt_rdata(strings):
    out = b""
    for s in strings:
        raw = s.encode()
        if len(raw) > 255:
            sys.exit("mdns-send: a TXT string is longer than 255 bytes")
        out += bytes([len(raw)]) + raw
    return out


def txt_packet(instance, strings, srv_host, ttl):
    full = encode_name(instance + "." + SERVICE)
    records = [record(encode_name(SERVICE), T_PTR, CLASS_IN, ttl, full)]
    if srv_host is not None:
        target = encode_name(srv_host + ".local")
        records.append(record(full, T_SRV, CLASS_IN | CACHE_FLUSH, ttl,
                              struct.pack(">HHH", 0, 0, 51820) + target))
    records.append(record(full, T_TXT, CLASS_IN | CACHE_FLUSH, ttl, txt_rdata(strings)))
    return response(records)


def junk_packet(serial):
    """A query for names nobody has, as large as a packet."""
    questions, size, k = [], 12, 0
    while True:
        q = encode_name("junk-%d-%d.local" % (serial, k)) + struct.pack(">HH", T_A, CLASS_IN)
        if size + len(q) > PACKET_MAX:
            break
        questions.append(q)
        size += len(q)
        k += 1
    return struct.pack(">HHHHHH", 0, 0, len(questions), 0, 0, 0) + b"".join(questions)


def open_socket(address, ifindex):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    # avahi-daemon of this host has port 5353 too; responses must come from it.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if family == socket.AF_INET:
        s.bind((address, 5353))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        return s, ("224.0.0.251", 5353)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((address, 5353, 0, ifindex if address.startswith("fe80") else 0))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
    return s, ("ff02::fb", 5353, 0, ifindex)


def main():
    p = argparse.ArgumentParser(description="raw mDNS packets for the LAN tests")
    p.add_argument("--from", dest="sources", action="append", required=True)
    p.add_argument("--dev", default="eth0")
    p.add_argument("--rate", type=float, default=1000)
    p.add_argument("--ttl", type=int, default=4500)
    p.add_argument("--ptr", nargs=2, metavar=("PREFIX", "COUNT"))
    p.add_argument("--txt", metavar="INSTANCE")
    p.add_argument("--srv", metavar="HOST")
    p.add_argument("--variants", type=int, default=0)
    p.add_argument("--junk", type=float, metavar="SECONDS")
    p.add_argument("strings", nargs="*")
    a = p.parse_args()

    packets = []
    if a.ptr:
        packets += ptr_packets(a.ptr[0], int(a.ptr[1]), a.ttl)
    if a.txt and a.variants:
        packets += [txt_packet(a.txt, a.strings + ["n=%d" % i], a.srv, a.ttl)
                    for i in range(a.variants)]
    elif a.txt:
        packets.append(txt_packet(a.txt, a.strings, a.srv, a.ttl))

    ifindex = socket.if_nametoindex(a.dev)
    sockets = [open_socket(addr, ifindex) for addr in a.sources]
    gap = 1.0 / a.rate
    sent = 0
    for packet in packets:
        s, group = sockets[sent % len(sockets)]
        s.sendto(packet, group)
        sent += 1
        time.sleep(gap)
    if a.junk:
        end = time.monotonic() + a.junk
        while time.monotonic() < end:
            s, group = sockets[sent % len(sockets)]
            s.sendto(junk_packet(sent), group)
            sent += 1
            time.sleep(gap)
    print("sent %d packets" % sent, flush=True)


if __name__ == "__main__":
    main()
