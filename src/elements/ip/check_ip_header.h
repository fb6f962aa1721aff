#pragma once
// =c
// CheckIPHeader([OFFSET, KEYWORDS])
// =s ip
// checks IP header
// =d
// Input packets should have IP headers starting OFFSET bytes in (default 0). Checks that
// the packet is long enough for an IP header, that the version is 4, that the header length
// is at least 20 bytes, that the total length covers the header and fits in the packet, and
// that the header checksum verifies. Then, if source checks are configured (INTERFACES,
// BADSRC or GOODDST), checks that the source address is not one of the bad sources unless
// the destination is one of the good destinations (RFC 1812 5.3.7).
//
// A valid packet gets its network header annotation (and its transport header annotation,
// just after the IP header and options) and its destination IP annotation, is shortened to
// the IP total length (Ethernet padding goes away), and leaves on output 0. An invalid
// packet leaves on output 1 if that output is connected, else it is dropped. The first
// invalid packet is reported on the log (every one with VERBOSE).
//
// Keywords:
//   OFFSET      Unsigned. Byte position of the IP header. Default 0.
//   CHECKSUM    Boolean. Whether to verify the header checksum. Default true.
//   BADSRC      Space-separated IP addresses: sources to reject (but see GOODDST).
//               Default empty.
//   GOODDST     Space-separated IP addresses: destinations exempt from the BADSRC check.
//               Default empty.
//   INTERFACES  Space-separated address/prefix pairs, this router's interfaces:
//               "INTERFACES 18.26.4.9/24 18.32.9.44/28" acts as BADSRC "18.26.4.255
//               18.32.9.47 0.0.0.0 255.255.255.255" and GOODDST "18.26.4.9 18.32.9.44".
//   VERBOSE     Boolean. Report every invalid packet, not only the first. Default false.
//   DETAILS     Boolean. Count invalid packets per reason (drop_details handler). Default
//               false.
// The old syntax CheckIPHeader(BADSRC2 [, OFFSET]) is accepted: BADSRC2 is a space-separated
// address list that acts as BADSRC plus 0.0.0.0 and 255.255.255.255.
//
// Drop reasons, when output 1 is not connected: "tiny packet" kTooShort, "bad IP version"
// and "bad IP header length" kBadHeader, "bad IP length" kBadLength, "bad IP checksum"
// kBadChecksum, "bad source address" kBadSource.
// =h drops read-only
// Invalid packets seen (sent to output 1 or dropped).
// =h drop_details read-only
// Invalid packets per reason, one line each: count, a tab, the reason. Only with DETAILS.
// =e
//   FromDevice(eth0) -> Strip(14) -> CheckIPHeader(INTERFACES 18.26.4.9/24) -> ...
// =a CheckIPHeader2, MarkIPHeader, SetIPChecksum, StripIPHeader, CheckTCPHeader,
// CheckUDPHeader, CheckICMPHeader
// =uplane
// When both INTERFACES and BADSRC (or GOODDST) are given, the lists are merged. A
// keyword given twice, or OFFSET given both by position and by keyword, is an error.
// Reports go to the uplane log at warning level instead of Click's chatter.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/element.h"
#include "net/ipv4.h"

namespace uplane::elements {

class CheckIPHeader final : public graph::SimpleElement<CheckIPHeader> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "CheckIPHeader", .ports = "1/1-2", .processing = "a/ah"};

  // Click's reasons, in Click's order (drop_details prints them in this order).
  enum Reason : std::uint8_t {
    kTinyPacket,
    kBadVersion,
    kBadHeaderLength,
    kBadIpLength,
    kBadIpChecksum,
    kBadSourceAddress,
    kReasonCount
  };

  Status configure(graph::Args& args) override;
  void add_handlers() override;
  graph::Verdict process(graph::Packet& p) noexcept;

 private:
  graph::Verdict reject(Reason r) noexcept;
  bool bad_source(net::Ipv4Addr src, net::Ipv4Addr dst) const noexcept;

  std::uint32_t offset_ = 0;
  bool checksum_ = true;
  bool verbose_ = false;
  bool details_ = false;
  std::vector<net::Ipv4Addr> bad_src_;
  std::vector<net::Ipv4Addr> good_dst_;
  graph::Counter64 drops_;
  std::array<graph::Counter64, kReasonCount> reason_drops_;
};

}  // namespace uplane::elements
