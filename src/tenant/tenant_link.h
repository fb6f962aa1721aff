#pragma once
// TenantLink: the memory an out-of-process tenant shares with the host (issue 6, the
// EUROPA design; DESIGN.md, "Tenancy and isolation"). One Region holds the tenant's frames
// and four SPSC rings of frame descriptors, and nothing of the host's: not its pool, not its
// free list, not a pointer.
//
//   [LinkHeader, 4 KiB | rx | tx | fill | release | frames]
//   rx       host -> tenant   a frame the host filled with a packet for the tenant
//   tx       tenant -> host   a frame the tenant wants sent (its port, its length)
//   fill     host -> tenant   an empty frame the tenant may fill with a packet of its own
//   release  tenant -> host   a frame the tenant is done with (it dropped the packet)
//   frames   frame_count frames of frame_size bytes; a packet's data starts at byte 0
//
// The host end copies each packet it delivers into a frame of the link (one copy, as VALE
// does), copies each packet the tenant sends out of it into a frame of the host's own pool
// (so nothing the tenant writes later can change what the host checked), and checks every
// descriptor the tenant hands back against its FrameLedger (in range, held by the tenant
// at that moment, not given back twice, a length that fits): what fails is counted and
// dropped, and never costs the host a frame. It reads the rings through private views
// (ring/guarded_ring.h), so a tenant that scribbles on the rings' headers or indexes stalls
// only its own traffic. When the tenant dies, reclaim() takes back every frame it held.
//
// The tenant end trusts the host: it attaches the Region (received over a Unix socket,
// Region::receive), checks the header once, and reads and writes the rings directly.
//
// Threads: each end is used from one thread at a time.

#include <array>
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

// A frame on a ring: its index in the link's frames, its data length and a port (the
// tenant's port it arrived on, on rx; the one to send it on, on tx; 0 on fill and release).
struct LinkDesc {
  std::uint32_t index = 0;
  std::uint16_t length = 0;
  std::uint16_t port = 0;
};
static_assert(sizeof(LinkDesc) == 8);

using LinkRing = ring::SpscRing<LinkDesc>;

struct LinkConfig {
  std::string name = "tenant-link";
  std::uint32_t frame_count = 4096;
  std::uint32_t frame_size = 2048;  // a multiple of 64, 256 to 65535
  std::uint32_t ring_slots = 1024;  // per ring, a power of two
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
  // Makes the Region and lays the link out: every frame the host's.
  static Result<std::unique_ptr<TenantLinkHost>> create(const LinkConfig& cfg);

  const std::shared_ptr<mem::Region>& region() const noexcept { return region_; }

  // Copies each packet of b into a frame of the link and posts it on the tenant's rx ring
  // as arriving on `port`; frees the ones it delivered and removes them from b. What it
  // could not deliver stays in b (counted each time: kNoFrame, kRingFull), except packets too long
  // for a frame, which are freed and counted (kTooLong). Returns how many it delivered.
  std::uint32_t deliver(mem::Batch& b, std::uint16_t port) noexcept;

  // Offers the tenant up to n empty frames on its fill ring; returns how many.
  std::uint32_t fill(std::uint32_t n) noexcept;

  // Takes what the tenant sent on its tx ring (up to out's room): each descriptor checked,
  // each good one copied into a packet of `pool`, its port in the packet's input_port
  // annotation (the tenant's port to send it on); appended to out. Also takes back what the
  // tenant released. Returns how many packets it appended.
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
  // Every frame is either free on the host or held by the tenant, and the ledger balances.
  bool balanced() const noexcept {
    return free_.size() + ledger_.held_count() == ledger_.frames() && ledger_.balanced();
  }

 private:
  TenantLinkHost(std::shared_ptr<mem::Region> region, const LinkConfig& cfg);
  std::uint8_t* frame(std::uint32_t i) const noexcept {
    return frames_ + std::size_t{i} * frame_size_;
  }

  std::shared_ptr<mem::Region> region_;
  std::uint8_t* frames_ = nullptr;
  std::uint32_t frame_size_ = 0;
  ring::GuardedProducer<LinkDesc> rx_, fill_;
  ring::GuardedConsumer<LinkDesc> tx_, release_;
  FrameLedger ledger_;
  std::vector<std::uint32_t> free_;  // the host's empty frames
  std::uint64_t delivered_ = 0, collected_ = 0, released_ = 0;
  std::array<std::uint64_t, kLinkDropCount> drops_{};
};

class TenantLinkTenant {
 public:
  // Checks the header and the rings of a Region the host made (TenantLinkHost::create).
  static Result<std::unique_ptr<TenantLinkTenant>> attach(std::shared_ptr<mem::Region> region);

  std::uint32_t frame_count() const noexcept { return frame_count_; }
  std::uint32_t frame_size() const noexcept { return frame_size_; }
  // Frame i's bytes; i < frame_count().
  std::uint8_t* frame(std::uint32_t i) const noexcept {
    return frames_ + std::size_t{i} * frame_size_;
  }

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
  // For tests of a hostile tenant: the rings as the tenant sees them.
  LinkRing& tx_ring() noexcept { return *tx_; }
  LinkRing& release_ring() noexcept { return *release_; }
  LinkRing& rx_ring() noexcept { return *rx_; }

 private:
  std::shared_ptr<mem::Region> region_;
  std::uint8_t* frames_ = nullptr;
  std::uint32_t frame_count_ = 0, frame_size_ = 0;
  LinkRing *rx_ = nullptr, *tx_ = nullptr, *fill_ = nullptr, *release_ = nullptr;
};

}  // namespace uplane::tenant
