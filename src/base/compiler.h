#pragma once
// Small compiler and CPU helpers shared by every layer.

#include <cstddef>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#define UPLANE_LIKELY(x) __builtin_expect(!!(x), 1)
#define UPLANE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define UPLANE_ALWAYS_INLINE inline __attribute__((always_inline))

namespace uplane {

// One x86 cache line. Producer and consumer state live on separate lines; 128 would also
// defeat the adjacent-line prefetcher, but costs memory in every ring placed in a Region.
inline constexpr std::size_t kCacheLine = 64;

// Spin-wait hint: lets the sibling hyperthread run and saves power while we wait.
UPLANE_ALWAYS_INLINE void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

constexpr bool is_power_of_two(std::size_t x) noexcept { return x != 0 && (x & (x - 1)) == 0; }

constexpr std::size_t align_up(std::size_t x, std::size_t a) noexcept {
  return (x + a - 1) / a * a;
}

}  // namespace uplane
