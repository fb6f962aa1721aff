#include "tenant/tenant_link.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "base/compiler.h"
#include "graph/element.h"

namespace uplane::tenant {

namespace {

constexpr std::uint64_t kLinkMagic = 0x6b6e696c2d707575ull;  // "uup-link"
constexpr std::uint32_t kLinkVersion = 2;
constexpr std::size_t kHeaderBytes = 4096;
constexpr std::uint32_t kRings = 4;  // rx, tx, fill, release, in that order

// What the link part starts with: offsets only, checked whole by the tenant on attach.
// Ring offsets are from the header; frames_off is from the pool Region's base.
struct LinkHeader {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t frame_count;
  std::uint32_t frame_size;
  std::uint32_t ring_slots;
  std::uint64_t ring_off[kRings];
  std::uint64_t ring_bytes;
  std::uint64_t frames_off;
  std::uint64_t link_bytes;  // header and rings
};
static_assert(sizeof(LinkHeader) <= kHeaderBytes);
// The tenant's "asleep" flag: a cache line of its own in the header page, written by the
// tenant when it goes to sleep and wakes, read by the host after it posts on rx.
constexpr std::size_t kAsleepOffset = 2048;
static_assert(kAsleepOffset >= sizeof(LinkHeader) && kAsleepOffset + 64 <= kHeaderBytes);

std::size_t ring_bytes_for(std::uint32_t slots) {
  return align_up(LinkRing::bytes_for(slots), 4096);
}

}  // namespace

TenantLinkHost::TenantLinkHost(const LinkConfig& cfg, std::uint32_t frames)
    : fill_target_(cfg.fill_target), ledger_(frames) {}

TenantLinkHost::~TenantLinkHost() {
  if (lend_ != nullptr) (void)reclaim();
}

const std::shared_ptr<mem::Region>& TenantLinkHost::pool_region() const noexcept {
  return frames_->region();
}

Result<std::unique_ptr<TenantLinkHost>> TenantLinkHost::create(const LinkConfig& cfg) {
  if (cfg.ring_slots < 2 || cfg.ring_slots > (1u << 20) || !is_power_of_two(cfg.ring_slots))
    return make_error(Errc::kInvalidArgument,
                      "link '{}': ring_slots {} is not a power of two in [2, 2^20]", cfg.name,
                      cfg.ring_slots);
  const std::size_t ring_bytes = ring_bytes_for(cfg.ring_slots);
  const std::size_t link_bytes = kHeaderBytes + kRings * ring_bytes;
  std::unique_ptr<mem::PacketPool> own;
  std::shared_ptr<mem::Region> ring_region;
  std::size_t ring_offset = 0;
  if (cfg.lend == nullptr) {
    if (cfg.frame_count == 0 || cfg.frame_count > (1u << 24))
      return make_error(Errc::kInvalidArgument, "link '{}': frame_count {} is outside [1, 2^24]",
                        cfg.name, cfg.frame_count);
    mem::PoolConfig pc;
    pc.name = cfg.name;
    pc.frame_count = cfg.frame_count;
    pc.frame_size = cfg.frame_size;
    pc.headroom = cfg.headroom;
    pc.cache_size = 0;  // the host never takes frames through the pool's free list
    pc.trailer_bytes = link_bytes;
    pc.region.allow_hugepages = cfg.allow_hugepages;
    auto pool = mem::PacketPool::create(pc);
    if (!pool.is_ok())
      return make_error(pool.status().code(), "link '{}': {}", cfg.name, pool.status().message());
    own = std::move(pool).value();
    ring_region = own->region();
    ring_offset = own->trailer_offset();
  } else {
    mem::RegionOptions ro;
    ro.allow_hugepages = false;  // a few rings
    auto region = mem::Region::create(cfg.name, link_bytes, ro);
    if (!region.is_ok()) return region.status();
    ring_region = std::move(region).value();
  }
  mem::PacketPool* frames = own != nullptr ? own.get() : cfg.lend;
  std::unique_ptr<TenantLinkHost> h(new TenantLinkHost(cfg, frames->frame_count()));
  h->own_ = std::move(own);
  h->lend_ = cfg.lend;
  h->frames_ = frames;
  h->ring_region_ = std::move(ring_region);
  h->ring_offset_ = ring_offset;
  h->frame_size_ = frames->frame_size();
  h->data_offset_ = static_cast<std::uint32_t>(sizeof(mem::Packet)) + frames->headroom();
  std::byte* base = h->ring_region_->base() + ring_offset;
  auto* hdr = new (base) LinkHeader{};
  hdr->version = kLinkVersion;
  hdr->frame_count = frames->frame_count();
  hdr->frame_size = frames->frame_size();
  hdr->ring_slots = cfg.ring_slots;
  hdr->ring_bytes = ring_bytes;
  hdr->frames_off = frames->frames_offset();
  hdr->link_bytes = link_bytes;
  LinkRing* rings[kRings];
  for (std::uint32_t r = 0; r < kRings; ++r) {
    hdr->ring_off[r] = kHeaderBytes + r * ring_bytes;
    auto ring = LinkRing::create_in(base + hdr->ring_off[r], ring_bytes, cfg.ring_slots);
    if (!ring.is_ok())
      return make_error(ring.status().code(), "link '{}': {}", cfg.name, ring.status().message());
    rings[r] = *ring;
  }
  hdr->magic = kLinkMagic;  // last: a header with the magic is complete
  h->asleep_ = new (base + kAsleepOffset) std::atomic<std::uint32_t>(0);
  h->rx_ = ring::GuardedProducer<LinkDesc>::over(rings[0], cfg.ring_slots);
  h->tx_ = ring::GuardedConsumer<LinkDesc>::over(rings[1], cfg.ring_slots);
  h->fill_ = ring::GuardedProducer<LinkDesc>::over(rings[2], cfg.ring_slots);
  h->release_ = ring::GuardedConsumer<LinkDesc>::over(rings[3], cfg.ring_slots);
  if (h->own_ != nullptr) {
    h->free_.reserve(cfg.frame_count);
    // Low indexes on top: handed out first.
    for (std::uint32_t i = cfg.frame_count; i-- > 0;) h->free_.push_back(i);
  }
  return h;
}

void TenantLinkHost::give_back(std::uint32_t i) noexcept {
  if (lend_ == nullptr) {
    free_.push_back(i);
  } else {
    lend_->free(lend_->rebuild(i));
  }
}

std::uint32_t TenantLinkHost::deliver(mem::Batch& b, std::uint16_t port) noexcept {
  LinkDesc d[mem::Batch::kMax];
  mem::Packet* done[mem::Batch::kMax];
  std::uint32_t n = 0, kept = 0;
  // No copy for what the ring cannot take: a tenant behind its traffic costs the host
  // nothing but the count.
  const std::uint32_t room = rx_.room();
  for (std::uint32_t i = 0; i < b.size(); ++i) {
    mem::Packet* p = b[i];
    if (n == room) {
      ++drops_[static_cast<std::size_t>(LinkDrop::kRingFull)];
      b[kept++] = p;
      continue;
    }
    if (lend_ != nullptr && lend_->owns(p)) {
      // Zero copy: the frame itself goes, no longer charged to anyone here.
      lend_->uncharge(&p, 1);
      const std::uint32_t f = lend_->index_of(p);
      (void)ledger_.give(f);
      d[n] = LinkDesc{f, static_cast<std::uint16_t>(p->data_offset()),
                      static_cast<std::uint16_t>(p->length()), port, 0};
      done[n++] = p;
      continue;
    }
    if (data_offset_ + p->length() > frame_size_) {
      ++drops_[static_cast<std::size_t>(LinkDrop::kTooLong)];
      mem::free_packet(p);
      continue;
    }
    std::uint32_t f = 0;
    if (lend_ != nullptr) {  // not a frame of the lent pool: copied into one
      mem::Packet* q = lend_->alloc();
      if (q == nullptr) {
        ++drops_[static_cast<std::size_t>(LinkDrop::kNoFrame)];
        b[kept++] = p;
        continue;
      }
      f = lend_->index_of(q);
    } else {
      if (free_.empty()) {
        ++drops_[static_cast<std::size_t>(LinkDrop::kNoFrame)];
        b[kept++] = p;
        continue;
      }
      f = free_.back();
      free_.pop_back();
    }
    std::memcpy(frame(f) + data_offset_, p->data(), p->length());
    // The tenant holds it from the moment it could see it: given before it is published.
    (void)ledger_.give(f);
    d[n] = LinkDesc{f, static_cast<std::uint16_t>(data_offset_),
                    static_cast<std::uint16_t>(p->length()), port, 0};
    done[n++] = p;
  }
  const std::uint32_t sent = rx_.enqueue_burst(d, n);
  if (sent != 0 && kick_fd_ >= 0) {
    // A read-modify-write of the flag, as the tenant's setting of it is: the two are
    // ordered, so either the tenant (after setting it) sees these frames on rx, or we see
    // it asleep. (An RMW, not a fence: ThreadSanitizer does not model fences.)
    if (asleep_->fetch_add(0, std::memory_order_seq_cst) != 0) {
      const std::uint64_t one = 1;
      (void)!::write(kick_fd_, &one, sizeof one);
      ++kicks_;
    }
  }
  // The delivered copies' originals go back in one bulk put (lent frames are the tenant's).
  mem::Batch freed;
  for (std::uint32_t i = 0; i < sent; ++i)
    if (lend_ == nullptr || !lend_->owns(done[i])) (void)freed.push_back(done[i]);
  graph::free_batch(freed);
  // What the ring refused was never published: the frames are the host's again and the
  // packets stay with the caller, after the ones with no frame.
  for (std::uint32_t i = sent; i < n; ++i) {
    (void)ledger_.revoke(d[i].index);
    if (lend_ == nullptr) {
      free_.push_back(d[i].index);
    } else if (!lend_->owns(done[i])) {
      lend_->free(lend_->packet(d[i].index));  // the copy
    }
    b[kept++] = done[i];
    ++drops_[static_cast<std::size_t>(LinkDrop::kRingFull)];
  }
  b.set_size(kept);
  delivered_ += sent;
  return sent;
}

std::uint32_t TenantLinkHost::fill() noexcept {
  const std::uint32_t pending = fill_.pending();
  if (pending >= fill_target_) return 0;
  LinkDesc d[64];
  const std::uint32_t want = std::min<std::uint32_t>(fill_target_ - pending, 64);
  std::uint32_t k = 0;
  for (; k < want; ++k) {
    std::uint32_t f = 0;
    if (lend_ != nullptr) {
      mem::Packet* q = lend_->alloc();
      if (q == nullptr) break;
      f = lend_->index_of(q);
    } else {
      if (free_.empty()) break;
      f = free_.back();
      free_.pop_back();
    }
    (void)ledger_.give(f);
    d[k] = LinkDesc{f, 0, 0, 0, 0};
  }
  const std::uint32_t sent = fill_.enqueue_burst(d, k);
  for (std::uint32_t i = sent; i < k; ++i) {
    (void)ledger_.revoke(d[i].index);
    give_back(d[i].index);
  }
  return sent;
}

std::uint32_t TenantLinkHost::collect(mem::PacketPool& pool, mem::Batch& out) noexcept {
  LinkDesc d[mem::Batch::kMax];
  // Released frames first: they only come back.
  for (int rounds = 0; rounds < 64; ++rounds) {
    const std::uint32_t got = release_.dequeue_burst(d, mem::Batch::kMax);
    for (std::uint32_t i = 0; i < got; ++i) {
      const FrameReject why = ledger_.take(d[i].index, 0, frame_size_);
      if (why == FrameReject::kCount) {
        give_back(d[i].index);
        ++released_;
      }
    }
    if (got < mem::Batch::kMax) break;
  }
  const std::uint32_t got = tx_.dequeue_burst(d, out.room());
  // Copies need frames of the caller's pool: taken in one bulk get (the unused go back).
  mem::Packet* fresh[mem::Batch::kMax];
  std::uint32_t nfresh = 0, used = 0;
  if (lend_ == nullptr && got != 0 && pool.alloc_bulk(fresh, got)) nfresh = got;
  std::uint32_t appended = 0;
  for (std::uint32_t i = 0; i < got; ++i) {
    const LinkDesc x = d[i];  // read once: the tenant may write the slot again
    // The window must lie inside the frame, after its metadata.
    const std::uint32_t end =
        x.offset < sizeof(mem::Packet) ? frame_size_ + 1 : std::uint32_t{x.offset} + x.length;
    const FrameReject why = ledger_.take(x.index, end, frame_size_);
    if (why != FrameReject::kCount) {
      if (why == FrameReject::kBadLength) give_back(x.index);  // the host's again
      continue;
    }
    mem::Packet* p = nullptr;
    if (lend_ != nullptr) {
      // Zero copy: the frame itself, its metadata rebuilt (the tenant could write it).
      p = lend_->rebuild(x.index);
      if (!p->set_window(x.offset, x.length)) {  // cannot fail: checked above
        lend_->free(p);
        continue;
      }
      if (&pool != lend_) {  // the caller wants its own pool's frames
        mem::Packet* c = pool.alloc();
        if (c == nullptr || !c->assign(p->data(), p->length(), pool.headroom())) {
          ++drops_[static_cast<std::size_t>(c == nullptr ? LinkDrop::kNoMemory
                                                         : LinkDrop::kTooLong)];
          if (c != nullptr) pool.free(c);
          lend_->free(p);
          continue;
        }
        lend_->free(p);
        p = c;
      }
    } else {
      p = used < nfresh ? fresh[used++] : pool.alloc();
      if (p == nullptr || !p->assign(frame(x.index) + x.offset, x.length, pool.headroom())) {
        // No frame, or one too small for what the tenant sent (its frames may be larger).
        ++drops_[static_cast<std::size_t>(p == nullptr ? LinkDrop::kNoMemory : LinkDrop::kTooLong)];
        if (p != nullptr) pool.free(p);
        free_.push_back(x.index);
        continue;
      }
      free_.push_back(x.index);
    }
    p->set_input_port(x.port);
    (void)out.push_back(p);  // at most out.room() descriptors were taken
    ++appended;
  }
  if (used < nfresh) pool.put_bulk(fresh + used, nfresh - used);
  collected_ += appended;
  return appended;
}

std::uint32_t TenantLinkHost::reclaim() {
  const std::vector<std::uint32_t> back = ledger_.reclaim();
  for (std::uint32_t i : back) give_back(i);
  return static_cast<std::uint32_t>(back.size());
}

std::uint64_t TenantLinkHost::ring_faults() const noexcept {
  return rx_.peer_faults() + tx_.peer_faults() + fill_.peer_faults() + release_.peer_faults();
}

Result<std::unique_ptr<TenantLinkTenant>> TenantLinkTenant::attach(
    std::shared_ptr<mem::Region> pool, std::shared_ptr<mem::Region> rings,
    std::size_t ring_offset) {
  if (pool == nullptr || rings == nullptr)
    return make_error(Errc::kInvalidArgument, "tenant link: no pool or no rings");
  const std::size_t size = rings->size();
  if (ring_offset > size || size - ring_offset < kHeaderBytes)
    return make_error(Errc::kInvalidArgument, "link '{}': no header at offset {} of {} bytes",
                      rings->name(), ring_offset, size);
  std::byte* base = rings->base() + ring_offset;
  LinkHeader h;
  std::memcpy(&h, base, sizeof h);
  if (h.magic != kLinkMagic || h.version != kLinkVersion)
    return make_error(Errc::kInvalidArgument, "link '{}': not a tenant link (version {})",
                      rings->name(), h.version);
  const std::size_t ring_bytes = h.ring_slots == 0 ? 0 : ring_bytes_for(h.ring_slots);
  if (h.ring_slots == 0 || h.ring_bytes != ring_bytes || h.frame_size < 512 ||
      !is_power_of_two(h.frame_size) || h.frame_count == 0 ||
      h.link_bytes != kHeaderBytes + kRings * ring_bytes || h.link_bytes > size - ring_offset ||
      h.frames_off > pool->size() ||
      std::uint64_t{h.frame_count} * h.frame_size > pool->size() - h.frames_off)
    return make_error(Errc::kInvalidArgument, "link '{}': its header does not add up",
                      rings->name());
  auto t = std::make_unique<TenantLinkTenant>();
  LinkRing** slots[kRings] = {&t->rx_, &t->tx_, &t->fill_, &t->release_};
  for (std::uint32_t r = 0; r < kRings; ++r) {
    if (h.ring_off[r] != kHeaderBytes + r * ring_bytes)
      return make_error(Errc::kInvalidArgument, "link '{}': ring {} is misplaced", rings->name(),
                        r);
    auto ring = LinkRing::attach(base + h.ring_off[r], ring_bytes);
    if (!ring.is_ok())
      return make_error(ring.status().code(), "link '{}': ring {}: {}", rings->name(), r,
                        ring.status().message());
    *slots[r] = *ring;
  }
  t->asleep_ = reinterpret_cast<std::atomic<std::uint32_t>*>(base + kAsleepOffset);
  t->frames_ = reinterpret_cast<std::uint8_t*>(pool->base() + h.frames_off);
  t->frame_count_ = h.frame_count;
  t->frame_size_ = h.frame_size;
  t->pool_ = std::move(pool);
  t->rings_ = std::move(rings);
  return t;
}

}  // namespace uplane::tenant
