#pragma once
// =c
// HashSwitch(OFFSET, LENGTH)
// =s classification
// classifies packets by a hash of their contents
// =d
// Has one input and one or more outputs. Adds up the LENGTH bytes that start OFFSET bytes
// into the packet and picks the output from that sum S: with 2, 4 or 8 outputs,
// (S xor (S >> 4)) modulo the output count; otherwise S modulo the output count. A packet
// shorter than OFFSET + LENGTH goes to output 0. LENGTH must be at least 1.
// =e
// HashSwitch(16, 4)   // IP packets, by destination address
// =a RoundRobinSwitch, PaintSwitch
// =uplane
// OFFSET must not be negative (Click reads before the packet).

#include <cstdint>

#include "graph/element.h"

namespace uplane::elements {

class HashSwitch final : public graph::SimpleElement<HashSwitch> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "HashSwitch", .ports = "1/1-", .processing = "h/h"};
  Status configure(graph::Args& args) override;
  graph::Verdict process(graph::Packet& p) noexcept {
    if (p.length() < end_) return graph::Port{0};  // too short to hash: as Click
    const std::uint8_t* d = p.data() + offset_;
    std::uint32_t sum = 0;
    for (std::uint32_t i = 0; i < length_; ++i) sum += d[i];
    const auto n = static_cast<std::uint32_t>(noutputs());
    if (n == 2 || n == 4 || n == 8)
      return graph::Port{static_cast<int>((sum ^ (sum >> 4)) & (n - 1))};
    return graph::Port{static_cast<int>(sum % n)};
  }

 private:
  std::uint32_t offset_ = 0;
  std::uint32_t length_ = 0;
  std::uint64_t end_ = 0;  // offset_ + length_
};

}  // namespace uplane::elements
