#pragma once
// PacketPort: one network device through AF_PACKET sockets (Method::kPacket).
//
// Receive: a TPACKET_V3 ring mapped from the kernel. The kernel fills fixed-size blocks with
// frames packed back to back and hands a block to user space when it is full or when the
// retire timer (1 ms) fires; rx_burst walks ready blocks, copies each frame into a pool frame
// (one get from the pool per burst) and gives every finished block back. No system call is
// made while frames are waiting; the socket is the wait_fd for sleeping when none are.
// - The kernel strips 802.1Q tags on receive and reports them beside the frame; they are put
//   back, so the graph sees the frame as it was on the wire (as libpcap, and with it Click's
//   FromDevice, does).
// - Our own transmissions are not received back (PACKET_IGNORE_OUTGOING; Click's FromDevice
//   drops PACKET_OUTGOING frames in user space unless OUTBOUND is set, to the same effect).
// - Counted: frames the pool could not supply a frame for (rx_dropped), frames the kernel
//   dropped because the ring was full (PACKET_STATISTICS, folded into rx_dropped at most every
//   100 ms and on housekeeping), frames the kernel truncated or that are longer than a pool
//   frame holds (rx_errors). A peer that sends TSO/GSO super-frames over a veth delivers
//   them whole (up to 64 KiB): turn segmentation offloads off on such peers
//   (`ethtool -K dev tso off gso off`), or they are counted in rx_errors.
//
// Transmit: a TPACKET_V2 ring on a second socket (a socket has one TPACKET version, and the
// V3 transmit ring buys nothing here). tx_burst copies each frame into a ring slot, marks it,
// and makes one send() per burst, which has the kernel build and send every marked slot; the
// pool frames go back at once, since their bytes now live in the ring. PACKET_QDISC_BYPASS
// sends straight to the driver (no qdisc, and the frames are not seen by other packet
// sockets). A full ring leaves the rest of the batch with the caller. Frames longer than the
// device's MTU (plus an 802.1Q tag) are refused before they reach the ring (tx_errors).
//
// Link state: SIOCGIFFLAGS on the port's own socket, at most every 100 ms. Not
// /sys/class/net/<dev>/operstate: sysfs shows the devices of the namespace it was mounted in,
// while the socket always asks the namespace the port was opened in. IFF_RUNNING is what
// operstate reports as "up" (up administratively and with carrier).
//
// Everything is opened in the network namespace of the calling thread.

#include <net/if.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/cpu.h"
#include "base/unique_fd.h"
#include "io/port.h"

namespace uplane::io {

// The link state and MTU of a kernel network device, asked of the namespace `fd` (any socket)
// lives in, and cached for 100 ms. Shared by the packet and tap drivers; any thread may call.
class DeviceLink {
 public:
  static constexpr std::int64_t kRefreshNs = 100'000'000;

  DeviceLink(int fd, const std::string& device) noexcept;
  // Cached; re-read when the cached value is older than kRefreshNs.
  LinkState state() const noexcept;
  std::uint32_t mtu() const noexcept { return mtu_.load(std::memory_order_relaxed); }
  // Reads the device's flags and MTU now.
  LinkState refresh() const noexcept;

 private:
  int fd_;
  char name_[IFNAMSIZ] = {};
  // Relaxed: each is a value read on its own; a racing refresh only repeats the read.
  mutable std::atomic<std::uint8_t> state_{static_cast<std::uint8_t>(LinkState::kUnknown)};
  mutable std::atomic<std::uint32_t> mtu_{1500};
  mutable std::atomic<std::int64_t> read_ns_{0};
};

// Checks a device name for the kernel: non-empty, shorter than IFNAMSIZ, no '/' or spaces.
Status check_device_name(const std::string& device, std::string_view what);

// Gives frames back to their pools: at once to `pool` when they are all its own, else one by
// one to the pool each names.
void free_to_pools(mem::PacketPool& pool, mem::Packet* const* pkts, std::uint32_t n) noexcept;

class PacketPort final : public Port {
 public:
  // Use open_packet_port().
  static Result<std::unique_ptr<PacketPort>> open(const PortConfig& cfg, mem::PacketPool& pool);
  ~PacketPort() override;

  Method method() const noexcept override { return Method::kPacket; }
  // Up to b.room() frames, in arrival order. No system call unless kernel statistics are due.
  std::uint32_t rx_burst(mem::Batch& b) noexcept override;
  // One send() per call. Frames the ring has no slot for stay in b; frames too long for the
  // device are freed and counted in tx_errors.
  std::uint32_t tx_burst(mem::Batch& b) noexcept override;
  // Retries a transmit kick the kernel refused (at most every millisecond), folds in the
  // kernel's drop count and re-reads link state and MTU (each at most every 100 ms).
  void housekeeping() noexcept override;
  LinkState link_state() const noexcept override { return link_->state(); }
  int wait_fd() const noexcept override { return rx_fd_.get(); }

  // Ring geometry, for tests and logs.
  std::uint32_t rx_block_size() const noexcept { return rx_block_size_; }
  std::uint32_t rx_block_count() const noexcept { return rx_block_nr_; }
  std::uint32_t tx_slot_count() const noexcept { return tx_frame_nr_; }

 private:
  PacketPort(const PortConfig& cfg, mem::PacketPool& pool);
  Status open_rx(const PortConfig& cfg, int ifindex);
  Status open_tx(const PortConfig& cfg, int ifindex);
  void poll_kernel_stats() noexcept;
  void kick_tx() noexcept;
  std::byte* rx_block(std::uint32_t i) const noexcept {
    return rx_ring_ + std::size_t{i} * rx_block_size_;
  }
  std::byte* tx_slot(std::uint32_t i) const noexcept {
    return tx_ring_ + std::size_t{i} * tx_frame_size_;
  }

  mem::PacketPool& pool_;
  std::unique_ptr<DeviceLink> link_;

  UniqueFd rx_fd_;
  std::byte* rx_ring_ = nullptr;
  std::size_t rx_ring_bytes_ = 0;
  std::uint32_t rx_block_size_ = 0;
  std::uint32_t rx_block_nr_ = 0;
  std::uint32_t rx_block_ = 0;     // the block to read next
  std::uint32_t rx_left_ = 0;      // frames not yet read in rx_block_ (0: not opened yet)
  std::uint32_t rx_next_off_ = 0;  // offset in rx_block_ of the next frame to read
  bool filter_outgoing_ = false;   // the kernel lacks PACKET_IGNORE_OUTGOING
  PeriodicChore rx_stats_{DeviceLink::kRefreshNs};  // reads PACKET_STATISTICS

  UniqueFd tx_fd_;
  std::byte* tx_ring_ = nullptr;
  std::size_t tx_ring_bytes_ = 0;
  std::uint32_t tx_frame_size_ = 0;
  std::uint32_t tx_frame_nr_ = 0;
  std::uint32_t tx_head_ = 0;      // the next slot to fill
  std::uint32_t tx_last_ = 0;      // the slot filled last
  std::uint32_t tx_max_data_ = 0;  // bytes a slot holds
  bool kick_pending_ = false;      // marked slots the kernel has not taken yet
  std::int64_t kick_ns_ = 0;       // when the last kick was made
  PeriodicChore tx_chores_{DeviceLink::kRefreshNs};  // statistics and link state
};

}  // namespace uplane::io
