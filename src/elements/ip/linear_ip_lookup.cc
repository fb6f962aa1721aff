#include "elements/ip/linear_ip_lookup.h"

#include <algorithm>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "graph/registry.h"

namespace uplane::elements {

IPRouteTable::Change LinearIPLookup::add_route(const IPRoute& r, bool allow_replace, IPRoute* old) {
  std::size_t free_slot = slots_.size();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!live_[i]) {
      free_slot = std::min(free_slot, i);
    } else if (slots_[i].same_prefix(r)) {
      if (old != nullptr) *old = slots_[i];
      if (!allow_replace) return Change::kExists;
      slots_[i].gw = r.gw;  // replaced in place, as Click does
      slots_[i].port = r.port;
      return Change::kOk;
    }
  }
  if (free_slot == slots_.size()) {
    slots_.push_back(r);
    live_.push_back(true);
  } else {
    slots_[free_slot] = r;
    live_[free_slot] = true;
  }
  return Change::kOk;
}

IPRouteTable::Change LinearIPLookup::remove_route(const IPRoute& r, IPRoute* old) {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (live_[i] && r.matches(slots_[i])) {
      if (old != nullptr) *old = slots_[i];
      live_[i] = false;
      return Change::kOk;
    }
  }
  return Change::kNotFound;
}

int LinearIPLookup::lookup_route(std::uint32_t addr, std::uint32_t& gw) const {
  // From the routes themselves, so it is right between a change and its commit.
  int best = -1;
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (live_[i] && slots_[i].contains(addr) &&
        (best < 0 || slots_[i].prefix_len() > slots_[best].prefix_len()))
      best = static_cast<int>(i);
  gw = best < 0 ? 0 : slots_[best].gw;
  return best < 0 ? -1 : slots_[best].port;
}

std::string LinearIPLookup::dump_routes() const {
  std::string s;
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (live_[i]) s += slots_[i].unparse(true) + "\n";
  return s;
}

void LinearIPLookup::commit_routes() {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (live_[i]) order.push_back(i);
  // Distinct prefixes of one length never overlap, so any order among equal lengths works.
  std::stable_sort(order.begin(), order.end(), [this](std::size_t a, std::size_t b) {
    return slots_[a].prefix_len() > slots_[b].prefix_len();
  });
  const std::size_t padded = (order.size() + kBlock - 1) / kBlock * kBlock;
  addr_.assign(padded, 1);  // (a & 0) == 1 never holds: padding never matches
  mask_.assign(padded, 0);
  hop_.assign(padded, NextHop::none());
  for (std::size_t k = 0; k < order.size(); ++k) {
    const IPRoute& r = slots_[order[k]];
    addr_[k] = r.addr;
    mask_[k] = r.mask;
    hop_[k] = NextHop::to(r.gw, r.port);
  }
  last_addr_[0] = last_addr_[1] = 0;
  last_entry_[0] = last_entry_[1] = -1;
}

std::int32_t LinearIPLookup::search(std::uint32_t addr) const noexcept {
  const std::uint32_t* a = addr_.data();
  const std::uint32_t* m = mask_.data();
  const std::size_t n = addr_.size();  // a whole number of blocks
#if defined(__AVX512F__)
  // One block of 16 entries per step: AND, compare, and the first hit from the mask.
  const __m512i va = _mm512_set1_epi32(static_cast<int>(addr));
  for (std::size_t j = 0; j < n; j += kBlock) {
    const __m512i masked = _mm512_and_si512(va, _mm512_loadu_si512(m + j));
    const __mmask16 hits = _mm512_cmpeq_epi32_mask(masked, _mm512_loadu_si512(a + j));
    if (hits != 0) return static_cast<std::int32_t>(j + __builtin_ctz(hits));
  }
#elif defined(__AVX2__)
  const __m256i va = _mm256_set1_epi32(static_cast<int>(addr));
  for (std::size_t j = 0; j < n; j += 8) {
    const __m256i masked =
        _mm256_and_si256(va, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m + j)));
    const __m256i eq =
        _mm256_cmpeq_epi32(masked, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + j)));
    const int hits = _mm256_movemask_ps(_mm256_castsi256_ps(eq));
    if (hits != 0) return static_cast<std::int32_t>(j + __builtin_ctz(hits));
  }
#else
  for (std::size_t j = 0; j < n; ++j)
    if ((addr & m[j]) == a[j]) return static_cast<std::int32_t>(j);
#endif
  return -1;
}

std::int32_t LinearIPLookup::find_entry(std::uint32_t addr_raw) noexcept {
  if (addr_raw != 0 && addr_raw == last_addr_[0]) return last_entry_[0];
  if (addr_raw != 0 && addr_raw == last_addr_[1]) return last_entry_[1];
  const std::int32_t e = search(__builtin_bswap32(addr_raw));
  if (e >= 0) {  // as Click: only hits are cached
    last_addr_[1] = last_addr_[0];
    last_entry_[1] = last_entry_[0];
    last_addr_[0] = addr_raw;
    last_entry_[0] = e;
  }
  return e;
}

void LinearIPLookup::push(int, graph::Batch& batch) noexcept {
  const std::uint32_t n = batch.size();
  std::int16_t codes[graph::Batch::kMax];
  static constexpr NextHop kNone = NextHop::none();
  for (std::uint32_t i = 0; i < n; ++i) {
    mem::Packet* p = batch[i];
    const std::int32_t e = find_entry(p->dst_ip_anno_raw());
    const NextHop& h = e >= 0 ? hop_[static_cast<std::size_t>(e)] : kNone;
    if (h.gw_raw != 0) p->set_dst_ip_anno_raw(h.gw_raw);
    codes[i] = static_cast<std::int16_t>(h.code);
  }
  emit(batch, codes);
}

UPLANE_REGISTER_ELEMENT(LinearIPLookup);

}  // namespace uplane::elements
