#pragma once
// XdpPort: one queue of a network device through an AF_XDP socket (Method::kXdp).
//
// The UMEM is the PacketPool's own frame area: frame i of the pool is UMEM chunk i, so the
// kernel writes received packets straight into pool frames and transmits straight out of
// them. A frame is [Packet (128 B) | headroom | data]; the kernel puts a packet's data
// XDP_PACKET_HEADROOM (256) bytes plus the UMEM headroom into its chunk, and the UMEM
// headroom is chosen so that this is where PacketPool::alloc puts data too (the pool's
// headroom 128 gives UMEM headroom 0: data at byte 256). rx_burst only points the Packet's
// data window at what the descriptor says; nothing is copied.
//
// One UMEM per pool, shared by every XDP port on that pool (XDP_SHARED_UMEM), each port
// with its own fill and completion rings for its device and queue. A frame received on one
// port is therefore transmitted on another with no copy (the router case). A frame of
// another pool handed to tx_burst is copied into a fresh frame of this pool (not an error;
// tx_copied() counts them). The UMEM is registered with the first port's socket and lives
// as long as any port on the pool: later ports bind to any live socket of the UMEM, so
// ports close in any order. The kernel fixes copy or zero-copy mode for the whole UMEM at
// its first bind: every port on one pool runs in that mode.
//
// Frames lent to the kernel (in the fill ring for receiving, in the TX ring until the
// completion ring gives them back) are marked, per frame, with the port that lent them.
// When a port closes, its socket is released first (the kernel then touches none of its
// frames), and every frame still marked with that port goes back to the pool: the frames in
// its rings and any the kernel held internally. So the pool passes check_no_leaks() once its
// ports are closed and the caller has returned its own packets. Caveat, zero-copy only: the
// kernel detaches a released socket's frames from the driver in deferred work (the same work
// that frees the queue; bind waits up to a second for it), which close cannot observe; a
// zero-copy driver could still write a frame in that window. Copy mode (veth, generic XDP)
// has no such window.
//
// Receive side (rx_burst): takes descriptors from the RX ring, tops up the fill ring from the
// pool in bursts of get_bulk, and keeps at most rx_budget() frames lent for receiving (the
// ring size, capped at a quarter of the pool, so two ports leave the pool room to work).
// It wakes the kernel (recvfrom) only when the fill ring asks for it (need_wakeup; zero-copy
// drivers), and reads the kernel's drop statistics (XDP_STATISTICS) at most every 100 ms.
// Transmit side (tx_burst, housekeeping): drains the completion ring in bursts back to the
// pool (put_bulk), feeds the TX ring, and kicks the kernel (sendto) when the TX ring asks to
// be woken (always so in copy mode). At most ring_size() frames are in flight.
// The two sides share no mutable state but the per-frame marks (each frame's mark is
// written only by whoever holds the frame) and thread-safe pool calls.
//
// Counted: rx_dropped = the kernel's rx_dropped (no fill frame, packet too big for a frame) +
// rx_ring_full (+ rx_fill_ring_empty_descs in zero-copy mode, where the driver, not the
// socket, runs short); rx_errors = invalid fill descriptors and RX descriptors that name no
// frame or put data over the metadata; tx_errors = invalid TX descriptors, frames refused
// before the ring (shorter than an Ethernet header, or longer than the device's MTU allows)
// and failed kicks.
//
// The XDP program is uplane's own copy of the standard AF_XDP redirect (per receive queue,
// bpf_redirect_map into an XSKMAP, XDP_PASS when the queue has no socket), built in process
// and attached through a BPF link: one per device and network namespace, shared by the
// ports on it, detached when the last of them closes — or when the process dies, since a
// link lives only as long as its fd. Native XDP where the driver has it, generic with
// PortConfig::xdp_skb_mode; PortConfig::xdp_native_mode makes native mode a requirement. The program must not be replaced with one that writes in front
// of the packet data: that is where the Packet metadata lives.
//
// PortConfig::promiscuous holds the device promiscuous while the port is open (a packet
// socket's PACKET_MR_PROMISC membership), for drivers that filter by MAC before XDP.
//
// Link state: SIOCGIFFLAGS on a socket of the port's namespace, at most every 100 ms
// (DeviceLink, as the packet and tap drivers). Everything is opened in the network
// namespace of the calling thread, and stays there.
//
// Sockets, rings and UMEM are set up with the kernel's calls directly; libxdp supplies the
// ring accessors (xdp/xsk.h). Its xsk_socket__create keeps a UMEM's first socket open until
// the UMEM goes (a closing first port could not get its frames back, nor its queue be opened
// again), shares fill rings by ifindex alone (two namespaces reuse ifindexes), and attaches
// its program by netlink, to be detached by ifindex from whichever namespace closes it.
//
// Needs CAP_NET_RAW (the socket), CAP_NET_ADMIN and CAP_BPF (or CAP_SYS_ADMIN) for the
// program. When the UMEM does not fit RLIMIT_MEMLOCK (a process without CAP_IPC_LOCK), the
// limit is raised to its hard limit and the registration tried once more.

#include <linux/if_xdp.h>
#include <xdp/xsk.h>

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

class DeviceLink;
class XdpUmem;
struct XdpProgram;

class XdpPort final : public Port {
 public:
  static constexpr std::uint32_t kMinRingSize = 64;
  static constexpr std::uint32_t kMaxRingSize = 16384;
  static constexpr std::uint64_t kStatsEveryNs = 100'000'000;  // kernel statistics folded in

  // Use open_xdp_port(). The pool must outlive the port; its frame size must be 2048 or
  // 4096 (an AF_XDP chunk is a power of two between 2048 and the page size).
  static Result<std::unique_ptr<XdpPort>> open(const PortConfig& cfg, mem::PacketPool& pool);
  // Releases the socket, detaches the XDP program if no other port uses it, and gives every
  // frame the kernel still held for this port back to the pool.
  ~XdpPort() override;

  Method method() const noexcept override { return Method::kXdp; }
  // Up to b.room() packets, in arrival order, in frames of the pool (no copy).
  std::uint32_t rx_burst(mem::Batch& b) noexcept override;
  // Frames that fit the TX ring and the in-flight limit are sent; the rest stay in b.
  // Frames of another pool are copied into this pool's frames (they stay in b if the pool
  // has none free). Empty frames and frames longer than the device's MTU (plus an 802.1Q
  // tag) are freed and counted in tx_errors.
  std::uint32_t tx_burst(mem::Batch& b) noexcept override;
  // Reclaims completed transmissions, kicks the kernel if it left TX descriptors unsent, and
  // folds in the kernel's transmit error count (at most every 100 ms).
  void housekeeping() noexcept override;
  LinkState link_state() const noexcept override;
  int wait_fd() const noexcept override { return fd_.get(); }

  // --- what the port runs with, for logs and tests ---
  bool zero_copy() const noexcept { return zero_copy_; }
  // "native" or "skb": how the XDP program is attached; "none" for a transmit-only port.
  std::string_view xdp_mode() const noexcept;
  std::uint32_t ring_size() const noexcept { return ring_size_; }
  std::uint32_t rx_budget() const noexcept { return rx_budget_; }
  // Frames of another pool that tx_burst copied into this pool. Transmit thread's count.
  std::uint64_t tx_copied() const noexcept { return tx_copied_.load(std::memory_order_relaxed); }
  // True while the kernel holds pool frame `index` for this port (in its fill, RX, TX or
  // completion ring, or internally). Any thread; a snapshot.
  bool holds(std::uint32_t index) const noexcept;
  // Frames lent for receiving (fill ring, kernel, RX ring) and for transmitting (TX ring
  // until completion drained). Each read by its own side's thread, or when quiet.
  std::uint32_t rx_lent() const noexcept { return rx_lent_; }
  std::uint32_t tx_in_flight() const noexcept { return tx_in_flight_; }

 private:
  XdpPort(const PortConfig& cfg, mem::PacketPool& pool);
  Status attach(const PortConfig& cfg);  // under the registries' lock
  Status setup_rings(const PortConfig& cfg);
  void refill() noexcept;
  void reclaim_completions() noexcept;
  void kick_tx() noexcept;
  void fold_rx_stats() noexcept;
  void fold_tx_stats() noexcept;
  void release() noexcept;

  mem::PacketPool& pool_;
  std::shared_ptr<XdpUmem> umem_;
  std::shared_ptr<XdpProgram> prog_;
  UniqueFd fd_;
  UniqueFd ctl_;      // a datagram socket in the port's namespace, for link-state ioctls
  UniqueFd promisc_;  // holds the device promiscuous (PortConfig::promiscuous)
  std::unique_ptr<DeviceLink> link_;
  std::uint8_t slot_ = 0;  // this port's mark in the UMEM's per-frame table
  std::uint32_t ifindex_ = 0;
  std::uint32_t ring_size_ = 0;
  std::uint32_t rx_budget_ = 0;
  std::uint32_t frame_shift_ = 0;
  std::uint32_t frame_count_ = 0;
  bool zero_copy_ = false;
  bool skb_mode_ = false;

  // Ring mappings (munmapped before the socket closes: a mapping holds the socket open).
  void* map_[4] = {};
  std::size_t map_len_[4] = {};

  // Receive side.
  alignas(64) xsk_ring_cons rx_{};
  xsk_ring_prod fill_{};
  std::uint32_t rx_lent_ = 0;
  PeriodicChore rx_stats_{kStatsEveryNs};  // folds the kernel's XDP_STATISTICS in
  std::uint64_t k_rx_dropped_ = 0;  // the kernel's counts as last folded in
  std::uint64_t k_rx_invalid_ = 0;

  // Transmit side.
  alignas(64) xsk_ring_prod tx_{};
  xsk_ring_cons comp_{};
  std::uint32_t tx_in_flight_ = 0;
  PeriodicChore tx_stats_{kStatsEveryNs};  // and re-reads the link's MTU
  std::uint64_t k_tx_invalid_ = 0;
  std::atomic<std::uint64_t> tx_copied_{0};
};

}  // namespace uplane::io
