// Fuzz target: the IPFilter/IPClassifier pattern language and Classifier patterns.
//
// The input is text, one pattern per line. Each line is compiled as an IP expression, and
// the lines together as IPFilter rules, IPClassifier patterns and Classifier patterns.
// Whatever compiles classifies a few fixed packets (whole, truncated, fragmented, with
// options, with a bad IHL). Compiling must never crash; errors must say something; and the
// optimized program, the plain program and direct evaluation of the expression must agree
// on every packet.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "elements/classify/classifier.h"
#include "elements/classify/classify_program.h"
#include "elements/classify/ip_filter_parser.h"

namespace {

using uplane::elements::Classifier;
using namespace uplane::elements::classify;
using Bytes = std::vector<std::uint8_t>;
using uplane::Result;

void check(bool ok) {
  if (!ok) std::abort();
}

// Ethernet (14 bytes) + IPv4 10.0.0.1 -> 10.0.0.2, protocol `proto`, then `l4`.
Bytes packet(std::uint8_t proto, Bytes l4, std::uint16_t frag = 0, Bytes options = {}) {
  Bytes b = {0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00};
  const auto hl = static_cast<std::uint8_t>(20 + options.size());
  const auto total = static_cast<std::uint16_t>(hl + l4.size());
  Bytes ip = {static_cast<std::uint8_t>(0x40 | (hl / 4)),
              0xb9,
              static_cast<std::uint8_t>(total >> 8),
              static_cast<std::uint8_t>(total),
              0x12,
              0x34,
              static_cast<std::uint8_t>(frag >> 8),
              static_cast<std::uint8_t>(frag),
              64,
              proto,
              0,
              0,
              10,
              0,
              0,
              1,
              10,
              0,
              0,
              2};
  b.insert(b.end(), ip.begin(), ip.end());
  b.insert(b.end(), options.begin(), options.end());
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

const std::vector<Bytes>& packets() {
  static const std::vector<Bytes> kPackets = [] {
    const Bytes tcp = {0x04, 0xd2, 0x00, 0x50, 0,    0,    0, 1, 0, 0,
                       0,    0,    0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0};
    const Bytes udp = {0x14, 0xe9, 0x00, 0x35, 0, 8, 0, 0};
    const Bytes icmp = {8, 0, 0, 0, 0, 7, 0, 1};
    std::vector<Bytes> v;
    v.push_back(packet(6, tcp));
    v.push_back(packet(17, udp));
    v.push_back(packet(1, icmp));
    v.push_back(packet(6, tcp, 0x2000));            // first fragment
    v.push_back(packet(6, tcp, 0x0003));            // later fragment
    v.push_back(packet(17, udp, 0, {1, 1, 1, 0}));  // IP options
    v.push_back(packet(50, {1, 2, 3, 4}));
    Bytes cut = packet(6, tcp);
    cut.resize(14 + 20 + 3);  // 3 bytes of TCP header
    v.push_back(cut);
    cut.resize(14 + 9);  // inside the IP header
    v.push_back(cut);
    Bytes bad_ihl = packet(6, tcp);
    bad_ihl[14] = 0x4f;
    v.push_back(bad_ihl);
    v.push_back(Bytes{0x08});
    v.push_back(Bytes{});
    return v;
  }();
  return kPackets;
}

// The element's windows, with the IP header at byte 14 (or none for runts).
struct Windows {
  Window w[kBaseCount];
  explicit Windows(const Bytes& b) {
    w[0] = Window{b.data(), static_cast<std::uint32_t>(b.size())};
    if (b.size() <= 14) return;
    const auto net = static_cast<std::uint32_t>(b.size() - 14);
    w[0].length = 14;
    w[1] = Window{b.data() + 14, net};
    const std::uint32_t hl = (b[14] & 0x0fu) * 4u;
    if (hl <= net) w[2] = Window{b.data() + 14 + hl, net - hl};
  }
};

void expression(std::string_view line) {
  ExprBuilder b;
  Result<ExprBuilder::Id> e = parse_ip_expression(line, b);
  if (!e.is_ok()) {
    check(!e.status().message().empty());
    return;
  }
  const Program opt = compile_rules(b, {{*e, 0}}, true);
  const Program plain = compile_rules(b, {{*e, 0}}, false);
  check(opt.insns().size() <= plain.insns().size());
  (void)opt.unparse(false);
  for (const Bytes& p : packets()) {
    const Windows w(p);
    const bool direct = b.evaluate(*e, w.w);
    check((opt.match(w.w) == 0) == direct);
    check((plain.match(w.w) == 0) == direct);
  }
}

// Classifier tests the packet from its first byte; the IP elements as Windows says.
void classify_all(const Program& p, std::int32_t results, bool ip) {
  (void)p.unparse(!ip);
  for (const Bytes& b : packets()) {
    Windows w(b);
    if (!ip) w.w[0].length = static_cast<std::uint32_t>(b.size());
    const std::int32_t r = p.match(w.w);
    check(r == kNoMatch || (r >= 0 && r < results));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8192) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size() && lines.size() < 32) {
    const std::size_t nl = text.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    lines.emplace_back(text.substr(start, end - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }

  for (const std::string& line : lines) expression(line);

  const auto n = static_cast<std::int32_t>(lines.size());
  if (Result<IpProgram> f = compile_ip_filter(lines, 3); f.is_ok()) {
    classify_all(f->program, 3, true);
  } else {
    check(!f.status().message().empty());
  }
  if (Result<IpProgram> c = compile_ip_classifier(lines); c.is_ok()) {
    classify_all(c->program, n, true);
  } else {
    check(!c.status().message().empty());
  }
  std::vector<std::string> warnings;
  if (Result<Program> c = Classifier::compile(lines, &warnings); c.is_ok()) {
    classify_all(*c, n, false);
  } else {
    check(!c.status().message().empty());
  }
  return 0;
}
