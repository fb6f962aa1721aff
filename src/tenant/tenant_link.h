#pragma once
// TenantLink: the memory an out-of-process tenant shares with the host (issue 6, the
// EUROPA design; DESIGN.md, "Tenancy and isolation"): a packet pool that holds only this
// tenant's frames, and four SPSC rings of frame descriptors (indexes, never pointers).
//
//   Region: [pool: PoolHeader | free ring | frames | link: LinkHeader, 4 KiB | rx | tx | fill |
//   release] rx       host -> tenant   a frame the host filled with a packet for the tenant tx
//   tenant -> host   a frame the tenant wants sent (its port, its data window) fill     host ->
//   tenant   an empty frame the tenant may use for packets of its own release  tenant -> host   a
//   frame the tenant is done with (it dropped the packet)
//
// The frames are ordinary pool frames ([Packet | headroom | data], mem/packet.h), so the
// tenant processes packets in place with the same elements as anywhere else: it views the
// pool with a free list of its own (PacketPool::attach_private) and never touches the
// pool's shared free ring, which nobody uses. Which frames are whose is the host's FrameLedger.
//
// The host end copies each packet it delivers into a frame of the link (one copy, as VALE
// does), copies each packet the tenant sends out of it into a frame of the host's own pool
// (so nothing the tenant writes later can change what the host checked), and checks every
// descriptor the tenant hands back against its ledger (in range, held by the tenant at
// that moment, not given back twice, a data window that fits the frame): what fails is
// counted and dropped, and never costs the host a frame. It reads the rings through private
// views (ring/guarded_ring.h), so a tenant that scribbles on the rings' headers or indexes
// stalls only its own traffic. When the tenant dies, reclaim() takes back every frame it held.
//
// Zero copy (LinkConfig::lend, for tenants the host trusts): the link has no frames of its
// own; its rings sit in a Region of their own and the tenant maps the host's pool itself,
// so packets cross by index with no copy either way. The ledger still tracks every frame
// lent, and the host rebuilds a frame's metadata when it comes back; but a trusted tenant
// can read and write every frame of the host's pool, which is why only trusted ones get it.
//
// The tenant end trusts the host: it attaches the Regions (received over a Unix socket,
// Region::receive), checks the header once, and reads and writes the rings directly.
//
// Threads: each end is used from one thread at a time.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "mem/batch.h"
#include "mem/packet_pool.h"
#include "mem/region.h"
#include "ring/guarded_ring.h"
#include "ring/spsc_ring.h"
#include "tenant/frame_ledger.h"

namespace uplane::tenant {

// A frame on a ring: its index in the pool, its data window (offset from the frame's start,
// length) and a port (the tenant's port it arrived on, on rx; the one to send it on, on tx;
// 0 on fill and release, where the window is unused).
struct LinkDesc {
  std::uint32_t index = 0;
  std::uint16_t offset = 0;
  std::uint16_t length = 0;
  std::uint16_t port = 0;
  std::uint16_t reserved = 0;
};
static_assert(sizeof(LinkDesc) == 12);

using LinkRing = ring::SpscRing<LinkDesc>;

struct LinkConfig {
  std::string name = "tenant-link";
  std::uint32_t frame_count = 4096;  // the tenant's pool (not used with `lend`)
  std::uint32_t frame_size = 2048;   // a power of two in [512, 32768]
  std::uint32_t headroom = 128;      // in front of a delivered packet's data
  std::uint32_t ring_slots = 1024;   // per ring, a power of two
  std::uint32_t fill_target = 64;    // empty frames the host keeps on the fill ring
  bool allow_hugepages = true;
  // Zero copy, for a tenant the host trusts: lend it frames of this pool (the host's)
  // instead of giving it a pool of its own. Must outlive the link.
  mem::PacketPool* lend = nullptr;
};

// Why the host end dropped a packet (besides the ledger's FrameReject).
enum class LinkDrop : std::uint8_t {
  kNoFrame,   // delivering: every frame of the link was the tenant's (left with the caller)
  kTooLong,   // delivering: the packet does not fit a link frame; collecting: the tenant's
              // packet does not fit a frame of the host's pool
  kRingFull,  // delivering: the tenant's rx ring was full (left with the caller)
  kNoMemory,  // collecting: no frame in the host's pool to copy into
  kCount
};
inline constexpr std::size_t kLinkDropCount = static_cast<std::size_t>(LinkDrop::kCount);

class TenantLinkHost {
 public:
  // Makes the Region(s) and lays the link out: every frame the host's.
  static Result<std::unique_ptr<TenantLinkHost>> create(const LinkConfig& cfg);
  // With `lend`: takes back every frame the tenant still holds (reclaim) into the lent pool.
  ~TenantLinkHost();

  // What the tenant maps: the pool (its own, or the lent one), and the Region with the
  // rings — the pool's own Region, at ring_offset(), unless the link lends frames.
  const std::shared_ptr<mem::Region>& pool_region() const noexcept;
  const std::shared_ptr<mem::Region>& ring_region() const noexcept { return ring_region_; }
  std::size_t ring_offset() const noexcept { return ring_offset_; }
  bool zero_copy() const noexcept { return lend_ != nullptr; }

  // Copies each packet of b into a frame of the link (with `lend`: lends its own frame) and
  // posts it on the tenant's rx ring as arriving on `port`; frees the ones it delivered and
  // removes them from b. What it could not deliver stays in b (counted each time: kNoFrame,
  // kRingFull), except packets too long for a frame, which are freed and counted (kTooLong).
  // Returns how many it delivered.
  std::uint32_t deliver(mem::Batch& b, std::uint16_t port) noexcept;

  // An eventfd the host writes after it posted frames on rx while the tenant said it was
  // asleep (TenantLinkTenant::set_asleep); -1: none (the tenant polls). Not owned.
  void set_kick_fd(int fd) noexcept { kick_fd_ = fd; }
  std::uint64_t kicks() const noexcept { return kicks_; }

  // Tops the tenant's fill ring up to LinkConfig::fill_target empty frames (as far as the
  // host has frames); returns how many it added.
  std::uint32_t fill() noexcept;

  // Takes what the tenant sent on its tx ring (up to out's room): each descriptor checked,
  // each good one copied into a packet of `pool` (with `lend`: its own frame, metadata
  // rebuilt), its port in the packet's input_port annotation (the tenant's port to send it
  // on); appended to out. Also takes back what the tenant released. Returns how many
  // packets it appended.
  std::uint32_t collect(mem::PacketPool& pool, mem::Batch& out) noexcept;

  // The tenant is gone: every frame it held is the host's again. Returns how many. The
  // rings may still name those frames, so a link is not used again after a reclaim: a
  // restarted tenant gets a new one.
  std::uint32_t reclaim();

  const FrameLedger& ledger() const noexcept { return ledger_; }
  std::uint32_t frames_free() const noexcept { return static_cast<std::uint32_t>(free_.size()); }
  std::uint64_t delivered() const noexcept { return delivered_; }
  std::uint64_t collected() const noexcept { return collected_; }
  std::uint64_t released() const noexcept { return released_; }
  std::uint64_t dropped(LinkDrop r) const noexcept { return drops_[static_cast<std::size_t>(r)]; }
  // Impossible ring indexes the tenant published (all four rings).
  std::uint64_t ring_faults() const noexcept;
  // Every frame is either free on the host or held by the tenant, and the ledger balances
  // (with `lend`: the ledger balances).
  bool balanced() const noexcept {
    if (lend_ != nullptr) return ledger_.balanced();
    return free_.size() + ledger_.held_count() == ledger_.frames() && ledger_.balanced();
  }

 private:
  TenantLinkHost(const LinkConfig& cfg, std::uint32_t frames);
  std::uint8_t* frame(std::uint32_t i) const noexcept {
    return reinterpret_cast<std::uint8_t*>(frames_->packet(i));
  }
  // A frame the tenant gave back: to the free list, or (lent) to the lent pool.
  void give_back(std::uint32_t i) noexcept;

  std::unique_ptr<mem::PacketPool> own_;  // the tenant's pool (not with `lend`)
  mem::PacketPool* lend_ = nullptr;
  mem::PacketPool* frames_ = nullptr;  // own_ or lend_
  std::shared_ptr<mem::Region> ring_region_;
  std::size_t ring_offset_ = 0;
  std::uint32_t frame_size_ = 0;
  std::uint32_t data_offset_ = 0;  // where a delivered copy starts in its frame
  std::uint32_t fill_target_ = 0;
  std::atomic<std::uint32_t>* asleep_ = nullptr;  // in the header page (the tenant writes it)
  int kick_fd_ = -1;
  std::uint64_t kicks_ = 0;
  ring::GuardedProducer<LinkDesc> rx_, fill_;
  ring::GuardedConsumer<LinkDesc> tx_, release_;
  FrameLedger ledger_;
  std::vector<std::uint32_t> free_;  // the host's empty frames (own pool)
  std::uint64_t delivered_ = 0, collected_ = 0, released_ = 0;
  std::array<std::uint64_t, kLinkDropCount> drops_{};
};

class TenantLinkTenant {
 public:
  // Checks the header and the rings of a link the host made (TenantLinkHost::create): the
  // pool's Region, and the rings' Region and offset (the pool's own Region unless the link
  // lends frames).
  static Result<std::unique_ptr<TenantLinkTenant>> attach(std::shared_ptr<mem::Region> pool,
                                                          std::shared_ptr<mem::Region> rings,
                                                          std::size_t ring_offset);

  const std::shared_ptr<mem::Region>& pool_region() const noexcept { return pool_; }
  std::uint32_t frame_count() const noexcept { return frame_count_; }
  std::uint32_t frame_size() const noexcept { return frame_size_; }
  // Frame i's bytes (its Packet first); i < frame_count().
  std::uint8_t* frame(std::uint32_t i) const noexcept {
    return frames_ + std::size_t{i} * frame_size_;
  }
  // The data a descriptor names.
  std::uint8_t* data(const LinkDesc& d) const noexcept { return frame(d.index) + d.offset; }

  std::uint32_t receive(LinkDesc* out, std::uint32_t n) noexcept {
    return rx_->dequeue_burst(out, n);
  }
  std::uint32_t send(const LinkDesc* d, std::uint32_t n) noexcept {
    return tx_->enqueue_burst(d, n);
  }
  std::uint32_t take_fill(LinkDesc* out, std::uint32_t n) noexcept {
    return fill_->dequeue_burst(out, n);
  }
  std::uint32_t release(const LinkDesc* d, std::uint32_t n) noexcept {
    return release_->enqueue_burst(d, n);
  }
  // Says the tenant is about to sleep (true) or awake (false). Before sleeping: set it,
  // then look at rx once more (rx_pending) — the host kicks only a tenant it sees asleep.
  void set_asleep(bool a) noexcept {
    if (a) {
      (void)asleep_->exchange(1, std::memory_order_seq_cst);  // ordered with the host's RMW
    } else {
      asleep_->store(0, std::memory_order_relaxed);
    }
  }
  bool rx_pending() const noexcept { return rx_->size_estimate() != 0; }

  // For tests of a hostile tenant: the rings as the tenant sees them.
  LinkRing& tx_ring() noexcept { return *tx_; }
  LinkRing& release_ring() noexcept { return *release_; }
  LinkRing& rx_ring() noexcept { return *rx_; }

 private:
  std::shared_ptr<mem::Region> pool_, rings_;
  std::uint8_t* frames_ = nullptr;
  std::uint32_t frame_count_ = 0, frame_size_ = 0;
  LinkRing *rx_ = nullptr, *tx_ = nullptr, *fill_ = nullptr, *release_ = nullptr;
  std::atomic<std::uint32_t>* asleep_ = nullptr;
};

}  // namespace uplane::tenant
