#include "base/cpu.h"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <ctime>

namespace uplane {

Status pin_this_thread(int cpu) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
    return errno_error(errno, "sched_getaffinity");
  if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))
    return make_error(Errc::kInvalidArgument, "cpu {} is not in this process's allowed set", cpu);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  if (rc != 0) return errno_error(rc, "pthread_setaffinity_np");
  return Status::ok();
}

int usable_cpu_count() noexcept {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return 1;
  return CPU_COUNT(&allowed);
}

std::uint64_t realtime_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

double cycles_per_second() noexcept {
  static const double hz = [] {
    std::uint64_t t0 = now_ns();
    std::uint64_t c0 = cycles_now();
    while (now_ns() - t0 < 20'000'000) {
    }
    std::uint64_t c1 = cycles_now();
    std::uint64_t t1 = now_ns();
    return static_cast<double>(c1 - c0) * 1e9 / static_cast<double>(t1 - t0);
  }();
  return hz;
}

}  // namespace uplane
