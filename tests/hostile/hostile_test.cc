// Malformed packets through every registered element class: never a crash, every drop
// counted. Built with the dev preset this runs under ASan and UBSan, so a read past a
// packet, a use after free, a leak or an overflow fails it. A pool is one mapping, so ASan
// alone would miss a read past a packet's end that stays inside its frame: the
// packet-by-packet passes poison each packet's tailroom while it is in flight.
//
// The corpus (build_corpus): runts, truncated headers, bad checksums, every IHL, valid and
// malformed IP options, fragments, TTL 0 and 1, truncated TCP/UDP/ICMP, ARP runts and wrong
// address lengths, 802.1Q runts, broadcast and multicast addresses, and 200 random packets
// from a fixed seed. Each packet comes in Ethernet form and stripped to IP, and each form
// goes through with three sets of annotations: none; the network header (and destination
// IP, paint, packet type, VLAN TCI) set where they belong; and the network header set to the
// last byte of the packet. Click crashes on a missing annotation; uplane must drop and count.
//
// table() gives every registered class one or more configurations, each putting the element
// `e` between TestSource `in` and TestSinks `o0`, `o1`, ... A registered class without an
// entry fails EveryRegisteredClassHasAnEntry, so a new class must add one. Per configuration,
// the corpus goes through once in batches and once packet by packet, and:
//   - packets in == packets out of every sink + drops (the element's drop_reasons handler)
//     + packets consumed without a drop (a count handler: Discard, ToDump without output);
//   - where the configuration has a model — the element's documented semantics, written
//     here independently of its code — each packet's output port(s) or drop reason must be
//     the model's, and counter handlers must agree;
//   - an element whose input is agnostic runs again behind a SimpleQueue, in pull context;
//   - the harness's leak check runs at teardown.
// Elements that hold packets (Queue, SimpleQueue, ARPQuerier, Unqueue) or have no packet
// input (sources, FromDump, StaticThreadSched) have runners of their own; FromDump also
// reads the corpus back from pcap files cut at record boundaries and inside records, and
// from files whose record headers lie. Two whole graphs (an IP path that must account for
// every packet, and a Click IP router) take the corpus too.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

// With AddressSanitizer, the one-by-one pass poisons each packet's tailroom: a pool is one
// mapping, so without this a read past the end of a packet but inside its frame goes unseen.
#if defined(__SANITIZE_ADDRESS__)
#define UPLANE_HOSTILE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UPLANE_HOSTILE_ASAN 1
#endif
#endif
#ifdef UPLANE_HOSTILE_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include "elements/standard/print.h"
#include "elements/standard/simple_queue.h"
#include "graph/element.h"
#include "graph/registry.h"
#include "graph/router.h"
#include "base/unique_fd.h"
#include "harness.h"
#include "netns_bed.h"

namespace uplane::hostile {
namespace {

using graph::DropReason;
using testing::Harness;
using testing::OutPacket;
using Bytes = std::vector<std::uint8_t>;

constexpr int kReasons = static_cast<int>(DropReason::kCount);

// ---------------------------------------------------------------------------------------
// Bytes

void put16(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  put16(b, at, v >> 16);
  put16(b, at + 2, v & 0xffff);
}
std::uint32_t get16(const std::uint8_t* p) { return std::uint32_t{p[0]} << 8 | p[1]; }
std::uint32_t get32(const std::uint8_t* p) { return get16(p) << 16 | get16(p + 2); }
Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
Bytes prefix(const Bytes& b, std::size_t n) {
  return Bytes(b.begin(), b.begin() + std::min(n, b.size()));
}
Bytes counting(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i);
  return b;
}
Bytes be16(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// RFC 1071: the ones'-complement sum of 16-bit words, folded; 0xffff over a header whose
// checksum field is right.
std::uint32_t ones_sum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t s = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) s += get16(p + i);
  if (n % 2 != 0) s += std::uint32_t{p[n - 1]} << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}
std::uint32_t checksum(const std::uint8_t* p, std::size_t n) { return ~ones_sum(p, n) & 0xffff; }
bool checksum_ok(const std::uint8_t* p, std::size_t n) { return ones_sum(p, n) == 0xffff; }

std::string hex(const Bytes& b, std::size_t max = 64) {
  std::string s;
  for (std::size_t i = 0; i < b.size() && i < max; ++i) s += fmt::format("{:02x}", b[i]);
  if (b.size() > max) s += "...";
  return s;
}

constexpr std::uint32_t ip4(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

// ---------------------------------------------------------------------------------------
// Packet builders

// An IPv4 datagram. The checksum covers the header as built (20 bytes and the options),
// whatever the IHL field says.
struct Ip {
  int vihl = -1;   // -1: version 4, IHL from the options
  int total = -1;  // -1: the real length
  std::uint16_t id = 7;
  std::uint16_t frag = 0;  // flags and offset
  std::uint8_t ttl = 64;
  std::uint8_t proto = 17;
  std::uint32_t src = ip4(10, 0, 0, 1);
  std::uint32_t dst = ip4(10, 0, 0, 2);
  Bytes opts;
  Bytes payload;
  bool bad_checksum = false;

  Bytes build() const {
    Bytes b(20, 0);
    b[0] = static_cast<std::uint8_t>(vihl >= 0 ? vihl : 0x40 | ((20 + opts.size()) / 4));
    put16(b, 2,
          total >= 0 ? static_cast<std::uint32_t>(total)
                     : static_cast<std::uint32_t>(20 + opts.size() + payload.size()));
    put16(b, 4, id);
    put16(b, 6, frag);
    b[8] = ttl;
    b[9] = proto;
    put32(b, 12, src);
    put32(b, 16, dst);
    b = cat(b, opts);
    const std::uint32_t c = checksum(b.data(), b.size());
    put16(b, 10, bad_checksum ? c ^ 0x5a5a : c);
    return cat(b, payload);
  }
};

Bytes udp(std::size_t n, int length_field = -1) {
  Bytes b(8, 0);
  put16(b, 0, 1234);
  put16(b, 2, 53);
  put16(b, 4,
        length_field >= 0 ? static_cast<std::uint32_t>(length_field)
                          : static_cast<std::uint32_t>(8 + n));
  return cat(b, counting(n));
}
Bytes tcp(std::uint8_t data_offset_words, std::size_t n) {
  Bytes b(20, 0);
  put16(b, 0, 1234);
  put16(b, 2, 80);
  b[12] = static_cast<std::uint8_t>(data_offset_words << 4);
  b[13] = 0x02;
  put16(b, 14, 65535);
  return cat(b, counting(n));
}
Bytes icmp(std::uint8_t type, std::uint8_t code, const Bytes& rest) {
  Bytes b = cat({type, code, 0, 0}, rest);
  put16(b, 2, checksum(b.data(), b.size()));
  return b;
}

const Bytes kMacA{0, 0, 0, 0, 0, 2};
const Bytes kMacB{0, 0, 0, 0, 0, 1};
const Bytes kMacBcast(6, 0xff);
const Bytes kMacMcast{0x01, 0x00, 0x5e, 0x00, 0x00, 0x05};
const Bytes kMacResponder{0, 0, 0, 0, 0, 9};

Bytes ether(const Bytes& dst, const Bytes& src, std::uint32_t type, const Bytes& payload) {
  return cat(cat(cat(dst, src), be16(type)), payload);
}

struct Arp {
  std::uint16_t op = 1;
  Bytes sha = kMacA;
  std::uint32_t spa = ip4(10, 0, 0, 2);
  Bytes tha = Bytes(6, 0);
  std::uint32_t tpa = ip4(10, 0, 0, 5);
  std::uint16_t hw = 1;
  std::uint16_t pro = 0x0800;
  std::uint8_t hlen = 6;
  std::uint8_t plen = 4;

  Bytes build() const {
    Bytes b(8, 0);
    put16(b, 0, hw);
    put16(b, 2, pro);
    b[4] = hlen;
    b[5] = plen;
    put16(b, 6, op);
    b = cat(b, sha);
    Bytes a(4);
    put32(a, 0, spa);
    b = cat(b, a);
    b = cat(b, tha);
    put32(a, 0, tpa);
    return cat(b, a);
  }
};

// ---------------------------------------------------------------------------------------
// The corpus

struct Item {
  std::string name;
  Bytes ether;  // Ethernet form
  Bytes ip;     // stripped to IP (the same bytes for link-level packets)
};

std::vector<Item> build_corpus() {
  std::vector<std::pair<std::string, Bytes>> dgrams;
  auto D = [&](std::string name, const Ip& ip) {
    dgrams.emplace_back(std::move(name), ip.build());
  };

  Ip base;
  base.payload = udp(18);
  D("udp", base);
  {
    Ip x;
    x.proto = 6;
    x.payload = tcp(5, 10);
    D("tcp", x);
  }
  {
    Ip x;
    x.proto = 1;
    x.payload = icmp(8, 0, counting(36));
    D("icmp-echo", x);
  }
  {
    Ip x;
    x.proto = 1;
    x.payload = icmp(3, 1, cat(Bytes(4, 0), prefix(base.build(), 28)));
    D("icmp-unreachable", x);
  }
  for (std::uint8_t type : {4, 5, 11, 12}) {
    Ip x;
    x.proto = 1;
    x.payload = icmp(type, 0, counting(28));
    D(fmt::format("icmp-error-type-{}", type), x);
  }
  {
    Ip x;
    x.proto = 1;
    x.payload = {8, 0};
    D("icmp-2-bytes", x);
  }
  {
    Ip x;
    x.proto = 1;
    D("icmp-empty", x);
  }
  {
    Ip x = base;
    x.bad_checksum = true;
    D("bad-checksum", x);
  }
  for (int ihl : {0, 1, 4}) {
    Ip x = base;
    x.vihl = 0x40 | ihl;
    D(fmt::format("ihl-{}", ihl), x);
  }
  {
    Ip x;
    x.vihl = 0x4f;
    D("ihl-15-in-20-bytes", x);
  }
  {
    Ip x;
    x.vihl = 0x4f;
    x.proto = 253;
    x.payload = counting(20);
    D("ihl-15-in-40-bytes", x);
  }
  {
    Ip x = base;
    x.vihl = 0x46;
    D("ihl-6-without-options", x);
  }
  const int base_total = static_cast<int>(base.build().size());
  for (int total : {base_total + 1, 65535, base_total - 10, 10, 0}) {
    Ip x = base;
    x.total = total;
    D(fmt::format("total-length-{}-of-{}", total, base_total), x);
  }
  for (int vihl : {0x65, 0x05, 0xf5}) {
    Ip x = base;
    x.vihl = vihl;
    D(fmt::format("version-ihl-{:02x}", vihl), x);
  }
  {
    Bytes v6(40, 0);
    v6[0] = 0x60;
    put16(v6, 4, 8);
    v6[6] = 17;
    v6[7] = 64;
    dgrams.emplace_back("ipv6-header", cat(v6, udp(0)));
  }

  // IP options: every IHL from 6 to 15, NOPs and random bytes, then hand-made ones.
  std::mt19937 opt_rng(1234);
  for (int ihl = 6; ihl <= 15; ++ihl) {
    Ip n = base;
    n.opts.assign(static_cast<std::size_t>((ihl - 5) * 4), 1);
    D(fmt::format("options-nop-ihl-{}", ihl), n);
    Ip r = base;
    r.opts.resize(static_cast<std::size_t>((ihl - 5) * 4));
    for (auto& o : r.opts) o = static_cast<std::uint8_t>(opt_rng());
    D(fmt::format("options-random-ihl-{}", ihl), r);
  }
  auto O = [&](std::string name, Bytes opts) {
    EXPECT_EQ(opts.size() % 4, 0u) << name;
    Ip x = base;
    x.opts = std::move(opts);
    D(std::move(name), x);
  };
  const Bytes route{10, 0, 0, 3, 10, 0, 0, 4};
  O("option-eol-then-garbage", {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  {
    Bytes rr{7, 39, 4};
    rr.resize(39, 0);
    rr.push_back(0);
    O("option-record-route-full", rr);
  }
  O("option-record-route-past-header", {7, 39, 4, 0});
  O("option-length-0", {0x44, 0, 0, 0});
  O("option-length-1", {0x44, 1, 0, 0});
  O("option-truncated", {1, 1, 1, 0x83});
  O("option-lsrr", cat(cat({131, 11, 4}, route), {1}));
  O("option-ssrr-pointer-8", cat(cat({137, 11, 8}, route), {1}));
  for (std::uint8_t ptr : {0, 3, 5, 12, 13, 200})
    O(fmt::format("option-lsrr-pointer-{}", ptr), cat(cat({131, 11, ptr}, route), {1}));
  O("option-ssrr-length-2", {137, 2, 1, 1});
  O("option-lsrr-length-3", {131, 3, 4, 0});
  O("option-lsrr-past-header", cat(cat({131, 15, 4}, route), {1}));
  O("option-timestamp", {68, 12, 5, 0, 0, 0, 0, 1, 0, 0, 0, 2});
  O("option-security", {130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  O("option-router-alert", {148, 4, 0, 0});
  O("options-all-ff", Bytes(40, 0xff));
  O("options-lsrr-and-record-route", {131, 7, 4, 10, 0, 0, 3, 7, 7, 4, 0, 0, 0, 0, 1, 1});
  {
    Ip x = base;
    x.opts = {1, 1, 1, 1};
    x.bad_checksum = true;
    D("options-bad-checksum", x);
  }

  // Fragments.
  for (std::uint16_t frag : {0x2000, 100, 0x3fff, 0x4000, 0x8000}) {
    Ip x = base;
    x.frag = frag;
    D(fmt::format("fragment-field-{:04x}", frag), x);
  }
  // Larger than IPFragmenter's MTU of 576.
  {
    Ip x;
    x.payload = udp(1472);
    D("big", x);
    x.frag = 0x4000;
    D("big-df", x);
    x.frag = 0x1ff0;
    D("big-offset-past-65535", x);
    x.frag = 0x2000 | 100;
    D("big-fragment-of-fragment", x);
    x.frag = 0;
    x.total = 500;
    D("big-total-500-then-padding", x);
    x.total = 1600;
    D("big-total-past-packet", x);
    x.total = -1;
    x.vihl = 0x44;
    D("big-ihl-4", x);
    x.vihl = 0x4f;
    D("big-ihl-15-without-options", x);
    x.vihl = -1;
    x.opts = {1, 1, 1, 0x83};
    D("big-option-truncated", x);
    x.opts = {131, 7, 4, 10, 0, 0, 3, 7, 7, 4, 0, 0, 0, 0, 1, 1};
    D("big-options-copied-and-not", x);
    x.opts = {68, 12, 5, 0, 0, 0, 0, 1, 0, 0, 0, 2};
    D("big-option-not-copied", x);
    x.opts = cat(cat({137, 11, 4}, route), {1});
    x.frag = 0x4000;
    D("big-df-source-routed", x);
  }

  // TTL.
  for (std::uint8_t ttl : {0, 1, 2, 255}) {
    Ip x = base;
    x.ttl = ttl;
    D(fmt::format("ttl-{}", ttl), x);
  }
  {
    Ip x;
    x.ttl = 1;
    x.proto = 1;
    x.payload = icmp(8, 0, counting(8));
    D("ttl-1-icmp-echo", x);
  }

  // Truncated transport headers.
  {
    Ip x;
    x.proto = 6;
    x.payload = counting(10);
    D("tcp-truncated", x);
    x.payload = tcp(15, 0);
    D("tcp-data-offset-15", x);
    x.payload = tcp(0, 0);
    D("tcp-data-offset-0", x);
    x.proto = 17;
    x.payload = counting(4);
    D("udp-truncated", x);
    x.payload = udp(10, 1000);
    D("udp-length-past-packet", x);
    x.payload = udp(10, 3);
    D("udp-length-3", x);
    x.proto = 0;
    x.payload = {};
    D("proto-0-header-only", x);
    x.proto = 253;
    x.payload = counting(3);
    D("proto-253", x);
  }

  // Addresses.
  for (std::uint32_t src : {0xffffffffu, ip4(224, 0, 0, 1), 0u, ip4(127, 0, 0, 1),
                            ip4(240, 0, 0, 1), ip4(10, 0, 0, 255)}) {
    Ip x = base;
    x.src = src;
    D(fmt::format("source-{:08x}", src), x);
  }
  for (std::uint32_t dst : {0xffffffffu, ip4(224, 0, 0, 5), 0u, ip4(10, 0, 0, 255),
                            ip4(192, 168, 1, 1), ip4(10, 0, 0, 1)}) {
    Ip x = base;
    x.dst = dst;
    D(fmt::format("destination-{:08x}", dst), x);
  }
  {
    Ip x = base;
    x.src = ip4(10, 0, 0, 255);
    x.dst = ip4(10, 0, 0, 1);
    D("bad-source-to-good-destination", x);
  }

  std::vector<Item> c;
  // Ethernet form: some to the broadcast or a multicast address, some from one.
  for (std::size_t i = 0; i < dgrams.size(); ++i) {
    const Bytes& dst = i % 9 == 3 ? kMacBcast : i % 9 == 5 ? kMacMcast : kMacA;
    const Bytes& src = i % 9 == 7 ? kMacBcast : i % 9 == 8 ? kMacMcast : kMacB;
    c.push_back({dgrams[i].first, ether(dst, src, 0x0800, dgrams[i].second), dgrams[i].second});
  }

  // Runts: a TCP frame and its datagram cut short.
  {
    Ip x;
    x.proto = 6;
    x.payload = tcp(5, 10);
    const Bytes d = x.build();
    const Bytes f = ether(kMacA, kMacB, 0x0800, d);
    for (std::size_t n : {0, 1, 13, 14, 15, 33, 34, 41})
      c.push_back({fmt::format("runt-{}", n), prefix(f, n), prefix(d, n)});
  }

  // Link-level packets: the same bytes in both forms.
  auto L = [&](std::string name, const Bytes& b) { c.push_back({std::move(name), b, b}); };
  const Bytes request = ether(kMacBcast, kMacA, 0x0806, Arp{}.build());
  L("arp-request", request);
  {
    Arp a;
    a.tpa = ip4(192, 168, 0, 1);
    L("arp-request-unknown-target", ether(kMacBcast, kMacA, 0x0806, a.build()));
    Arp r;
    r.op = 2;
    r.tha = kMacB;
    r.tpa = ip4(10, 0, 0, 1);
    L("arp-reply", ether(kMacB, kMacA, 0x0806, r.build()));
    r.spa = ip4(10, 0, 0, 3);
    r.sha = kMacMcast;
    L("arp-reply-multicast-sender", ether(kMacB, kMacA, 0x0806, r.build()));
    r.sha = kMacBcast;
    L("arp-reply-broadcast-sender", ether(kMacB, kMacA, 0x0806, r.build()));
    r.sha = {0, 0, 0, 0, 0, 3};
    r.spa = 0;
    L("arp-reply-from-0.0.0.0", ether(kMacB, kMacA, 0x0806, r.build()));
    for (std::uint16_t op : {1, 2}) {
      Arp w;
      w.op = op;
      w.hlen = 5;
      L(fmt::format("arp-op-{}-hlen-5", op), ether(kMacBcast, kMacA, 0x0806, w.build()));
      w.hlen = 6;
      w.plen = 16;
      L(fmt::format("arp-op-{}-plen-16", op), ether(kMacBcast, kMacA, 0x0806, w.build()));
      w.plen = 4;
      w.hw = 6;
      L(fmt::format("arp-op-{}-hardware-6", op), ether(kMacBcast, kMacA, 0x0806, w.build()));
      w.hw = 1;
      w.pro = 0x86dd;
      L(fmt::format("arp-op-{}-protocol-86dd", op), ether(kMacBcast, kMacA, 0x0806, w.build()));
    }
    for (std::uint16_t op : {0, 3, 0xffff}) {
      Arp w;
      w.op = op;
      L(fmt::format("arp-op-{}", op), ether(kMacBcast, kMacA, 0x0806, w.build()));
    }
  }
  for (std::size_t n : {41, 30, 14}) L(fmt::format("arp-runt-{}", n), prefix(request, n));
  L("arp-padded-to-60", cat(request, Bytes(18, 0)));
  L("arp-in-vlan",
    cat(cat(cat(kMacBcast, kMacA), {0x81, 0x00, 0x00, 0x05, 0x08, 0x06}), Arp{}.build()));
  L("arp-body-in-0800-frame", ether(kMacBcast, kMacA, 0x0800, Arp{}.build()));
  {
    Arp a;
    a.sha = kMacBcast;
    L("arp-request-from-broadcast-mac", ether(kMacBcast, kMacBcast, 0x0806, a.build()));
  }
  {
    const Bytes d = base.build();
    const Bytes macs = cat(kMacA, kMacB);
    const Bytes tagged = cat(cat(macs, {0x81, 0x00, 0x00, 0x05, 0x08, 0x00}), d);
    L("vlan-ip", tagged);
    for (std::size_t n : {14, 15, 16, 17, 18}) L(fmt::format("vlan-runt-{}", n), prefix(tagged, n));
    L("vlan-qinq", cat(cat(macs, {0x88, 0xa8, 0x00, 0x07, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00}), d));
    L("vlan-double-8100",
      cat(cat(macs, {0x81, 0x00, 0x00, 0x05, 0x81, 0x00, 0x00, 0x06, 0x08, 0x00}), d));
    L("vlan-tci-ffff", cat(cat(macs, {0x81, 0x00, 0xff, 0xff, 0x08, 0x00}), d));
    L("ether-86dd-carrying-ipv4", ether(kMacA, kMacB, 0x86dd, d));
    L("ether-type-0000", ether(kMacA, kMacB, 0x0000, d));
    L("ether-type-ffff", ether(kMacA, kMacB, 0xffff, d));
    L("ether-0800-empty", ether(kMacA, kMacB, 0x0800, {}));
    L("ether-802.3-length", ether(kMacA, kMacB, 46, Bytes(46, 0xaa)));
  }

  // Random packets, a fixed seed: pure noise, then noise that starts like IPv4, then with a
  // consistent length and checksum (so it passes CheckIPHeader and reaches what follows),
  // then with a real protocol number too. The IP-looking ones also come framed.
  std::mt19937 rng(20240601);
  for (int i = 0; i < 200; ++i) {
    const auto n = static_cast<std::size_t>(std::uniform_int_distribution<int>(0, 1600)(rng));
    Bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    const int kind = i % 4;
    if (kind >= 1 && n >= 1) b[0] = static_cast<std::uint8_t>(0x40 | (b[0] & 0x0f));
    if (kind >= 2 && n >= 20) {
      put16(b, 2, static_cast<std::uint32_t>(std::min<std::size_t>(n, 65535)));
      if (kind == 3) b[9] = std::array<std::uint8_t, 3>{1, 6, 17}[static_cast<std::size_t>(i) % 3];
      const std::size_t hlen = (b[0] & 0x0fu) * 4;
      if (hlen >= 20 && hlen <= n) {
        put16(b, 10, 0);
        put16(b, 10, checksum(b.data(), hlen));
      }
    }
    const std::string name = fmt::format("random-{}-kind-{}-len-{}", i, kind, n);
    if (kind >= 2) {
      c.push_back({name, ether(kMacA, kMacB, 0x0800, b), b});
    } else {
      L(name, b);
    }
  }
  return c;
}

const std::vector<Item>& corpus() {
  static const std::vector<Item> c = build_corpus();
  return c;
}

// ---------------------------------------------------------------------------------------
// Forms and annotations

enum class Form { kEther, kIp };
enum class Mode { kBare, kMarked, kNhAtEnd };
constexpr std::array<Form, 2> kForms{Form::kEther, Form::kIp};
constexpr std::array<Mode, 3> kModes{Mode::kBare, Mode::kMarked, Mode::kNhAtEnd};

std::string_view form_name(Form f) { return f == Form::kEther ? "ethernet" : "ip"; }
std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::kBare:
      return "no annotations";
    case Mode::kMarked:
      return "annotated";
    case Mode::kNhAtEnd:
      return "network header at the last byte";
  }
  return "?";
}

const std::vector<Bytes>& packets(Form f) {
  static const std::array<std::vector<Bytes>, 2> forms = [] {
    std::array<std::vector<Bytes>, 2> a;
    for (const Item& it : corpus()) {
      a[0].push_back(it.ether);
      a[1].push_back(it.ip);
    }
    return a;
  }();
  return forms[f == Form::kEther ? 0 : 1];
}

// The annotations a packet goes in with, as the test sets them and as an element sees them.
struct Anno {
  int nh_set = -1;        // where the network header annotation was set (may lie past the end)
  int nh = -1;            // what the element sees: -1 unless the annotation lies in the packet
  std::uint32_t dst = 0;  // destination IP annotation, host order
  std::uint8_t paint = 0;
  mem::PacketType type = mem::PacketType::kHost;
  std::uint16_t tci = 0;
  std::uint8_t param_ptr = 0;  // ICMPError's parameter problem pointer, user_anno[17]
};

Anno anno_for(const Bytes& b, Form f, Mode m) {
  Anno a;
  const int len = static_cast<int>(b.size());
  if (m == Mode::kMarked) {
    a.nh_set = f == Form::kEther ? 14 : 0;
    if (a.nh_set + 20 <= len) a.dst = get32(&b[static_cast<std::size_t>(a.nh_set) + 16]);
    a.paint = static_cast<std::uint8_t>(len % 5 == 4 ? 255 : len % 5);
    if (f == Form::kEther && len >= 6) {
      if (Bytes(b.begin(), b.begin() + 6) == kMacBcast) {
        a.type = mem::PacketType::kBroadcast;
      } else if (b[0] & 1) {
        a.type = mem::PacketType::kMulticast;
      }
    }
    if (len >= 16) a.tci = static_cast<std::uint16_t>(get16(&b[14]));
    a.param_ptr = static_cast<std::uint8_t>(len);
  } else if (m == Mode::kNhAtEnd) {
    a.nh_set = len - 1;
    a.dst = ip4(10, 0, 0, 2);
    a.paint = 255;
    a.type = mem::PacketType::kOtherHost;
    a.tci = 0xffff;
    a.param_ptr = 0xff;
  }
  a.nh = a.nh_set >= 0 && a.nh_set < len ? a.nh_set : -1;
  return a;
}

void apply(mem::Packet& p, const Anno& a) {
  if (a.nh_set >= 0) {
    p.set_network_header(p.data() + a.nh_set);
    if (a.nh >= 0) p.set_transport_header(p.data() + a.nh + (p.data()[a.nh] & 0x0f) * 4);
  }
  p.set_dst_ip_anno_raw(__builtin_bswap32(a.dst));
  p.set_paint(a.paint);
  p.set_packet_type(a.type);
  p.set_vlan_tci(a.tci);
  p.user_anno()[17] = a.param_ptr;
}

// Makes the bytes after p's data, to the end of its frame, unaddressable (ASan builds), and
// remembers the frame so unpoison() can give it back.
class TailPoison {
 public:
  TailPoison() = default;
  TailPoison(const TailPoison&) = delete;
  TailPoison& operator=(const TailPoison&) = delete;
  ~TailPoison() { unpoison(); }

  void poison(mem::Packet& p) {
#ifdef UPLANE_HOSTILE_ASAN
    auto* frame = reinterpret_cast<std::uint8_t*>(&p);
    ASAN_POISON_MEMORY_REGION(p.end_data(),
                              static_cast<std::size_t>(frame + p.frame_size() - p.end_data()));
    frames_.emplace_back(frame, p.frame_size());
#else
    (void)p;
#endif
  }
  void unpoison() {
#ifdef UPLANE_HOSTILE_ASAN
    for (const auto& [frame, size] : frames_) ASAN_UNPOISON_MEMORY_REGION(frame, size);
#endif
    frames_.clear();
  }

 private:
  std::vector<std::pair<std::uint8_t*, std::size_t>> frames_;
};

// ---------------------------------------------------------------------------------------
// Models: what the element's documentation says happens to one packet.

struct Pkt {
  const Bytes& b;
  const Anno& a;
  std::uint64_t seq;  // packets this element has been given before this one
  std::size_t len() const { return b.size(); }
  const std::uint8_t* at(std::size_t i) const { return b.data() + i; }
};

struct Expect {
  std::vector<int> ports;  // where it (or its copies, or its fragments) leaves
  int drop = -1;           // a DropReason, or -1
  bool consumed = false;   // taken without a drop (Discard, ToDump without output)
};
Expect to(int port) { return Expect{{port}}; }
Expect to_all(int n) {
  Expect e;
  for (int i = 0; i < n; ++i) e.ports.push_back(i);
  return e;
}
Expect dropped(DropReason r) {
  Expect e;
  e.drop = static_cast<int>(r);
  return e;
}
Expect consumed() {
  Expect e;
  e.consumed = true;
  return e;
}
std::string describe(const Expect& e) {
  std::string s;
  for (int p : e.ports) s += fmt::format("[{}] ", p);
  if (e.drop >= 0)
    s += fmt::format("drop {} ", graph::drop_reason_name(static_cast<DropReason>(e.drop)));
  if (e.consumed) s += "consumed ";
  return s.empty() ? "nothing" : s;
}

using Model = std::function<Expect(const Pkt&)>;

Model always(int port) {
  return [port](const Pkt&) { return to(port); };
}

Model too_short_below(std::size_t n) {
  return [n](const Pkt& p) { return p.len() < n ? dropped(DropReason::kTooShort) : to(0); };
}

// CheckIPHeader: the checks in its documented order.
Model check_ip_header(std::size_t off, bool error_output, bool interfaces) {
  return [=](const Pkt& p) -> Expect {
    auto bad = [&](DropReason r) { return error_output ? to(1) : dropped(r); };
    if (p.len() < off + 20) return bad(DropReason::kTooShort);
    const std::uint8_t* h = p.at(off);
    const std::size_t plen = p.len() - off;
    if (h[0] >> 4 != 4) return bad(DropReason::kBadHeader);
    const std::size_t hlen = (h[0] & 0x0fu) * 4;
    if (hlen < 20) return bad(DropReason::kBadHeader);
    const std::size_t total = get16(h + 2);
    if (total > plen || total < hlen) return bad(DropReason::kBadLength);
    if (!checksum_ok(h, hlen)) return bad(DropReason::kBadChecksum);
    if (interfaces) {
      // INTERFACES 10.0.0.1/24: bad sources 10.0.0.255, 0.0.0.0, 255.255.255.255, unless
      // to 10.0.0.1.
      const std::uint32_t src = get32(h + 12), dst = get32(h + 16);
      if ((src == ip4(10, 0, 0, 255) || src == 0 || src == 0xffffffff) && dst != ip4(10, 0, 0, 1))
        return bad(DropReason::kBadSource);
    }
    return to(0);
  };
}

Expect set_ip_checksum(const Pkt& p) {
  const std::size_t h = p.a.nh >= 0 ? static_cast<std::size_t>(p.a.nh) : 0;
  const std::size_t plen = p.len() - h;
  if (plen < 20) return dropped(DropReason::kTooShort);
  const std::size_t hlen = (*p.at(h) & 0x0fu) * 4;
  if (hlen < 20) return dropped(DropReason::kBadHeader);
  if (hlen > plen) return dropped(DropReason::kTooShort);
  return to(0);
}

// Elements that read the IP header at the annotation: DecIPTTL, GetIPAddress(IP ...).
Expect needs_marked_ip(const Pkt& p) {
  if (p.a.nh < 0) return dropped(DropReason::kBadHeader);
  if (p.len() - static_cast<std::size_t>(p.a.nh) < 20) return dropped(DropReason::kTooShort);
  return to(0);
}

Model dec_ip_ttl(bool expired_output) {
  return [=](const Pkt& p) -> Expect {
    Expect e = needs_marked_ip(p);
    if (e.drop >= 0) return e;
    if (*p.at(static_cast<std::size_t>(p.a.nh) + 8) <= 1)
      return expired_output ? to(1) : dropped(DropReason::kTtlExpired);
    return to(0);
  };
}

Expect vlan_decap(const Pkt& p) {
  if (p.len() < 14) return dropped(DropReason::kTooShort);
  if (get16(p.at(12)) == 0x8100 && p.len() < 18) return dropped(DropReason::kTooShort);
  return to(0);
}

Model arp_responder(bool other_output) {
  return [=](const Pkt& p) -> Expect {
    auto other = [&](DropReason r) { return other_output ? to(1) : dropped(r); };
    if (p.len() < 42) return other(DropReason::kTooShort);
    if (get16(p.at(12)) != 0x0806 || get16(p.at(14)) != 1 || get16(p.at(16)) != 0x0800 ||
        *p.at(18) != 6 || *p.at(19) != 4)
      return other(DropReason::kBadHeader);
    if (get16(p.at(20)) != 1) return other(DropReason::kFiltered);
    if ((get32(p.at(38)) & 0xffffff00) != ip4(10, 0, 0, 0)) return other(DropReason::kFiltered);
    return to(0);
  };
}

// ARPQuerier's input 1.
Expect arp_querier_reply(const Pkt& p) {
  if (p.len() < 42) return dropped(DropReason::kTooShort);
  if (get16(p.at(12)) != 0x0806 || get16(p.at(14)) != 1 || get16(p.at(16)) != 0x0800 ||
      *p.at(18) != 6 || *p.at(19) != 4)
    return dropped(DropReason::kBadHeader);
  if (get16(p.at(20)) != 2) return dropped(DropReason::kFiltered);
  if (*p.at(22) & 1) return dropped(DropReason::kBadSource);
  return consumed();
}

// HashSwitch(OFFSET, LENGTH) with n outputs.
Model hash_switch(std::size_t offset, std::size_t length, int n) {
  return [=](const Pkt& p) -> Expect {
    if (p.len() < offset + length) return to(0);
    std::uint32_t s = 0;
    for (std::size_t i = 0; i < length; ++i) s += *p.at(offset + i);
    if (n == 2 || n == 4 || n == 8)
      return to(static_cast<int>((s ^ (s >> 4)) & static_cast<std::uint32_t>(n - 1)));
    return to(static_cast<int>(s % static_cast<std::uint32_t>(n)));
  };
}

Expect paint_switch_3(const Pkt& p) {
  if (p.a.paint == 255) return to_all(3);
  if (p.a.paint < 3) return to(p.a.paint);
  return dropped(DropReason::kUnconnected);
}

// Classifier(12/0800, 12/0806 20/0001, !12/86dd, -): a clause past the end does not match.
Expect classifier(const Pkt& p) {
  auto is16 = [&](std::size_t off, std::uint32_t v) {
    return p.len() >= off + 2 && get16(p.at(off)) == v;
  };
  if (is16(12, 0x0800)) return to(0);
  if (is16(12, 0x0806) && is16(20, 0x0001)) return to(1);
  if (!is16(12, 0x86dd)) return to(2);
  return to(3);
}

std::uint32_t ip_proto_or(const Pkt& p, std::uint32_t none) {
  const auto nh = static_cast<std::size_t>(p.a.nh);
  return nh + 10 <= p.len() ? *p.at(nh + 9) : none;
}

// IPClassifier(tcp, udp, src host 10.0.0.1, -).
Expect ip_classifier(const Pkt& p) {
  if (p.a.nh < 0) return dropped(DropReason::kBadHeader);
  const std::uint32_t proto = ip_proto_or(p, 256);
  if (proto == 6) return to(0);
  if (proto == 17) return to(1);
  const auto nh = static_cast<std::size_t>(p.a.nh);
  if (nh + 16 <= p.len() && get32(p.at(nh + 12)) == ip4(10, 0, 0, 1)) return to(2);
  return to(3);
}

// IPFilter(0 tcp, 1 udp, drop icmp, 1 all).
Expect ip_filter(const Pkt& p) {
  if (p.a.nh < 0) return dropped(DropReason::kBadHeader);
  const std::uint32_t proto = ip_proto_or(p, 256);
  if (proto == 6) return to(0);
  if (proto == 17) return to(1);
  if (proto == 1) return dropped(DropReason::kFiltered);
  return to(1);
}

// The routes every lookup element gets: 10.0.0.0/8 0, 192.168.0.0/16 10.0.0.1 1,
// 224.0.0.0/4 1.
constexpr std::string_view kRoutes = "10.0.0.0/8 0, 192.168.0.0/16 10.0.0.1 1, 224.0.0.0/4 1";
Expect lookup(const Pkt& p) {
  const std::uint32_t d = p.a.dst;
  if ((d & 0xff000000) == ip4(10, 0, 0, 0)) return to(0);
  if ((d & 0xffff0000) == ip4(192, 168, 0, 0)) return to(1);
  if ((d & 0xf0000000) == ip4(224, 0, 0, 0)) return to(1);
  return dropped(DropReason::kNoRoute);
}

// RFC 791 option walk: NOP is one byte, EOL ends the list, others are type, length (at least
// 2, within the header), data. Stops at a malformed option. Calls f(offset, type, length).
template <class F>
void walk_options(const std::uint8_t* h, std::size_t hlen, F&& f) {
  for (std::size_t i = 20; i < hlen;) {
    const std::uint8_t type = h[i];
    if (type == 1) {
      ++i;
      continue;
    }
    if (type == 0 || i + 1 >= hlen) return;
    const std::size_t len = h[i + 1];
    if (len < 2 || i + len > hlen) return;
    f(i, type, len);
    i += len;
  }
}

// A loose or strict source route whose pointer names an address slot (4, 8, ... up to one
// past the option: RFC 791).
bool has_source_route(const std::uint8_t* h, std::size_t hlen) {
  bool found = false;
  walk_options(h, hlen, [&](std::size_t i, std::uint8_t type, std::size_t len) {
    if ((type == 131 || type == 137) && len >= 3) {
      const std::size_t ptr = h[i + 2];
      if (ptr >= 4 && ptr % 4 == 0 && ptr <= len + 1) found = true;
    }
  });
  return found;
}

// ICMPError(10.0.0.1, TYPE): RFC 1812 4.3.2.7's exceptions, as its documentation lists them.
Model icmp_error(bool redirect) {
  return [=](const Pkt& p) -> Expect {
    if (p.a.nh < 0) return dropped(DropReason::kBadHeader);
    const auto nh = static_cast<std::size_t>(p.a.nh);
    const std::size_t nlen = p.len() - nh;
    if (nlen < 20) return dropped(DropReason::kTooShort);
    const std::uint8_t* h = p.at(nh);
    const std::size_t hlen = (h[0] & 0x0fu) * 4;
    if (hlen < 20) return dropped(DropReason::kBadHeader);
    if (hlen > nlen) return dropped(DropReason::kTooShort);
    if (h[9] == 1) {
      if (hlen + 4 > nlen) return dropped(DropReason::kTooShort);
      const std::uint8_t t = h[hlen];
      if (t == 3 || t == 4 || t == 5 || t == 11 || t == 12) return dropped(DropReason::kFiltered);
    }
    const std::uint32_t src = get32(h + 12), dst = get32(h + 16);
    auto unicast = [](std::uint32_t a) { return a != 0xffffffff && (a >> 28) != 0xe; };
    const std::uint32_t net = src >> 24;
    const bool good_src = unicast(src) && net != 0 && net != 127 && (net & 0xf0) != 0xf0;
    if (!unicast(dst) || p.a.type == mem::PacketType::kBroadcast ||
        p.a.type == mem::PacketType::kMulticast || !good_src || (get16(h + 6) & 0x1fff) != 0)
      return dropped(DropReason::kFiltered);
    if (redirect && has_source_route(h, hlen)) return dropped(DropReason::kFiltered);
    return to(0);
  };
}

// IPFragmenter(MTU [, HONOR_DF]): one packet on output 0, its fragments, output 1, or a drop.
Model ip_fragmenter(std::size_t mtu, bool df_output, bool honor_df) {
  return [=](const Pkt& p) -> Expect {
    if (p.a.nh < 0) return dropped(DropReason::kBadHeader);
    const auto nh = static_cast<std::size_t>(p.a.nh);
    const std::size_t nlen = p.len() - nh;
    if (nlen <= mtu) return to(0);
    const std::uint8_t* h = p.at(nh);
    const std::size_t hlen = (h[0] & 0x0fu) * 4;
    const std::size_t total = get16(h + 2);
    if (hlen < 20) return dropped(DropReason::kBadHeader);
    if (hlen > nlen) return dropped(DropReason::kTooShort);
    if (total < hlen || total > nlen) return dropped(DropReason::kBadLength);
    if (total <= mtu) return to(0);  // only link padding made it too long
    const std::size_t first = (mtu - hlen) & ~std::size_t{7};
    if ((honor_df && (h[6] & 0x40)) || first < 8)
      return df_output ? to(1) : dropped(DropReason::kFragmentNeeded);
    const std::size_t data = total - hlen;
    if ((get16(h + 6) & 0x1fff) + (data - 1) / 8 > 0x1fff) return dropped(DropReason::kBadLength);
    // Later fragments carry the options whose "copied" bit is set, padded to 4 bytes.
    std::size_t copied = 0;
    walk_options(h, hlen, [&](std::size_t, std::uint8_t type, std::size_t len) {
      if (type & 0x80) copied += len;
    });
    const std::size_t later = (mtu - (20 + (copied + 3) / 4 * 4)) & ~std::size_t{7};
    const std::size_t n = 1 + (data - first + later - 1) / later;
    return Expect{std::vector<int>(n, 0)};
  };
}

// ---------------------------------------------------------------------------------------
// Reading counts from the harness

std::uint64_t read_u64(Harness& h, const std::string& spec) {
  const std::string s = h.read(spec);
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
    v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
  if (i == 0 || (i < s.size() && s[i] != '\n'))
    ADD_FAILURE() << spec << " read '" << s << "', not a count";
  return v;
}

// The drop_reasons handler: "reason count" lines, empty when nothing was dropped.
std::array<std::uint64_t, kReasons> read_drops(Harness& h, const std::string& element) {
  std::array<std::uint64_t, kReasons> d{};
  const std::string text = h.read(element + ".drop_reasons");
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t eol = text.find('\n', at);
    if (eol == std::string::npos) eol = text.size();
    const std::string line = text.substr(at, eol - at);
    at = eol + 1;
    const std::size_t sp = line.find(' ');
    bool known = false;
    for (int r = 0; r < kReasons && sp != std::string::npos; ++r) {
      if (graph::drop_reason_name(static_cast<DropReason>(r)) == line.substr(0, sp)) {
        d[static_cast<std::size_t>(r)] = std::stoull(line.substr(sp + 1));
        known = true;
      }
    }
    if (!known) ADD_FAILURE() << element << ".drop_reasons has a line '" << line << "'";
  }
  return d;
}

std::uint64_t sum(const std::array<std::uint64_t, kReasons>& d) {
  std::uint64_t s = 0;
  for (std::uint64_t v : d) s += v;
  return s;
}

std::string describe_drops(const std::array<std::uint64_t, kReasons>& d) {
  std::string s;
  for (int r = 0; r < kReasons; ++r)
    if (d[static_cast<std::size_t>(r)] != 0)
      s += fmt::format("{} {}, ", graph::drop_reason_name(static_cast<DropReason>(r)),
                       d[static_cast<std::size_t>(r)]);
  if (s.empty()) return "none";
  s.resize(s.size() - 2);
  return s;
}

graph::RouterOptions options(std::uint32_t frames = 4096) {
  graph::RouterOptions o = Harness::small_options();
  o.pool.frame_count = frames;
  return o;
}

// ---------------------------------------------------------------------------------------
// Files

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/uplane_hostile_XXXXXX";
    const char* d = mkdtemp(tmpl);
    path_ = d != nullptr ? d : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    if (path_ != "/tmp") std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }
  // As a quoted configuration argument.
  std::string arg(std::string_view name) const { return "\"" + file(name) + "\""; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void le32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// A classic little-endian pcap file, microsecond timestamps.
Bytes pcap_header(std::uint32_t linktype, std::uint32_t snaplen = 65535) {
  Bytes b;
  le32(b, 0xa1b2c3d4);
  b.insert(b.end(), {2, 0, 4, 0});
  le32(b, 0);
  le32(b, 0);
  le32(b, snaplen);
  le32(b, linktype);
  return b;
}
void pcap_record(Bytes& f, const Bytes& data, std::uint32_t caplen, std::uint32_t len,
                 std::uint32_t sec = 1000) {
  le32(f, sec);
  le32(f, 0);
  le32(f, caplen);
  le32(f, len);
  f.insert(f.end(), data.begin(), data.end());
}

// ---------------------------------------------------------------------------------------
// The table

// One configuration of one element: `e :: DECL` between `in` and sinks o0..o<outputs-1>.
struct Config {
  std::string decl;
  int outputs = 1;
  Model model;           // empty: conservation only
  std::string consumed;  // e's handler counting packets taken without a drop
  bool pull = true;      // also in pull context, when the class's input is agnostic
  // A property of every packet leaving on `port`; returns what is wrong, or "".
  std::function<std::string(const OutPacket&, int port)> check_out;
  // Read handlers of e and how much each must grow in one batch pass, from the expectations.
  std::vector<std::pair<std::string, std::function<std::uint64_t(const std::vector<Expect>&,
                                                                 const std::vector<Bytes>&)>>>
      counters;
};

struct Entry {
  std::string cls;
  std::vector<Config> configs;
  std::function<void(const TempDir&)> custom;  // a runner of its own, after the configs
};

using HandlerDelta =
    std::function<std::uint64_t(const std::vector<Expect>&, const std::vector<Bytes>&)>;
HandlerDelta count_in() {
  return [](const std::vector<Expect>& e, const std::vector<Bytes>&) { return e.size(); };
}
HandlerDelta count_zero() {
  return [](const std::vector<Expect>&, const std::vector<Bytes>&) { return std::uint64_t{0}; };
}
// Packets that went anywhere but output 0 (error outputs and drops).
HandlerDelta count_not_port0() {
  return [](const std::vector<Expect>& es, const std::vector<Bytes>&) {
    std::uint64_t n = 0;
    for (const Expect& e : es) n += e.ports.size() != 1 || e.ports[0] != 0 ? 1 : 0;
    return n;
  };
}

std::string check_ip_out(const OutPacket& o, std::size_t off) {
  if (o.network_header_offset != static_cast<std::int32_t>(off))
    return "network header not at the IP header";
  const std::uint8_t* h = o.bytes.data() + off;
  const std::size_t hlen = (h[0] & 0x0fu) * 4;
  if (o.bytes.size() != off + get16(h + 2)) return "not cut to the IP total length";
  if (!checksum_ok(h, hlen)) return "bad IP checksum";
  return "";
}

std::string check_icmp_error_out(const OutPacket& o, std::uint8_t type, std::uint8_t code) {
  const Bytes& b = o.bytes;
  if (b.size() < 28 || b.size() > 576) return fmt::format("{} bytes", b.size());
  if (o.network_header_offset != 0) return "network header not at 0";
  const std::size_t hlen = (b[0] & 0x0fu) * 4;
  if (b[0] >> 4 != 4 || hlen < 20 || hlen + 8 > b.size()) return "bad IP header";
  if (get16(&b[2]) != b.size()) return "IP total length is not the packet's";
  if (!checksum_ok(b.data(), hlen)) return "bad IP checksum";
  if (b[9] != 1 || b[8] != 200) return "not ICMP with TTL 200";
  if (b[hlen] != type || b[hlen + 1] != code) return "wrong ICMP type or code";
  if (!checksum_ok(&b[hlen], b.size() - hlen)) return "bad ICMP checksum";
  if (get32(&b[12]) != ip4(10, 0, 0, 1)) return "wrong source";
  return "";
}

// Runners of their own, for classes that hold packets or have no packet input (below).
void run_queue(const std::string& cls);
void run_unqueue();
void run_arp_querier();
void run_from_dump(const TempDir& dir);
void run_from_device();

std::vector<Entry> table(const TempDir& dir) {
  std::vector<Entry> t;
  auto add = [&](std::string cls, std::vector<Config> configs,
                 std::function<void(const TempDir&)> custom = {}) {
    t.push_back({std::move(cls), std::move(configs), std::move(custom)});
  };
  const HandlerDelta fragment_count = [](const std::vector<Expect>& es, const std::vector<Bytes>&) {
    std::uint64_t n = 0;
    for (const Expect& e : es)
      if (e.ports.size() > 1) n += e.ports.size();
    return n;
  };
  const HandlerDelta expired = [](const std::vector<Expect>& es, const std::vector<Bytes>&) {
    std::uint64_t n = 0;
    for (const Expect& e : es)
      n += (e.ports.size() == 1 && e.ports[0] == 1) ||
           e.drop == static_cast<int>(DropReason::kTtlExpired);
    return n;
  };
  const HandlerDelta too_big = [](const std::vector<Expect>& es, const std::vector<Bytes>&) {
    std::uint64_t n = 0;
    for (const Expect& e : es)
      n += (e.ports.size() == 1 && e.ports[0] == 1) ||
           e.drop == static_cast<int>(DropReason::kFragmentNeeded);
    return n;
  };
  const HandlerDelta dropped_any = [](const std::vector<Expect>& es, const std::vector<Bytes>&) {
    std::uint64_t n = 0;
    for (const Expect& e : es) n += e.drop >= 0;
    return n;
  };
  const HandlerDelta bytes_in = [](const std::vector<Expect>&, const std::vector<Bytes>& ps) {
    std::uint64_t n = 0;
    for (const Bytes& p : ps) n += p.size();
    return n;
  };

  // --- standard ---
  add("Counter", {{.decl = "Counter",
                   .model = always(0),
                   .counters = {{"count", count_in()}, {"byte_count", bytes_in}}}});
  add("Discard", {{.decl = "Discard",
                   .outputs = 0,
                   .model = [](const Pkt&) { return consumed(); },
                   .consumed = "count"},
                  {.decl = "Discard(BURST 5)",
                   .outputs = 0,
                   .model = [](const Pkt&) { return consumed(); },
                   .consumed = "count"}});
  add("HashSwitch",
      {{.decl = "HashSwitch(16, 4)", .outputs = 3, .model = hash_switch(16, 4, 3)},
       {.decl = "HashSwitch(0, 1)", .outputs = 4, .model = hash_switch(0, 1, 4)},
       {.decl = "HashSwitch(1598, 3)", .outputs = 2, .model = hash_switch(1598, 3, 2)}});
  add("Idle", {{.decl = "Idle",
                .outputs = 1,
                .model = [](const Pkt&) { return dropped(DropReason::kOther); },
                .pull = false},
               {.decl = "Idle",
                .outputs = 0,
                .model = [](const Pkt&) { return dropped(DropReason::kOther); },
                .pull = false}});
  add("InfiniteSource", {}, [](const TempDir&) {
    // LIMIT packets, in bursts, pushed and pulled; zero-length packets too.
    const std::vector<std::pair<std::string, std::uint64_t>> cases{
        {"e :: InfiniteSource(LIMIT 5, BURST 2) -> o0 :: TestSink", 5},
        {"e :: InfiniteSource(LENGTH 0, LIMIT 3, BURST 64) -> o0 :: TestSink", 3},
        {"e :: InfiniteSource(LIMIT 5) -> u :: Unqueue -> o0 :: TestSink", 5},
    };
    for (const auto& [cfg, limit] : cases) {
      Harness h(cfg, options(2048));
      ASSERT_TRUE(h.ok()) << cfg << "\n" << h.error();
      for (int i = 0; i < 20 && h.run_tasks(1); ++i) {
      }
      EXPECT_EQ(read_u64(h, "e.count"), limit) << cfg;
      EXPECT_EQ(h.sink("o0").size(), limit) << cfg;
      EXPECT_EQ(h.read("e.drop_reasons"), "") << cfg;
    }
  });
  add("Null", {{.decl = "Null", .model = always(0)}});
  add("Paint",
      {{.decl = "Paint(2)",
        .model = always(0),
        .check_out = [](const OutPacket& o, int) { return o.paint == 2 ? "" : "paint not 2"; }},
       {.decl = "Paint(7, 47)", .model = always(0), .check_out = [](const OutPacket& o, int) {
          return o.user_anno[47] == 7 ? "" : "anno 47 not 7";
        }}});
  add("PaintSwitch", {{.decl = "PaintSwitch",
                       .outputs = 3,
                       .model = paint_switch_3,
                       .counters = {{"alloc_failures", count_zero()}}}});
  add("Print",
      {{.decl = "Print(hostile, -1, CONTENTS ASCII, TIMESTAMP true, PRINTANNO true, HEADROOM true)",
        .model = always(0)},
       {.decl = "Print(MAXLENGTH -1)", .model = always(0), .pull = false},
       {.decl = "Print(CONTENTS NONE)", .model = always(0)}});
  add("Queue", {}, [](const TempDir&) { run_queue("Queue"); });
  add("RatedSource", {}, [](const TempDir&) {
    Harness h("e :: RatedSource(RATE 100000, LIMIT 4) -> o0 :: TestSink", options(2048));
    ASSERT_TRUE(h.ok()) << h.error();
    for (int i = 0; i < 400 && h.sink("o0").size() < 4; ++i) {
      (void)h.run_tasks(1);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    EXPECT_EQ(h.sink("o0").size(), 4u);
    EXPECT_EQ(read_u64(h, "e.count"), 4u);
    EXPECT_EQ(h.read("e.drop_reasons"), "");
  });
  add("RoundRobinSwitch", {{.decl = "RoundRobinSwitch", .outputs = 3, .model = [](const Pkt& p) {
                              return to(static_cast<int>(p.seq % 3));
                            }}});
  add("SimpleQueue", {}, [](const TempDir&) { run_queue("SimpleQueue"); });
  add("StaticThreadSched", {}, [](const TempDir&) {
    // A thread the router does not have draws a warning, not an error; the last one wins.
    Harness h("in :: TestSource -> e :: Null -> o0 :: TestSink; s :: StaticThreadSched(e 0, e 9)",
              options(2048));
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("in", packets(Form::kEther));
    EXPECT_EQ(h.sink("o0").size(), packets(Form::kEther).size());
    EXPECT_EQ(h.read("s.drop_reasons"), "");
    // Naming no element is an error that says so.
    const std::string err = testing::config_error("s :: StaticThreadSched(nosuch 0)");
    EXPECT_NE(err.find("nosuch"), std::string::npos) << err;
  });
  add("Strip", {{.decl = "Strip(14)", .model = too_short_below(14)},
                {.decl = "Strip(0)", .model = always(0)},
                {.decl = "Strip(1601)", .model = too_short_below(1601)}});
  add("Tee", {{.decl = "Tee(3)",
               .outputs = 3,
               .model = [](const Pkt&) { return to_all(3); },
               .counters = {{"alloc_failures", count_zero()}}},
              {.decl = "Tee", .outputs = 1, .model = always(0)}});
  add("Unqueue", {}, [](const TempDir&) { run_unqueue(); });
  add("Unstrip",
      {{.decl = "Unstrip(14)", .model = always(0)},
       {.decl = "Unstrip(128)", .model = always(0)},
       {.decl = "Unstrip(129)", .model = [](const Pkt&) { return dropped(DropReason::kNoRoom); }}});

  // --- ethernet ---
  add("ARPQuerier", {}, [](const TempDir&) { run_arp_querier(); });
  add("ARPResponder", {{.decl = "ARPResponder(10.0.0.0/24 00:00:00:00:00:09)",
                        .outputs = 1,
                        .model = arp_responder(false)},
                       {.decl = "ARPResponder(10.0.0.0/24 00:00:00:00:00:09)",
                        .outputs = 2,
                        .model = arp_responder(true),
                        .check_out = [](const OutPacket& o, int port) -> std::string {
                          if (port != 0) return "";
                          const Bytes& b = o.bytes;
                          if (b.size() != 42 || get16(&b[12]) != 0x0806 || get16(&b[20]) != 2 ||
                              Bytes(b.begin() + 22, b.begin() + 28) != kMacResponder)
                            return "not an ARP reply from 00:00:00:00:00:09";
                          return "";
                        }}});
  add("EtherEncap",
      {{.decl = "EtherEncap(0x0800, 00:00:00:00:00:01, 00:00:00:00:00:02)", .model = always(0)}});
  add("EtherRewrite", {{.decl = "EtherRewrite(00:00:00:00:00:01, 00:00:00:00:00:02)",
                        .model = too_short_below(14),
                        .check_out = [](const OutPacket& o, int) -> std::string {
                          return Bytes(o.bytes.begin(), o.bytes.begin() + 6) == kMacA &&
                                         Bytes(o.bytes.begin() + 6, o.bytes.begin() + 12) == kMacB
                                     ? ""
                                     : "addresses not rewritten";
                        }}});
  add("EtherVLANEncap",
      {{.decl = "EtherVLANEncap(0x0800, 00:00:00:00:00:01, 00:00:00:00:00:02, 5)",
        .model = always(0)},
       {.decl =
            "EtherVLANEncap(0x0800, 00:00:00:00:00:01, 00:00:00:00:00:02, ANNO, NATIVE_VLAN 0xfff)",
        .model = always(0)}});
  add("VLANDecap", {{.decl = "VLANDecap", .model = vlan_decap},
                    {.decl = "VLANDecap(false)", .model = vlan_decap}});
  add("VLANEncap",
      {{.decl = "VLANEncap(VLAN_ID 5)",
        .model = too_short_below(14),
        .check_out = [](const OutPacket& o, int) -> std::string {
          return get16(&o.bytes[12]) == 0x8100 && get16(&o.bytes[14]) == 5 ? "" : "no tag 5";
        }},
       {.decl = "VLANEncap(ANNO)", .model = too_short_below(14)}});

  // --- ip ---
  add("CheckIPHeader", {{.decl = "CheckIPHeader",
                         .outputs = 1,
                         .model = check_ip_header(0, false, false),
                         .check_out = [](const OutPacket& o, int) { return check_ip_out(o, 0); },
                         .counters = {{"drops", count_not_port0()}}},
                        {.decl = "CheckIPHeader(14, INTERFACES 10.0.0.1/24, DETAILS true)",
                         .outputs = 2,
                         .model = check_ip_header(14, true, true),
                         .check_out = [](const OutPacket& o,
                                         int port) { return port == 0 ? check_ip_out(o, 14) : ""; },
                         .counters = {{"drops", count_not_port0()}}},
                        {.decl = "CheckIPHeader(CHECKSUM false, OFFSET 14)",
                         .outputs = 1,
                         .model = [](const Pkt& p) {
                           // Without the checksum check, a bad checksum passes.
                           Expect e = check_ip_header(14, false, false)(p);
                           return e.drop == static_cast<int>(DropReason::kBadChecksum) ? to(0) : e;
                         }}});
  add("DecIPTTL", {{.decl = "DecIPTTL",
                    .outputs = 1,
                    .model = dec_ip_ttl(false),
                    .counters = {{"drops", expired}}},
                   {.decl = "DecIPTTL",
                    .outputs = 2,
                    .model = dec_ip_ttl(true),
                    .counters = {{"drops", expired}}}});
  add("GetIPAddress", {{.decl = "GetIPAddress(16)",
                        .model = too_short_below(20),
                        .check_out = [](const OutPacket& o, int) -> std::string {
                          std::uint32_t raw;
                          std::memcpy(&raw, &o.bytes[16], 4);
                          return o.dst_ip_anno == raw ? "" : "annotation not from bytes 16-19";
                        }},
                       {.decl = "GetIPAddress(IP src)", .model = needs_marked_ip},
                       {.decl = "GetIPAddress(IP dst, ANNO 44)", .model = needs_marked_ip}});
  add("ICMPError",
      {{.decl = "ICMPError(10.0.0.1, parameterproblem)",
        .model = icmp_error(false),
        .check_out = [](const OutPacket& o, int) { return check_icmp_error_out(o, 12, 0); }},
       {.decl = "ICMPError(10.0.0.1, redirect, host)",
        .model = icmp_error(true),
        .check_out = [](const OutPacket& o, int) { return check_icmp_error_out(o, 5, 1); }},
       {.decl = "ICMPError(10.0.0.1, unreachable, needfrag, PMTU 576, MTU 68)",
        .model = icmp_error(false),
        .check_out = [](const OutPacket& o, int) { return check_icmp_error_out(o, 3, 4); }}});
  add("IPFragmenter",
      {{.decl = "IPFragmenter(576)",
        .outputs = 2,
        .model = ip_fragmenter(576, true, true),
        .check_out = [](const OutPacket& o, int port) -> std::string {
          if (port != 0) return "";
          if (o.network_header_offset < 0) return "no network header";
          return o.bytes.size() - static_cast<std::size_t>(o.network_header_offset) <= 576
                     ? ""
                     : "longer than the MTU";
        },
        .counters = {{"fragments", fragment_count}, {"drops", too_big}}},
       {.decl = "IPFragmenter(576)",
        .outputs = 1,
        .model = ip_fragmenter(576, false, true),
        .counters = {{"fragments", fragment_count}, {"drops", too_big}}},
       {.decl = "IPFragmenter(576, false)",
        .outputs = 1,
        .model = ip_fragmenter(576, false, false),
        .counters = {{"fragments", fragment_count}, {"drops", too_big}}},
       {.decl = "IPFragmenter(64)",
        .outputs = 2,
        .model = ip_fragmenter(64, true, true),
        .counters = {{"fragments", fragment_count}, {"drops", too_big}}}});
  for (std::string_view cls :
       {"LinearIPLookup", "RadixIPLookup", "DirectIPLookup", "StaticIPLookup"})
    add(std::string(cls), {{.decl = fmt::format("{}({})", cls, kRoutes),
                            .outputs = 2,
                            .model = lookup,
                            .check_out = [](const OutPacket& o, int port) -> std::string {
                              const std::uint32_t d = __builtin_bswap32(o.dst_ip_anno);
                              if (port == 0) return (d >> 24) == 10 ? "" : "port 0 but not 10/8";
                              if ((d >> 28) == 0xe || d == ip4(10, 0, 0, 1)) return "";
                              return "port 1 without the gateway annotation";
                            }}});
  add("MarkIPHeader",
      {{.decl = "MarkIPHeader",
        .model = too_short_below(20),
        .check_out = [](const OutPacket& o,
                        int) { return o.network_header_offset == 0 ? "" : "not marked"; }},
       {.decl = "MarkIPHeader(14)", .model = too_short_below(34)}});
  add("SetIPAddress", {{.decl = "SetIPAddress(10.0.0.9)",
                        .model = always(0),
                        .check_out =
                            [](const OutPacket& o, int) {
                              return __builtin_bswap32(o.dst_ip_anno) == ip4(10, 0, 0, 9)
                                         ? ""
                                         : "annotation not set";
                            }},
                       {.decl = "SetIPAddress(10.0.0.9, ANNO 44)", .model = always(0)}});
  add("SetIPChecksum",
      {{.decl = "SetIPChecksum",
        .model = set_ip_checksum,
        .check_out = [](const OutPacket& o, int) -> std::string {
          const std::size_t nh =
              o.network_header_offset >= 0 ? static_cast<std::size_t>(o.network_header_offset) : 0;
          return checksum_ok(&o.bytes[nh], (o.bytes[nh] & 0x0fu) * 4) ? "" : "checksum not set";
        },
        .counters = {{"drops", dropped_any}}}});

  // --- classify ---
  add("Classifier",
      {{.decl = "Classifier(12/0800, 12/0806 20/0001, !12/86dd, -)",
        .outputs = 4,
        .model = classifier},
       {.decl = "Classifier(12/0800, 1600/00)", .outputs = 2, .model = [](const Pkt& p) {
          if (p.len() >= 14 && get16(p.at(12)) == 0x0800) return to(0);
          if (p.len() > 1600 && *p.at(1600) == 0) return to(1);
          return dropped(DropReason::kFiltered);
        }}});
  add("IPClassifier", {{.decl = "IPClassifier(tcp, udp, src host 10.0.0.1, -)",
                        .outputs = 4,
                        .model = ip_classifier}});
  add("IPFilter",
      {{.decl = "IPFilter(0 tcp, 1 udp, drop icmp, 1 all)", .outputs = 2, .model = ip_filter}});

  // --- io ---
  add("ToDump", {{.decl = "ToDump(" + dir.arg("through.pcap") + ")",
                  .model = always(0),
                  .counters = {{"count", count_in()}, {"write_errors", count_zero()}}},
                 {.decl = "ToDump(" + dir.arg("end.pcap") + ", SNAPLEN 64, ENCAP IP)",
                  .outputs = 0,
                  .model = [](const Pkt&) { return consumed(); },
                  .consumed = "count",
                  .counters = {{"write_errors", count_zero()}}}});
  add("FromDump", {}, run_from_dump);
  // ToDevice over the null port takes everything; FromDevice gets the corpus from the wire.
  add("ToDevice", {{.decl = "ToDevice(null0, METHOD NULL)",
                    .outputs = 0,
                    .model = [](const Pkt&) { return consumed(); },
                    .consumed = "count",
                    .counters = {{"drops", count_zero()}}}});
  add("FromDevice", {}, [](const TempDir&) { run_from_device(); });
  std::sort(t.begin(), t.end(), [](const Entry& a, const Entry& b) { return a.cls < b.cls; });
  return t;
}

// Classes the harness registers for itself.
bool is_test_element(std::string_view cls) { return cls == "TestSource" || cls == "TestSink"; }

// ---------------------------------------------------------------------------------------
// The generic runner

struct Tally {
  std::vector<std::uint64_t> out;
  std::array<std::uint64_t, kReasons> drops{};
  std::uint64_t consumed = 0;
};

class Runner {
 public:
  Runner(std::string cls, const Config& c, bool pull) : cls_(std::move(cls)), c_(c), pull_(pull) {
    for (int i = 0; i < c_.outputs; ++i) sinks_.push_back(fmt::format("o{}", i));
  }

  void run() {
    const std::string text = config_text();
    Harness h(text, options());
    ASSERT_TRUE(h.ok()) << text << "\n" << h.error();
    e_ = h.element("e");
    for (const std::string& sink : sinks_) sink_packets_.push_back(&h.sink(sink));
    for (Form f : kForms) {
      for (Mode m : kModes) {
        const std::vector<Bytes>& pkts = packets(f);
        std::vector<Anno> annos;
        for (const Bytes& b : pkts) annos.push_back(anno_for(b, f, m));
        where_ = fmt::format("{} ({}{}), {} form, {}", cls_, c_.decl, pull_ ? ", pull context" : "",
                             form_name(f), mode_name(m));
        batch_pass(h, pkts, annos);
        one_by_one(h, pkts, annos);
        if (failures_ > kMaxFailures) return;
      }
    }
    if (pull_) {
      EXPECT_EQ(h.read("pq.drop_reasons"), "") << where_;
    }
  }

 private:
  static constexpr int kMaxFailures = 8;

  std::string config_text() const {
    std::string s = "in :: TestSource -> ";
    if (pull_) s += "pq :: SimpleQueue(4096) -> ";
    s += "e :: " + c_.decl + ";\n";
    for (int i = 0; i < c_.outputs; ++i) s += fmt::format("e[{}] -> o{} :: TestSink;\n", i, i);
    return s;
  }

  // The counts now. From the drop_reasons handler, or (`fast`, for the packet-by-packet
  // pass) from the counters the batch pass checked the handler against.
  Tally tally(Harness& h, bool fast = false) const {
    Tally t;
    for (const std::vector<OutPacket>* sink : sink_packets_) t.out.push_back(sink->size());
    if (fast) {
      for (int r = 0; r < kReasons; ++r)
        t.drops[static_cast<std::size_t>(r)] = e_->drops(static_cast<DropReason>(r));
    } else {
      t.drops = read_drops(h, "e");
    }
    if (!c_.consumed.empty()) t.consumed = read_u64(h, "e." + c_.consumed);
    return t;
  }

  void drain(Harness& h) const {
    if (!pull_) return;
    const auto* pq = dynamic_cast<const elements::SimpleQueue*>(h.element("pq"));
    ASSERT_NE(pq, nullptr);
    for (int guard = 0; guard < 100000; ++guard) {
      if (pq->length() == 0) return;
      if (c_.outputs > 0) {
        (void)h.pull("o0", 32);
      } else {
        (void)h.run_tasks(1);
      }
    }
    ADD_FAILURE() << where_ << ": the queue in front never drained";
  }

  void push(Harness& h, const std::vector<Bytes>& pkts, const Anno* annos, bool poison) {
    std::size_t i = 0;
    TailPoison tails;
    h.push("in", pkts, [&](mem::Packet& p) {
      apply(p, annos[i++]);
      if (poison) tails.poison(p);
    });
    EXPECT_EQ(i, pkts.size()) << where_ << ": the harness did not make every packet";
    drain(h);
  }

  Expect expect(const Bytes& b, const Anno& a) {
    const Pkt p{b, a, seq_++};
    return c_.model ? c_.model(p) : Expect{};
  }

  // Compares what happened (after - before) with what was expected; "" when they agree.
  std::string compare(const Tally& before, const Tally& after, std::uint64_t in,
                      const std::vector<Expect>& expects) const {
    Tally got;
    std::uint64_t got_out = 0;
    for (std::size_t i = 0; i < after.out.size(); ++i) {
      got.out.push_back(after.out[i] - before.out[i]);
      got_out += got.out.back();
    }
    for (int r = 0; r < kReasons; ++r)
      got.drops[static_cast<std::size_t>(r)] =
          after.drops[static_cast<std::size_t>(r)] - before.drops[static_cast<std::size_t>(r)];
    got.consumed = after.consumed - before.consumed;
    std::string got_text =
        fmt::format("got out {}, drops: {}, consumed {}", fmt::join(got.out, "/"),
                    describe_drops(got.drops), got.consumed);
    if (!c_.model) {
      if (got_out + sum(got.drops) + got.consumed != in)
        return fmt::format("{} packets in but {}", in, got_text);
      return "";
    }
    Tally want;
    want.out.assign(got.out.size(), 0);
    for (const Expect& e : expects) {
      for (int p : e.ports) {
        if (p >= static_cast<int>(want.out.size()))
          return fmt::format("model sends to missing output {}", p);
        ++want.out[static_cast<std::size_t>(p)];
      }
      if (e.drop >= 0) ++want.drops[static_cast<std::size_t>(e.drop)];
      if (e.consumed) ++want.consumed;
    }
    if (want.out != got.out || want.drops != got.drops || want.consumed != got.consumed)
      return fmt::format("expected out {}, drops: {}, consumed {}; {}", fmt::join(want.out, "/"),
                         describe_drops(want.drops), want.consumed, got_text);
    return "";
  }

  void check_outputs(Harness& h) {
    if (!c_.check_out) return;
    for (int i = 0; i < c_.outputs; ++i) {
      for (const OutPacket& o : h.sink(fmt::format("o{}", i))) {
        const std::string why = c_.check_out(o, i);
        if (!why.empty() && ++failures_ <= kMaxFailures)
          ADD_FAILURE() << where_ << ": a packet out of [" << i << "]: " << why << ": "
                        << hex(o.bytes);
      }
    }
  }

  void batch_pass(Harness& h, const std::vector<Bytes>& pkts, const std::vector<Anno>& annos) {
    std::vector<Expect> expects;
    for (std::size_t i = 0; i < pkts.size(); ++i) expects.push_back(expect(pkts[i], annos[i]));
    std::vector<std::uint64_t> counters_before;
    for (const auto& [name, f] : c_.counters) counters_before.push_back(read_u64(h, "e." + name));
    h.clear_sinks();
    const Tally before = tally(h);
    push(h, pkts, annos.data(), false);
    const Tally after = tally(h);
    // The handler and the counters it prints agree.
    for (int r = 0; r < kReasons; ++r)
      EXPECT_EQ(after.drops[static_cast<std::size_t>(r)], h.drops("e", static_cast<DropReason>(r)))
          << where_ << ": drop_reasons disagrees with the counter for "
          << graph::drop_reason_name(static_cast<DropReason>(r));
    const std::string why = compare(before, after, pkts.size(), expects);
    if (!why.empty() && ++failures_ <= kMaxFailures)
      ADD_FAILURE() << where_ << ", the corpus in batches: " << why;
    for (std::size_t i = 0; i < c_.counters.size(); ++i) {
      const auto& [name, f] = c_.counters[i];
      EXPECT_EQ(read_u64(h, "e." + name) - counters_before[i], f(expects, pkts))
          << where_ << ": handler " << name;
    }
    check_outputs(h);
  }

  void one_by_one(Harness& h, const std::vector<Bytes>& pkts, const std::vector<Anno>& annos) {
    const std::vector<Item>& items = corpus();
    for (std::size_t i = 0; i < pkts.size(); ++i) {
      const std::vector<Expect> expects{expect(pkts[i], annos[i])};
      h.clear_sinks();
      const Tally before = tally(h, true);
      push(h, {pkts[i]}, &annos[i], true);
      const Tally after = tally(h, true);
      const std::string why = compare(before, after, 1, expects);
      if (!why.empty() && ++failures_ <= kMaxFailures)
        ADD_FAILURE() << where_ << ", packet " << items[i].name << " (" << pkts[i].size()
                      << " bytes, network header " << annos[i].nh << "): expected "
                      << (c_.model ? describe(expects[0]) : "conservation") << "; " << why << "\n  "
                      << hex(pkts[i]);
      check_outputs(h);
    }
  }

  std::string cls_;
  const Config& c_;
  bool pull_;
  std::vector<std::string> sinks_;
  std::vector<const std::vector<OutPacket>*> sink_packets_;  // what each sink holds
  const graph::Element* e_ = nullptr;
  std::string where_;
  std::uint64_t seq_ = 0;
  int failures_ = 0;
};

bool input_is_agnostic(const std::string& cls) {
  const graph::ElementClass* c = graph::find_element_class(cls);
  return c != nullptr && !c->spec->processing.empty() && c->spec->processing[0] == 'a';
}

// ---------------------------------------------------------------------------------------
// Runners of their own

// Queue and SimpleQueue: overflow to output 1 or dropped, FIFO order, every packet held,
// pulled or counted.
void run_queue(const std::string& cls) {
  for (bool overflow_output : {true, false}) {
    const std::string text = fmt::format("in :: TestSource -> e :: {}(16) -> o0 :: TestSink;{}",
                                         cls, overflow_output ? " e[1] -> o1 :: TestSink;" : "");
    Harness h(text, options());
    ASSERT_TRUE(h.ok()) << text << "\n" << h.error();
    for (Form f : kForms) {
      for (Mode m : kModes) {
        const std::string where = fmt::format("{}, {} form, {}", text, form_name(f), mode_name(m));
        const std::vector<Bytes>& pkts = packets(f);
        const std::uint64_t n = pkts.size();
        h.clear_sinks();
        const auto drops_before = read_drops(h, "e");
        const std::uint64_t full_before = read_u64(h, "e.drops");
        std::size_t i = 0;
        std::vector<Anno> annos;
        for (const Bytes& b : pkts) annos.push_back(anno_for(b, f, m));
        h.push("in", pkts, [&](mem::Packet& p) { apply(p, annos[i++]); });
        EXPECT_EQ(read_u64(h, "e.length"), 16u) << where;
        EXPECT_EQ(read_u64(h, "e.drops") - full_before, n - 16) << where;
        auto drops = read_drops(h, "e");
        const std::uint64_t full = drops[static_cast<std::size_t>(DropReason::kQueueFull)] -
                                   drops_before[static_cast<std::size_t>(DropReason::kQueueFull)];
        EXPECT_EQ(sum(drops) - sum(drops_before), full) << where << ": " << describe_drops(drops);
        EXPECT_EQ(full, overflow_output ? 0 : n - 16) << where;
        if (overflow_output) {
          ASSERT_EQ(h.sink("o1").size(), n - 16) << where;
          for (std::size_t k = 0; k < n - 16; ++k)
            EXPECT_EQ(h.sink("o1")[k].bytes, pkts[16 + k]) << where << ": overflow order";
        }
        for (int guard = 0; guard < 100 && read_u64(h, "e.length") != 0; ++guard)
          (void)h.pull("o0", 7);
        ASSERT_EQ(h.sink("o0").size(), 16u) << where;
        for (std::size_t k = 0; k < 16; ++k)
          EXPECT_EQ(h.sink("o0")[k].bytes, pkts[k]) << where << ": FIFO";
        // One at a time: in and straight out.
        h.clear_sinks();
        for (std::size_t k = 0; k < pkts.size(); ++k) {
          h.push("in", {pkts[k]}, [&](mem::Packet& p) { apply(p, annos[k]); });
          ASSERT_EQ(h.pull("o0", 32), 1u) << where << ", packet " << corpus()[k].name;
        }
        EXPECT_EQ(h.sink("o0").size(), pkts.size()) << where;
      }
    }
    // Packets left in the queue are freed at teardown (the harness's leak check).
    h.push("in", packets(Form::kIp));
    EXPECT_EQ(read_u64(h, "e.length"), 16u);
  }
}

// Unqueue behind a SimpleQueue: every packet moves, in order; LIMIT stops it, the rest stay
// queued and are freed at teardown.
void run_unqueue() {
  for (const char* decl : {"Unqueue(7)", "Unqueue(-1)", "Unqueue"}) {
    const std::string text = fmt::format(
        "in :: TestSource -> q :: SimpleQueue(4096) -> e :: {} -> o0 :: TestSink", decl);
    Harness h(text, options());
    ASSERT_TRUE(h.ok()) << text << "\n" << h.error();
    for (Form f : kForms) {
      const std::vector<Bytes>& pkts = packets(f);
      h.clear_sinks();
      const std::uint64_t count_before = read_u64(h, "e.count");
      h.push("in", pkts);
      for (int guard = 0; guard < 10000 && h.run_tasks(1); ++guard) {
      }
      EXPECT_EQ(read_u64(h, "q.length"), 0u) << text;
      EXPECT_EQ(read_u64(h, "e.count") - count_before, pkts.size()) << text;
      ASSERT_EQ(h.sink("o0").size(), pkts.size()) << text;
      for (std::size_t k = 0; k < pkts.size(); ++k)
        EXPECT_EQ(h.sink("o0")[k].bytes, pkts[k]) << text;
      EXPECT_EQ(h.read("e.drop_reasons"), "") << text;
      EXPECT_EQ(h.read("q.drop_reasons"), "") << text;
    }
  }
  Harness h(
      "in :: TestSource -> q :: SimpleQueue(4096) -> e :: Unqueue(LIMIT 50) -> o0 :: TestSink",
      options());
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", packets(Form::kEther));
  for (int guard = 0; guard < 10000 && h.run_tasks(1); ++guard) {
  }
  EXPECT_EQ(h.sink("o0").size(), 50u);
  EXPECT_EQ(read_u64(h, "q.length"), packets(Form::kEther).size() - 50);
}

// ARPQuerier: IP packets on input 0 leave encapsulated, wait in the table, or are dropped
// with an input-0 reason; replies on input 1 are consumed or dropped with an input-1
// reason, exactly as documented; queries leave on output 1; the table is freed at teardown.
void run_arp_querier() {
  const std::string text =
      "in :: TestSource -> [0]e :: ARPQuerier(10.0.0.1/24, 00:00:00:00:00:01);\n"
      "in1 :: TestSource -> [1]e;\ne[0] -> o0 :: TestSink;\ne[1] -> o1 :: TestSink;\n";
  Harness h(text, options());
  ASSERT_TRUE(h.ok()) << text << "\n" << h.error();
  ASSERT_TRUE(h.write("e.insert", "10.0.0.2 00:00:00:00:00:02").is_ok());
  using R = DropReason;
  const std::array<R, 4> input0{R::kNoRoom, R::kNoRoute, R::kNoArpEntry, R::kOther};
  const std::array<R, 4> input1{R::kTooShort, R::kBadHeader, R::kFiltered, R::kBadSource};
  auto part = [](const std::array<std::uint64_t, kReasons>& d, const std::array<R, 4>& rs) {
    std::uint64_t n = 0;
    for (R r : rs) n += d[static_cast<std::size_t>(r)];
    return n;
  };
  int failures = 0;
  for (Form f : kForms) {
    for (Mode m : kModes) {
      const std::string where = fmt::format("ARPQuerier, {} form, {}", form_name(f), mode_name(m));
      const std::vector<Bytes>& pkts = packets(f);
      std::vector<Anno> annos;
      for (const Bytes& b : pkts) annos.push_back(anno_for(b, f, m));
      h.clear_sinks();
      const auto d0 = read_drops(h, "e");
      const std::uint64_t len0 = read_u64(h, "e.length");
      const std::uint64_t queries0 = read_u64(h, "e.queries");
      const std::uint64_t responses0 = read_u64(h, "e.responses");
      std::size_t i = 0;
      h.push("in", pkts, [&](mem::Packet& p) { apply(p, annos[i++]); });
      const auto d1 = read_drops(h, "e");
      const std::uint64_t len1 = read_u64(h, "e.length");
      const std::uint64_t out1 = h.sink("o0").size();
      EXPECT_EQ(out1 + (len1 - len0) + part(d1, input0) - part(d0, input0), pkts.size()) << where;
      EXPECT_EQ(part(d1, input1), part(d0, input1)) << where << ": input-1 reasons for input 0";
      if (m == Mode::kBare) {
        EXPECT_EQ(
            d1[static_cast<std::size_t>(R::kNoRoute)] - d0[static_cast<std::size_t>(R::kNoRoute)],
            pkts.size())
            << where << ": no destination annotation is no route";
      }
      if (m == Mode::kNhAtEnd) {
        // Every destination annotation is 10.0.0.2, which the table knows.
        ASSERT_EQ(out1, pkts.size()) << where;
        for (std::size_t k = 0; k < pkts.size(); ++k) {
          const Bytes& o = h.sink("o0")[k].bytes;
          EXPECT_EQ(o, cat(cat(cat(kMacA, kMacB), {0x08, 0x00}), pkts[k])) << where;
        }
      }
      // Replies, each checked against the model.
      std::uint64_t want_consumed = 0;
      for (std::size_t k = 0; k < pkts.size(); ++k) {
        const Expect e = arp_querier_reply(Pkt{pkts[k], annos[k], 0});
        const auto before = read_drops(h, "e");
        const std::uint64_t held = read_u64(h, "e.length");
        const std::uint64_t sent = h.sink("o0").size();
        {
          TailPoison tails;
          h.push("in1", {pkts[k]}, [&](mem::Packet& p) {
            apply(p, annos[k]);
            tails.poison(p);
          });
        }
        const auto after = read_drops(h, "e");
        std::array<std::uint64_t, kReasons> got{};
        for (R r : input1)
          got[static_cast<std::size_t>(r)] =
              after[static_cast<std::size_t>(r)] - before[static_cast<std::size_t>(r)];
        std::array<std::uint64_t, kReasons> want{};
        if (e.drop >= 0) want[static_cast<std::size_t>(e.drop)] = 1;
        want_consumed += e.consumed;
        if (got != want && ++failures <= 8)
          ADD_FAILURE() << where << ", reply " << corpus()[k].name << ": expected " << describe(e)
                        << ", got drops: " << describe_drops(got) << "\n  " << hex(pkts[k]);
        // A reply sends what waited for its sender, and nothing else.
        EXPECT_EQ(h.sink("o0").size() - sent, held - read_u64(h, "e.length")) << where;
        EXPECT_EQ(part(after, input0), part(before, input0)) << where;
      }
      EXPECT_EQ(read_u64(h, "e.responses") - responses0,
                static_cast<std::uint64_t>(std::count_if(
                    pkts.begin(), pkts.end(), [](const Bytes& b) { return b.size() >= 42; })))
          << where;
      EXPECT_GT(want_consumed, 0u) << where << ": the corpus has good replies";
      EXPECT_EQ(h.sink("o1").size(), read_u64(h, "e.queries") - queries0) << where;
      for (const OutPacket& q : h.sink("o1")) {
        EXPECT_EQ(q.bytes.size(), 42u) << where;
        EXPECT_EQ(get16(&q.bytes[20]), 1u) << where << ": a query is an ARP request";
      }
    }
  }
  // A reply for an address with packets waiting releases them; clear drops the rest, counted.
  EXPECT_GT(read_u64(h, "e.length"), 0u);
  Arp reply;
  reply.op = 2;
  reply.spa = ip4(192, 168, 1, 1);
  reply.sha = {0, 0, 0, 0, 0, 7};
  h.clear_sinks();
  const std::uint64_t held = read_u64(h, "e.length");
  h.push("in1", {ether(kMacB, kMacA, 0x0806, reply.build())});
  EXPECT_GT(h.sink("o0").size(), 0u);
  EXPECT_EQ(h.sink("o0").size(), held - read_u64(h, "e.length"));
  const std::uint64_t left = read_u64(h, "e.length");
  const std::uint64_t table_drops = h.drops("e", DropReason::kNoArpEntry);
  ASSERT_TRUE(h.write("e.clear", "").is_ok());
  EXPECT_EQ(read_u64(h, "e.length"), 0u);
  EXPECT_EQ(h.drops("e", DropReason::kNoArpEntry) - table_drops, left);
}

// FromDump's FORCE_IP, as documented: which records count as IP.
bool forced_ip(const Bytes& b, bool ethernet) {
  std::size_t off = 0;
  if (ethernet) {
    if (b.size() < 14) return false;
    const std::uint32_t type = get16(&b[12]);
    if (type != 0x0800 && type != 0x86dd) return false;
    off = 14;
  }
  if (b.size() <= off) return false;
  const unsigned version = b[off] >> 4;
  if (version == 4) {
    const std::size_t hlen = (b[off] & 0x0fu) * 4;
    return hlen >= 20 && b.size() - off >= hlen;
  }
  return version == 6 && b.size() - off >= 40;
}

// Runs a FromDump configuration until it stops emitting.
void run_source(Harness& h) {
  for (int guard = 0; guard < 10000 && h.run_tasks(1); ++guard) {
  }
}

// FromDump reads the corpus back, Ethernet and raw IP, with FORCE_IP splitting it exactly as
// documented.
void run_from_dump(const TempDir& dir) {
  for (Form f : kForms) {
    const bool eth = f == Form::kEther;
    Bytes file = pcap_header(eth ? 1 : 101);
    for (const Bytes& p : packets(f))
      pcap_record(file, p, static_cast<std::uint32_t>(p.size()),
                  static_cast<std::uint32_t>(p.size()));
    const std::string path = dir.file(eth ? "corpus-ether.pcap" : "corpus-ip.pcap");
    write_file(path, file);
    std::uint64_t want_ip = 0;
    for (const Bytes& p : packets(f)) want_ip += forced_ip(p, eth);
    const std::uint64_t n = packets(f).size();
    for (bool second_output : {true, false}) {
      const std::string text =
          fmt::format("e :: FromDump(\"{}\", FORCE_IP true) -> o0 :: TestSink;{}", path,
                      second_output ? " e[1] -> o1 :: TestSink;" : "");
      Harness h(text, options());
      ASSERT_TRUE(h.ok()) << text << "\n" << h.error();
      run_source(h);
      EXPECT_EQ(h.sink("o0").size(), want_ip) << text;
      EXPECT_EQ(read_u64(h, "e.count"), want_ip) << text;
      EXPECT_EQ(read_u64(h, "e.errors"), 0u) << text;
      if (second_output) {
        EXPECT_EQ(h.sink("o1").size(), n - want_ip) << text;
        EXPECT_EQ(h.read("e.drop_reasons"), "") << text;
      } else {
        EXPECT_EQ(h.drops("e", DropReason::kFiltered), n - want_ip) << text;
        EXPECT_EQ(sum(read_drops(h, "e")), n - want_ip) << text;
      }
      for (const OutPacket& o : h.sink("o0"))
        EXPECT_EQ(o.network_header_offset, eth ? 14 : 0) << text << ": " << hex(o.bytes);
    }
    // Without FORCE_IP an Ethernet file comes back byte for byte.
    if (eth) {
      const std::string text = fmt::format("e :: FromDump(\"{}\") -> o0 :: TestSink", path);
      Harness h(text, options());
      ASSERT_TRUE(h.ok()) << h.error();
      run_source(h);
      ASSERT_EQ(h.sink("o0").size(), n);
      for (std::size_t k = 0; k < n; ++k) EXPECT_EQ(h.sink("o0")[k].bytes, packets(f)[k]);
    }
  }
}

// Print writes to /dev/null while it runs.
class QuietPrint {
 public:
  QuietPrint() : f_(std::fopen("/dev/null", "w")) { elements::Print::set_output(f_); }
  ~QuietPrint() {
    elements::Print::set_output(nullptr);
    if (f_ != nullptr) std::fclose(f_);
  }
  QuietPrint(const QuietPrint&) = delete;
  QuietPrint& operator=(const QuietPrint&) = delete;

 private:
  std::FILE* f_;
};

void run_entry(const Entry& e, const TempDir& dir) {
  std::optional<QuietPrint> quiet;
  if (e.cls == "Print") quiet.emplace();
  for (const Config& c : e.configs) {
    Runner(e.cls, c, false).run();
    if (c.pull && input_is_agnostic(e.cls)) Runner(e.cls, c, true).run();
  }
  if (e.custom) e.custom(dir);
}

// FromDevice receives the Ethernet corpus from the wire: a TAP device it reads, to which the
// kernel side sends each frame through a packet socket (as root; runts are padded to 14
// bytes by the kernel). Every frame the port took must come out or be counted (FORCE_IP:
// filtered), and what comes out must be what the model says FORCE_IP keeps. Without root,
// the null port only (a fixed valid frame).
void run_from_device() {
  for (const bool force_ip : {false, true}) {
    Harness h(fmt::format("e :: FromDevice(n0, METHOD NULL, BURST 7, FORCE_IP {}) -> o0 :: "
                          "TestSink",
                          force_ip));
    ASSERT_TRUE(h.ok()) << h.error();
    h.run_tasks(10);
    EXPECT_EQ(h.sink("o0").size(), 70u);
    EXPECT_EQ(read_u64(h, "e.count"), 70u);
  }
  if (!testing::is_root()) return;
  testing::NetnsBed bed("uplhos", 1);
  ASSERT_TRUE(bed.ok());
  for (const bool force_ip : {false, true}) {
    const std::string tap = fmt::format("uhtap{}", force_ip ? 1 : 0);
    std::unique_ptr<Harness> h;
    UniqueFd sock;
    int ifindex = 0;
    {
      testing::InNetns in(bed.ns(0));
      ASSERT_TRUE(in.ok());
      h = std::make_unique<Harness>(fmt::format(
          "e :: FromDevice({}, METHOD TAP, FORCE_IP {}) -> o0 :: TestSink", tap, force_ip));
      ASSERT_TRUE(h->ok()) << h->error();
      ASSERT_TRUE(testing::sh("ip -n " + bed.ns(0) + " link set " + tap + " up"));
      sock = UniqueFd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
      ifindex = static_cast<int>(if_nametoindex(tap.c_str()));
    }
    ASSERT_TRUE(sock.valid());
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex;
    ASSERT_NE(sll.sll_ifindex, 0);
    std::size_t sent = 0;
    for (const Bytes& p : packets(Form::kEther)) {
      if (p.empty() || p.size() > 1514) continue;
      sll.sll_halen = 0;
      if (sendto(sock.get(), p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&sll),
                 sizeof(sll)) == static_cast<ssize_t>(p.size()))
        ++sent;
      if (sent % 64 == 0) h->run_tasks(2);  // keep the TAP queue (500 frames) from filling
    }
    ASSERT_GT(sent, packets(Form::kEther).size() / 2);
    const std::string where = fmt::format("FromDevice(METHOD TAP, FORCE_IP {})", force_ip);
    // Everything sent arrives on the TAP fd; take it all (bounded).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    auto taken = [&] { return read_u64(*h, "e.count") + h->drops("e", DropReason::kFiltered); };
    while (taken() < sent && std::chrono::steady_clock::now() < deadline) h->run_tasks(1);
    const auto rx = h->read("e.stats");
    EXPECT_EQ(taken(), sent) << where << ": " << rx;
    EXPECT_EQ(h->sink("o0").size(), read_u64(*h, "e.count")) << where;
    for (const OutPacket& o : h->sink("o0")) {
      if (!force_ip) continue;
      const Bytes& b = o.bytes;
      ASSERT_GE(b.size(), 15u) << where;
      const unsigned type = unsigned{b[12]} << 8 | b[13];
      EXPECT_TRUE((type == 0x0800 && (b[14] >> 4) == 4 && (b[14] & 15) >= 5 &&
                   b.size() >= 14u + (b[14] & 15) * 4u) ||
                  (type == 0x86dd && (b[14] >> 4) == 6 && b.size() >= 54))
          << where << ": FORCE_IP let through " << testing::to_hex(b);
      EXPECT_EQ(o.network_header_offset, 14) << where;
    }
    h.reset();  // closes the TAP, which takes the device with it
  }
}

std::vector<std::string> table_classes() {
  TempDir dir;
  std::vector<std::string> names;
  for (const Entry& e : table(dir)) names.push_back(e.cls);
  return names;
}

// ---------------------------------------------------------------------------------------
// Tests

TEST(HostilePackets, EveryRegisteredClassHasAnEntry) {
  TempDir dir;
  std::set<std::string> covered;
  for (const Entry& e : table(dir)) {
    EXPECT_TRUE(covered.insert(e.cls).second) << e.cls << " has two entries";
    EXPECT_TRUE(!e.configs.empty() || e.custom) << e.cls << " has an entry that runs nothing";
  }
  std::size_t registered = 0;
  for (const graph::ElementClass* c : graph::element_classes()) {
    const std::string name(c->spec->name);
    if (is_test_element(name)) continue;
    ++registered;
    EXPECT_TRUE(covered.count(name) != 0)
        << name
        << " is registered but has no entry in hostile_test.cc's table: give it a "
           "configuration (and a model of its documented behaviour) there";
  }
  EXPECT_GE(registered, 40u);
}

TEST(HostilePackets, CorpusHasWhatTheIssueAsksFor) {
  std::set<std::size_t> sizes;
  std::set<std::string> names;
  for (const Item& it : corpus()) {
    sizes.insert(it.ether.size());
    EXPECT_TRUE(names.insert(it.name).second) << "two packets named " << it.name;
  }
  for (std::size_t n : {0, 1, 13, 14, 15, 33, 34, 41}) EXPECT_TRUE(sizes.count(n)) << n;
  for (const char* n :
       {"bad-checksum", "ihl-4", "ihl-15-in-20-bytes", "version-ihl-65", "option-truncated",
        "option-record-route-full", "fragment-field-2000", "ttl-0", "ttl-1", "tcp-truncated",
        "udp-truncated", "icmp-2-bytes", "arp-runt-41", "arp-op-1-hlen-5", "arp-op-2-plen-16",
        "vlan-runt-17", "source-ffffffff", "source-e0000001", "destination-e0000005"})
    EXPECT_TRUE(names.count(n)) << n;
  std::size_t random = 0;
  for (const Item& it : corpus()) {
    random += it.name.starts_with("random-");
    EXPECT_LE(it.ether.size(), 1614u);
  }
  EXPECT_EQ(random, 200u);
}

class EveryElement : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryElement, SurvivesTheCorpusAndCountsEveryDrop) {
  const std::string cls = GetParam();
  if (graph::find_element_class(cls) == nullptr) GTEST_SKIP() << cls << " is not in this build";
  TempDir dir;
  for (const Entry& e : table(dir))
    if (e.cls == cls) run_entry(e, dir);
}

INSTANTIATE_TEST_SUITE_P(HostilePackets, EveryElement, ::testing::ValuesIn(table_classes()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// --- FromDump on cut and corrupt files ---

// The corpus as a pcap file, and where each record ends.
struct CorpusFile {
  Bytes bytes;
  std::vector<std::size_t> ends;  // offset just past each record
};
CorpusFile corpus_file() {
  CorpusFile f;
  f.bytes = pcap_header(1);
  for (const Bytes& p : packets(Form::kEther)) {
    pcap_record(f.bytes, p, static_cast<std::uint32_t>(p.size()),
                static_cast<std::uint32_t>(p.size()));
    f.ends.push_back(f.bytes.size());
  }
  return f;
}

// Cut at every offset of the file header and the first record, around the boundaries of
// every seventh record (one byte before, at, one and nine bytes after: inside the next
// record header), and at a stride through the rest: the packets before the cut come out, a
// cut inside a record counts one error, and nothing leaks.
TEST(HostileFromDump, FileCutAnywhereEndsTheTraceCleanly) {
  TempDir dir;
  const CorpusFile full = corpus_file();
  std::set<std::size_t> cuts;
  for (std::size_t k = 0; k <= 64; ++k) cuts.insert(k);
  for (std::size_t i = 0; i < full.ends.size(); i += 7)
    for (std::size_t d : {full.ends[i] - 1, full.ends[i], full.ends[i] + 1, full.ends[i] + 9})
      cuts.insert(d);
  for (std::size_t k = 64; k < full.bytes.size(); k += 4099) cuts.insert(k);
  const std::string path = dir.file("cut.pcap");
  for (std::size_t cut : cuts) {
    if (cut > full.bytes.size()) continue;
    write_file(path, prefix(full.bytes, cut));
    const std::string text =
        fmt::format("e :: FromDump(\"{}\", STOP true) -> o0 :: TestSink", path);
    Harness h(text, options(256));
    if (cut < 24) {
      // Not even a file header: a configuration error that names the file.
      EXPECT_FALSE(h.ok()) << "cut at " << cut;
      EXPECT_NE(h.error().find(path), std::string::npos) << h.error();
      continue;
    }
    ASSERT_TRUE(h.ok()) << "cut at " << cut << ": " << h.error();
    run_source(h);
    const auto whole = static_cast<std::size_t>(
        std::upper_bound(full.ends.begin(), full.ends.end(), cut) - full.ends.begin());
    const bool inside =
        cut != 24 && std::find(full.ends.begin(), full.ends.end(), cut) == full.ends.end();
    EXPECT_EQ(h.sink("o0").size(), whole) << "cut at " << cut;
    EXPECT_EQ(read_u64(h, "e.errors"), inside ? 1u : 0u) << "cut at " << cut;
    EXPECT_EQ(h.read("e.drop_reasons"), "") << "cut at " << cut;
    for (std::size_t k = 0; k < h.sink("o0").size(); ++k)
      EXPECT_EQ(h.sink("o0")[k].bytes, packets(Form::kEther)[k]) << "cut at " << cut;
  }
}

// Record headers that lie: past libpcap's limit, past the frame, longer than the packet,
// shorter than the packet, zero.
TEST(HostileFromDump, LyingRecordHeaders) {
  TempDir dir;
  const Bytes frame = corpus()[0].ether;
  const auto n = static_cast<std::uint32_t>(frame.size());
  {
    // A caplen libpcap refuses ends the trace there, counted.
    Bytes f = pcap_header(1);
    pcap_record(f, frame, n, n);
    pcap_record(f, frame, 0x7fffffff, 0x7fffffff);
    pcap_record(f, frame, n, n);
    write_file(dir.file("bogus.pcap"), f);
    Harness h("e :: FromDump(" + dir.arg("bogus.pcap") + ") -> o0 :: TestSink", options(2048));
    ASSERT_TRUE(h.ok()) << h.error();
    run_source(h);
    EXPECT_EQ(h.sink("o0").size(), 1u);
    EXPECT_EQ(read_u64(h, "e.errors"), 1u);
  }
  {
    // Bigger than a pool frame: dropped and counted (no_room); the trace goes on.
    Bytes f = pcap_header(1);
    pcap_record(f, Bytes(4000, 0x45), 4000, 4000);
    pcap_record(f, frame, n, n);
    write_file(dir.file("big.pcap"), f);
    Harness h("e :: FromDump(" + dir.arg("big.pcap") + ") -> o0 :: TestSink", options(2048));
    ASSERT_TRUE(h.ok()) << h.error();
    run_source(h);
    EXPECT_EQ(h.sink("o0").size(), 1u);
    EXPECT_EQ(h.drops("e", DropReason::kNoRoom), 1u);
    EXPECT_EQ(h.read("e.drop_reasons"), "no_room 1\n");
  }
  {
    // caplen > len: emitted at len. caplen < len: emitted cut, the rest in the extra-length
    // annotation (user_anno bytes 28-31, host order). Zero-length records: empty packets.
    Bytes f = pcap_header(1);
    pcap_record(f, frame, n, 20);
    pcap_record(f, prefix(frame, 20), 20, n);
    pcap_record(f, {}, 0, 0);
    pcap_record(f, {}, 0, 1500);
    write_file(dir.file("lengths.pcap"), f);
    Harness h("e :: FromDump(" + dir.arg("lengths.pcap") +
                  ", FORCE_IP true) -> o0 :: TestSink;"
                  "e[1] -> o1 :: TestSink",
              options(2048));
    ASSERT_TRUE(h.ok()) << h.error();
    run_source(h);
    EXPECT_EQ(read_u64(h, "e.errors"), 0u);
    // None of them holds a whole IP header: all to output 1.
    EXPECT_EQ(h.sink("o0").size(), 0u);
    ASSERT_EQ(h.sink("o1").size(), 4u);
    EXPECT_EQ(h.sink("o1")[0].bytes, prefix(frame, 20));
    EXPECT_EQ(h.sink("o1")[1].bytes, prefix(frame, 20));
    std::uint32_t extra;
    std::memcpy(&extra, &h.sink("o1")[1].user_anno[28], 4);
    EXPECT_EQ(extra, n - 20);
    EXPECT_TRUE(h.sink("o1")[2].bytes.empty());
    std::memcpy(&extra, &h.sink("o1")[3].user_anno[28], 4);
    EXPECT_EQ(extra, 1500u);
  }
}

TEST(HostileFromDump, FilesThatAreNotTracesAreErrorsNamingTheFile) {
  TempDir dir;
  const std::vector<std::pair<std::string, Bytes>> files{
      {"empty", {}},
      {"short-header", prefix(pcap_header(1), 10)},
      {"garbage", Bytes(64, 0x5a)},
      {"gzip",
       {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"text", {'h', 'e', 'l', 'l', 'o', '\n'}},
  };
  for (const auto& [name, bytes] : files) {
    write_file(dir.file(name), bytes);
    Harness h("e :: FromDump(" + dir.arg(name) + ") -> o0 :: TestSink", options(2048));
    EXPECT_FALSE(h.ok()) << name;
    EXPECT_NE(h.error().find(dir.file(name)), std::string::npos) << name << ": " << h.error();
  }
  Harness h("e :: FromDump(" + dir.arg("does-not-exist") + ") -> o0 :: TestSink", options(2048));
  EXPECT_FALSE(h.ok());
  EXPECT_NE(h.error().find("does-not-exist"), std::string::npos) << h.error();
}

// ToDump writes the corpus; FromDump reads it back byte for byte; a SNAPLEN cut comes back
// cut, with the rest in the extra-length annotation.
TEST(HostileToDump, CorpusRoundTrips) {
  TempDir dir;
  const std::vector<Bytes>& pkts = packets(Form::kEther);
  {
    Harness h("in :: TestSource -> a :: ToDump(" + dir.arg("all.pcap") + ") -> b :: ToDump(" +
                  dir.arg("cut.pcap") + ", SNAPLEN 60) -> o0 :: TestSink",
              options());
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("in", pkts);
    EXPECT_EQ(h.sink("o0").size(), pkts.size());
    EXPECT_EQ(read_u64(h, "a.count"), pkts.size());
    EXPECT_EQ(read_u64(h, "b.count"), pkts.size());
  }  // flushed and closed
  for (const char* name : {"all.pcap", "cut.pcap"}) {
    const bool cut = std::string_view(name) == "cut.pcap";
    Harness h("e :: FromDump(" + dir.arg(name) + ") -> o0 :: TestSink", options());
    ASSERT_TRUE(h.ok()) << h.error();
    run_source(h);
    ASSERT_EQ(h.sink("o0").size(), pkts.size()) << name;
    EXPECT_EQ(read_u64(h, "e.errors"), 0u) << name;
    for (std::size_t k = 0; k < pkts.size(); ++k) {
      const OutPacket& o = h.sink("o0")[k];
      EXPECT_EQ(o.bytes, cut ? prefix(pkts[k], 60) : pkts[k]) << name << " " << corpus()[k].name;
      std::uint32_t extra;
      std::memcpy(&extra, &o.user_anno[28], 4);
      EXPECT_EQ(extra, cut && pkts[k].size() > 60 ? pkts[k].size() - 60 : 0u) << name;
    }
  }
}

// --- whole graphs ---

// Pushes the corpus in form f with mode m's annotations: once in batches, then packet by
// packet with each packet's tailroom poisoned. Returns how many packets went in.
std::uint64_t push_twice(Harness& h, Form f, Mode m, const std::function<void()>& after_each = {}) {
  const std::vector<Bytes>& pkts = packets(f);
  std::size_t i = 0;
  h.push("in", pkts, [&](mem::Packet& p) { apply(p, anno_for(pkts[i++], f, m)); });
  if (after_each) after_each();
  for (const Bytes& b : pkts) {
    TailPoison tails;
    h.push("in", {b}, [&](mem::Packet& p) {
      apply(p, anno_for(b, f, m));
      tails.poison(p);
    });
    if (after_each) after_each();
  }
  return 2 * pkts.size();
}

// An IP path of elements that neither make nor keep packets: every packet of the corpus, in
// every annotation mode, ends in exactly one sink or one drop counter of one element.
TEST(HostileGraph, EveryPacketEndsInASinkOrADropCounter) {
  const std::string text =
      "in :: TestSource -> c :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);\n"
      "c[0] -> ar :: ARPResponder(10.0.0.0/24 00:00:00:00:00:01) -> arp :: TestSink;\n"
      "ar[1] -> arp_other :: TestSink;\n"
      "c[1] -> replies :: TestSink;\n"
      "c[2] -> Strip(14) -> CheckIPHeader(INTERFACES 10.0.0.1/24) -> GetIPAddress(16)\n"
      "  -> rt :: RadixIPLookup(10.0.0.1/32 0, 10.0.0.0/24 1, 0/0 10.0.0.254 1);\n"
      "c[3] -> other :: TestSink;\n"
      "rt[0] -> local :: TestSink;\n"
      "rt[1] -> dt :: DecIPTTL -> SetIPChecksum -> VLANEncap(VLAN_ID 3) -> VLANDecap\n"
      "  -> EtherEncap(0x0800, 00:00:00:00:00:01, 00:00:00:00:00:02) -> out :: TestSink;\n"
      "dt[1] -> expired :: TestSink;\n";
  Harness h(text, options());
  ASSERT_TRUE(h.ok()) << h.error();
  std::uint64_t in = 0;
  for (Mode m : kModes) in += push_twice(h, Form::kEther, m);
  std::uint64_t out = 0, drops = 0;
  for (const auto& e : h.router().elements()) {
    if (e->class_name() == "TestSink") out += h.sink(e->name()).size();
    drops += sum(read_drops(h, e->name()));
  }
  EXPECT_EQ(out + drops, in) << "sinks " << out << ", drops " << drops;
  EXPECT_GT(h.sink("out").size(), 0u);
  EXPECT_GT(h.sink("local").size(), 0u);
  EXPECT_GT(h.sink("expired").size(), 0u);
  EXPECT_GT(h.sink("arp").size(), 0u);
  // What leaves for the wire is a well-formed IPv4 packet in an Ethernet header.
  for (const OutPacket& o : h.sink("out")) {
    ASSERT_GE(o.bytes.size(), 34u);
    EXPECT_EQ(get16(&o.bytes[12]), 0x0800u);
    const std::size_t hlen = (o.bytes[14] & 0x0fu) * 4;
    EXPECT_TRUE(checksum_ok(&o.bytes[14], hlen)) << hex(o.bytes);
    EXPECT_EQ(get16(&o.bytes[16]) + 14u, o.bytes.size()) << hex(o.bytes);
  }
}

// A Click IP router with ICMP errors, fragmentation, ARP and an output queue, fed the
// corpus: nothing crashes, the queue drains, and the leak check passes with the ARP table
// still holding packets.
TEST(HostileGraph, IpRouterSurvivesTheCorpus) {
  const std::string text =
      "in :: TestSource -> c :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);\n"
      "q :: Queue(4096) -> tx :: TestSink;\n"
      "c[0] -> ARPResponder(10.0.0.1 00:00:00:00:00:01) -> q;\n"
      "c[1] -> [1]arpq :: ARPQuerier(10.0.0.1/24, 00:00:00:00:00:01);\n"
      "c[2] -> Strip(14) -> CheckIPHeader(INTERFACES 10.0.0.1/24) -> GetIPAddress(16)\n"
      "  -> rt :: StaticIPLookup(10.0.0.1/32 0, 10.0.0.0/24 1, 0/0 10.0.0.254 1);\n"
      "c[3] -> Discard;\n"
      "rt[0] -> local :: TestSink;\n"
      "rt[1] -> dt :: DecIPTTL -> fr :: IPFragmenter(576) -> [0]arpq;\n"
      "dt[1] -> ICMPError(10.0.0.1, timeexceeded) -> rt;\n"
      "fr[1] -> ICMPError(10.0.0.1, unreachable, needfrag, PMTU 576) -> rt;\n"
      "arpq -> q;\n";
  Harness h(text, options());
  ASSERT_TRUE(h.ok()) << h.error();
  auto drain = [&] {
    for (int guard = 0; guard < 1000 && read_u64(h, "q.length") != 0; ++guard)
      (void)h.pull("tx", 32);
  };
  for (Form f : kForms) {
    for (Mode m : kModes) {
      push_twice(h, f, m, drain);
      EXPECT_EQ(read_u64(h, "q.length"), 0u);
      EXPECT_EQ(h.read("q.drop_reasons"), "");
    }
  }
  EXPECT_GT(h.sink("tx").size(), 0u);
  EXPECT_GT(h.sink("local").size(), 0u);
  EXPECT_GT(read_u64(h, "arpq.length"), 0u);
}

// --- regressions ---

// ARPQuerier learned from any reply, 0.0.0.0 and broadcast or group senders included, and
// looked in its table before handling the special destinations; so one forged reply from
// 0.0.0.0 sent every packet without a destination annotation to the forger's address, and
// a reply from 255.255.255.255 or a group address turned broadcast or multicast into
// unicast. The corpus packet that found it: arp-reply-from-0.0.0.0.
TEST(HostileArp, ForgedRepliesDoNotRedirectSpecialDestinations) {
  Harness h(
      "in :: TestSource -> [0]e :: ARPQuerier(10.0.0.1/24, 00:00:00:00:00:01);\n"
      "in1 :: TestSource -> [1]e;\ne[0] -> o0 :: TestSink;\ne[1] -> o1 :: TestSink;\n",
      options(2048));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes forger{0, 0, 0, 0, 0, 0x66};
  for (std::uint32_t spa :
       {0u, 0xffffffffu, ip4(10, 0, 0, 255), ip4(224, 0, 0, 5), ip4(10, 0, 0, 7)}) {
    Arp reply;
    reply.op = 2;
    reply.sha = forger;
    reply.spa = spa;
    reply.tha = kMacB;
    reply.tpa = ip4(10, 0, 0, 1);
    h.push("in1", {ether(kMacB, forger, 0x0806, reply.build())});
  }
  EXPECT_EQ(h.read("e.drop_reasons"), "");
  EXPECT_EQ(read_u64(h, "e.count"), 5u);  // learned, but must not be used for these:
  const Bytes d = corpus()[0].ip;
  const std::vector<std::pair<std::uint32_t, Bytes>> cases{
      {0xffffffffu, kMacBcast},
      {ip4(10, 0, 0, 255), kMacBcast},
      {ip4(224, 0, 0, 5), kMacMcast},
      {ip4(10, 0, 0, 7), forger},  // an ordinary address: the reply is believed
  };
  for (const auto& [dst, mac] : cases) {
    h.clear_sinks();
    h.push("in", {d},
           [dst = dst](mem::Packet& p) { p.set_dst_ip_anno_raw(__builtin_bswap32(dst)); });
    ASSERT_EQ(h.sink("o0").size(), 1u) << fmt::format("{:08x}", dst);
    EXPECT_EQ(prefix(h.sink("o0")[0].bytes, 6), mac) << fmt::format("{:08x}", dst);
  }
  h.clear_sinks();
  h.push("in", {d});  // no destination annotation: 0.0.0.0
  EXPECT_EQ(h.sink("o0").size(), 0u);
  EXPECT_EQ(h.read("e.drop_reasons"), "no_route 1\n");
}

}  // namespace
}  // namespace uplane::hostile
