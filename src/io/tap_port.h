#pragma once
// TapPort (Method::kTap): a TAP device this process creates or attaches to, through
// /dev/net/tun with IFF_TAP | IFF_NO_PI (frames are plain Ethernet, no packet-info header).
//
// - Opening creates the device when no device of that name exists in the calling thread's
//   network namespace, and attaches to it otherwise (it must then be a TAP device, and a
//   multi-queue one exactly when this port asks for multi-queue). An empty device name lets
//   the kernel pick one (tap0, tap1, ...); device() then holds the name it picked. The device
//   is set up (IFF_UP) on open. It is not made persistent: a device this port created
//   disappears when the last descriptor on it closes, so closing the port removes it unless
//   another process attached meanwhile; a device that existed before stays.
// - Multi-queue: PortConfig::tap_multi_queue, or queue > 0, opens the device with
//   IFF_MULTI_QUEUE; each Port is one queue (one descriptor), and the kernel spreads what it
//   sends to the device over the queues by flow.
// - The kernel offers a TAP device no batched or mapped interface: rx_burst makes one readv()
//   per frame (until the device has no more, or the batch is full) and tx_burst one write()
//   per frame. This is the one driver allowed a system call per packet.
// - Frames longer than a pool frame holds are read whole (into a spare buffer), dropped and
//   counted in rx_errors; when the pool has no frame at all, waiting frames are read and
//   counted in rx_dropped, so the device's queue does not stall.
// - Link state: SIOCGIFFLAGS in the port's namespace, at most every 100 ms (as PacketPort).
//   A TAP device is up with carrier while it is up and a descriptor is attached.

#include <cstdint>
#include <memory>
#include <vector>

#include "base/unique_fd.h"
#include "io/packet_port.h"
#include "io/port.h"

namespace uplane::io {

class TapPort final : public Port {
 public:
  // Use open_tap_port().
  static Result<std::unique_ptr<TapPort>> open(const PortConfig& cfg, mem::PacketPool& pool);

  Method method() const noexcept override { return Method::kTap; }
  std::uint32_t rx_burst(mem::Batch& b) noexcept override;
  // One write() per frame. A frame the kernel refuses as malformed is freed and counted in
  // tx_errors; when the device cannot take more (down, or its queue full) the rest stays in b.
  std::uint32_t tx_burst(mem::Batch& b) noexcept override;
  LinkState link_state() const noexcept override { return link_->state(); }
  int wait_fd() const noexcept override { return fd_.get(); }

  // True when this port created the device (it goes away when the port closes).
  bool created() const noexcept { return created_; }

 private:
  TapPort(std::string device, const PortConfig& cfg, mem::PacketPool& pool)
      : Port(std::move(device), cfg.queue), pool_(pool), rx_(cfg.rx), tx_(cfg.tx) {}

  mem::PacketPool& pool_;
  UniqueFd fd_;   // the queue's /dev/net/tun descriptor
  UniqueFd ctl_;  // a socket in the device's namespace, for ioctls
  std::unique_ptr<DeviceLink> link_;
  std::vector<std::uint8_t> overflow_;  // the tail of frames longer than a pool frame
  bool rx_;
  bool tx_;
  bool created_ = false;
};

}  // namespace uplane::io
