#!/usr/bin/env python3
"""Writes the input pcaps of every golden case, deterministically.

    python3 tests/golden/make_inputs.py            # rewrite every case's input*.pcap
    python3 tests/golden/make_inputs.py CASE ...   # only these cases
    python3 tests/golden/make_inputs.py --check    # exit 1 if a committed input differs

Each case below is a function returning {file name: bytes}. Packets are built field by
field with the helpers here (checksums computed unless a case breaks them on purpose), so
what each input holds can be read in this file; README.md says what each case expects of
them. Standard library only. Timestamps are fixed, so the output never changes unless this
file does.
"""

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# --- addresses ---------------------------------------------------------------------------


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip(s):
    return bytes(int(x) for x in s.split("."))


# --- checksums -----------------------------------------------------------------------------


def csum(data):
    """The Internet checksum (RFC 1071) of data, as an integer."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo(src, dst, proto, length):
    return ip(src) + ip(dst) + struct.pack("!BBH", 0, proto, length)


# --- headers -------------------------------------------------------------------------------

ETH_IP, ETH_ARP, ETH_VLAN, ETH_IP6 = 0x0800, 0x0806, 0x8100, 0x86DD


def eth(dst, src, etype, payload=b""):
    return mac(dst) + mac(src) + struct.pack("!H", etype) + payload


def vlan_tag(tci, etype):
    return struct.pack("!HH", tci, etype)


def ether_vlan(dst, src, tci, etype, payload=b""):
    return mac(dst) + mac(src) + struct.pack("!H", ETH_VLAN) + vlan_tag(tci, etype) + payload


def ipv4(src, dst, proto, payload=b"", ttl=64, ident=0, frag=0, tos=0, options=b"",
         total_length=None, checksum=None, version=4, ihl=None):
    """An IPv4 header and payload. frag is the whole flags+offset field. total_length,
    checksum, version and ihl override the computed values (to build bad headers)."""
    assert len(options) % 4 == 0, "pad IP options to a multiple of 4 bytes"
    hl = 20 + len(options)
    if ihl is None:
        ihl = hl // 4
    tl = hl + len(payload) if total_length is None else total_length
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, tos, tl, ident, frag, ttl, proto, 0,
                    ip(src), ip(dst)) + options
    if checksum is None:
        checksum = csum(h)
    h = h[:10] + struct.pack("!H", checksum) + h[12:]
    return h + payload


def udp(src, dst, sport, dport, payload=b"", checksum=None):
    length = 8 + len(payload)
    h = struct.pack("!HHHH", sport, dport, length, 0)
    if checksum is None:
        checksum = csum(pseudo(src, dst, 17, length) + h + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, checksum) + payload


def tcp(src, dst, sport, dport, flags, seq=1000, ack=0, win=8192, payload=b"", checksum=None):
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, win, 0, 0)
    if checksum is None:
        checksum = csum(pseudo(src, dst, 6, len(h) + len(payload)) + h + payload)
    return h[:16] + struct.pack("!H", checksum) + h[18:] + payload


def icmp(typ, code, rest=0, payload=b"", checksum=None):
    h = struct.pack("!BBHI", typ, code, 0, rest)
    if checksum is None:
        checksum = csum(h + payload)
    return struct.pack("!BBHI", typ, code, checksum, rest) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, ETH_IP, 6, 4, op) + mac(sha) + ip(spa) + mac(tha) + ip(tpa)


def pattern(n, start=0):
    return bytes((start + i) & 0xFF for i in range(n))


# --- IP packets with their headers, the common shapes -------------------------------------


def udp_ip(src, dst, sport=1234, dport=53, payload=b"", **ipkw):
    return ipv4(src, dst, 17, udp(src, dst, sport, dport, payload), **ipkw)


def tcp_ip(src, dst, sport, dport, flags, payload=b"", **ipkw):
    return ipv4(src, dst, 6, tcp(src, dst, sport, dport, flags, payload=payload), **ipkw)


def ping_ip(src, dst, ident=0x1234, seq=1, payload=b"", **ipkw):
    return ipv4(src, dst, 1, icmp(8, 0, (ident << 16) | seq, payload), **ipkw)


# --- pcap ----------------------------------------------------------------------------------

LINK_ETHER, LINK_RAW = 1, 101


def pcap(records, linktype=LINK_ETHER, snaplen=2000):
    """A little-endian, microsecond pcap file. records: (sec, usec, data[, wire_len])."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for r in records:
        sec, usec, data = r[0], r[1], r[2]
        wire = r[3] if len(r) > 3 else len(data)
        out += struct.pack("<IIII", sec, usec, len(data), wire) + data
    return out


def timed(packets, start=1000000000, step_us=1000):
    """Records 1 ms apart from a fixed time."""
    recs = []
    for i, p in enumerate(packets):
        t = start * 1000000 + i * step_us
        recs.append((t // 1000000, t % 1000000, p))
    return recs


# --- the two-interface router's world (tests/golden/*router*) ----------------------------
# Interface 0: 10.0.0.1, 00:00:c0:00:00:01 on 10.0.0.0/24. Interface 1: 10.0.1.1,
# 00:00:c0:00:01:01 on 10.0.1.0/24. Hosts: 10.0.0.2 (00:00:0a:00:00:02) and 10.0.1.2
# (00:00:0a:00:01:02).

IF0_IP, IF0_MAC = "10.0.0.1", "00:00:c0:00:00:01"
IF1_IP, IF1_MAC = "10.0.1.1", "00:00:c0:00:01:01"
H0_IP, H0_MAC = "10.0.0.2", "00:00:0a:00:00:02"
H1_IP, H1_MAC = "10.0.1.2", "00:00:0a:00:01:02"
BCAST = "ff:ff:ff:ff:ff:ff"

# --- cases ---------------------------------------------------------------------------------
A_MAC, B_MAC = "00:00:00:00:00:01", "00:00:00:00:00:02"


def mixed_ether():
    """Ethernet frames of every shape the decoder knows, and a few it does not."""
    return [
        eth(B_MAC, A_MAC, ETH_IP, udp_ip("10.0.0.1", "10.0.0.2", 1234, 53, b"hello")),
        eth(B_MAC, A_MAC, ETH_IP, tcp_ip("10.0.0.1", "10.0.0.2", 40000, 80, 0x02)),
        eth(B_MAC, A_MAC, ETH_IP, ping_ip("10.0.0.1", "10.0.0.2", payload=pattern(8))),
        eth(BCAST, A_MAC, ETH_ARP, arp(1, A_MAC, "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2")),
        ether_vlan(B_MAC, A_MAC, 0x2005, ETH_IP, udp_ip("10.0.0.1", "10.0.0.2", 7, 7)),
        eth(B_MAC, A_MAC, 0x88B5, pattern(30)),  # local experimental EtherType
        pattern(10),  # a 10-byte runt
        b"",  # an empty record
        eth(B_MAC, A_MAC, ETH_IP, udp_ip("10.0.0.1", "10.0.0.2", 1, 2, pattern(1400))),
    ]


def case_dump_roundtrip():
    return {"input.pcap": pcap(timed(mixed_ether()))}


def case_dump_snaplen():
    full = eth(B_MAC, A_MAC, ETH_IP, udp_ip("10.0.0.1", "10.0.0.2", 1, 2, pattern(200)))
    small = eth(B_MAC, A_MAC, ETH_IP, udp_ip("10.0.0.1", "10.0.0.2", 3, 4, b"x"))
    recs = [
        (100, 0, full[:64], len(full)),  # captured short: 64 of 250 bytes
        (100, 1, small),                 # whole
        (100, 2, full, len(full) - 10),  # caplen > len: a broken writer
        (100, 3, full),                  # whole, longer than ToDump's SNAPLEN 100
    ]
    return {"input.pcap": pcap(recs, snaplen=2000)}


def case_dump_cut_file():
    pkts = [eth(B_MAC, A_MAC, ETH_IP, udp_ip("10.0.0.1", "10.0.0.2", 10 + i, 53, pattern(20)))
            for i in range(3)]
    whole = pcap(timed(pkts))
    return {"input.pcap": whole[:-7]}  # the third record loses its last 7 bytes


def case_dump_force_ip():
    ip_pkt = udp_ip("10.0.0.1", "10.0.0.2", 5, 6, b"ip")
    bad_ihl = bytearray(ip_pkt)
    bad_ihl[0] = 0x44  # IHL 4
    return {"input.pcap": pcap(timed([
        eth(B_MAC, A_MAC, ETH_IP, ip_pkt),
        eth(BCAST, A_MAC, ETH_ARP, arp(1, A_MAC, "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2")),
        eth(B_MAC, A_MAC, ETH_IP, ip_pkt[:12]),  # IPv4 EtherType, 12 bytes of header
        eth(B_MAC, A_MAC, ETH_IP, bytes(bad_ihl)),
        ether_vlan(B_MAC, A_MAC, 5, ETH_IP, ip_pkt),  # tagged: not IP to FORCE_IP
        eth(B_MAC, A_MAC, ETH_IP, tcp_ip("10.0.0.3", "10.0.0.4", 1, 2, 0x12)),
        pattern(13),
    ]))}


def case_dump_raw_ip():
    good = udp_ip("192.168.1.1", "192.168.1.2", 9, 9, b"raw")
    v6ish = bytearray(good)
    v6ish[0] = 0x65  # version 6, but 31 bytes: too short for IPv6
    return {"input.pcap": pcap(timed([
        good,
        ping_ip("192.168.1.2", "192.168.1.1"),
        bytes(v6ish),
        b"\x45\x00",  # version 4, header cut
    ]), linktype=LINK_RAW)}


def case_dump_time_window():
    # Ten packets at 200.0, 200.5, 201.0, ... 204.5 s.
    pkts = [eth(B_MAC, A_MAC, ETH_IP, udp_ip("10.0.0.1", "10.0.0.2", 100 + i, 53)) for i in range(10)]
    return {"input.pcap": pcap(timed(pkts, start=200, step_us=500000))}



def frame(ip_packet, dst=B_MAC, src=A_MAC):
    return eth(dst, src, ETH_IP, ip_packet)


def pad60(f):
    """An Ethernet frame padded to the 60-byte minimum, as a NIC would send it."""
    return f + b"\0" * max(0, 60 - len(f))


def case_check_ip_header():
    good = udp_ip("10.0.0.2", "10.0.1.2", 1000, 53, b"ok")
    bad_sum = bytearray(good)
    bad_sum[10] ^= 0xFF
    return {"input.pcap": pcap(timed([
        frame(good),                                                        # 1 good
        pad60(frame(udp_ip("10.0.0.2", "10.0.1.2", 1001, 53))),             # 2 good, padded
        frame(bytes(bad_sum)),                                              # 3 bad checksum
        frame(udp_ip("10.0.0.2", "10.0.1.2", 1003, 53, version=6)),         # 4 bad version
        frame(udp_ip("10.0.0.2", "10.0.1.2", 1004, 53, ihl=4)),             # 5 IHL 4
        frame(udp_ip("10.0.0.2", "10.0.1.2", 1005, 53, total_length=100)),  # 6 length > packet
        frame(udp_ip("10.0.0.2", "10.0.1.2", 1006, 53, total_length=16)),   # 7 length < header
        frame(good[:5]),                                                    # 8 5 bytes of IP
        frame(udp_ip("10.0.0.2", "10.0.1.2", 1008, 53, options=b"\x01\x01\x01\x00")),  # 9 options
        frame(udp_ip("10.0.0.255", "10.0.1.2", 1009, 53)),                 # 10 bad source
        frame(udp_ip("0.0.0.0", "10.0.1.2", 1010, 53)),                    # 11 bad source
        frame(udp_ip("10.0.0.255", "10.0.0.1", 1011, 53)),                 # 12 GOODDST exempts
        frame(udp_ip("255.255.255.255", "10.0.1.2", 1012, 53)),            # 13 bad source
        eth(B_MAC, A_MAC, ETH_IP),                                          # 14 no IP at all
        frame(udp_ip("10.0.0.2", "10.0.1.2", 1014, 53, ihl=15)),            # 15 IHL 15 > length
    ]))}


def case_dec_ip_ttl():
    return {"input.pcap": pcap(timed([
        frame(udp_ip("10.0.0.2", "10.0.1.2", 1, 1, ttl=64)),
        frame(udp_ip("10.0.0.2", "10.0.1.2", 2, 2, ttl=2)),
        frame(udp_ip("10.0.0.2", "10.0.1.2", 3, 3, ttl=1)),
        frame(udp_ip("10.0.0.2", "10.0.1.2", 4, 4, ttl=0)),
        frame(tcp_ip("10.0.0.2", "10.0.1.2", 5, 5, 0x10, ttl=255, tos=0x10, ident=0xbeef)),
        frame(udp_ip("10.0.0.2", "224.0.0.5", 6, 6, ttl=1)),
        frame(udp_ip("10.0.0.2", "10.0.1.2", 7, 7, ttl=9, options=b"\x94\x04\x00\x00")),
        frame(ping_ip("10.0.0.2", "10.0.1.2", ttl=128, frag=0x4000)),
    ]))}


def lsrr(hops, ptr):
    """A loose source route option (type 0x83) holding `hops`, with pointer `ptr`."""
    body = b"".join(ip(h) for h in hops)
    return bytes([0x83, 3 + len(body), ptr]) + body


def case_icmp_error():
    echo = ping_ip("10.0.0.2", "10.0.1.2", ttl=1, payload=b"ping")
    te = ipv4("10.0.0.2", "10.0.1.2", 1, icmp(11, 0, 0, udp_ip("10.0.1.2", "10.0.0.2", 1, 2)), ttl=1)
    route = lsrr(["10.9.9.1", "10.9.9.2"], 8) + b"\x00"  # one hop travelled; 12 bytes
    return {"input.pcap": pcap(timed([
        frame(udp_ip("10.0.0.2", "10.0.1.2", 1, 2, b"abcd", ttl=1)),          # 1 error
        frame(echo),                                                          # 2 error
        frame(te),                                                            # 3 none: ICMP error
        frame(udp_ip("10.0.0.2", "255.255.255.255", 3, 4, ttl=1)),            # 4 none: broadcast
        frame(udp_ip("10.0.0.2", "224.1.2.3", 5, 6, ttl=1)),                  # 5 none: multicast
        frame(udp_ip("127.0.0.1", "10.0.1.2", 7, 8, ttl=1)),                  # 6 none: loopback src
        frame(udp_ip("240.0.0.1", "10.0.1.2", 9, 10, ttl=1)),                 # 7 none: class E src
        frame(udp_ip("10.0.0.2", "10.0.1.2", 11, 12, ttl=1, frag=1)),         # 8 none: not first frag
        frame(udp_ip("10.0.0.2", "10.0.1.2", 13, 14, ttl=1, frag=0x2000)),    # 9 error: first frag
        frame(udp_ip("10.0.0.2", "10.0.1.2", 15, 16, pattern(1000), ttl=1)),   # 10 error, cut to 576
        frame(udp_ip("10.0.0.2", "10.0.1.2", 17, 18, b"sr", ttl=1, options=route)),  # 11 error + route
        frame(udp_ip("10.0.0.2", "10.0.1.2", 19, 20, ttl=5)),                 # 12 forwarded
    ]))}


def case_ip_fragmenter():
    # Options: NOP (not copied), Router Alert (copied, 4 bytes), Record Route (not copied,
    # 7 bytes): a 32-byte header.
    opts = b"\x01" + b"\x94\x04\x00\x00" + b"\x07\x07\x04" + b"\x00" * 4
    return {"input.pcap": pcap(timed([
        frame(udp_ip("10.0.0.2", "10.0.1.2", 1, 1, pattern(32))),                  # 1 60 B: fits
        frame(udp_ip("10.0.0.2", "10.0.1.2", 2, 2, pattern(172), ident=0x1111)),   # 2 200 B: 3 frags
        frame(udp_ip("10.0.0.2", "10.0.1.2", 3, 3, pattern(172), frag=0x4000)),    # 3 DF: output 1
        frame(ipv4("10.0.0.2", "10.0.1.2", 17, pattern(130), ident=0x2222, frag=0x2000 | 25)),  # 4 a fragment
        frame(udp_ip("10.0.0.2", "10.0.1.2", 5, 5, pattern(160), ident=0x3333, options=opts)),  # 5 options
        frame(udp_ip("10.0.0.2", "10.0.1.2", 6, 6, pattern(72))),                  # 6 exactly 100 B
        frame(udp_ip("10.0.0.2", "10.0.1.2", 7, 7, pattern(73), ident=0x7777)),    # 7 101 B: 2 frags
    ]))}


def case_ip_lookup():
    dsts = ["10.1.2.3", "10.1.2.4", "10.1.9.9", "10.200.0.1", "192.168.7.7", "11.0.0.1",
            "10.1.2.255", "0.0.0.0"]
    return {"input.pcap": pcap(timed(
        [frame(udp_ip("10.0.0.2", d, 1000 + i, 53)) for i, d in enumerate(dsts)]))}


def case_ether_vlan():
    ipp = udp_ip("10.0.0.2", "10.0.1.2", 1, 2, b"v")
    return {"input.pcap": pcap(timed([
        ether_vlan(B_MAC, A_MAC, (1 << 13) | 5, ETH_IP, ipp),     # 1 tagged: PCP 1, VID 5
        eth(B_MAC, A_MAC, ETH_IP, ipp),                           # 2 untagged
        ether_vlan(B_MAC, A_MAC, 0x0fff, ETH_ARP,
                   arp(1, A_MAC, "10.0.0.2", "00:00:00:00:00:00", "10.0.0.1")),  # 3 tagged ARP
        mac(B_MAC) + mac(A_MAC) + b"\x81\x00\x00",           # 4 tag cut short (15 B)
        pattern(12),                                              # 5 a 12-byte runt
    ]))}


def case_arp_responder():
    me, proxy = "00:00:c0:00:00:01", "00:00:c0:00:00:02"
    asker = "00:00:0a:00:00:02"
    req = lambda tpa, spa="10.0.0.2": eth(BCAST, asker, ETH_ARP, arp(1, asker, spa, "00:00:00:00:00:00", tpa))
    bad_hrd = bytearray(req("10.0.0.1"))
    bad_hrd[15] = 6  # hardware type 6 (IEEE 802)
    return {"input.pcap": pcap(timed([
        req("10.0.0.1"),                                            # 1 own address: reply
        req("10.0.1.77"),                                           # 2 proxy for 10.0.1.0/24
        req("10.0.0.9"),                                            # 3 not ours: output 1
        eth(me, asker, ETH_ARP, arp(2, asker, "10.0.0.2", me, "10.0.0.1")),  # 4 a reply: output 1
        frame(udp_ip("10.0.0.2", "10.0.0.1", 1, 2)),                # 5 IP: output 1
        req("10.0.0.1")[:30],                                       # 6 cut ARP: output 1
        bytes(bad_hrd),                                             # 7 hardware type 6: output 1
        pad60(req("10.0.1.1", spa="10.0.0.3")),                     # 8 padded request: 42-B reply
        eth(BCAST, "00:00:0a:00:00:09", ETH_ARP,
            arp(1, "00:00:0a:00:00:08", "10.0.0.8", "00:00:00:00:00:00", "10.0.0.1")),  # 9 sha != src
    ]))}


def case_queue():
    return {"input.pcap": pcap(timed(
        [frame(udp_ip("10.0.0.2", "10.0.1.2", i, 9)) for i in range(40)]))}


def case_switches():
    return {"input.pcap": pcap(timed(
        [frame(udp_ip("10.0.0.2", "10.0.1.%d" % (i % 7), 100 + i, 9, pattern(i))) for i in range(12)]))}



def router_traffic():
    """What arrives at the two-interface router, in order: ARP both ways, forwarding that
    needs ARP resolution first, an expiring packet (its ICMP error needs ARP too), a DF
    packet over the MTU, one that is fragmented, packets for the router itself, and
    malformed ones. Interface 0 hears H0, interface 1 hears H1 (the router tells them apart
    by Ethernet source)."""
    zero = "00:00:00:00:00:00"
    to0 = lambda ip_packet: eth(IF0_MAC, H0_MAC, ETH_IP, ip_packet)
    to1 = lambda ip_packet: eth(IF1_MAC, H1_MAC, ETH_IP, ip_packet)
    bad_sum = bytearray(udp_ip(H0_IP, H1_IP, 9, 9, b"bad", ident=11))
    bad_sum[10] ^= 0x01
    cut = to0(udp_ip(H0_IP, H1_IP, 12, 12, pattern(100), ident=12))
    return [
        # 1 H0 asks for the router: ARPResponder answers on interface 0.
        eth(BCAST, H0_MAC, ETH_ARP, arp(1, H0_MAC, H0_IP, zero, IF0_IP)),
        # 2 H0 asks for a host behind interface 1: proxy ARP answers with IF0's address.
        eth(BCAST, H0_MAC, ETH_ARP, arp(1, H0_MAC, H0_IP, zero, "10.0.1.7")),
        # 3 H0 -> H1: H1 is not resolved yet; the packet waits, a query goes out on if1.
        to0(udp_ip(H0_IP, H1_IP, 3, 3, b"first", ident=3)),
        # 4 H1 answers the query: the waiting packet goes out on if1.
        eth(IF1_MAC, H1_MAC, ETH_ARP, arp(2, H1_MAC, H1_IP, IF1_MAC, IF1_IP)),
        # 5 H0 -> H1 with TTL 1: expires; the ICMP error for H0 waits for H0's address.
        to0(udp_ip(H0_IP, H1_IP, 5, 5, b"ttl", ttl=1, ident=5)),
        # 6 H0 answers the router's query for it: the ICMP error goes out on if0.
        eth(IF0_MAC, H0_MAC, ETH_ARP, arp(2, H0_MAC, H0_IP, IF0_MAC, IF0_IP)),
        # 7 H0 -> H1, 700 bytes, DF: over if1's MTU of 576: ICMP needfrag back to H0.
        to0(tcp_ip(H0_IP, H1_IP, 7, 7, 0x18, pattern(660), ident=7, frag=0x4000)),
        # 8 H0 -> H1, 1000 bytes: fragmented into two on if1.
        to0(udp_ip(H0_IP, H1_IP, 8, 8, pattern(972), ident=8)),
        # 9 H0 -> the router itself.
        to0(udp_ip(H0_IP, IF0_IP, 9, 9, b"me", ident=9)),
        # 10 H0 -> its subnet's broadcast address: for the router too.
        to0(udp_ip(H0_IP, "10.0.0.255", 10, 10, b"all", ident=10)),
        # 11 bad IP checksum: CheckIPHeader rejects it.
        to0(bytes(bad_sum)),
        # 12 captured short (70 of 142 bytes): the IP length exceeds the packet: rejected.
        (cut[:70], len(cut)),
        # 13 a 10-byte runt: no Ethernet source to classify on.
        pattern(10),
        # 14 IP options (Router Alert): forwarded with them.
        to0(udp_ip(H0_IP, H1_IP, 14, 14, b"opt", ident=14, options=b"\x94\x04\x00\x00")),
        # 15 H1 -> 8.8.8.8: the default route's gateway 10.0.1.254 never answers.
        to1(udp_ip(H1_IP, "8.8.8.8", 15, 15, b"away", ident=15)),
        # 16 H0 pings H1.
        to0(ping_ip(H0_IP, H1_IP, ident=0x16, seq=16, payload=b"ping", ttl=64)),
        # 17 H1 asks for the router on interface 1.
        eth(BCAST, H1_MAC, ETH_ARP, arp(1, H1_MAC, H1_IP, zero, IF1_IP)),
        # 18 H1 asks for an address on interface 0's side: no proxy ARP on if1.
        eth(BCAST, H1_MAC, ETH_ARP, arp(1, H1_MAC, H1_IP, zero, "10.0.0.5")),
        # 19 IPv6 from H0: neither ARP nor IP to the interface classifier.
        eth(IF0_MAC, H0_MAC, ETH_IP6, pattern(40)),
        # 20 a source that is interface 0's broadcast address: CheckIPHeader rejects it.
        to0(udp_ip("10.0.0.255", H1_IP, 20, 20, ident=20)),
        # 21 H1 -> H0: forwarded on if0 (H0 was resolved at 6).
        to1(udp_ip(H1_IP, H0_IP, 21, 21, b"back", ident=21)),
    ]


def router_records(pkts):
    recs = []
    for i, p in enumerate(pkts):
        t = 1000000000 * 1000000 + i * 1000
        data, wire = (p if isinstance(p, tuple) else (p, len(p)))
        recs.append((t // 1000000, t % 1000000, data, wire))
    return recs


def case_ip_router():
    return {"input.pcap": pcap(router_records(router_traffic()))}



def case_classifier():
    return {"input.pcap": pcap(timed(mixed_ether() + [
        eth(BCAST, A_MAC, ETH_ARP, arp(2, A_MAC, "10.0.0.1", B_MAC, "10.0.0.2")),  # ARP reply
        eth("01:00:5e:00:00:05", A_MAC, ETH_IP, udp_ip("10.0.0.1", "224.0.0.5", 1, 2)),
        eth(B_MAC, A_MAC, ETH_IP, tcp_ip("10.0.0.1", "10.0.0.2", 1, 2, 0x02, options=b"\x01" * 4)),
        eth(B_MAC, A_MAC, ETH_IP)[:13],  # 13 bytes: the EtherType is cut
        eth("01:80:c2:00:00:0e", A_MAC, 0x88CC, pattern(20)),  # LLDP to a group address
    ]))}


def case_ip_classifier():
    src, near = "10.0.1.5", "10.0.0.3"
    tcp_cut = bytearray(ipv4(src, "10.0.0.9", 6, tcp(src, "10.0.0.9", 1234, 80, 0x02)[:2]))
    return {"input.pcap": pcap(timed([frame(p) for p in [
        tcp_ip(src, "10.0.0.9", 1234, 80, 0x02),                       # a TCP SYN to port 80
        tcp_ip(src, "10.0.0.9", 1234, 81, 0x10),                       # b TCP ACK to port 81
        udp_ip(src, "10.0.0.9", 5353, 53, b"q"),                       # c UDP to port 53
        ipv4(src, "10.0.0.9", 17, udp(src, "10.0.0.9", 5353, 53, b"q"), frag=1),  # d later fragment
        ping_ip(src, "10.0.0.9"),                                      # e ICMP echo
        ipv4(near, "10.0.0.9", 1, icmp(0, 0, 0x10001), ttl=5),         # f echo reply, TTL 5
        udp_ip(near, "10.0.0.9", 99, 99),                              # g UDP, port 99
        ipv4(src, "10.0.0.9", 6, tcp(src, "10.0.0.9", 1, 80, 0x02), frag=0x2000),  # h first fragment
        bytes(tcp_cut),                                                # i TCP cut after 2 bytes
    ]]))}



def case_vlan_router():
    """A router on a stick: one trunk, VLAN 10 (10.10.0.0/24, host A) and VLAN 20
    (10.20.0.0/24, host B), the router 00:00:c0:00:00:10 on both."""
    r, a, b, zero = "00:00:c0:00:00:10", "00:00:0a:0a:00:02", "00:00:0a:14:00:02", "00:00:00:00:00:00"
    a_ip, b_ip = "10.10.0.2", "10.20.0.2"
    v10 = lambda dst, src, etype, payload, pcp=0: ether_vlan(dst, src, (pcp << 13) | 10, etype, payload)
    v20 = lambda dst, src, etype, payload: ether_vlan(dst, src, 20, etype, payload)
    return {"input.pcap": pcap(timed([
        v10(BCAST, a, ETH_ARP, arp(1, a, a_ip, zero, "10.10.0.1")),            # 1 A asks for the router
        v10(r, a, ETH_IP, udp_ip(a_ip, b_ip, 1, 1, b"hi", ident=1)),            # 2 A -> B: waits for B
        v20(r, b, ETH_ARP, arp(2, b, b_ip, r, "10.20.0.1")),                    # 3 B answers: sent
        v10(r, a, ETH_IP, tcp_ip(a_ip, b_ip, 4000, 23, 0x02, ident=4)),         # 4 telnet: firewalled
        v10(r, a, ETH_IP, tcp_ip(a_ip, b_ip, 4000, 22, 0x02, ident=5)),         # 5 ssh: forwarded
        v20(r, b, ETH_IP, udp_ip(b_ip, a_ip, 6, 6, b"yo", ident=6)),            # 6 B -> A: waits for A
        v10(r, a, ETH_ARP, arp(2, a, a_ip, r, "10.10.0.1"), pcp=5),             # 7 A answers (PCP 5)
        eth(r, a, ETH_IP, udp_ip(a_ip, b_ip, 8, 8, ident=8)),                   # 8 untagged
        ether_vlan(r, a, 30, ETH_IP, udp_ip(a_ip, b_ip, 9, 9, ident=9)),         # 9 VLAN 30
        v10(r, a, ETH_IP, ping_ip(a_ip, "10.10.0.1", ident=10, seq=10)),        # 10 ping the router
        v10(r, a, ETH_IP, udp_ip(a_ip, b_ip, 11, 11, ttl=1, ident=11)),          # 11 expires
        v10(r, a, ETH_IP6, pattern(40)),                                        # 12 IPv6: other
    ]))}


def case_ip_annotations():
    """IPv4 frames whose header checksums are right, zero or wrong, for SetIPChecksum, and
    whose addresses fall in 10.0.1.0/24, 10.0.2.0/24 or neither, for the lookups that route
    on the destination IP annotation. The last two have headers SetIPChecksum rejects.
    Each frame has its own Ethernet source (00:00:00:00:01:0N), so a header Unstrip brings
    back is told apart from another packet's."""
    ra = b"\x94\x04\x00\x00"  # Router Alert: a 24-byte header
    return {"input.pcap": pcap(timed([frame(p, src="00:00:00:00:01:%02x" % (i + 1)) for i, p in enumerate([
        udp_ip("10.0.1.2", "10.0.2.3", 1001, 53, b"one", ident=1),                  # 1 sum right
        udp_ip("10.0.2.4", "10.0.1.5", 1002, 53, b"two", ident=2, checksum=0),      # 2 sum zero
        tcp_ip("10.0.1.6", "10.0.1.7", 1003, 80, 0x02, ident=3, checksum=0x1234),   # 3 sum wrong
        ping_ip("10.0.3.8", "10.0.2.9", ident=4, seq=4, options=ra, checksum=0),    # 4 options, zero
        udp_ip("192.168.0.1", "10.0.3.3", 1005, 53, b"five", ident=5),              # 5 other nets
        udp_ip("10.0.1.2", "10.0.2.3", 1006, 53, ident=6, ihl=4),                   # 6 IHL 4
        udp_ip("10.0.1.2", "10.0.2.3", 1007, 53, ident=7, ihl=15),                  # 7 IHL 15 > 28 B
    ])]))}


def case_misc():
    return {"input.pcap": pcap(timed(mixed_ether()))}


CASES = {name[5:]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")}


def main(argv):
    check = "--check" in argv
    wanted = [a for a in argv[1:] if a != "--check"] or sorted(CASES)
    stale = []
    for name in wanted:
        if name not in CASES:
            sys.exit("make_inputs.py: no case named %r (have: %s)" % (name, ", ".join(sorted(CASES))))
        case_dir = os.path.join(HERE, name)
        for fname, data in CASES[name]().items():
            path = os.path.join(case_dir, fname)
            if check:
                try:
                    with open(path, "rb") as f:
                        same = f.read() == data
                except OSError:
                    same = False
                if not same:
                    stale.append(os.path.join(name, fname))
                continue
            os.makedirs(case_dir, exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        if not check:
            print("wrote", name)
    if stale:
        print("make_inputs.py: these inputs differ from what this script writes "
              "(run it and review):\n  " + "\n  ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
