#pragma once
// The element test harness: run a configuration on the test's own thread, feed it packets,
// and see what came out of each port.
//
//   Harness h("in :: TestSource -> ttl :: DecIPTTL -> out :: TestSink; ttl[1] -> exp :: TestSink");
//   ASSERT_TRUE(h.ok()) << h.error();
//   h.push("in", {PacketSpec().eth().ipv4().ttl(1).udp(53, 53).bytes()});
//   EXPECT_EQ(h.sink("exp").size(), 1u);
//   EXPECT_EQ(h.drops("ttl", DropReason::kTtlExpired), 0u);
//
// Test elements (registered only in test binaries that link this library):
//   TestSource       0/1 push or pull ("a"): h.push() pushes a batch into its output; when
//                    pulled, it hands out what h.load() stored.
//   TestSink         1/0 push or pull: keeps every packet pushed to it (copied out as
//                    bytes plus annotations, the packet freed); when its input is pull, h.pull()
//                    pulls from it.
// Element tests say `using namespace testing;` in their anonymous namespace and use these
// names (Bytes, PacketSpec, raw_ip, config_error_of, ...) unqualified.
// No worker threads run unless run_for() is called; tasks can be run by hand with
// run_tasks(). The destructor checks that no packet was leaked (the pool's leak check),
// failing the current test if one was.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graph/element.h"
#include "graph/router.h"

namespace uplane::testing {

// A packet's bytes, as tests build and compare them.
using Bytes = std::vector<std::uint8_t>;

// A packet as it came out: its bytes and the annotations tests look at.
struct OutPacket {
  std::vector<std::uint8_t> bytes;
  std::uint32_t dst_ip_anno = 0;  // network order, as Packet stores it
  std::uint8_t paint = 0;
  std::int32_t network_header_offset = -1;
  std::uint16_t vlan_tci = 0;
  mem::PacketType packet_type = mem::PacketType::kHost;
  std::uint32_t flow_hash = 0;
  std::vector<std::uint8_t> user_anno;
};

// Builds test packets byte by byte. Fields not set take the defaults shown.
class PacketSpec {
 public:
  // Ethernet: dst 00:00:00:00:00:02, src 00:00:00:00:00:01, type set by what follows.
  PacketSpec& eth(std::string_view dst = "00:00:00:00:00:02",
                  std::string_view src = "00:00:00:00:00:01");
  PacketSpec& vlan(std::uint16_t tci);  // an 802.1Q tag after the Ethernet header
  PacketSpec& ether_type(std::uint16_t t);  // override the last Ethernet/VLAN type
  // IPv4: 10.0.0.1 -> 10.0.0.2, ttl 64, id 0, no options; length and checksum filled by
  // bytes() unless overridden.
  PacketSpec& ipv4(std::string_view src = "10.0.0.1", std::string_view dst = "10.0.0.2");
  PacketSpec& ttl(std::uint8_t t);
  PacketSpec& tos(std::uint8_t t);
  PacketSpec& ip_id(std::uint16_t id);
  PacketSpec& frag(std::uint16_t frag_off_field);  // the whole 16-bit flags+offset field
  PacketSpec& ip_options(std::vector<std::uint8_t> opts);  // padded to 4 bytes by caller
  PacketSpec& ip_proto(std::uint8_t p);
  PacketSpec& bad_ip_checksum();
  PacketSpec& ip_total_length(std::uint16_t len);  // override the computed length
  PacketSpec& udp(std::uint16_t sport = 1234, std::uint16_t dport = 80);
  PacketSpec& tcp(std::uint16_t sport = 1234, std::uint16_t dport = 80, std::uint8_t flags = 0x02);
  PacketSpec& icmp(std::uint8_t type = 8, std::uint8_t code = 0);
  // ARP request/reply: op 1 request, 2 reply.
  PacketSpec& arp(std::uint16_t op, std::string_view sha, std::string_view spa,
                  std::string_view tha, std::string_view tpa);
  PacketSpec& payload(std::vector<std::uint8_t> bytes);
  PacketSpec& payload_size(std::size_t n);  // n bytes 0x00, 0x01, ...

  // The finished bytes, with IPv4 total length, checksums (IP, UDP, TCP, ICMP) filled.
  std::vector<std::uint8_t> bytes() const;

 private:
  struct Layer {
    enum Kind { kEth, kVlan, kIpv4, kUdp, kTcp, kIcmp, kArp, kPayload } kind;
    std::vector<std::uint8_t> b;
  };
  Layer* last(Layer::Kind k);
  std::vector<Layer> layers_;
  bool bad_ip_checksum_ = false;
  int ip_total_length_ = -1;
  int forced_ether_type_ = -1;
  int forced_ip_proto_ = -1;
};

// "10.0.0.1" as Packet stores an address annotation (network order), for comparing with
// OutPacket::dst_ip_anno or setting one.
std::uint32_t raw_ip(std::string_view dotted);
// An annotate function for push(): the network header annotation at the first byte, as
// MarkIPHeader sets it on a packet that starts with its IP header.
void mark_ip(mem::Packet& p);
// n bytes counting up from `first` (wrapping after 0xff): a short packet whose bytes differ.
Bytes ramp(std::size_t n, std::uint8_t first = 0);
// The first byte of each packet, -1 for an empty one: which packet is which, when each
// starts with its own number.
std::vector<int> first_bytes(const std::vector<OutPacket>& got);

// Parses "aa bb cc..." / "aabbcc" hex into bytes (spaces and newlines ignored).
std::vector<std::uint8_t> from_hex(std::string_view hex);
// "aabbcc..." lower-case hex.
std::string to_hex(const std::vector<std::uint8_t>& bytes);

class Harness {
 public:
  // Parses and builds the configuration (file name "test.click" in messages).
  explicit Harness(std::string_view config, graph::RouterOptions options = small_options());
  ~Harness();

  bool ok() const noexcept { return router_ != nullptr; }
  const std::string& error() const noexcept { return error_; }
  graph::Router& router() { return *router_; }
  graph::Element* element(std::string_view name) { return router_->find(name); }

  // Pushes packets (as bytes, each with `annotate` applied if given) out of TestSource
  // `source`, in batches of at most 32, on this thread.
  void push(std::string_view source, const std::vector<std::vector<std::uint8_t>>& packets,
            const std::function<void(mem::Packet&)>& annotate = {});
  // Makes packets that a pull will hand out of TestSource `source`.
  void load(std::string_view source, const std::vector<std::vector<std::uint8_t>>& packets);
  // Pulls from TestSink `sink`'s input up to `max` packets once; returns how many came.
  std::size_t pull(std::string_view sink, std::uint32_t max = 32);
  // Runs every scheduled task of every element `rounds` times on this thread, and any timers
  // that are due; returns whether any did work.
  bool run_tasks(int rounds = 1);
  // What TestSink `sink` has received so far.
  const std::vector<OutPacket>& sink(std::string_view sink);
  void clear_sinks();

  std::uint64_t drops(std::string_view element, graph::DropReason r);
  std::string read(std::string_view handler_spec);  // "e.h"; "ERROR: ..." when it fails
  Status write(std::string_view handler_spec, std::string_view value);

  // Frames not back in the pool right now (only meaningful between calls).
  std::size_t frames_outstanding();

  static graph::RouterOptions small_options() {
    graph::RouterOptions o;
    o.pool.frame_count = 2048;
    o.pool.cache_size = 0;  // so frames_outstanding() is exact at any time
    o.pin_threads = false;
    return o;
  }

 private:
  std::unique_ptr<graph::Router> router_;
  std::string error_;
};

// Builds the router and returns its error message ("" when it built).
std::string config_error(std::string_view config);
// config_error for one element between a TestSource and a TestSink, as a function of its
// arguments:
//   const auto err = config_error_of("EtherEncap");
//   EXPECT_NE(err("0x0800, 1:1:1:1:1:1").find("DST"), std::string::npos);
// runs "in :: TestSource -> EtherEncap(0x0800, 1:1:1:1:1:1) -> out :: TestSink".
std::function<std::string(std::string_view args)> config_error_of(std::string_view element_class);

// " e[0] -> o0 :: TestSink; e[1] -> o1 :: TestSink; ..." for outputs 0 to n-1 of element e.
std::string output_sinks(std::string_view element, int n);
// How many packets TestSinks o0 to o<n-1> (as output_sinks names them) have received.
std::vector<std::size_t> sink_counts(Harness& h, int n);

}  // namespace uplane::testing
