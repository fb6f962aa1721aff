#include "mem/thread_slot.h"

#include <atomic>

namespace uplane::mem {
namespace {

std::atomic<std::uint64_t> g_taken{0};
static_assert(kMaxThreadSlots == 64, "one bit per slot in g_taken");

struct SlotHolder {
  std::uint32_t slot = kNoThreadSlot;
  bool tried = false;
  ~SlotHolder() {
    // Release pairs with the acquire in take(): this thread's writes to the state at this
    // slot happen before the next owner's reads of it.
    if (slot != kNoThreadSlot) g_taken.fetch_and(~(1ull << slot), std::memory_order_release);
  }
  std::uint32_t take() noexcept {
    tried = true;
    std::uint64_t cur = g_taken.load(std::memory_order_relaxed);
    for (;;) {
      if (cur == ~0ull) return kNoThreadSlot;
      const auto bit = static_cast<std::uint32_t>(__builtin_ctzll(~cur));
      // Acquire pairs with the release in ~SlotHolder of the slot's previous owner.
      if (g_taken.compare_exchange_weak(cur, cur | (1ull << bit), std::memory_order_acquire,
                                        std::memory_order_relaxed))
        return slot = bit;
    }
  }
};

thread_local SlotHolder t_slot;

}  // namespace

std::uint32_t this_thread_slot() noexcept {
  if (t_slot.slot == kNoThreadSlot && !t_slot.tried) return t_slot.take();
  return t_slot.slot;
}

}  // namespace uplane::mem
