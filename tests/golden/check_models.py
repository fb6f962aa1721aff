#!/usr/bin/env python3
"""Cross-checks golden expectations against independent models of Click's elements.

    python3 tests/golden/check_models.py [CASE...]

For the cases listed in MODELS, this recomputes what Click's elements do to the case's
input packets — written here from Click's source (elements/ip/decipttl.cc, icmperror.cc,
ipfragmenter.cc, checkipheader.cc, arpresponder.cc, standard/hashswitch.cc ...), not from
uplane's — and compares the result, byte for byte, with the hex that expected.txt holds for
each output file. It does not run uplane: it checks that what was committed as "expected"
is what Click would do. Exit status 1 on any mismatch. Standard library only.
"""

import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# --- reading ---------------------------------------------------------------------------------


def read_pcap(path):
    """The records of a little-endian microsecond pcap: [(data, wire_len)]."""
    with open(path, "rb") as f:
        d = f.read()
    out, o = [], 24
    while o + 16 <= len(d):
        _, _, cap, wire = struct.unpack("<IIII", d[o:o + 16])
        if o + 16 + cap > len(d):
            break  # a cut record ends the trace, as FromDump does
        out.append((d[o + 16:o + 16 + cap], wire))
        o += 16 + cap
    return out


def inputs(case, name="input.pcap"):
    return [data for data, _ in read_pcap(os.path.join(HERE, case, name))]


def expected(case):
    """{output file: [packet bytes]} from the case's expected.txt."""
    files, cur = {}, None
    with open(os.path.join(HERE, case, "expected.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("== "):
                cur = line[3:]
                files[cur] = []
            elif cur is not None and line[:1].isdigit() and " | " in line:
                files[cur].append(bytes.fromhex(line.split(" | ", 1)[1]))
    return files


# --- Click's arithmetic ---------------------------------------------------------------------


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def u16(b, o):
    return struct.unpack("!H", b[o:o + 2])[0]


def with_sum(h):
    """The header h with its checksum (bytes 10-11) recomputed."""
    h = bytearray(h)
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return bytes(h)


def ip_len(ip):
    return u16(ip, 2)


def check_ip_header(ip, bad_src=(), good_dst=()):
    """Click's CheckIPHeader: (the packet cut to its IP length, None) or (None, reason)."""
    if len(ip) < 20:
        return None, "tiny"
    if ip[0] >> 4 != 4:
        return None, "version"
    hl = (ip[0] & 15) * 4
    if hl < 20:
        return None, "hlen"
    if ip_len(ip) > len(ip) or ip_len(ip) < hl:
        return None, "len"
    if csum(ip[:hl]) != 0:
        return None, "checksum"
    if ip[12:16] in bad_src and ip[16:20] not in good_dst:
        return None, "src"
    return ip[:ip_len(ip)], None


def dec_ttl(ip):
    """DecIPTTL's TTL decrement: the RFC 1624 update Click does, ~(~HC + 0xfeff)."""
    s = (~u16(ip, 10) & 0xFFFF) + 0xFEFF
    new = ~(s + (s >> 16)) & 0xFFFF
    return ip[:8] + bytes([ip[8] - 1]) + ip[9:10] + struct.pack("!H", new) + ip[12:]


def addr(s):
    return bytes(int(x) for x in s.split("."))


def icmp_error_allowed(ip):
    """RFC 1812 4.3.2.7 as icmperror.cc applies it (no BADADDRS, no packet type anno)."""
    hl = (ip[0] & 15) * 4
    if ip[9] == 1 and (hl + 4 > len(ip) or ip[hl] in (3, 4, 5, 11, 12)):
        return False
    dst, src = struct.unpack("!I", ip[16:20])[0], struct.unpack("!I", ip[12:16])[0]
    if dst == 0xFFFFFFFF or (dst & 0xF0000000) == 0xE0000000:
        return False
    if src == 0xFFFFFFFF or (src & 0xF0000000) == 0xE0000000:
        return False
    if src >> 24 in (0, 127) or (src >> 24) & 0xF0 == 0xF0:
        return False
    return u16(ip, 6) & 0x1FFF == 0


def source_route(ip):
    hl, oi = (ip[0] & 15) * 4, 20
    while oi < hl:
        t = ip[oi]
        if t == 1:
            oi += 1
            continue
        if t == 0:
            return None
        xl = ip[oi + 1]
        if xl < 2 or oi + xl > hl:
            return None
        if t in (0x83, 0x89) and ip[oi + 2] >= 4 and ip[oi + 2] % 4 == 0 and ip[oi + 2] <= xl + 1:
            return ip[oi:oi + xl]
        oi += xl
    return None


def icmp_error(ip, src, typ, code, ident, rest=0, mtu=576):
    """The packet icmperror.cc builds: TTL 200, TOS 0, the reversed source route, as much of
    ip as fits in mtu bytes."""
    opt = b""
    sr = source_route(ip)
    if sr:
        olen = sr[2] - 1
        o = bytearray(olen + 1)
        o[0], o[1], o[2] = sr[0], olen, 4
        pos, k = 3, sr[2] - 5
        while k >= 3:
            o[pos:pos + 4] = sr[k:k + 4]
            pos, k = pos + 4, k - 4
        opt = bytes(o) + b"\0" * ((-len(o)) % 4)
    hl = 20 + len(opt)
    body = struct.pack("!BBHI", typ, code, 0, rest) + ip[:mtu - hl - 8]
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | (hl // 4), 0, hl + len(body), ident, 0, 200, 1, 0,
                    addr(src), ip[12:16]) + opt
    return with_sum(h) + body


def fragment(ip, mtu):
    """ipfragmenter.cc for a packet over mtu without DF (options walked as RFC 791 lays
    them out, copied ones kept in later fragments)."""
    hl = (ip[0] & 15) * 4
    first = (mtu - hl) & ~7
    dlen = ip_len(ip) - hl
    off_field = u16(ip, 6)
    had_mf = off_field & 0x2000
    h = bytearray(ip[:hl])
    h[2:4] = struct.pack("!H", hl + first)
    nf = off_field | 0x2000
    h[6:8] = struct.pack("!H", nf)
    out = [with_sum(h) + ip[hl:hl + first]]
    opts, i, src_opts = b"", 0, ip[20:hl]
    while i < len(src_opts):
        t = src_opts[i]
        if t == 1:
            ln = 1
        elif t == 0 or i == len(src_opts) - 1 or i + src_opts[i + 1] > len(src_opts):
            break
        else:
            ln = src_opts[i + 1]
        if t & 0x80:
            opts += src_opts[i:i + ln]
        i += ln
    opts += b"\0" * ((-len(opts)) % 4)
    ohl, off = 20 + len(opts), first
    while off < dlen:
        od = min((mtu - ohl) & ~7, dlen - off)
        q = bytearray(h[:20]) + opts
        q[0] = 0x40 | (ohl // 4)
        f = nf + (off >> 3)
        if od + off >= dlen and not had_mf:
            f &= ~0x2000
        q[6:8] = struct.pack("!H", f)
        q[2:4] = struct.pack("!H", ohl + od)
        out.append(with_sum(q) + ip[hl + off:hl + off + od])
        off += od
    return out


def lookup(routes, dst):
    """Longest-prefix match: (gateway or None, port) or None."""
    best = None
    for prefix, gw, port in routes:
        a, n = prefix.split("/")
        n = int(n)
        mask = (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF if n else 0
        if struct.unpack("!I", addr(a))[0] & mask == struct.unpack("!I", dst)[0] & mask:
            if best is None or n > best[0]:
                best = (n, gw, port)
    return None if best is None else best[1:]


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ether(dst, src, etype, payload):
    return mac(dst) + mac(src) + struct.pack("!H", etype) + payload


# --- the models, one per case ---------------------------------------------------------------


def model_dump_roundtrip():
    return {"out.pcap": inputs("dump_roundtrip")}


def model_check_ip_header():
    bad = [addr(a) for a in ("10.0.0.255", "0.0.0.0", "255.255.255.255")]
    good, rejected = [], []
    for f in inputs("check_ip_header"):
        ip, why = check_ip_header(f[14:], bad, [addr("10.0.0.1")])
        (good if ip is not None else rejected).append(ip if ip is not None else f[14:])
    return {"out1_good.pcap": good, "out2_bad.pcap": rejected}


def model_dec_ip_ttl():
    fwd, exp = [], []
    for f in inputs("dec_ip_ttl"):
        ip, _ = check_ip_header(f[14:])
        (exp if ip[8] <= 1 else fwd).append(ip if ip[8] <= 1 else dec_ttl(ip))
    return {"out1_forwarded.pcap": fwd, "out2_expired.pcap": exp}


def model_icmp_error():
    fwd, errs = [], []
    for f in inputs("icmp_error"):
        ip, _ = check_ip_header(f[14:])
        if ip[8] > 1:
            fwd.append(dec_ttl(ip))
        elif icmp_error_allowed(ip):
            errs.append(icmp_error(ip, "10.0.0.1", 11, 0, len(errs) + 1))
    return {"out1_forwarded.pcap": fwd, "out2_errors.pcap": errs}


def model_ip_fragmenter():
    frags, df = [], []
    for f in inputs("ip_fragmenter"):
        ip, _ = check_ip_header(f[14:])
        if len(ip) <= 100:
            frags.append(ip)
        elif u16(ip, 6) & 0x4000 or ((100 - (ip[0] & 15) * 4) & ~7) < 8:
            df.append(ip)
        else:
            frags.extend(fragment(ip, 100))
    return {"out1_fragments.pcap": frags, "out2_df.pcap": df}


def model_ip_lookup():
    routes = [("10.0.0.0/8", None, 1), ("10.1.0.0/16", None, 2), ("10.1.2.0/24", "10.1.2.254", 1),
              ("10.1.2.3/32", None, 0), ("192.168.0.0/16", "10.0.0.1", 2)]
    out = {"out_radix%d.pcap" % i: [] for i in range(3)}
    for f in inputs("ip_lookup"):
        ip, _ = check_ip_header(f[14:])
        r = lookup(routes, ip[16:20])
        if r is not None:
            out["out_radix%d.pcap" % r[1]].append(ip)
    return out


def model_arp_responder():
    table = [("10.0.0.1/32", "00:00:c0:00:00:01"), ("10.0.1.0/24", "00:00:c0:00:00:02")]
    replies, other = [], []
    for f in inputs("arp_responder"):
        ok = (len(f) >= 42 and u16(f, 12) == 0x0806 and u16(f, 14) == 1 and u16(f, 16) == 0x0800
              and u16(f, 20) == 1)
        hit = lookup([(p, e, 0) for p, e in table], f[38:42]) if ok else None
        if hit is None:
            other.append(f)
            continue
        me = mac(hit[0])
        arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + me + f[38:42] + f[22:28] + f[28:32]
        replies.append(f[22:28] + me + b"\x08\x06" + arp)
    return {"out1_replies.pcap": replies, "out2_other.pcap": other}


def model_switches():
    out = {n: [] for n in ("out_rr0.pcap", "out_rr1.pcap", "out_rr2.pcap", "out_hs0.pcap",
                           "out_hs1.pcap", "out_hs2.pcap", "out_ps0.pcap", "out_ps1.pcap")}
    for i, f in enumerate(inputs("switches")):
        ip = f[14:]
        out["out_rr%d.pcap" % (i % 3)].append(ip)
        out["out_hs%d.pcap" % (sum(ip[16:20]) % 3)].append(ip)  # 3 outputs: S mod 3
        paint = (1, 0, 255)[i % 3]
        for port in ((0, 1) if paint == 255 else (paint,)):
            out["out_ps%d.pcap" % port].append(ip)
    return out


def model_ip_router():
    """Only the packets the router changes in interesting ways; the README walks the rest."""
    f = inputs("ip_router")
    if0, if1 = "00:00:c0:00:00:01", "00:00:c0:00:01:01"
    h0, h1 = "00:00:0a:00:00:02", "00:00:0a:00:01:02"
    expired = icmp_error(f[4][14:], "10.0.0.1", 11, 0, 1)
    needfrag = icmp_error(dec_ttl(f[6][14:]), "10.0.0.1", 3, 4, 1, rest=576)
    frags = fragment(dec_ttl(f[7][14:]), 576)
    return {
        "out0.pcap#3": [ether(h0, if0, 0x0800, dec_ttl(expired))],
        "out0.pcap#4": [ether(h0, if0, 0x0800, dec_ttl(needfrag))],
        "out0.pcap#5": [ether(h0, if0, 0x0800, dec_ttl(f[20][14:]))],
        "out1.pcap#1": [ether(h1, if1, 0x0800, dec_ttl(f[2][14:]))],
        "out1.pcap#2": [ether(h1, if1, 0x0800, p) for p in frags],
        "out1.pcap#4": [ether(h1, if1, 0x0800, dec_ttl(f[13][14:]))],
    }


def model_ip_annotations():
    """setipchecksum.cc on the header MarkIPHeader(14) marked (dropped when IHL < 5 or the
    header is longer than the packet); then LinearIPLookup on the destination IP annotation,
    set from bytes 16-19 (GetIPAddress(16)), the marked header's source (GetIPAddress(IP
    src)) or a constant (SetIPAddress); Unstrip(14) brings back the frame's own header."""
    routes = [("10.0.1.0/24", None, 0), ("10.0.2.0/24", None, 1)]
    names = {("dst", 0): "out1_dst_net1.pcap", ("dst", 1): "out2_dst_net2.pcap",
             ("src", 0): "out3_src_net1.pcap", ("src", 1): "out4_src_net2.pcap",
             ("fix", 0): "out5_fixed_net1.pcap", ("fix", 1): "out6_fixed_net2.pcap"}
    out = {n: [] for n in names.values()}
    for f in inputs("ip_annotations"):
        ip = f[14:]
        hl = (ip[0] & 15) * 4
        if len(ip) < 20 or hl < 20 or hl > len(ip):
            continue  # SetIPChecksum drops it
        fixed = f[:14] + with_sum(ip[:hl]) + ip[hl:]
        for how, anno in (("dst", ip[16:20]), ("src", ip[12:16]), ("fix", addr("10.0.2.99"))):
            r = lookup(routes, anno)
            if r is not None:
                out[names[(how, r[1])]].append(fixed)
    return out


def model_misc():
    """Null and Print pass packets unchanged; SimpleQueue(4) with nobody pulling keeps the
    first 4 and sends the rest out of output 1 (simplequeue.cc, checked_output_push(1));
    the drained SimpleQueue passes everything; Idle never emits."""
    f = inputs("misc")
    return {"out1_never.pcap": [], "out2_overflow.pcap": f[4:], "out3_all.pcap": f,
            "out4_idle.pcap": []}


def source_args(case, name):
    """The configuration arguments of the source element `name` in a case's config.click:
    {keyword: text}, DATA as bytes (Click's \\<hex> form), positional arguments by Click's
    order (DATA, LIMIT, BURST, ACTIVE for InfiniteSource; DATA, RATE, LIMIT, ACTIVE for
    RatedSource)."""
    with open(os.path.join(HERE, case, "config.click")) as f:
        text = re.sub(r"//[^\n]*", "", f.read())
    m = re.search(r"\b%s :: (InfiniteSource|RatedSource)\(([^)]*)\)" % re.escape(name), text)
    cls, body = m.group(1), m.group(2)
    order = (["DATA", "LIMIT", "BURST", "ACTIVE"] if cls == "InfiniteSource"
             else ["DATA", "RATE", "LIMIT", "ACTIVE"])
    args = {}
    for i, a in enumerate(x.strip() for x in body.split(",") if x.strip()):
        word, _, rest = a.partition(" ")
        key, val = (word, rest.strip()) if word.isupper() and rest else (order[i], a)
        if val.startswith("\\<"):
            val = bytes.fromhex("".join(val[2:-1].split()))
        args[key] = val
    return args


def source_packets(case, name):
    """What InfiniteSource / RatedSource emit in all (infinitesource.cc setup_packet and
    the LIMIT count; ACTIVE false emits nothing): DATA, cut to LENGTH or repeated up to it."""
    a = source_args(case, name)
    data = a.get("DATA", b"Random bullshit in a packet, at least 64 bytes long. Well, now it is.")
    n = int(a.get("LENGTH", -1))
    if 0 <= n <= len(data):
        data = data[:n]
    elif n > len(data):
        data = (data * (n // len(data) + 1))[:n]
    count = int(a["LIMIT"]) if a.get("ACTIVE", "true") == "true" else 0
    return [data] * count


def model_infinite_source():
    c = "infinite_source"
    return {"out1_stop.pcap": source_packets(c, "src"), "out2_repeat.pcap": source_packets(c, "rep"),
            "out3_cut.pcap": source_packets(c, "cut"), "out4_default.pcap": source_packets(c, "dflt"),
            "out5_inactive.pcap": source_packets(c, "off"),
            "out6_pulled.pcap": source_packets(c, "pulled")}


def model_rated_source():
    c = "rated_source"
    return {"out1_slow.pcap": source_packets(c, "slow"), "out2_fast.pcap": source_packets(c, "fast"),
            "out3_default.pcap": source_packets(c, "dflt"),
            "out4_inactive.pcap": source_packets(c, "off")}


MODELS = {name[6:]: fn for name, fn in sorted(globals().items()) if name.startswith("model_")}


def main(argv):
    failed = False
    for case in argv[1:] or sorted(MODELS):
        case_failed = False
        want = MODELS[case]()
        got = expected(case)
        for key, packets in want.items():
            name, _, start = key.partition("#")
            start = int(start or 0)
            have = got.get(name, [])[start:start + len(packets)] if start else got.get(name, [])
            if have != packets:
                failed = case_failed = True
                print("%s: %s differs from the model" % (case, key))
                for i, (a, b) in enumerate(zip(have, packets)):
                    if a != b:
                        print("  packet %d\n    expected.txt %s\n    model        %s" % (
                            start + i + 1, a.hex(), b.hex()))
                        break
                else:
                    print("  %d packets in expected.txt, %d from the model" % (len(have), len(packets)))
        print("%s: %s" % (case, "MISMATCH" if case_failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
