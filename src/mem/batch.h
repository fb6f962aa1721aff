#pragma once
// Batch: up to 32 packets moving through the graph together — a fixed array of Packet*
// and a count, never a linked list. Elements take a Batch by reference; whoever ends up
// holding a packet owns it (forward it, queue it or free it, exactly once).

#include <cstdint>
#include <span>

#include "mem/packet.h"

namespace uplane::mem {

class Batch {
 public:
  static constexpr std::uint32_t kMax = 32;

  std::uint32_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  bool full() const noexcept { return count_ == kMax; }
  std::uint32_t room() const noexcept { return kMax - count_; }
  void clear() noexcept { count_ = 0; }

  Packet* operator[](std::uint32_t i) const noexcept { return pkts_[i]; }
  Packet*& operator[](std::uint32_t i) noexcept { return pkts_[i]; }
  std::span<Packet* const> packets() const noexcept { return {pkts_, count_}; }
  std::span<Packet*> packets() noexcept { return {pkts_, count_}; }
  Packet** data() noexcept { return pkts_; }
  Packet* const* begin() const noexcept { return pkts_; }
  Packet* const* end() const noexcept { return pkts_ + count_; }

  // Appends p; false (nothing added) when the batch is full.
  [[nodiscard]] bool push_back(Packet* p) noexcept {
    if (count_ == kMax) return false;
    pkts_[count_++] = p;
    return true;
  }
  // Sets the count after a driver filled data() directly; n must be <= kMax.
  void set_size(std::uint32_t n) noexcept { count_ = n <= kMax ? n : kMax; }

 private:
  std::uint32_t count_ = 0;
  Packet* pkts_[kMax];
};

}  // namespace uplane::mem
