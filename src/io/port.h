#pragma once
// Port: one queue of one network device (or file, or shared-memory pipe), seen as bursts of
// packets in pool frames. Every driver (AF_XDP, AF_PACKET, TAP, shared-memory pipes, null)
// implements this interface; FromDevice and ToDevice are written against it alone.
//
// Contract (DESIGN.md, "Port"):
// - rx_burst appends up to b.room() received packets to b, in arrival order, each in a
//   frame of the port's PacketPool, and returns how many it appended. It never blocks, never
//   allocates outside the pool, and makes at most one system call per burst.
// - tx_burst sends packets from the front of b. It takes ownership of those it sent (they go
//   back to their pool once the device is done with them) and removes them from b; what it
//   could not send stays in b, in order, still owned by the caller. Returns how many it sent.
// - One queue per Port instance; a multi-queue device is several instances.
// - Threads: the receive side (rx_burst) and the transmit side (tx_burst, housekeeping)
//   may be driven by two different threads at once — FromDevice(eth0) on one worker while
//   another worker's path ends in ToDevice(eth0) — but each side by one thread at a time.
//   A driver keeps the two sides' state apart (AF_XDP: RX + fill ring vs TX + completion
//   ring) and shares nothing mutable between them but thread-safe pool calls. Counters
//   may be read from any thread.
// - Packets the port could not take or deliver are counted, never silently lost: rx_dropped
//   (no frame, ring full, kernel drops it reports), tx_dropped (the caller dropped what
//   tx_burst left; see count_tx_dropped), rx_errors/tx_errors (malformed descriptors, system
//   call failures).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "mem/batch.h"
#include "mem/packet_pool.h"

namespace uplane::io {

enum class LinkState : std::uint8_t { kUnknown, kDown, kUp };
std::string_view link_state_name(LinkState s) noexcept;  // "unknown", "down", "up"

// How packets move between the kernel and the pool.
enum class Method : std::uint8_t {
  kAuto,    // the fastest that works for this device: XDP, else PACKET (never TAP: ask for it)
  kXdp,     // AF_XDP socket; the pool's Region is the UMEM
  kPacket,  // AF_PACKET with a TPACKET_V3 receive ring
  kTap,     // a TAP device this process creates or attaches to (IFF_NO_PI)
  kShm,     // a shared-memory pipe (index rings in a Region)
  kNull,    // discards what it is sent; receives an endless fixed frame
};
std::string_view method_name(Method m) noexcept;  // "AUTO", "XDP", "PACKET", ...
// Parses Click-style names, case-insensitively: AUTO, XDP, PACKET (also LINUX), TAP, SHM,
// NULL. False when `s` names none.
bool parse_method(std::string_view s, Method* out) noexcept;

struct PortCounters {
  std::uint64_t rx_packets = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_dropped = 0;
  std::uint64_t rx_errors = 0;
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_dropped = 0;
  std::uint64_t tx_errors = 0;
};

struct PortConfig {
  std::string device;              // interface name; a Region name for kShm
  std::uint32_t queue = 0;         // device queue (AF_XDP, AF_PACKET fanout group member)
  std::uint32_t ring_size = 2048;  // descriptors per ring, a power of two
  bool promiscuous = false;
  bool rx = true;  // open the receive side
  bool tx = true;  // open the transmit side
  // Method-specific knobs; a driver ignores those that are not its own.
  bool xdp_zero_copy = false;       // require zero-copy (error if the driver lacks it)
  bool xdp_copy = false;            // force copy mode
  bool xdp_skb_mode = false;        // attach the XDP program in generic (skb) mode
  bool xdp_native_mode = false;     // require the driver's own XDP (an error without it)
  std::uint32_t packet_fanout = 0;  // AF_PACKET fanout group id + 1; 0 = none
  bool tap_multi_queue = false;     // TAP: IFF_MULTI_QUEUE (implied by queue > 0); every queue
                                    // of a multi-queue tap, queue 0 too, must be opened with it
  std::uint32_t null_frame_length = 60;  // kNull's received frame size
};

class Port {
 public:
  virtual ~Port() = default;
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  virtual Method method() const noexcept = 0;
  const std::string& device() const noexcept { return device_; }
  std::uint32_t queue() const noexcept { return queue_; }

  virtual std::uint32_t rx_burst(mem::Batch& b) noexcept = 0;
  virtual std::uint32_t tx_burst(mem::Batch& b) noexcept = 0;
  // Transmit-side upkeep, cheap: reclaim completed transmissions, kick the kernel when it
  // asked to be woken. ToDevice calls it when it has nothing to send. (rx_burst does its
  // own upkeep: refilling, waking the kernel when it asks.)
  virtual void housekeeping() noexcept {}
  virtual LinkState link_state() const noexcept { return LinkState::kUnknown; }
  // A descriptor that becomes readable when packets arrive (for sleeping when idle), or -1.
  virtual int wait_fd() const noexcept { return -1; }

  PortCounters counters() const noexcept;
  // Bytes sent so far, as the owning thread counts them: the difference around a tx_burst
  // is what that burst sent (the host charges a tenant with it, no second pass over the
  // frames).
  std::uint64_t tx_bytes_sent() const noexcept {
    return c_.tx_bytes.load(std::memory_order_relaxed);
  }
  // The caller dropped n packets that tx_burst left it (e.g. a full ring): counted here so
  // the port's counters add up.
  void count_tx_dropped(std::uint64_t n) noexcept { add(c_.tx_dropped, n); }

 protected:
  Port(std::string device, std::uint32_t queue) : device_(std::move(device)), queue_(queue) {}

  // Counters written by the owning thread, read by any: relaxed single-writer adds.
  struct AtomicCounters {
    std::atomic<std::uint64_t> rx_packets{0}, rx_bytes{0}, rx_dropped{0}, rx_errors{0};
    std::atomic<std::uint64_t> tx_packets{0}, tx_bytes{0}, tx_dropped{0}, tx_errors{0};
  };
  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  AtomicCounters c_;

  // The longest frame a device with this MTU sends: the MTU plus the Ethernet header, plus
  // an 802.1Q/802.1ad tag when the frame carries one (the kernel allows that much beyond
  // the MTU, nothing more).
  static std::uint32_t max_frame_length(const std::uint8_t* data, std::uint32_t len,
                                        std::uint32_t mtu) noexcept {
    constexpr std::uint32_t kEtherHeader = 14, kVlanTag = 4;
    const bool tagged = len >= kEtherHeader && ((data[12] == 0x81 && data[13] == 0x00) ||
                                                (data[12] == 0x88 && data[13] == 0xa8));
    return mtu + kEtherHeader + (tagged ? kVlanTag : 0);
  }
  // The end of a tx_burst that took the first `taken` packets of b: `sent` of them (with
  // `bytes` bytes) went out, `refused` were malformed and freed. Moves the rest to the front
  // of b, in order, and counts; returns `sent`.
  std::uint32_t finish_tx(mem::Batch& b, std::uint32_t taken, std::uint32_t sent,
                          std::uint64_t bytes, std::uint32_t refused) noexcept {
    mem::Packet** pk = b.data();
    const std::uint32_t n = b.size();
    for (std::uint32_t j = taken; j < n; ++j) pk[j - taken] = pk[j];
    b.set_size(n - taken);
    if (sent != 0) {
      add(c_.tx_packets, sent);
      add(c_.tx_bytes, bytes);
    }
    if (refused != 0) add(c_.tx_errors, refused);
    return sent;
  }

 private:
  std::string device_;
  std::uint32_t queue_;
};

// One factory per driver, each defined in its driver's file (xdp_port.cc, packet_port.cc,
// tap_port.cc, shm_port.cc, null_port.cc). open_port dispatches to them.
Result<std::unique_ptr<Port>> open_xdp_port(const PortConfig& cfg, mem::PacketPool& pool);
Result<std::unique_ptr<Port>> open_packet_port(const PortConfig& cfg, mem::PacketPool& pool);
Result<std::unique_ptr<Port>> open_tap_port(const PortConfig& cfg, mem::PacketPool& pool);
Result<std::unique_ptr<Port>> open_shm_port(const PortConfig& cfg, mem::PacketPool& pool);
Result<std::unique_ptr<Port>> open_null_port(const PortConfig& cfg, mem::PacketPool& pool);

// Opens `method` on cfg.device with frames from `pool`. kAuto tries XDP, then PACKET, and
// logs once which it chose and why the faster ones were refused. The pool must outlive the
// port. Errors name the device and the system call or setting that failed.
Result<std::unique_ptr<Port>> open_port(Method method, const PortConfig& cfg,
                                        mem::PacketPool& pool);

}  // namespace uplane::io
