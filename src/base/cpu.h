#pragma once
// CPU pinning and the cycle counter.

#include <cstdint>

#include "base/status.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace uplane {

// Pins the calling thread to one CPU. Fails (without changing anything) when the CPU is not
// in the process's allowed set.
Status pin_this_thread(int cpu);

// Number of CPUs the process may run on.
int usable_cpu_count() noexcept;

// Time-stamp counter: cycles at a constant rate on every x86 this project targets.
inline std::uint64_t cycles_now() noexcept {
#if defined(__x86_64__)
  return __rdtsc();
#else
  std::uint64_t v;
  asm volatile("mrs %0, cntvct_el0" : "=r"(v));
  return v;
#endif
}

// Counter ticks per second, measured once (about 20 ms) on first call.
double cycles_per_second() noexcept;

// Monotonic nanoseconds.
std::uint64_t now_ns() noexcept;

}  // namespace uplane
