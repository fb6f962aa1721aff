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

// Monotonic nanoseconds (CLOCK_MONOTONIC through the vDSO: ~25 ns here, under kvm-clock;
// too dear to read on every pass of a polling loop — see PeriodicChore).
std::uint64_t now_ns() noexcept;

// Wall-clock nanoseconds since the Unix epoch (CLOCK_REALTIME through the vDSO): what the
// kernel stamps received frames with and what pcap records.
std::uint64_t realtime_ns() noexcept;

// A chore that wants doing about every `period_ns` (folding kernel statistics, re-reading
// link state) on a path that runs millions of times a second: due() costs one decrement on
// most calls and reads the clock only on every kCallsPerLook-th. The first look is due.
// One thread's: each side of a port keeps its own.
class PeriodicChore {
 public:
  static constexpr std::uint32_t kCallsPerLook = 64;
  explicit PeriodicChore(std::uint64_t period_ns) noexcept : period_ns_(period_ns) {}

  bool due() noexcept {
    if (--calls_left_ != 0) return false;
    calls_left_ = kCallsPerLook;
    const std::uint64_t now = now_ns();
    if (now - last_ns_ < period_ns_) return false;
    last_ns_ = now;
    return true;
  }

 private:
  std::uint64_t period_ns_;
  std::uint64_t last_ns_ = 0;
  std::uint32_t calls_left_ = 1;
};

}  // namespace uplane
