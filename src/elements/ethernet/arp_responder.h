#pragma once
// =c
// ARPResponder(IP/MASK [IP/MASK...] ETH, IP2/MASK2 ETH2, ...)
// =s arp
// generates responses to ARP queries
// =d
// Input packets should be ARP requests, Ethernet header included. When one of the
// configured prefixes matches the requested (target) IP address, ARPResponder emits on
// output 0 an ARP reply giving that prefix's Ethernet address, and the request is consumed.
// Every other packet leaves on output 1, or is dropped when output 1 does not exist. Works
// for a host's own addresses and for proxy ARP.
//
// Each argument is one or more IP/MASK prefixes and one Ethernet address. A prefix is
// written "18.26.7.0/24", "18.26.7.0/255.255.255.0", or as a bare address (a /32). When
// prefixes overlap, the most specific one answers.
//
// The reply is 42 bytes: Ethernet from the answering address to the requester's sender
// address, type 0x0806; ARP op 2 with sender = the answering Ethernet address and the
// requested IP, target = the requester's sender Ethernet and IP addresses. It carries the
// request's VLAN TCI and input-port (device) annotations; its other annotations are clear,
// as on a new packet, and its network header annotation points at the ARP header.
//
// Drop reasons, when output 1 is absent: too_short (under 42 bytes), bad_header (not
// Ethernet/IPv4 ARP: EtherType, hardware or protocol type, address lengths), filtered (not
// a request, or no prefix matches).
// =h table read-only
// The table, one entry per line: "IP/LEN ETH" (the Ethernet address as Click prints it,
// "00-00-C0-AE-67-EF"), most specific prefixes first.
// =h add write-only
// Adds entries, given as one argument: "IP/MASK [IP/MASK...] ETH".
// =h remove write-only
// Removes the entry with exactly this "IP/MASK".
// =e
// Replies for the host's own 18.26.4.24 and proxies for the 18.26.7 network:
//
//   c :: Classifier(12/0806 20/0001, ...);
//   ar :: ARPResponder(18.26.4.24 18.26.7.0/24 00-00-C0-AE-67-EF);
//   c[0] -> ar;
//   ar -> ToDevice(eth0);
// =a ARPQuerier
// =uplane
// The reply is built in the request's own frame (no allocation); the result is the packet
// Click builds. Requests whose hardware or protocol address length is not 6 or 4 are not
// answered (Click answers them, reading the addresses at the wrong offsets). The lookup
// handler (a read with a parameter) is missing: uplane's handlers take no parameters yet.
// Prefixes that do not overlap keep their configuration order in the table (Click sorts
// with a comparison that is not a strict order, so its order there can differ).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graph/element.h"
#include "net/ether.h"
#include "net/ipv4.h"

namespace uplane::elements {

class ARPResponder final : public graph::SimpleElement<ARPResponder> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "ARPResponder", .ports = "1/1-2", .processing = "a/ah"};
  Status configure(graph::Args& args) override;
  void add_handlers() override;
  // Output 0 with the packet turned into the reply; output 1 (or a drop) otherwise.
  graph::Verdict process(graph::Packet& p) noexcept;

  // The Ethernet address for `ip`, or nullptr when no prefix matches.
  const net::EtherAddr* lookup(net::Ipv4Addr ip) const noexcept;

 private:
  struct Entry {
    std::uint32_t dst;   // host order, masked
    std::uint32_t mask;  // host order
    net::EtherAddr eth;
  };
  // Parses "IP/MASK [IP/MASK...] ETH" and adds it to `table`, keeping more specific
  // prefixes before the prefixes that contain them. An error names what was wrong.
  static Status add(std::vector<Entry>& table, std::string_view arg);
  static void insert(std::vector<Entry>& table, const Entry& e);

  std::vector<Entry> table_;
};

}  // namespace uplane::elements
