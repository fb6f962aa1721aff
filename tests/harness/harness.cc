#include "harness.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "base/cpu.h"
#include "graph/registry.h"
#include "graph/task.h"
#include "graph/worker.h"
#include "net/arp.h"
#include "net/checksum.h"
#include "net/ether.h"
#include "net/ipv4.h"
#include "net/l4.h"

namespace uplane::testing {

using graph::Batch;
using graph::Element;
using graph::ElementSpec;
using mem::Packet;

// --- test elements ---

class TestSource final : public Element {
 public:
  static constexpr ElementSpec kSpec{.name = "TestSource", .ports = "0/1", .processing = "a/a"};
  void emit(Batch& b) { output_push(0, b); }
  void pull(int, Batch& out, std::uint32_t max) noexcept override {
    while (max-- > 0 && !stored_.empty()) {
      (void)out.push_back(stored_.front());
      stored_.erase(stored_.begin());
    }
  }
  void cleanup() noexcept override {
    for (Packet* p : stored_) mem::free_packet(p);
    stored_.clear();
  }
  std::vector<Packet*> stored_;
};
UPLANE_REGISTER_ELEMENT(TestSource);

class TestSink final : public Element {
 public:
  static constexpr ElementSpec kSpec{.name = "TestSink", .ports = "1/0", .processing = "a/a"};
  void push(int, Batch& b) noexcept override {
    for (Packet* p : b.packets()) keep(p);
    b.clear();
  }
  std::size_t pull_once(std::uint32_t max) {
    Batch b;
    input_pull(0, b, max);
    const std::size_t n = b.size();
    for (Packet* p : b.packets()) keep(p);
    return n;
  }
  void keep(Packet* p) {
    OutPacket o;
    o.bytes.assign(p->data(), p->data() + p->length());
    o.dst_ip_anno = p->dst_ip_anno_raw();
    o.paint = p->paint();
    o.network_header_offset = p->network_header_offset();
    o.vlan_tci = p->vlan_tci();
    o.packet_type = p->packet_type();
    o.flow_hash = p->flow_hash();
    o.user_anno.assign(p->user_anno(), p->user_anno() + Packet::kUserAnnoBytes);
    got_.push_back(std::move(o));
    mem::free_packet(p);
  }
  std::vector<OutPacket> got_;
};
UPLANE_REGISTER_ELEMENT(TestSink);

// --- hex ---

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  int nibble = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(nibble << 4 | v));
      nibble = -1;
    }
  }
  return out;
}

std::string to_hex(const std::vector<std::uint8_t>& bytes) {
  std::string s;
  for (std::uint8_t b : bytes) s += fmt::format("{:02x}", b);
  return s;
}

// --- PacketSpec ---

namespace {
void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
std::uint16_t get16(const std::vector<std::uint8_t>& b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
void append(std::vector<std::uint8_t>& b, const void* p, std::size_t n) {
  const auto* c = static_cast<const std::uint8_t*>(p);
  b.insert(b.end(), c, c + n);
}
net::EtherAddr eth_addr(std::string_view s) {
  auto r = net::EtherAddr::parse(s);
  if (!r.is_ok()) throw std::invalid_argument(std::string(s));
  return *r;
}
net::Ipv4Addr ip_addr(std::string_view s) {
  auto r = net::Ipv4Addr::parse(s);
  if (!r.is_ok()) throw std::invalid_argument(std::string(s));
  return *r;
}
}  // namespace

std::uint32_t raw_ip(std::string_view dotted) { return ip_addr(dotted).value.raw(); }

void mark_ip(mem::Packet& p) { p.set_network_header(p.data()); }

Bytes ramp(std::size_t n, std::uint8_t first) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(first + i);
  return b;
}

std::vector<int> first_bytes(const std::vector<OutPacket>& got) {
  std::vector<int> v;
  for (const auto& o : got) v.push_back(o.bytes.empty() ? -1 : o.bytes[0]);
  return v;
}

PacketSpec::Layer* PacketSpec::last(Layer::Kind k) {
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it)
    if (it->kind == k) return &*it;
  return nullptr;
}

PacketSpec& PacketSpec::eth(std::string_view dst, std::string_view src) {
  Layer l{Layer::kEth, {}};
  net::EtherAddr d = eth_addr(dst), s = eth_addr(src);
  append(l.b, &d, 6);
  append(l.b, &s, 6);
  l.b.push_back(0);
  l.b.push_back(0);
  layers_.push_back(std::move(l));
  return *this;
}
PacketSpec& PacketSpec::vlan(std::uint16_t tci) {
  Layer l{Layer::kVlan, {0, 0, 0, 0}};
  put16(l.b, 0, tci);
  layers_.push_back(std::move(l));
  return *this;
}
PacketSpec& PacketSpec::ether_type(std::uint16_t t) {
  forced_ether_type_ = t;
  return *this;
}
PacketSpec& PacketSpec::ipv4(std::string_view src, std::string_view dst) {
  Layer l{Layer::kIpv4, std::vector<std::uint8_t>(20, 0)};
  l.b[0] = 0x45;
  l.b[8] = 64;
  net::Ipv4Addr s = ip_addr(src), d = ip_addr(dst);
  std::memcpy(&l.b[12], &s, 4);
  std::memcpy(&l.b[16], &d, 4);
  layers_.push_back(std::move(l));
  return *this;
}
PacketSpec& PacketSpec::ttl(std::uint8_t t) {
  last(Layer::kIpv4)->b[8] = t;
  return *this;
}
PacketSpec& PacketSpec::tos(std::uint8_t t) {
  last(Layer::kIpv4)->b[1] = t;
  return *this;
}
PacketSpec& PacketSpec::ip_id(std::uint16_t id) {
  put16(last(Layer::kIpv4)->b, 4, id);
  return *this;
}
PacketSpec& PacketSpec::frag(std::uint16_t f) {
  put16(last(Layer::kIpv4)->b, 6, f);
  return *this;
}
PacketSpec& PacketSpec::ip_options(std::vector<std::uint8_t> opts) {
  Layer* ip = last(Layer::kIpv4);
  ip->b.insert(ip->b.end(), opts.begin(), opts.end());
  ip->b[0] = static_cast<std::uint8_t>(0x40 | ((ip->b.size() / 4) & 0x0f));
  return *this;
}
PacketSpec& PacketSpec::ip_proto(std::uint8_t p) {
  forced_ip_proto_ = p;
  return *this;
}
PacketSpec& PacketSpec::bad_ip_checksum() {
  bad_ip_checksum_ = true;
  return *this;
}
PacketSpec& PacketSpec::ip_total_length(std::uint16_t len) {
  ip_total_length_ = len;
  return *this;
}
PacketSpec& PacketSpec::udp(std::uint16_t sport, std::uint16_t dport) {
  Layer l{Layer::kUdp, std::vector<std::uint8_t>(8, 0)};
  put16(l.b, 0, sport);
  put16(l.b, 2, dport);
  layers_.push_back(std::move(l));
  return *this;
}
PacketSpec& PacketSpec::tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags) {
  Layer l{Layer::kTcp, std::vector<std::uint8_t>(20, 0)};
  put16(l.b, 0, sport);
  put16(l.b, 2, dport);
  l.b[12] = 0x50;
  l.b[13] = flags;
  put16(l.b, 14, 65535);
  layers_.push_back(std::move(l));
  return *this;
}
PacketSpec& PacketSpec::icmp(std::uint8_t type, std::uint8_t code) {
  Layer l{Layer::kIcmp, std::vector<std::uint8_t>(8, 0)};
  l.b[0] = type;
  l.b[1] = code;
  layers_.push_back(std::move(l));
  return *this;
}
PacketSpec& PacketSpec::arp(std::uint16_t op, std::string_view sha, std::string_view spa,
                            std::string_view tha, std::string_view tpa) {
  Layer l{Layer::kArp, {0, 1, 0x08, 0x00, 6, 4, 0, 0}};
  put16(l.b, 6, op);
  net::EtherAddr s = eth_addr(sha), t = eth_addr(tha);
  net::Ipv4Addr sp = ip_addr(spa), tp = ip_addr(tpa);
  append(l.b, &s, 6);
  append(l.b, &sp, 4);
  append(l.b, &t, 6);
  append(l.b, &tp, 4);
  layers_.push_back(std::move(l));
  return *this;
}
PacketSpec& PacketSpec::payload(std::vector<std::uint8_t> bytes) {
  layers_.push_back(Layer{Layer::kPayload, std::move(bytes)});
  return *this;
}
PacketSpec& PacketSpec::payload_size(std::size_t n) {
  std::vector<std::uint8_t> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i);
  return payload(std::move(b));
}

std::vector<std::uint8_t> PacketSpec::bytes() const {
  // Fill in each layer's "next type" field from the layer after it.
  std::vector<Layer> ls = layers_;
  for (std::size_t i = 0; i < ls.size(); ++i) {
    const Layer::Kind next = i + 1 < ls.size() ? ls[i + 1].kind : Layer::kPayload;
    if (ls[i].kind == Layer::kEth || ls[i].kind == Layer::kVlan) {
      const std::size_t at = ls[i].kind == Layer::kEth ? 12 : 2;
      std::uint16_t t = get16(ls[i].b, at);
      if (next == Layer::kVlan) t = 0x8100;
      if (next == Layer::kIpv4) t = 0x0800;
      if (next == Layer::kArp) t = 0x0806;
      put16(ls[i].b, at, t);
    }
    if (ls[i].kind == Layer::kIpv4) {
      if (next == Layer::kUdp) ls[i].b[9] = 17;
      if (next == Layer::kTcp) ls[i].b[9] = 6;
      if (next == Layer::kIcmp) ls[i].b[9] = 1;
      if (forced_ip_proto_ >= 0) ls[i].b[9] = static_cast<std::uint8_t>(forced_ip_proto_);
    }
  }
  if (forced_ether_type_ >= 0) {
    for (auto it = ls.rbegin(); it != ls.rend(); ++it) {
      if (it->kind == Layer::kEth || it->kind == Layer::kVlan) {
        put16(it->b, it->kind == Layer::kEth ? 12 : 2, static_cast<std::uint16_t>(forced_ether_type_));
        break;
      }
    }
  }
  // Lengths and checksums, innermost first.
  std::size_t ip_at = ls.size();
  for (std::size_t i = 0; i < ls.size(); ++i)
    if (ls[i].kind == Layer::kIpv4) ip_at = i;
  if (ip_at < ls.size()) {
    std::size_t after = 0;
    for (std::size_t i = ip_at + 1; i < ls.size(); ++i) after += ls[i].b.size();
    std::vector<std::uint8_t>& ip = ls[ip_at].b;
    const std::size_t total = ip.size() + after;
    put16(ip, 2, ip_total_length_ >= 0 ? static_cast<std::uint16_t>(ip_total_length_)
                                       : static_cast<std::uint16_t>(total));
    // L4 checksum over the L4 header and everything after it.
    if (ip_at + 1 < ls.size()) {
      std::vector<std::uint8_t> l4;
      for (std::size_t i = ip_at + 1; i < ls.size(); ++i)
        l4.insert(l4.end(), ls[i].b.begin(), ls[i].b.end());
      Layer& h = ls[ip_at + 1];
      net::Ipv4Addr s, d;
      std::memcpy(&s, &ip[12], 4);
      std::memcpy(&d, &ip[16], 4);
      if (h.kind == Layer::kUdp) {
        put16(h.b, 4, static_cast<std::uint16_t>(l4.size()));
        put16(l4, 4, static_cast<std::uint16_t>(l4.size()));
        net::be16_t c = net::udp_wire_checksum(net::l4_checksum(s, d, 17, l4));
        std::memcpy(&h.b[6], &c, 2);
      } else if (h.kind == Layer::kTcp) {
        net::be16_t c = net::l4_checksum(s, d, 6, l4);
        std::memcpy(&h.b[16], &c, 2);
      } else if (h.kind == Layer::kIcmp) {
        net::be16_t c = net::internet_checksum(l4);
        std::memcpy(&h.b[2], &c, 2);
      }
    }
    ip[10] = ip[11] = 0;
    net::be16_t c = net::internet_checksum(ip);
    std::memcpy(&ip[10], &c, 2);
    if (bad_ip_checksum_) ip[11] ^= 0x5a;
  }
  std::vector<std::uint8_t> out;
  for (const Layer& l : ls) out.insert(out.end(), l.b.begin(), l.b.end());
  return out;
}

// --- Harness ---

std::string config_error(std::string_view config) {
  auto flat = graph::parse_config(config, "test.click");
  if (!flat.is_ok()) return flat.status().message();
  auto r = graph::Router::create(*flat, Harness::small_options());
  return r.is_ok() ? std::string() : r.status().message();
}

std::function<std::string(std::string_view)> config_error_of(std::string_view element_class) {
  return [cls = std::string(element_class)](std::string_view args) {
    return config_error(fmt::format("in :: TestSource -> {}({}) -> out :: TestSink", cls, args));
  };
}

std::string output_sinks(std::string_view element, int n) {
  std::string c;
  for (int i = 0; i < n; ++i) c += fmt::format(" {}[{}] -> o{} :: TestSink;", element, i, i);
  return c;
}

std::vector<std::size_t> sink_counts(Harness& h, int n) {
  std::vector<std::size_t> v;
  for (int i = 0; i < n; ++i) v.push_back(h.sink("o" + std::to_string(i)).size());
  return v;
}

Harness::Harness(std::string_view config, graph::RouterOptions options) {
  auto flat = graph::parse_config(config, "test.click");
  if (!flat.is_ok()) {
    error_ = flat.status().message();
    return;
  }
  auto r = graph::Router::create(*flat, std::move(options));
  if (!r.is_ok()) {
    error_ = r.status().message();
    return;
  }
  router_ = std::move(r).value();
}

Harness::~Harness() {
  if (router_ == nullptr) return;
  Status leaks = router_->cleanup_and_check_leaks();
  EXPECT_TRUE(leaks.is_ok()) << leaks.message();
}

static TestSource* source_of(graph::Router& r, std::string_view name) {
  auto* s = dynamic_cast<TestSource*>(r.find(name));
  if (s == nullptr) ADD_FAILURE() << "no TestSource named " << name;
  return s;
}
static TestSink* sink_of(graph::Router& r, std::string_view name) {
  auto* s = dynamic_cast<TestSink*>(r.find(name));
  if (s == nullptr) ADD_FAILURE() << "no TestSink named " << name;
  return s;
}

static Packet* make_packet(mem::PacketPool& pool, const std::vector<std::uint8_t>& bytes) {
  Packet* p = pool.alloc();
  if (p == nullptr) {
    ADD_FAILURE() << "test pool is empty";
    return nullptr;
  }
  if (!p->assign(bytes.data(), static_cast<std::uint32_t>(bytes.size()), pool.headroom())) {
    ADD_FAILURE() << "packet of " << bytes.size() << " bytes does not fit a frame";
    pool.free(p);
    return nullptr;
  }
  return p;
}

void Harness::push(std::string_view source, const std::vector<std::vector<std::uint8_t>>& packets,
                   const std::function<void(mem::Packet&)>& annotate) {
  TestSource* s = source_of(*router_, source);
  if (s == nullptr) return;
  Batch b;
  for (const auto& bytes : packets) {
    Packet* p = make_packet(router_->pool(), bytes);
    if (p == nullptr) continue;
    if (annotate) annotate(*p);
    (void)b.push_back(p);
    if (b.full()) {
      s->emit(b);
      b.clear();
    }
  }
  if (!b.empty()) s->emit(b);
}

void Harness::load(std::string_view source, const std::vector<std::vector<std::uint8_t>>& packets) {
  TestSource* s = source_of(*router_, source);
  if (s == nullptr) return;
  for (const auto& bytes : packets)
    if (Packet* p = make_packet(router_->pool(), bytes)) s->stored_.push_back(p);
}

std::size_t Harness::pull(std::string_view sink, std::uint32_t max) {
  TestSink* s = sink_of(*router_, sink);
  return s == nullptr ? 0 : s->pull_once(std::min<std::uint32_t>(max, Batch::kMax));
}

bool Harness::run_tasks(int rounds) {
  bool any = false;
  for (int i = 0; i < rounds; ++i) {
    for (const auto& e : router_->elements())
      for (graph::Task* t : e->tasks())
        if (t->scheduled()) any |= e->run_task(*t);
    for (int w = 0; w < router_->nthreads(); ++w) (void)router_->worker(w).run_timers(now_ns());
  }
  return any;
}

const std::vector<OutPacket>& Harness::sink(std::string_view sink) {
  static const std::vector<OutPacket> kEmpty;
  TestSink* s = sink_of(*router_, sink);
  return s == nullptr ? kEmpty : s->got_;
}

void Harness::clear_sinks() {
  for (const auto& e : router_->elements())
    if (auto* s = dynamic_cast<TestSink*>(e.get())) s->got_.clear();
}

std::uint64_t Harness::drops(std::string_view element, graph::DropReason r) {
  Element* e = router_->find(element);
  if (e == nullptr) {
    ADD_FAILURE() << "no element named " << element;
    return 0;
  }
  return e->drops(r);
}

std::string Harness::read(std::string_view spec) {
  auto r = router_->read_handler(spec);
  return r.is_ok() ? *r : "ERROR: " + r.status().message();
}

Status Harness::write(std::string_view spec, std::string_view value) {
  return router_->write_handler(spec, value);
}

std::size_t Harness::frames_outstanding() { return router_->pool().frames_outstanding().size(); }

}  // namespace uplane::testing
