#include "mem/thread_slot.h"

#include <atomic>

namespace uplane::mem {
namespace detail {

__thread std::uint32_t t_thread_slot = kUnassignedSlot;

namespace {

std::atomic<std::uint64_t> g_taken{0};
static_assert(kMaxThreadSlots == 64, "one bit per slot in g_taken");

// Gives the slot back when its thread exits.
struct SlotReleaser {
  std::uint32_t slot = kNoThreadSlot;
  ~SlotReleaser() {
    // Release pairs with the acquire in take_thread_slot(): this thread's writes to the
    // per-thread state at this slot happen before the next owner's reads of it.
    if (slot < kMaxThreadSlots) g_taken.fetch_and(~(1ull << slot), std::memory_order_release);
    // Code that runs later in this thread's exit (other thread_local or static
    // destructors) must not touch the state at a slot another thread may now own.
    t_thread_slot = kNoThreadSlot;
  }
};
thread_local SlotReleaser t_releaser;

}  // namespace

std::uint32_t take_thread_slot() noexcept {
  std::uint64_t cur = g_taken.load(std::memory_order_relaxed);
  for (;;) {
    if (cur == ~0ull) return t_thread_slot = kNoThreadSlot;
    const auto bit = static_cast<std::uint32_t>(__builtin_ctzll(~cur));
    // Acquire pairs with the release in ~SlotReleaser of the slot's previous owner.
    if (g_taken.compare_exchange_weak(cur, cur | (1ull << bit), std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
      t_releaser.slot = bit;
      return t_thread_slot = bit;
    }
  }
}

}  // namespace detail
}  // namespace uplane::mem
