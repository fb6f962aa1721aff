#include "tenant/tenant_link.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "base/compiler.h"

namespace uplane::tenant {

namespace {

constexpr std::uint64_t kLinkMagic = 0x6b6e696c2d707575ull;  // "uup-link"
constexpr std::uint32_t kLinkVersion = 1;
constexpr std::size_t kHeaderBytes = 4096;
constexpr std::uint32_t kRings = 4;  // rx, tx, fill, release, in that order

// What the Region starts with: offsets only, checked whole by the tenant on attach.
struct LinkHeader {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t frame_count;
  std::uint32_t frame_size;
  std::uint32_t ring_slots;
  std::uint64_t ring_off[kRings];
  std::uint64_t ring_bytes;
  std::uint64_t frames_off;
  std::uint64_t total_bytes;
};
static_assert(sizeof(LinkHeader) <= kHeaderBytes);

constexpr std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

}  // namespace

TenantLinkHost::TenantLinkHost(std::shared_ptr<mem::Region> region, const LinkConfig& cfg)
    : region_(std::move(region)), frame_size_(cfg.frame_size), ledger_(cfg.frame_count) {}

Result<std::unique_ptr<TenantLinkHost>> TenantLinkHost::create(const LinkConfig& cfg) {
  if (cfg.frame_count == 0 || cfg.frame_count > (1u << 24))
    return make_error(Errc::kInvalidArgument, "link '{}': frame_count {} is outside [1, 2^24]",
                      cfg.name, cfg.frame_count);
  if (cfg.frame_size < 256 || cfg.frame_size > 65535 || cfg.frame_size % 64 != 0)
    return make_error(Errc::kInvalidArgument,
                      "link '{}': frame_size {} is not a multiple of 64 in [256, 65535]", cfg.name,
                      cfg.frame_size);
  if (cfg.ring_slots < 2 || cfg.ring_slots > (1u << 20) || !is_power_of_two(cfg.ring_slots))
    return make_error(Errc::kInvalidArgument,
                      "link '{}': ring_slots {} is not a power of two in [2, 2^20]", cfg.name,
                      cfg.ring_slots);
  const std::size_t ring_bytes = align_up(LinkRing::bytes_for(cfg.ring_slots), 4096);
  const std::size_t frames_off = kHeaderBytes + kRings * ring_bytes;
  const std::size_t total = frames_off + std::size_t{cfg.frame_count} * cfg.frame_size;
  auto region = mem::Region::create(cfg.name, total);
  if (!region.is_ok()) return region.status();
  std::unique_ptr<TenantLinkHost> h(new TenantLinkHost(std::move(region).value(), cfg));
  std::byte* base = h->region_->base();
  auto* hdr = new (base) LinkHeader{};
  hdr->version = kLinkVersion;
  hdr->frame_count = cfg.frame_count;
  hdr->frame_size = cfg.frame_size;
  hdr->ring_slots = cfg.ring_slots;
  hdr->ring_bytes = ring_bytes;
  hdr->frames_off = frames_off;
  hdr->total_bytes = total;
  LinkRing* rings[kRings];
  for (std::uint32_t r = 0; r < kRings; ++r) {
    hdr->ring_off[r] = kHeaderBytes + r * ring_bytes;
    auto ring = LinkRing::create_in(base + hdr->ring_off[r], ring_bytes, cfg.ring_slots);
    if (!ring.is_ok())
      return make_error(ring.status().code(), "link '{}': {}", cfg.name, ring.status().message());
    rings[r] = *ring;
  }
  hdr->magic = kLinkMagic;  // last: a header with the magic is complete
  h->rx_ = ring::GuardedProducer<LinkDesc>::over(rings[0], cfg.ring_slots);
  h->tx_ = ring::GuardedConsumer<LinkDesc>::over(rings[1], cfg.ring_slots);
  h->fill_ = ring::GuardedProducer<LinkDesc>::over(rings[2], cfg.ring_slots);
  h->release_ = ring::GuardedConsumer<LinkDesc>::over(rings[3], cfg.ring_slots);
  h->frames_ = reinterpret_cast<std::uint8_t*>(base + frames_off);
  h->free_.reserve(cfg.frame_count);
  // Low indexes on top: handed out first.
  for (std::uint32_t i = cfg.frame_count; i-- > 0;) h->free_.push_back(i);
  return h;
}

std::uint32_t TenantLinkHost::deliver(mem::Batch& b, std::uint16_t port) noexcept {
  LinkDesc d[mem::Batch::kMax];
  mem::Packet* done[mem::Batch::kMax];
  std::uint32_t n = 0, kept = 0, done_n = 0;
  for (std::uint32_t i = 0; i < b.size(); ++i) {
    mem::Packet* p = b[i];
    if (p->length() > frame_size_) {
      ++drops_[static_cast<std::size_t>(LinkDrop::kTooLong)];
      mem::free_packet(p);
      continue;
    }
    if (free_.empty()) {
      ++drops_[static_cast<std::size_t>(LinkDrop::kNoFrame)];
      b[kept++] = p;
      continue;
    }
    const std::uint32_t f = free_.back();
    free_.pop_back();
    std::memcpy(frame(f), p->data(), p->length());
    // The tenant holds it from the moment it could see it: given before it is published.
    (void)ledger_.give(f);
    d[n++] = LinkDesc{f, static_cast<std::uint16_t>(p->length()), port};
    done[done_n++] = p;
  }
  const std::uint32_t sent = rx_.enqueue_burst(d, n);
  for (std::uint32_t i = 0; i < sent; ++i) mem::free_packet(done[i]);
  // What the ring refused was never published: the frames are the host's again and the
  // packets stay with the caller, after the ones with no frame.
  for (std::uint32_t i = sent; i < n; ++i) {
    (void)ledger_.revoke(d[i].index);
    free_.push_back(d[i].index);
    b[kept++] = done[i];
    ++drops_[static_cast<std::size_t>(LinkDrop::kRingFull)];
  }
  b.set_size(kept);
  delivered_ += sent;
  return sent;
}

std::uint32_t TenantLinkHost::fill(std::uint32_t n) noexcept {
  LinkDesc d[64];
  std::uint32_t total = 0;
  while (total < n && !free_.empty()) {
    const std::uint32_t k =
        std::min<std::uint32_t>({n - total, 64, static_cast<std::uint32_t>(free_.size())});
    for (std::uint32_t i = 0; i < k; ++i) {
      d[i] = LinkDesc{free_.back(), 0, 0};
      free_.pop_back();
      (void)ledger_.give(d[i].index);
    }
    const std::uint32_t sent = fill_.enqueue_burst(d, k);
    for (std::uint32_t i = sent; i < k; ++i) {
      (void)ledger_.revoke(d[i].index);
      free_.push_back(d[i].index);
    }
    total += sent;
    if (sent < k) break;
  }
  return total;
}

std::uint32_t TenantLinkHost::collect(mem::PacketPool& pool, mem::Batch& out) noexcept {
  LinkDesc d[mem::Batch::kMax];
  // Released frames first: they only come back.
  for (int rounds = 0; rounds < 64; ++rounds) {
    const std::uint32_t got = release_.dequeue_burst(d, mem::Batch::kMax);
    for (std::uint32_t i = 0; i < got; ++i) {
      const FrameReject why = ledger_.take(d[i].index, d[i].length, frame_size_);
      if (why == FrameReject::kCount || why == FrameReject::kBadLength) {
        free_.push_back(d[i].index);
        ++released_;
      }
    }
    if (got < mem::Batch::kMax) break;
  }
  const std::uint32_t got = tx_.dequeue_burst(d, out.room());
  std::uint32_t appended = 0;
  for (std::uint32_t i = 0; i < got; ++i) {
    const LinkDesc x = d[i];  // read once: the tenant may write the slot again
    const FrameReject why = ledger_.take(x.index, x.length, frame_size_);
    if (why != FrameReject::kCount) {
      if (why == FrameReject::kBadLength) free_.push_back(x.index);  // the host's again
      continue;
    }
    mem::Packet* p = pool.alloc();
    if (p == nullptr || !p->assign(frame(x.index), x.length, pool.headroom())) {
      // No frame, or one too small for what the tenant sent (its frames may be larger).
      ++drops_[static_cast<std::size_t>(p == nullptr ? LinkDrop::kNoMemory : LinkDrop::kTooLong)];
      if (p != nullptr) pool.free(p);
      free_.push_back(x.index);
      continue;
    }
    free_.push_back(x.index);
    p->set_input_port(x.port);
    (void)out.push_back(p);  // at most out.room() descriptors were taken
    ++appended;
  }
  collected_ += appended;
  return appended;
}

std::uint32_t TenantLinkHost::reclaim() {
  const std::vector<std::uint32_t> back = ledger_.reclaim();
  free_.insert(free_.end(), back.begin(), back.end());
  return static_cast<std::uint32_t>(back.size());
}

std::uint64_t TenantLinkHost::ring_faults() const noexcept {
  return rx_.peer_faults() + tx_.peer_faults() + fill_.peer_faults() + release_.peer_faults();
}

Result<std::unique_ptr<TenantLinkTenant>> TenantLinkTenant::attach(
    std::shared_ptr<mem::Region> region) {
  const std::size_t size = region->size();
  if (size < kHeaderBytes)
    return make_error(Errc::kInvalidArgument, "link '{}': {} bytes hold no header", region->name(),
                      size);
  LinkHeader h;
  std::memcpy(&h, region->base(), sizeof h);
  if (h.magic != kLinkMagic || h.version != kLinkVersion)
    return make_error(Errc::kInvalidArgument, "link '{}': not a tenant link (version {})",
                      region->name(), h.version);
  const std::size_t ring_bytes = align_up(LinkRing::bytes_for(h.ring_slots), 4096);
  if (h.ring_slots == 0 || h.ring_bytes != ring_bytes || h.frame_size == 0 ||
      h.frames_off != kHeaderBytes + kRings * ring_bytes ||
      h.total_bytes != h.frames_off + std::uint64_t{h.frame_count} * h.frame_size ||
      h.total_bytes > size)
    return make_error(Errc::kInvalidArgument, "link '{}': its header does not add up",
                      region->name());
  auto t = std::make_unique<TenantLinkTenant>();
  LinkRing** rings[kRings] = {&t->rx_, &t->tx_, &t->fill_, &t->release_};
  for (std::uint32_t r = 0; r < kRings; ++r) {
    if (h.ring_off[r] != kHeaderBytes + r * ring_bytes)
      return make_error(Errc::kInvalidArgument, "link '{}': ring {} is misplaced", region->name(),
                        r);
    auto ring = LinkRing::attach(region->base() + h.ring_off[r], ring_bytes);
    if (!ring.is_ok())
      return make_error(ring.status().code(), "link '{}': ring {}: {}", region->name(), r,
                        ring.status().message());
    *rings[r] = *ring;
  }
  t->frames_ = reinterpret_cast<std::uint8_t*>(region->base() + h.frames_off);
  t->frame_count_ = h.frame_count;
  t->frame_size_ = h.frame_size;
  t->region_ = std::move(region);
  return t;
}

}  // namespace uplane::tenant
