#pragma once
// =c
// GetIPAddress(OFFSET [, ANNO, KEYWORDS])
// =s ip
// sets destination IP address annotation from packet data
// =d
// Copies 4 bytes from the packet, starting at OFFSET, to the destination IP address
// annotation. OFFSET is usually 16, to fetch the destination address from an IP packet.
//
// Instead of OFFSET, the IP keyword names a field of the IP header the network header
// annotation points to: "IP src" copies the source address, "IP dst" the destination.
// Exactly one of OFFSET and IP must be given.
//
// ANNO names the 4-byte annotation to set instead of the destination IP annotation: DST_IP,
// another of Click's 4-byte annotation names (MISC_IP, AGGREGATE, FWD_RATE, EXTRA_PACKETS,
// REV_RATE, EXTRA_LENGTH, PACKET_NUMBER, IPSEC_SPI, SEQUENCE_NUMBER; each also with an
// "_ANNO" suffix), or a byte offset 0-44 into the user annotation area.
//
// Keywords:
//   IP     "src" or "dst". Read the address from the marked IP header.
//   ANNO   Annotation. Default DST_IP.
// =e
//   ... -> GetIPAddress(16) -> LookupIPRoute(...) -> ...
//   ... -> MarkIPHeader(14) -> GetIPAddress(IP src, ANNO MISC_IP) -> ...
// =a ARPQuerier, StaticIPLookup, SetIPAddress, StoreIPAddress
// =uplane
// A packet shorter than OFFSET + 4 is dropped (kTooShort); with IP, a packet without a
// network header annotation is dropped (kBadHeader) and one with fewer than 20 bytes from
// the network header on is dropped (kTooShort). Click reads past the end in those cases.
// uplane keeps the destination IP annotation in a field of its own, so DST_IP is reached by
// name only; a numeric ANNO is an offset into Packet::user_anno (as for Paint), and the
// other names are the user_anno bytes at Click's offsets for them (MISC_IP is bytes 20-23).

#include <cstdint>
#include <string>
#include <string_view>

#include "graph/element.h"

namespace uplane::elements {

// A 4-byte annotation, as GetIPAddress's and SetIPAddress's ANNO name it. The value is kept
// in network byte order, as Click stores an IP address in its annotation area.
struct IpAnnoSlot {
  static constexpr int kDstIp = -1;
  static constexpr std::uint32_t kWidth = 4;
  int user_offset = kDstIp;  // kDstIp: the destination IP annotation; else a user_anno offset

  std::uint32_t get_raw(const mem::Packet& p) const noexcept;
  void set_raw(mem::Packet& p, std::uint32_t raw) const noexcept;
  friend bool operator==(const IpAnnoSlot&, const IpAnnoSlot&) = default;
};

class GetIPAddress final : public graph::SimpleElement<GetIPAddress> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "GetIPAddress", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  graph::Verdict process(graph::Packet& p) noexcept;

 private:
  enum class Source : std::uint8_t { kOffset, kIpSrc, kIpDst };
  Source source_ = Source::kOffset;
  std::uint32_t offset_ = 0;
  IpAnnoSlot anno_;
};

}  // namespace uplane::elements

namespace uplane::graph {
template <>
struct ArgParser<elements::IpAnnoSlot> {
  static std::string parse(std::string_view text, elements::IpAnnoSlot& out);
};
}  // namespace uplane::graph
