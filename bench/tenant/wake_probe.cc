// tenant_wake_probe: what it costs this machine to wake a thread that sleeps in ppoll, the
// floor under any poller that sleeps when idle (bench/tenant/run.sh, case wake_latency).
//
// A sleeper thread waits in ppoll on an eventfd; a waker thread sleeps, reads the clock,
// writes the eventfd; the sleeper reads the clock as ppoll returns. Each sample's wake-up is
// the difference. Samples alternate between a long sleep (--idle-ms, what a host idle for
// a second sees) and a short one (--short-ms, pings 10 ms apart), so machine noise hits
// both; the result is the median of each and their difference, which is what
// bench/tenant/run.sh measures for `uplane host` with pings (idle RTT minus RTT at 10 ms
// spacing).
//
//   tenant_wake_probe [--samples N] [--idle-ms MS] [--short-ms MS] [--sleeper-cpu C]
//                     [--waker-cpu C]
// Prints one line per sample, then
//   wake_probe long_us=<median> short_us=<median> extra_us=<long - short> samples=<N>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

namespace {

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

void sleep_ms(std::uint64_t ms) {
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1'000'000)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

bool pin(int cpu) {
  if (cpu < 0) return true;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool parse_int(const char* s, long lo, long hi, long* out) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long samples = 10, idle_ms = 1200, short_ms = 10, sleeper_cpu = -1, waker_cpu = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    long* dst = a == "--samples"       ? &samples
                : a == "--idle-ms"     ? &idle_ms
                : a == "--short-ms"    ? &short_ms
                : a == "--sleeper-cpu" ? &sleeper_cpu
                : a == "--waker-cpu"   ? &waker_cpu
                                       : nullptr;
    const long lo = dst == &sleeper_cpu || dst == &waker_cpu ? -1 : 1;
    if (dst == nullptr || i + 1 >= argc || !parse_int(argv[i + 1], lo, 100'000, dst)) {
      std::fprintf(stderr,
                   "usage: %s [--samples N] [--idle-ms MS] [--short-ms MS] [--sleeper-cpu C] "
                   "[--waker-cpu C]\n",
                   argv[0]);
      return 2;
    }
    ++i;
  }
  const int efd = eventfd(0, EFD_CLOEXEC);
  if (efd < 0) {
    std::fprintf(stderr, "eventfd: %s\n", std::strerror(errno));
    return 1;
  }
  std::atomic<std::uint64_t> woke_at{0};  // the sleeper's clock at its last wake-up
  std::atomic<bool> stop{false};
  std::thread sleeper([&] {
    if (!pin(static_cast<int>(sleeper_cpu))) std::fprintf(stderr, "could not pin the sleeper\n");
    pollfd p{efd, POLLIN, 0};
    while (!stop.load(std::memory_order_acquire)) {
      p.revents = 0;
      const timespec limit{5, 0};  // bounded: the waker writes at least every idle_ms
      if (ppoll(&p, 1, &limit, nullptr) <= 0) continue;
      const std::uint64_t t = now_ns();
      std::uint64_t v = 0;
      (void)!read(efd, &v, sizeof v);
      woke_at.store(t, std::memory_order_release);
    }
  });
  if (!pin(static_cast<int>(waker_cpu))) std::fprintf(stderr, "could not pin the waker\n");
  std::vector<double> long_us, short_us;
  sleep_ms(100);  // the sleeper in ppoll
  for (long i = 0; i < 2 * samples; ++i) {
    const bool is_long = i % 2 == 0;
    sleep_ms(static_cast<std::uint64_t>(is_long ? idle_ms : short_ms));
    woke_at.store(0, std::memory_order_relaxed);
    const std::uint64_t sent = now_ns();
    const std::uint64_t one = 1;
    (void)!write(efd, &one, sizeof one);
    std::uint64_t got = 0;
    for (int k = 0; k < 5000 && (got = woke_at.load(std::memory_order_acquire)) == 0; ++k)
      sleep_ms(1);  // at most 5 s
    if (got == 0) {
      std::fprintf(stderr, "the sleeper did not wake within 5 s\n");
      break;
    }
    const double us = static_cast<double>(got - sent) / 1000.0;
    (is_long ? long_us : short_us).push_back(us);
    std::printf("sample %ld %s %.1f us\n", i / 2 + 1, is_long ? "long " : "short", us);
  }
  stop.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  (void)!write(efd, &one, sizeof one);
  sleeper.join();
  close(efd);
  if (long_us.empty() || short_us.empty()) return 1;
  const double l = median(long_us), s = median(short_us);
  std::printf("wake_probe long_us=%.1f short_us=%.1f extra_us=%.1f samples=%zu\n", l, s, l - s,
              long_us.size());
  return 0;
}
