#pragma once
// FrameLedger: who holds each frame of an out-of-process tenant's pool, as the host keeps
// it (issue 6, "Untrusted tenants in their own process"; DESIGN.md, "Tenancy and
// isolation").
//
// An untrusted tenant's pool lives in a Region the tenant maps, but its free list is the
// host's alone: the host gives the tenant frames by index (filled, on the tenant's rx ring;
// empty, for packets the tenant makes) and takes them back by index (on its tx ring, to send;
// or given back unused). The tenant's word about an index is worth nothing until checked, so
// every index it hands back goes through take() before the host reads the frame:
// - out of range: it names no frame (kOutOfRange);
// - the tenant does not hold it at that moment: never given, or taken back already — given
//   back twice, in one burst or two (kNotHeld; kTwice when the ledger saw it come back
//   since it was last given);
// - its length does not fit the frame's data area (kBadLength): the frame is taken back
//   (it is the host's again) and dropped.
// A refused index changes nothing else: the frames the tenant does hold stay its own.
//
// When the tenant dies or is cut off, reclaim() takes back every frame it held, so that
// after any fault `given == taken + reclaimed` (balanced()) and every frame is the host's.
//
// Single-threaded: the host's worker that serves the tenant owns it (the counters may be
// read from any thread).

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

namespace uplane::tenant {

enum class FrameReject : std::uint8_t {
  kOutOfRange,  // the index names no frame of the pool
  kNotHeld,     // the tenant does not hold that frame (never given to it)
  kTwice,       // the tenant gave that frame back already since it was last given
  kBadLength,   // the length does not fit the frame (the frame is taken back and dropped)
  kCount
};
inline constexpr std::size_t kFrameRejectCount = static_cast<std::size_t>(FrameReject::kCount);
// "out_of_range", "not_held", "given_back_twice", "bad_length".
std::string_view frame_reject_name(FrameReject r) noexcept;

class FrameLedger {
 public:
  // A ledger for a pool of `frames` frames, every one the host's.
  explicit FrameLedger(std::uint32_t frames);

  std::uint32_t frames() const noexcept { return static_cast<std::uint32_t>(state_.size()); }

  // The host gives frame i to the tenant. False (and nothing changes) when i is out of
  // range or the tenant holds it already: a host bug, never the tenant's.
  bool give(std::uint32_t i) noexcept;

  // Undoes give(i) for a frame the host gave but never published to the tenant (its ring
  // was full). False when the tenant does not hold i.
  bool revoke(std::uint32_t i) noexcept;

  // The tenant hands frame i back saying it holds `length` bytes; `capacity` is the most a
  // frame of the pool holds. kCount when i was the tenant's and the length fits: the frame
  // is the host's again. Otherwise why not; counted. kBadLength also takes the frame back
  // (the host drops its contents); the others change no frame.
  FrameReject take(std::uint32_t i, std::uint32_t length, std::uint32_t capacity) noexcept;

  // Whether the tenant holds frame i now.
  bool held(std::uint32_t i) const noexcept {
    return i < state_.size() && state_[i] == State::kTenant;
  }
  // Takes back every frame the tenant holds (it died, or was cut off); their indexes, in
  // index order.
  std::vector<std::uint32_t> reclaim();

  std::uint64_t held_count() const noexcept { return held_.load(std::memory_order_relaxed); }
  std::uint64_t given() const noexcept { return given_.load(std::memory_order_relaxed); }
  std::uint64_t taken() const noexcept { return taken_.load(std::memory_order_relaxed); }
  std::uint64_t reclaimed() const noexcept { return reclaimed_.load(std::memory_order_relaxed); }
  std::uint64_t rejected(FrameReject r) const noexcept {
    return rejects_[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
  }
  // Every frame given came back once (taken, a bad length included, or reclaimed) or is
  // held now.
  bool balanced() const noexcept { return given() == taken() + reclaimed() + held_count(); }

 private:
  enum class State : std::uint8_t { kHost, kTenant, kReturned };  // kReturned: the host's
  // Single writer (the owning thread), any reader: no read-modify-write needed.
  static void add(std::atomic<std::uint64_t>& c, std::int64_t n) noexcept {
    c.store(c.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(n),
            std::memory_order_relaxed);
  }

  std::vector<State> state_;
  std::atomic<std::uint64_t> held_{0}, given_{0}, taken_{0}, reclaimed_{0};
  std::array<std::atomic<std::uint64_t>, kFrameRejectCount> rejects_{};
};

// On the data path: inline.
inline bool FrameLedger::give(std::uint32_t i) noexcept {
  if (i >= state_.size() || state_[i] == State::kTenant) return false;
  state_[i] = State::kTenant;
  add(held_, 1);
  add(given_, 1);
  return true;
}

inline FrameReject FrameLedger::take(std::uint32_t i, std::uint32_t length,
                                     std::uint32_t capacity) noexcept {
  FrameReject why = FrameReject::kCount;
  if (i >= state_.size()) {
    why = FrameReject::kOutOfRange;
  } else if (state_[i] != State::kTenant) {
    why = state_[i] == State::kReturned ? FrameReject::kTwice : FrameReject::kNotHeld;
  } else {
    state_[i] = State::kReturned;
    add(held_, -1);
    add(taken_, 1);
    if (length > capacity) why = FrameReject::kBadLength;
  }
  if (why != FrameReject::kCount) add(rejects_[static_cast<std::size_t>(why)], 1);
  return why;
}

}  // namespace uplane::tenant
