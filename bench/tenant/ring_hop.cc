// tenant_ring_hop: what the descriptor rings of an out-of-process tenant's link cost alone
// (issue 6: "ring hop at most 10 ns per packet amortized at batch 32").
//
// The two rings a packet crosses on the hop host -> tenant -> host (tenant_link.h: rx and
// tx, SpscRing<LinkDesc>, 12-byte descriptors, 1024 slots as LinkConfig's default) sit in a
// shared anonymous mapping. The host end is this process, on --host-cpu, through the views
// the host itself uses (ring/guarded_ring.h: GuardedProducer on rx, GuardedConsumer on tx);
// the tenant end is a forked child process pinned to --tenant-cpu that attaches the rings
// as a tenant does (SpscRing::attach, TenantLinkTenant's receive/send). The host enqueues
// bursts of B descriptors on rx whenever there is room, the child dequeues up to B and
// enqueues them on tx, the host dequeues up to B from tx and checks each descriptor is the
// next one in order. No packet is copied or touched: only descriptors move. A run moves
// --packets descriptors; its value is the elapsed time (from the child's "ready" to the
// last descriptor back) divided by the packets: ns per packet amortized, pipelined. Runs
// are interleaved over the batch sizes (1, 8, 32, 64; reversed every other run) and each
// batch's value is the median of --runs runs. Each run line also shows how often another
// task took a CPU from either end (involuntary context switches: such a run measures the
// scheduler more than the rings). For context, the same steps with both ends on one thread
// (same_thread: the ring code alone, no cache line crossing CPUs). The end prints
//   RESULT ring_hop uplane=<ns at batch 32> target=10 ratio=<uplane/target> unit=ns/pkt
//
//   tenant_ring_hop [--runs N] [--packets N] [--host-cpu C] [--tenant-cpu C]
//                   [--max-seconds S]
// Defaults: 5 runs, 4194304 packets, host on CPU 1, tenant on CPU 0, 60 s in all. A run
// that exceeds its share of the time, or gets a descriptor out of order, fails the program
// (exit 1). The child asks to be killed when this process dies, stops when told or after
// the time cap, and is killed (SIGKILL) and reaped after every run.
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/compiler.h"
#include "base/cpu.h"
#include "ring/guarded_ring.h"
#include "ring/spsc_ring.h"
#include "tenant/tenant_link.h"

namespace {

using uplane::now_ns;
using uplane::ring::GuardedConsumer;
using uplane::ring::GuardedProducer;
using uplane::tenant::LinkDesc;
using uplane::tenant::LinkRing;

constexpr std::uint32_t kSlots = 1024;  // LinkConfig::ring_slots' default
constexpr std::uint32_t kMaxBatch = 64;
constexpr std::size_t kPage = 4096;

// The shared control block: its own page in front of the rings.
struct Control {
  std::atomic<std::uint32_t> ready{0};  // the child attached and pinned
  std::atomic<std::uint32_t> stop{0};   // the host is done: the child exits
};

std::size_t round_up(std::size_t n) { return (n + kPage - 1) / kPage * kPage; }

pid_t g_child = -1;

void kill_child() {
  if (g_child <= 0) return;
  kill(g_child, SIGKILL);
  waitpid(g_child, nullptr, 0);
  g_child = -1;
}

void on_signal(int sig) {
  if (g_child > 0) kill(g_child, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

// The tenant's end: forwards every descriptor from rx to tx in bursts of up to `batch`.
[[noreturn]] void child_main(std::uint8_t* mem, std::size_t ring_bytes, std::uint32_t batch,
                             int cpu, std::uint64_t deadline_ns) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  auto* ctl = reinterpret_cast<Control*>(mem);
  // Not pin_this_thread: the mask inherited from the host names only the host's CPU.
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) _exit(3);
  }
  auto rx = LinkRing::attach(mem + kPage, ring_bytes);
  auto tx = LinkRing::attach(mem + kPage + ring_bytes, ring_bytes);
  if (!rx.is_ok() || !tx.is_ok()) _exit(4);
  LinkRing& in = **rx;
  LinkRing& out = **tx;
  ctl->ready.store(1, std::memory_order_release);
  LinkDesc buf[kMaxBatch];
  std::uint32_t idle = 0;
  for (;;) {
    const std::uint32_t n = in.dequeue_burst(buf, batch);
    if (n == 0) {
      uplane::cpu_relax();
      if ((++idle & 1023) == 0 &&
          (ctl->stop.load(std::memory_order_relaxed) != 0 || now_ns() > deadline_ns))
        _exit(0);
      continue;
    }
    std::uint32_t done = 0;
    while (done < n) {
      done += out.enqueue_burst(buf + done, n - done);
      if (done < n) {
        uplane::cpu_relax();
        if ((++idle & 1023) == 0 &&
            (ctl->stop.load(std::memory_order_relaxed) != 0 || now_ns() > deadline_ns))
          _exit(0);
      }
    }
  }
}

// One run: ns per packet, or a negative value on failure (message printed).
// *preempted: involuntary context switches of both ends during the run (another task took
// a CPU from one of them: the run is then slower than the rings).
double run_once(std::uint32_t batch, std::uint64_t packets, int tenant_cpu, std::uint64_t cap_ns,
                std::uint64_t* preempted) {
  const std::size_t ring_bytes = round_up(LinkRing::bytes_for(kSlots));
  const std::size_t total = kPage + 2 * ring_bytes;
  void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::fprintf(stderr, "ring_hop: mmap: %s\n", std::strerror(errno));
    return -1;
  }
  auto* mem = static_cast<std::uint8_t*>(p);
  auto* ctl = new (mem) Control();
  auto rx_ring = LinkRing::create_in(mem + kPage, ring_bytes, kSlots);
  auto tx_ring = LinkRing::create_in(mem + kPage + ring_bytes, ring_bytes, kSlots);
  if (!rx_ring.is_ok() || !tx_ring.is_ok()) {
    std::fprintf(stderr, "ring_hop: could not lay the rings out\n");
    munmap(p, total);
    return -1;
  }
  auto rx = GuardedProducer<LinkDesc>::over(*rx_ring, kSlots);
  auto tx = GuardedConsumer<LinkDesc>::over(*tx_ring, kSlots);
  const std::uint64_t start = now_ns();
  const std::uint64_t deadline = start + cap_ns;

  const pid_t pid = fork();
  if (pid < 0) {
    std::fprintf(stderr, "ring_hop: fork: %s\n", std::strerror(errno));
    munmap(p, total);
    return -1;
  }
  if (pid == 0) child_main(mem, ring_bytes, batch, tenant_cpu, deadline + 1'000'000'000);
  g_child = pid;

  double result = -1;
  // Up to 5 s (within the cap) for the child to attach.
  while (ctl->ready.load(std::memory_order_acquire) == 0) {
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) {
      g_child = -1;
      std::fprintf(stderr, "ring_hop: the child exited before it was ready (status %d)\n",
                   WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
      munmap(p, total);
      return -1;
    }
    if (now_ns() > std::min<std::uint64_t>(deadline, start + 5'000'000'000ull)) {
      std::fprintf(stderr, "ring_hop: the child did not get ready\n");
      kill_child();
      munmap(p, total);
      return -1;
    }
    usleep(100);
  }

  LinkDesc out[kMaxBatch], in[kMaxBatch];
  std::uint64_t sent = 0, got = 0, wrong = 0, iter = 0;
  bool timed_out = false;
  struct rusage ru0 = {};
  getrusage(RUSAGE_SELF, &ru0);
  const auto self_nivcsw0 = static_cast<std::uint64_t>(ru0.ru_nivcsw);
  const std::uint64_t t0 = now_ns();
  while (got < packets) {
    if (sent < packets) {
      const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(batch, packets - sent));
      for (std::uint32_t i = 0; i < n; ++i) {
        out[i].index = static_cast<std::uint32_t>(sent + i);
        out[i].length = 60;
      }
      sent += rx.enqueue_burst(out, n);
    }
    const std::uint32_t k = tx.dequeue_burst(in, batch);
    for (std::uint32_t i = 0; i < k; ++i)
      wrong += in[i].index != static_cast<std::uint32_t>(got + i);
    got += k;
    if ((++iter & 0xffff) == 0 && now_ns() > deadline) {
      timed_out = true;
      break;
    }
  }
  const std::uint64_t t1 = now_ns();
  ctl->stop.store(1, std::memory_order_relaxed);
  // The child exits within a few microseconds once told; SIGKILL after 1 s regardless.
  struct rusage child_ru = {};
  for (int i = 0; i < 1000 && g_child > 0; ++i) {
    if (wait4(pid, nullptr, WNOHANG, &child_ru) == pid)
      g_child = -1;
    else
      usleep(1000);
  }
  struct rusage self_ru = {};
  getrusage(RUSAGE_SELF, &self_ru);
  *preempted = static_cast<std::uint64_t>(child_ru.ru_nivcsw) +
               static_cast<std::uint64_t>(self_ru.ru_nivcsw) - self_nivcsw0;
  kill_child();
  munmap(p, total);
  if (timed_out) {
    std::fprintf(stderr, "ring_hop: batch %u: %llu of %llu packets back before the time cap\n",
                 batch, static_cast<unsigned long long>(got),
                 static_cast<unsigned long long>(packets));
  } else if (wrong != 0 || rx.peer_faults() != 0 || tx.peer_faults() != 0) {
    std::fprintf(stderr, "ring_hop: batch %u: %llu descriptors out of order, ring faults %llu\n",
                 batch, static_cast<unsigned long long>(wrong),
                 static_cast<unsigned long long>(rx.peer_faults() + tx.peer_faults()));
  } else {
    result = static_cast<double>(t1 - t0) / static_cast<double>(packets);
  }
  return result;
}

// The same two rings and the same steps with both ends on this thread, one after the other:
// what the ring code itself costs, without a cache line crossing between CPUs. Context for
// the cross-process value, not a result.
double same_thread(std::uint32_t batch, std::uint64_t packets) {
  const std::size_t ring_bytes = round_up(LinkRing::bytes_for(kSlots));
  void* p =
      mmap(nullptr, 2 * ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -1;
  auto* mem = static_cast<std::uint8_t*>(p);
  auto rx_ring = LinkRing::create_in(mem, ring_bytes, kSlots);
  auto tx_ring = LinkRing::create_in(mem + ring_bytes, ring_bytes, kSlots);
  if (!rx_ring.is_ok() || !tx_ring.is_ok()) {
    munmap(p, 2 * ring_bytes);
    return -1;
  }
  auto rx = GuardedProducer<LinkDesc>::over(*rx_ring, kSlots);
  auto tx = GuardedConsumer<LinkDesc>::over(*tx_ring, kSlots);
  LinkRing& t_in = **rx_ring;
  LinkRing& t_out = **tx_ring;
  LinkDesc out[kMaxBatch], mid[kMaxBatch], in[kMaxBatch];
  std::uint64_t got = 0, wrong = 0;
  const std::uint64_t t0 = now_ns();
  for (std::uint64_t sent = 0; sent < packets;) {
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(batch, packets - sent));
    for (std::uint32_t i = 0; i < n; ++i) {
      out[i].index = static_cast<std::uint32_t>(sent + i);
      out[i].length = 60;
    }
    sent += rx.enqueue_burst(out, n);
    const std::uint32_t m = t_in.dequeue_burst(mid, batch);
    t_out.enqueue_burst(mid, m);
    const std::uint32_t k = tx.dequeue_burst(in, batch);
    for (std::uint32_t i = 0; i < k; ++i)
      wrong += in[i].index != static_cast<std::uint32_t>(got + i);
    got += k;
  }
  const std::uint64_t t1 = now_ns();
  munmap(p, 2 * ring_bytes);
  if (got != packets || wrong != 0) return -1;
  return static_cast<double>(t1 - t0) / static_cast<double>(packets);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool parse_int(const char* s, long long lo, long long hi, long long* out) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long long runs = 5, packets = 1 << 22, host_cpu = 1, tenant_cpu = 0, max_seconds = 60;
  const char* usage =
      "usage: tenant_ring_hop [--runs N (1..99)] [--packets N (1024..2^30)] [--host-cpu C]"
      " [--tenant-cpu C] [--max-seconds S (1..3600)]\n"
      "  a CPU of -1 leaves that side unpinned\n";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    long long* dst = nullptr;
    long long lo = 0, hi = 0;
    if (a == "--runs")
      dst = &runs, lo = 1, hi = 99;
    else if (a == "--packets")
      dst = &packets, lo = 1024, hi = 1ll << 30;
    else if (a == "--host-cpu")
      dst = &host_cpu, lo = -1, hi = CPU_SETSIZE - 1;
    else if (a == "--tenant-cpu")
      dst = &tenant_cpu, lo = -1, hi = CPU_SETSIZE - 1;
    else if (a == "--max-seconds")
      dst = &max_seconds, lo = 1, hi = 3600;
    if (dst == nullptr || i + 1 >= argc || !parse_int(argv[i + 1], lo, hi, dst)) {
      if (dst != nullptr && i + 1 < argc)
        std::fprintf(stderr, "tenant_ring_hop: bad value '%s' for %s\n", argv[i + 1], a.c_str());
      std::fputs(usage, stderr);
      return 2;
    }
    ++i;
  }
  if (host_cpu >= 0 && host_cpu == tenant_cpu)
    std::fprintf(stderr, "tenant_ring_hop: note: host and tenant share CPU %lld\n", host_cpu);
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    std::fprintf(stderr, "tenant_ring_hop: sched_getaffinity: %s\n", std::strerror(errno));
    return 1;
  }
  for (const long long c : {host_cpu, tenant_cpu}) {
    if (c >= 0 && !CPU_ISSET(static_cast<int>(c), &allowed)) {
      std::fprintf(stderr, "tenant_ring_hop: CPU %lld is not one this process may run on\n", c);
      return 1;
    }
  }
  if (host_cpu >= 0) {
    const auto st = uplane::pin_this_thread(static_cast<int>(host_cpu));
    if (!st.is_ok()) {
      std::fprintf(stderr, "tenant_ring_hop: cannot pin to CPU %lld: %s\n", host_cpu,
                   st.message().c_str());
      return 1;
    }
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  std::atexit(kill_child);

  const std::uint32_t batches[] = {1, 8, 32, 64};
  constexpr int kBatches = 4;
  const std::uint64_t cap_ns = static_cast<std::uint64_t>(max_seconds) * 1'000'000'000ull;
  const std::uint64_t run_cap = cap_ns / static_cast<std::uint64_t>(runs * kBatches);
  std::printf(
      "ring_hop: host end on CPU %lld (guarded views), tenant end a forked process on "
      "CPU %lld; rx and tx rings of %u LinkDesc (%zu bytes); %lld packets per run, "
      "%lld runs\n",
      host_cpu, tenant_cpu, kSlots, sizeof(LinkDesc), packets, runs);
  std::vector<double> values[kBatches];
  for (long long r = 1; r <= runs; ++r) {
    for (int j = 0; j < kBatches; ++j) {
      const int b = (r % 2) ? j : kBatches - 1 - j;
      std::uint64_t preempted = 0;
      const double ns = run_once(batches[b], static_cast<std::uint64_t>(packets),
                                 static_cast<int>(tenant_cpu), run_cap, &preempted);
      if (ns < 0) {
        std::printf("RESULT ring_hop uplane=nan target=10 ratio=nan unit=ns/pkt\n");
        return 1;
      }
      values[b].push_back(ns);
      std::printf("ring_hop run=%lld batch=%u ns_per_pkt=%.2f preempted=%llu\n", r, batches[b], ns,
                  static_cast<unsigned long long>(preempted));
      std::fflush(stdout);
    }
  }
  double at32 = 0;
  for (int b = 0; b < kBatches; ++b) {
    const double m = median(values[b]);
    if (batches[b] == 32) at32 = m;
    std::printf("ring_hop batch=%u median_ns_per_pkt=%.2f min=%.2f max=%.2f (%.1f Mpps)\n",
                batches[b], m, *std::min_element(values[b].begin(), values[b].end()),
                *std::max_element(values[b].begin(), values[b].end()), 1e3 / m);
  }
  {
    std::vector<double> v;
    for (long long r = 0; r < runs; ++r)
      v.push_back(same_thread(32, static_cast<std::uint64_t>(packets)));
    if (*std::min_element(v.begin(), v.end()) > 0)
      std::printf(
          "ring_hop same_thread batch=32 median_ns_per_pkt=%.2f (both ends on one thread: "
          "the ring code alone, no cache line crossing CPUs)\n",
          median(v));
  }
  std::printf("RESULT ring_hop uplane=%.2f target=10 ratio=%.2f unit=ns/pkt\n", at32, at32 / 10);
  return 0;
}
