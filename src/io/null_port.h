#pragma once
// NullPort (Method::kNull): a port with no device behind it, for measuring the framework's
// own cost per packet, as DPDK's net_null does with its copy option.
// - rx_burst fills the batch with copies of one fixed frame, built once at open: Ethernet
//   (02:00:00:00:00:01 -> 02:00:00:00:00:02), IPv4 10.0.0.1 -> 10.0.0.2 (TTL 64, header
//   checksum set), UDP 1024 -> 9 (discard) without a checksum, zero payload;
//   PortConfig::null_frame_length bytes in all (42 at least, as much as a pool frame holds at
//   most). It never runs dry while the pool has frames; when the pool has fewer free frames
//   than the batch has room, it returns as many as it got (nothing was lost: the source makes
//   frames on demand, so nothing is counted as dropped).
// - tx_burst takes every packet, frees it to its pool and counts it.
// No system call, no lock; link state is always up.

#include <cstdint>
#include <memory>
#include <vector>

#include "io/port.h"

namespace uplane::io {

class NullPort final : public Port {
 public:
  static constexpr std::uint32_t kMinFrameLength = 42;  // Ethernet + IPv4 + UDP headers

  // Use open_null_port().
  static Result<std::unique_ptr<NullPort>> open(const PortConfig& cfg, mem::PacketPool& pool);

  Method method() const noexcept override { return Method::kNull; }
  std::uint32_t rx_burst(mem::Batch& b) noexcept override;
  std::uint32_t tx_burst(mem::Batch& b) noexcept override;
  LinkState link_state() const noexcept override { return LinkState::kUp; }

  // The frame rx_burst hands out.
  const std::vector<std::uint8_t>& frame() const noexcept { return frame_; }

 private:
  NullPort(const PortConfig& cfg, mem::PacketPool& pool, std::vector<std::uint8_t> frame)
      : Port(cfg.device, cfg.queue), pool_(pool), frame_(std::move(frame)), rx_(cfg.rx) {}

  mem::PacketPool& pool_;
  std::vector<std::uint8_t> frame_;
  bool rx_;
};

}  // namespace uplane::io
