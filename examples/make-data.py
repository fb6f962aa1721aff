#!/usr/bin/env python3
"""Writes the small pcap files the example configurations read (examples/data/).

Deterministic: rerun it and the files come out byte for byte the same. Standard library only.
"""
import pathlib
import struct

DATA = pathlib.Path(__file__).resolve().parent / "data"


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip(s):
    return bytes(int(x) for x in s.split("."))


def eth(dst, src, etype, payload):
    return mac(dst) + mac(src) + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=1, tos=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), ident, 0, ttl, proto, 0,
                      ip(src), ip(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def l4sum(src, dst, proto, seg):
    pseudo = ip(src) + ip(dst) + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


def udp(src, dst, sport, dport, data=b"uplane example payload", ttl=64):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = l4sum(src, dst, 17, seg) or 0xFFFF
    return ipv4(src, dst, 17, seg[:6] + struct.pack("!H", c) + seg[8:], ttl=ttl)


def tcp(src, dst, sport, dport, flags=0x02):
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 65535, 0, 0)
    c = l4sum(src, dst, 6, seg)
    return ipv4(src, dst, 6, seg[:16] + struct.pack("!H", c) + seg[18:])


def icmp_echo(src, dst, ident=7, seq=1):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"ping" * 8
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    return ipv4(src, dst, 1, body)


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac(sha) + ip(spa) + mac(tha) + ip(tpa)


def write_pcap(name, packets):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, p in enumerate(packets):
        out += struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)) + p
    (DATA / name).write_bytes(out)


HOST_A = "00:00:0a:00:00:02"  # 10.0.0.2, on the router's interface 0
HOST_B = "00:00:c0:a8:01:02"  # 192.168.1.2, on the router's interface 1
RT0 = "00:00:0a:00:00:01"     # the router, 10.0.0.1
RT1 = "00:00:c0:a8:01:01"     # the router, 192.168.1.1
BCAST = "ff:ff:ff:ff:ff:ff"


def main():
    DATA.mkdir(exist_ok=True)
    # Traffic arriving on the router's interface 0 (from 10.0.0.0/24).
    in0 = [
        eth(BCAST, HOST_A, 0x0806, arp(1, HOST_A, "10.0.0.2", "00:00:00:00:00:00", "10.0.0.1")),
        eth(RT0, HOST_A, 0x0800, udp("10.0.0.2", "192.168.1.2", 5000, 53)),
        eth(RT0, HOST_A, 0x0800, tcp("10.0.0.2", "192.168.1.2", 40000, 22)),
        eth(RT0, HOST_A, 0x0800, icmp_echo("10.0.0.2", "192.168.1.2")),
        eth(RT0, HOST_A, 0x0800, udp("10.0.0.2", "192.168.1.2", 5000, 53, ttl=1)),  # expires
        eth(RT0, HOST_A, 0x0800, udp("10.0.0.2", "172.16.0.9", 5000, 53)),  # no route
        eth(RT0, HOST_A, 0x0800, b"\x45\x00"),  # a runt
        eth(RT0, HOST_A, 0x0800, udp("10.0.0.2", "192.168.1.2", 5000, 53)[:10] + b"\0\0" +
            udp("10.0.0.2", "192.168.1.2", 5000, 53)[12:]),  # IP checksum zeroed
    ]
    # Interface 1: the next hop answers ARP; one reply.
    in1 = [
        eth(RT1, HOST_B, 0x0806, arp(2, HOST_B, "192.168.1.2", RT1, "192.168.1.1")),
    ]
    write_pcap("router-in0.pcap", in0)
    write_pcap("router-in1.pcap", in1)
    mixed = in0 + in1 + [
        eth(RT0, HOST_A, 0x0800, tcp("10.0.0.2", "192.168.1.2", 40001, 80)),
        eth(RT0, HOST_A, 0x0800, tcp("203.0.113.5", "192.168.1.2", 40002, 22)),
        eth(RT0, HOST_A, 0x86DD, b"\x60" + b"\0" * 39),  # an IPv6 header
    ]
    write_pcap("mixed.pcap", mixed)


if __name__ == "__main__":
    main()
