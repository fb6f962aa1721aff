#pragma once
// The multibit tries behind RadixIPLookup and DirectIPLookup, and the route bookkeeping
// around them.
//
// LookupTrie<E, S0, S1, ...> is a fixed-stride multibit trie with controlled prefix
// expansion: level 0 is one node of 2^S0 slots indexed by the address's top S0 bits, each
// deeper level consumes the next S_i bits, and the strides add up to 32. A slot holds either
// a leaf value (an index into a next-hop table; 0 is the default route) or, with the top bit
// of E set, the index of a child node on the next level. A route of length L is written
// into every slot of the level where L ends that lies inside the route and is not held by a
// longer route: each slot remembers the prefix length of the route it holds, which is what
// makes insertion and removal local (Gupta, Lin and McKeown's DIR-24-8-BASIC keeps the same
// "plen" side table, as Click's DirectIPLookup does). DirectIPLookup is <uint16_t, 24, 8>:
// DIR-24-8, one lookup in a 2^24-slot table and, for routes longer than /24, a second in a
// 256-slot group. RadixIPLookup is <uint32_t, 16, 8, 8>: at most three dependent loads, and a
// table small enough for the caches.
//
// Removal writes the longest route that covers the removed one into the slots it held, and
// a child node whose slots all hold one leaf (the same value and a length that fits the
// parent slot) folds back into its parent slot. Nodes are never moved while in use; level
// arrays may be reallocated by inserts, which happen only while no packet is being looked up.
//
// TrieRoutes<Trie> adds what the handlers need: the routes themselves (for the table dump
// and for finding what covers a removed route), the next-hop table with reference counts,
// and capacity checks that run before anything changes, so a failed add changes nothing.

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "elements/ip/ip_lookup_table.h"

namespace uplane::elements {

// A zero-filled array in its own anonymous mapping: pages cost memory only once written,
// and the kernel is asked for huge pages (fewer TLB misses for the 2^24-slot table).
template <class T>
class LargeArray {
 public:
  LargeArray() = default;
  LargeArray(const LargeArray&) = delete;
  LargeArray& operator=(const LargeArray&) = delete;
  ~LargeArray() { release(); }

  Status allocate(std::size_t n) {
    release();
    const std::size_t bytes = std::max<std::size_t>(n * sizeof(T), 1);
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return errno_error(errno, "mmap for a route table");
    if (bytes >= (std::size_t{2} << 20)) (void)::madvise(p, bytes, MADV_HUGEPAGE);
    data_ = static_cast<T*>(p);
    size_ = n;
    bytes_ = bytes;
    return {};
  }
  // Back to all zeros, giving the written pages back.
  void zero() noexcept {
    if (data_ != nullptr && ::madvise(data_, bytes_, MADV_DONTNEED) != 0)
      std::memset(static_cast<void*>(data_), 0, bytes_);
  }
  T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  void release() noexcept {
    if (data_ != nullptr) ::munmap(data_, bytes_);
    data_ = nullptr;
    size_ = bytes_ = 0;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t bytes_ = 0;
};

template <class E, int... kStrides>
class LookupTrie {
  static_assert(std::is_unsigned_v<E>);

 public:
  using Entry = E;
  static constexpr int kLevels = sizeof...(kStrides);
  static constexpr std::array<int, kLevels> kStride{kStrides...};
  // Bits of the address consumed once level i is done.
  static constexpr std::array<int, kLevels> kEnd = [] {
    std::array<int, kLevels> e{};
    int sum = 0;
    for (int i = 0; i < kLevels; ++i) e[i] = sum += kStride[i];
    return e;
  }();
  static_assert(kEnd[kLevels - 1] == 32, "the strides must add up to 32 bits");
  static constexpr E kChild = static_cast<E>(E{1} << (8 * sizeof(E) - 1));
  // The largest leaf value, and the most nodes a level below the root can hold.
  static constexpr std::uint32_t kMaxValue = kChild - 1u;
  static constexpr std::uint32_t kMaxNodes = kChild;

  Status init() {
    UPLANE_RETURN_IF_ERROR(root_.allocate(std::size_t{1} << kStride[0]));
    return root_plen_.allocate(std::size_t{1} << kStride[0]);
  }
  // Every slot back to value 0 (the default route), every node freed.
  void clear() noexcept {
    root_.zero();
    root_plen_.zero();
    for (Level& l : levels_) l = Level{};
  }

  // The leaf value for `addr` (host order).
  E lookup(std::uint32_t addr) const noexcept {
    E e = root_.data()[addr >> (32 - kStride[0])];
    if constexpr (kLevels > 1) e = descend<1>(e, addr);
    return e;
  }
  void prefetch(std::uint32_t addr) const noexcept {
    __builtin_prefetch(root_.data() + (addr >> (32 - kStride[0])));
  }

  // Whether inserting prefix/len would find the nodes it needs (at most one per level).
  bool can_insert(std::uint32_t prefix, int len) const noexcept {
    std::uint32_t node = 0;
    bool have_node = true;
    for (int l = 0; l + 1 < kLevels && len > kEnd[l]; ++l) {
      if (have_node) {
        const E e = slots(l, node)[index(l, prefix)];
        if (e & kChild) {
          node = e & kMaxValue;
          continue;
        }
        have_node = false;
      }
      const Level& next = levels_[l + 1];
      if (next.free.empty() && next.count >= kMaxNodes) return false;
    }
    return true;
  }
  // Writes `value` for prefix/len (1 <= len <= 32, prefix masked) into every slot whose
  // current route is shorter. No route for this exact prefix may be present, and
  // can_insert() must have said yes.
  void insert(std::uint32_t prefix, int len, E value) {
    apply(0, 0, prefix, len, Op{Op::kInsert, value, 0});
  }
  // The route for prefix/len now has `value`.
  void update(std::uint32_t prefix, int len, E value) {
    apply(0, 0, prefix, len, Op{Op::kUpdate, value, 0});
  }
  // Removes prefix/len: its slots take `cover` of length `cover_len` (the longest remaining
  // route that contains it; value 0 and length 0 for the default route).
  void erase(std::uint32_t prefix, int len, E cover, int cover_len) {
    apply(0, 0, prefix, len, Op{Op::kErase, cover, cover_len});
  }

  // Nodes in use on `level` (>= 1); for tests and statistics.
  std::size_t nodes_in_use(int level) const noexcept {
    return levels_[level].count - levels_[level].free.size();
  }

 private:
  struct Level {
    std::vector<E> slots;
    std::vector<std::uint8_t> plen;
    std::vector<std::uint32_t> free;
    std::uint32_t count = 0;  // nodes ever made, free ones included
  };
  struct Op {
    enum Kind { kInsert, kUpdate, kErase } kind;
    E value;
    int cover_len;
  };

  template <int L>
  E descend(E e, std::uint32_t addr) const noexcept {
    if (!(e & kChild)) return e;
    const std::uint32_t i = index(L, addr);
    e = levels_[L].slots.data()[(static_cast<std::size_t>(e & kMaxValue) << kStride[L]) | i];
    if constexpr (L + 1 < kLevels) return descend<L + 1>(e, addr);
    return e;
  }

  static constexpr std::uint32_t index(int level, std::uint32_t addr) noexcept {
    return (addr >> (32 - kEnd[level])) & ((std::uint32_t{1} << kStride[level]) - 1);
  }
  E* slots(int level, std::uint32_t node) noexcept {
    return level == 0 ? root_.data()
                      : levels_[level].slots.data() + (std::size_t{node} << kStride[level]);
  }
  const E* slots(int level, std::uint32_t node) const noexcept {
    return level == 0 ? root_.data()
                      : levels_[level].slots.data() + (std::size_t{node} << kStride[level]);
  }
  std::uint8_t* plens(int level, std::uint32_t node) noexcept {
    return level == 0 ? root_plen_.data()
                      : levels_[level].plen.data() + (std::size_t{node} << kStride[level]);
  }

  // A node on `level` (>= 1) whose every slot holds `value` of length `len`.
  std::uint32_t make_node(int level, E value, std::uint8_t len) {
    Level& l = levels_[level];
    const std::size_t size = std::size_t{1} << kStride[level];
    std::uint32_t node;
    if (!l.free.empty()) {
      node = l.free.back();
      l.free.pop_back();
    } else {
      node = l.count++;
      l.slots.resize(l.slots.size() + size);
      l.plen.resize(l.plen.size() + size);
    }
    std::fill_n(l.slots.data() + node * size, size, value);
    std::fill_n(l.plen.data() + node * size, size, len);
    return node;
  }

  // Folds the child under slot i of (level, node) back into the slot when all its slots
  // hold one leaf that the parent slot can hold (its length ends at or above this level).
  void maybe_fold(int level, std::uint32_t node, std::uint32_t i) {
    E* s = slots(level, node);
    if (!(s[i] & kChild)) return;
    const std::uint32_t child = s[i] & kMaxValue;
    const E* cs = slots(level + 1, child);
    const std::uint8_t* cp = plens(level + 1, child);
    const std::size_t size = std::size_t{1} << kStride[level + 1];
    if ((cs[0] & kChild) || cp[0] > kEnd[level]) return;
    for (std::size_t k = 1; k < size; ++k)
      if (cs[k] != cs[0] || cp[k] != cp[0]) return;
    s[i] = cs[0];
    plens(level, node)[i] = cp[0];
    levels_[level + 1].free.push_back(child);
  }

  void apply(int level, std::uint32_t node, std::uint32_t prefix, int len, const Op& op) {
    const int end = kEnd[level];
    const int begin = end - kStride[level];
    if (len > end) {  // the route ends deeper: go down through its one slot here
      const std::uint32_t i = index(level, prefix);
      if (!(slots(level, node)[i] & kChild)) {
        if (op.kind != Op::kInsert) return;
        const std::uint32_t child =
            make_node(level + 1, slots(level, node)[i], plens(level, node)[i]);
        slots(level, node)[i] = static_cast<E>(kChild | child);
      }
      apply(level + 1, slots(level, node)[i] & kMaxValue, prefix, len, op);
      if (op.kind == Op::kErase) maybe_fold(level, node, i);
      return;
    }
    // The route ends on this level: it covers a run of slots, or all of them when it ended
    // above (we came down through a slot it covers).
    std::uint32_t first = 0;
    std::uint32_t count = std::uint32_t{1} << kStride[level];
    if (len > begin) {
      first = index(level, prefix);
      count = std::uint32_t{1} << (end - len);
    }
    for (std::uint32_t k = first; k < first + count; ++k) {
      E* s = slots(level, node);
      std::uint8_t* p = plens(level, node);
      if (s[k] & kChild) {
        apply(level + 1, s[k] & kMaxValue, prefix, len, op);
        if (op.kind == Op::kErase) maybe_fold(level, node, k);
        continue;
      }
      switch (op.kind) {
        case Op::kInsert:
          if (p[k] < len) {
            s[k] = op.value;
            p[k] = static_cast<std::uint8_t>(len);
          }
          break;
        case Op::kUpdate:
          if (p[k] == len) s[k] = op.value;
          break;
        case Op::kErase:
          if (p[k] == len) {
            s[k] = op.value;
            p[k] = static_cast<std::uint8_t>(op.cover_len);
          }
          break;
      }
    }
  }

  LargeArray<E> root_;
  LargeArray<std::uint8_t> root_plen_;
  std::array<Level, kLevels> levels_;  // levels_[0] unused: the root is root_
};

// Next hops shared by routes with the same gateway and port, reference counted. Index 0 is
// the default route's hop (no route until one is set); the others are handed out up to
// `limit` - 1.
class NextHopTable {
 public:
  explicit NextHopTable(std::uint32_t limit) : limit_(limit) { clear(); }

  void clear() {
    hops_.assign(1, NextHop::none());
    refs_.assign(1, 0);
    free_.clear();
    index_.clear();
  }
  // The index for (gw, port), made if needed (with no references yet); -1 when full.
  std::int64_t find_or_make(std::uint32_t gw, std::int32_t port) {
    const std::uint64_t key = std::uint64_t{gw} << 32 | static_cast<std::uint32_t>(port);
    if (auto it = index_.find(key); it != index_.end()) return it->second;
    std::uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else {
      if (hops_.size() >= limit_) return -1;
      i = static_cast<std::uint32_t>(hops_.size());
      hops_.emplace_back();
      refs_.push_back(0);
    }
    hops_[i] = NextHop::to(gw, port);
    refs_[i] = 0;
    index_.emplace(key, i);
    return i;
  }
  void ref(std::uint32_t i) { ++refs_[i]; }
  // Drops a reference; a hop nobody uses is forgotten.
  void unref(std::uint32_t i) {
    if (i == 0 || --refs_[i] != 0) return;
    const NextHop& h = hops_[i];
    index_.erase(std::uint64_t{h.gw_host()} << 32 | static_cast<std::uint32_t>(h.code));
    hops_[i] = NextHop::none();
    free_.push_back(i);
  }
  void set_default(const NextHop& h) { hops_[0] = h; }
  const NextHop& operator[](std::uint32_t i) const noexcept { return hops_[i]; }
  const NextHop* data() const noexcept { return hops_.data(); }
  // Hops in use, the default slot included; for tests.
  std::size_t size() const noexcept { return hops_.size() - free_.size(); }

 private:
  std::uint32_t limit_;
  std::vector<NextHop> hops_;
  std::vector<std::uint32_t> refs_;
  std::vector<std::uint32_t> free_;
  std::unordered_map<std::uint64_t, std::uint32_t> index_;
};

// A trie with its routes: Click's IPRouteTable operations over LookupTrie. Routes live in
// slots reused last-freed-first, as Click's RadixIPLookup stores them; the dump lists them in
// slot order.
template <class Trie>
class TrieRoutes {
 public:
  using Change = IPRouteTable::Change;

  TrieRoutes() : hops_(Trie::kMaxValue + 1u) {}

  Status init() { return trie_.init(); }
  void clear() {
    trie_.clear();
    hops_.clear();
    slots_.clear();
    free_slots_.clear();
    by_prefix_.clear();
  }

  Change add(const IPRoute& r, bool allow_replace, IPRoute* old) {
    const int len = r.prefix_len();
    const std::uint64_t key = prefix_key(r.addr, len);
    const auto it = by_prefix_.find(key);
    if (it != by_prefix_.end()) {
      Slot& was = slots_[it->second];
      if (old != nullptr) *old = was.route;
      if (!allow_replace) return Change::kExists;
      std::uint32_t hop = 0;
      if (len > 0) {
        const std::int64_t h = hops_.find_or_make(r.gw, r.port);
        if (h < 0) return Change::kNoMemory;
        hop = static_cast<std::uint32_t>(h);
        hops_.ref(hop);
        trie_.update(r.addr, len, static_cast<typename Trie::Entry>(hop));
        hops_.unref(was.hop);
      } else {
        hops_.set_default(NextHop::to(r.gw, r.port));
      }
      // As Click's RadixIPLookup: the new route takes a fresh slot, the old slot is freed.
      const std::uint32_t old_slot = it->second;
      it->second = take_slot(Slot{r, hop, true});
      free_slot(old_slot);
      return Change::kOk;
    }
    std::uint32_t hop = 0;
    if (len > 0) {
      if (!trie_.can_insert(r.addr, len)) return Change::kNoMemory;
      const std::int64_t h = hops_.find_or_make(r.gw, r.port);
      if (h < 0) return Change::kNoMemory;
      hop = static_cast<std::uint32_t>(h);
      hops_.ref(hop);
      trie_.insert(r.addr, len, static_cast<typename Trie::Entry>(hop));
    } else {
      hops_.set_default(NextHop::to(r.gw, r.port));
    }
    by_prefix_.emplace(key, take_slot(Slot{r, hop, true}));
    return Change::kOk;
  }

  Change remove(const IPRoute& r, IPRoute* old) {
    const int len = r.prefix_len();
    const auto it = by_prefix_.find(prefix_key(r.addr, len));
    if (it == by_prefix_.end()) return Change::kNotFound;
    const std::uint32_t slot = it->second;
    const Slot stored = slots_[slot];
    if (!r.matches(stored.route)) return Change::kNotFound;
    if (old != nullptr) *old = stored.route;
    by_prefix_.erase(it);
    if (len > 0) {
      // The slots it held fall back to the longest route that contains it.
      std::uint32_t cover = 0;
      int cover_len = 0;
      for (int l = len - 1; l > 0; --l) {
        const auto c = by_prefix_.find(prefix_key(r.addr & prefix_mask(l), l));
        if (c != by_prefix_.end()) {
          cover = slots_[c->second].hop;
          cover_len = l;
          break;
        }
      }
      trie_.erase(r.addr, len, static_cast<typename Trie::Entry>(cover), cover_len);
      hops_.unref(stored.hop);
    } else {
      hops_.set_default(NextHop::none());
    }
    free_slot(slot);
    return Change::kOk;
  }

  const NextHop& lookup(std::uint32_t addr) const noexcept { return hops_[trie_.lookup(addr)]; }
  void prefetch(std::uint32_t addr) const noexcept { trie_.prefetch(addr); }

  // The routes in slot order.
  std::vector<IPRoute> routes() const {
    std::vector<IPRoute> out;
    for (const Slot& s : slots_)
      if (s.live) out.push_back(s.route);
    return out;
  }
  std::size_t route_count() const noexcept { return by_prefix_.size(); }
  const Trie& trie() const noexcept { return trie_; }
  const NextHopTable& hops() const noexcept { return hops_; }

 private:
  struct Slot {
    IPRoute route;
    std::uint32_t hop = 0;
    bool live = false;
  };
  static std::uint64_t prefix_key(std::uint32_t addr, int len) noexcept {
    return std::uint64_t{addr} << 6 | static_cast<std::uint64_t>(len);
  }
  std::uint32_t take_slot(const Slot& s) {
    if (!free_slots_.empty()) {
      const std::uint32_t i = free_slots_.back();
      free_slots_.pop_back();
      slots_[i] = s;
      return i;
    }
    slots_.push_back(s);
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }
  void free_slot(std::uint32_t i) {
    slots_[i].live = false;
    free_slots_.push_back(i);
  }

  Trie trie_;
  NextHopTable hops_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::unordered_map<std::uint64_t, std::uint32_t> by_prefix_;
};

// The batch half of a trie element's push(): looks every packet up (prefetching each
// first-level slot before any is read), rewrites the destination annotation of those whose
// route has a gateway, and leaves each packet's verdict code in `codes`.
template <class Routes>
inline void route_batch(const Routes& routes, graph::Batch& batch, std::int16_t* codes) noexcept {
  const std::uint32_t n = batch.size();
  std::uint32_t dst[graph::Batch::kMax];
  for (std::uint32_t i = 0; i < n; ++i) {
    dst[i] = __builtin_bswap32(batch[i]->dst_ip_anno_raw());
    routes.prefetch(dst[i]);
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    const NextHop& h = routes.lookup(dst[i]);
    if (h.gw_raw != 0) batch[i]->set_dst_ip_anno_raw(h.gw_raw);
    codes[i] = static_cast<std::int16_t>(h.code);
  }
}

}  // namespace uplane::elements
