#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the net fuzz corpora (run from anywhere).

The fuzzers grow the corpora from these; the seeds name what each one is.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(ethertype, payload, dst=b"\x02\0\0\0\0\x02", src=b"\x02\0\0\0\0\x01"):
    return dst + src + struct.pack("!H", ethertype) + payload


def vlan(tci, ethertype, payload):
    return struct.pack("!HH", tci, ethertype) + payload


def ipv4(proto, payload, src=b"\x0a\0\0\x01", dst=b"\x0a\0\0\x02", ttl=64, options=b"", frag=0x4000):
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), 1, frag, ttl, proto, 0, src, dst) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(nh, payload):
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + b"\xfe\x80" + b"\0" * 13 + b"\x01" + b"\xfe\x80" + b"\0" * 13 + b"\x02" + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(flags=0x02, options=b""):
    off = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", 1234, 80, 1, 0, off << 4, flags, 65535, 0, 0) + options


def icmp_echo():
    return struct.pack("!BBHHH", 8, 0, 0, 7, 1) + b"ping"


def arp():
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, b"\x02\0\0\0\0\x01", b"\x0a\0\0\x01", b"\0" * 6, b"\x0a\0\0\x02")


def vxlan(vni, inner):
    return struct.pack("!II", 0x08000000, vni << 8) + inner


HEADERS = {
    "ipv4_udp": eth(0x0800, ipv4(17, udp(1024, 53, b"abcd"))),
    "ipv4_tcp_syn_mss": eth(0x0800, ipv4(6, tcp(0x02, b"\x02\x04\x05\xb4"))),
    "ipv4_icmp_echo": eth(0x0800, ipv4(1, icmp_echo())),
    "ipv4_options_rr": eth(0x0800, ipv4(17, udp(1, 2, b""), options=b"\x07\x07\x04\0\0\0\0\0")),
    "ipv4_fragment": eth(0x0800, ipv4(17, b"\0" * 16, frag=0x2001)),
    "ipv4_ttl0": eth(0x0800, ipv4(17, udp(1, 2, b"x"), ttl=0)),
    "vlan_ipv4_udp": eth(0x8100, vlan(0x2064, 0x0800, ipv4(17, udp(1, 2, b"vlan")))),
    "qinq_ipv4": eth(0x88A8, vlan(0x0010, 0x8100, vlan(0x0020, 0x0800, ipv4(17, udp(1, 2, b""))))),
    "arp_request": eth(0x0806, arp()),
    "ipv6_udp": eth(0x86DD, ipv6(17, udp(546, 547, b"v6"))),
    "vxlan_inner_icmp": eth(0x0800, ipv4(17, udp(49152, 4789, vxlan(42, eth(0x0800, ipv4(1, icmp_echo())))))),
    "runt_13_bytes": eth(0x0800, b"")[:13],
    "ipv4_truncated": eth(0x0800, ipv4(17, udp(1, 2, b"abcdef")))[:30],
    "ipv4_bad_ihl": eth(0x0800, b"\x43" + ipv4(17, b"")[1:]),
    "ipv4_ihl_past_end": eth(0x0800, b"\x4f" + ipv4(17, b"")[1:]),
    "empty": b"",
}

ADDRESSES = {
    "ether": b"00:11:22:33:44:55",
    "ether_dash": b"00-11-22-aa-bb-cc",
    "ether_bad": b"00:11:22:33:44",
    "ipv4": b"192.168.0.1",
    "ipv4_leading_zero": b"10.01.0.1",
    "ipv4_overflow": b"256.1.1.1",
    "ipv6": b"fe80::1",
    "ipv6_v4mapped": b"::ffff:10.0.0.1",
    "ipv6_bad": b"1:::2",
}


def write(dirname, seeds):
    path = os.path.join(HERE, "corpus", dirname)
    os.makedirs(path, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(path, "seed_" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("net_headers", HEADERS)
    write("net_addresses", ADDRESSES)
