// uplane's packet core against DPDK's, side by side in one process: SpscRing and MpmcRing
// against rte_ring (SP/SC and MP/MC), PacketPool against rte_mempool with its per-lcore
// cache. Every case runs on DPDK's EAL lcores (0 and 1, each pinned to its CPU), the same
// threads for both sides, the two alternating. Elements are 8-byte pointers on both sides.
//
//   ring cases  1t: one thread enqueues a burst then dequeues it (DPDK's ring_perf "bulk
//                   enq/dequeue"), ns per element moved.
//               2t: lcore 0 produces N elements, lcore 1 consumes them; ns per element from
//                   the producer's start to the consumer's last dequeue.
//   pool cases  1t: get 128 objects in bursts, put them back in bursts (DPDK's
//                   mempool_perf "n_keep"), ns per object got and put.
//               2t: both lcores do that at once on one pool; ns per object of the total.
//
// Usage: packet_core_bench [--reps N] [--scale F] [--only SUBSTRING]

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_version.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "base/cpu.h"
#include "base/log.h"
#include "bench/harness.h"
#include "mem/packet_pool.h"
#include "ring/mpmc_ring.h"
#include "ring/spsc_ring.h"

namespace uplane::bench {
namespace {

constexpr std::uint32_t kRingSize = 4096;
constexpr std::uint32_t kKeep = 128;
constexpr std::uint32_t kPoolFrames = 8192;
constexpr std::uint32_t kPoolCache = 256;
double g_scale = 1.0;

std::uint64_t scaled(double n) { return static_cast<std::uint64_t>(n * g_scale) + 1; }

// Runs `worker` on lcore 1 and `main` on this (main) lcore, both starting together.
// Returns whatever `main` returns.
double on_two_lcores(const std::function<double(std::atomic<int>&)>& main_fn,
                     const std::function<void(std::atomic<int>&)>& worker_fn) {
  std::atomic<int> ready{0};
  struct Arg {
    const std::function<void(std::atomic<int>&)>* fn;
    std::atomic<int>* ready;
  } arg{&worker_fn, &ready};
  const unsigned worker = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
  rte_eal_remote_launch(
      [](void* p) -> int {
        auto* a = static_cast<Arg*>(p);
        (*a->fn)(*a->ready);
        return 0;
      },
      &arg, worker);
  const double r = main_fn(ready);
  rte_eal_wait_lcore(worker);
  return r;
}

// Both threads call this first: returns when both have arrived.
void meet(std::atomic<int>& ready) {
  // acq_rel: each side's setup happens before the other's timed loop.
  ready.fetch_add(1, std::memory_order_acq_rel);
  while (ready.load(std::memory_order_acquire) < 2) cpu_relax();
}

void* g_objs[64];

// ---------- rings: one thread ----------

template <typename Enq, typename Deq>
double one_thread_ring(std::uint32_t burst, Enq enq, Deq deq) {
  const std::uint64_t iters = scaled(20e6) / burst;
  void* out[64];
  const std::uint64_t t0 = now_ns();
  for (std::uint64_t i = 0; i < iters; ++i) {
    enq(g_objs, burst);
    deq(out, burst);
  }
  return static_cast<double>(now_ns() - t0) / static_cast<double>(iters * burst);
}

// ---------- rings: producer on lcore 0, consumer on lcore 1 ----------

std::atomic<std::uint64_t> g_end_ns{0};

template <typename Enq, typename Deq>
double two_thread_ring(std::uint32_t burst, Enq enq, Deq deq) {
  const std::uint64_t n = burst == 1 ? scaled(4e6) : scaled(20e6);
  return on_two_lcores(
      [&](std::atomic<int>& ready) {
        meet(ready);
        const std::uint64_t t0 = now_ns();
        std::uint64_t sent = 0;
        while (sent < n) {
          const auto k = static_cast<std::uint32_t>(std::min<std::uint64_t>(burst, n - sent));
          sent += enq(g_objs, k);
        }
        rte_eal_wait_lcore(rte_get_next_lcore(rte_get_main_lcore(), 1, 0));
        // Acquire pairs with the consumer's release store of g_end_ns.
        return static_cast<double>(g_end_ns.load(std::memory_order_acquire) - t0) /
               static_cast<double>(n);
      },
      [&](std::atomic<int>& ready) {
        void* out[64];
        meet(ready);
        std::uint64_t got = 0;
        while (got < n) got += deq(out, burst);
        g_end_ns.store(now_ns(), std::memory_order_release);
      });
}

// ---------- pools ----------

template <typename Get, typename Put>
double pool_loop(std::uint32_t burst, std::uint64_t objects, Get get, Put put) {
  void* held[kKeep];
  const std::uint64_t rounds = objects / kKeep;
  const std::uint64_t t0 = now_ns();
  for (std::uint64_t r = 0; r < rounds; ++r) {
    for (std::uint32_t k = 0; k < kKeep; k += burst)
      if (!get(held + k, burst)) std::abort();
    for (std::uint32_t k = 0; k < kKeep; k += burst) put(held + k, burst);
  }
  return static_cast<double>(now_ns() - t0) / static_cast<double>(rounds * kKeep);
}

template <typename Get, typename Put>
double pool_two_threads(std::uint32_t burst, Get get, Put put) {
  const std::uint64_t objects = scaled(10e6);
  double worker_ns = 0;
  const double main_ns = on_two_lcores(
      [&](std::atomic<int>& ready) {
        meet(ready);
        return pool_loop(burst, objects, get, put);
      },
      [&](std::atomic<int>& ready) {
        meet(ready);
        worker_ns = pool_loop(burst, objects, get, put);
      });
  // Aggregate: two threads each moved `objects`; the slower one bounds the run.
  return std::max(main_ns, worker_ns) / 2;
}

// One adapter per ring flavour: a fresh ring, and bursts of pointers in and out.
rte_ring* fresh_rte_ring(unsigned flags) {
  static int seq = 0;
  const std::string name = "bench" + std::to_string(seq++);
  rte_ring* r = rte_ring_create(name.c_str(), kRingSize, SOCKET_ID_ANY, flags);
  if (r == nullptr) {
    std::fprintf(stderr, "rte_ring_create: %s\n", rte_strerror(rte_errno));
    std::exit(1);
  }
  return r;
}

struct OurSpsc {
  ring::HeapRing<ring::SpscRing<void*>> r =
      ring::make_heap_ring<ring::SpscRing<void*>>(kRingSize).value();
  std::uint32_t enq(void** o, std::uint32_t n) { return r->enqueue_burst(o, n); }
  std::uint32_t deq(void** o, std::uint32_t n) { return r->dequeue_burst(o, n); }
};
struct OurMpmc {
  ring::HeapRing<ring::MpmcRing<void*>> r =
      ring::make_heap_ring<ring::MpmcRing<void*>>(kRingSize).value();
  std::uint32_t enq(void** o, std::uint32_t n) {
    return r->enqueue_burst<ring::Sync::kMulti>(o, n);
  }
  std::uint32_t deq(void** o, std::uint32_t n) {
    return r->dequeue_burst<ring::Sync::kMulti>(o, n);
  }
};
struct RteSpsc {
  rte_ring* r = fresh_rte_ring(RING_F_SP_ENQ | RING_F_SC_DEQ);
  ~RteSpsc() { rte_ring_free(r); }
  std::uint32_t enq(void** o, std::uint32_t n) {
    return rte_ring_sp_enqueue_burst(r, o, n, nullptr);
  }
  std::uint32_t deq(void** o, std::uint32_t n) {
    return rte_ring_sc_dequeue_burst(r, o, n, nullptr);
  }
};
struct RteMpmc {
  rte_ring* r = fresh_rte_ring(0);
  ~RteMpmc() { rte_ring_free(r); }
  std::uint32_t enq(void** o, std::uint32_t n) {
    return rte_ring_mp_enqueue_burst(r, o, n, nullptr);
  }
  std::uint32_t deq(void** o, std::uint32_t n) {
    return rte_ring_mc_dequeue_burst(r, o, n, nullptr);
  }
};

template <typename Ring>
double measure_ring(int threads, std::uint32_t burst) {
  Ring ring;
  auto enq = [&](void** o, std::uint32_t n) { return ring.enq(o, n); };
  auto deq = [&](void** o, std::uint32_t n) { return ring.deq(o, n); };
  return threads == 1 ? one_thread_ring(burst, enq, deq) : two_thread_ring(burst, enq, deq);
}

std::vector<Case> make_cases(mem::PacketPool& pool, rte_mempool* mp, const Options& opts) {
  std::vector<Case> cases;
  auto add = [&](Case c) {
    if (opts.wants(c.name)) cases.push_back(std::move(c));
  };
  constexpr std::uint32_t kBursts[] = {1, 8, 32};
  auto name = [](const char* kind, int threads, std::uint32_t burst) {
    return std::string(kind) + "_" + std::to_string(threads) + "t_b" + std::to_string(burst);
  };
  for (int t : {1, 2})
    for (std::uint32_t b : kBursts)
      add({name("spsc", t, b), "ns/elem", [=] { return measure_ring<OurSpsc>(t, b); },
           [=] { return measure_ring<RteSpsc>(t, b); }});
  for (int t : {1, 2})
    for (std::uint32_t b : kBursts)
      add({name("mpmc", t, b), "ns/elem", [=] { return measure_ring<OurMpmc>(t, b); },
           [=] { return measure_ring<RteMpmc>(t, b); }});

  mem::PacketPool* pp = &pool;
  auto our_get = [pp](void** o, std::uint32_t n) {
    return pp->get_bulk(reinterpret_cast<mem::Packet**>(o), n);
  };
  auto our_put = [pp](void** o, std::uint32_t n) {
    pp->put_bulk(reinterpret_cast<mem::Packet* const*>(o), n);
  };
  auto their_get = [mp](void** o, std::uint32_t n) { return rte_mempool_get_bulk(mp, o, n) == 0; };
  auto their_put = [mp](void** o, std::uint32_t n) { rte_mempool_put_bulk(mp, o, n); };
  for (std::uint32_t b : kBursts)
    add({name("pool", 1, b), "ns/obj", [=] { return pool_loop(b, scaled(20e6), our_get, our_put); },
         [=] { return pool_loop(b, scaled(20e6), their_get, their_put); }});
  for (std::uint32_t b : kBursts)
    add({name("pool", 2, b), "ns/obj", [=] { return pool_two_threads(b, our_get, our_put); },
         [=] { return pool_two_threads(b, their_get, their_put); }});
  return cases;
}

}  // namespace
}  // namespace uplane::bench

int main(int argc, char** argv) {
  using namespace uplane;
  const std::optional<bench::Options> opts = bench::parse_options(argc, argv);
  if (!opts) return 2;
  const int reps = opts->reps;
  bench::g_scale = opts->scale;
  if (usable_cpu_count() < 2) {
    std::fprintf(stderr, "packet_core_bench needs two CPUs (it pins one thread to each)\n");
    return 1;
  }
  // Ordinary pages for DPDK, as for our pool below: the rings fit in cache and neither pool
  // benchmark touches frame memory, so page size does not enter these numbers.
  const char* eal_args[] = {"packet_core_bench", "--no-huge",   "-m", "512", "--no-pci",
                            "--no-telemetry",    "--no-shconf", "-l", "0-1", "--log-level=*:error"};
  int eal_argc = static_cast<int>(sizeof(eal_args) / sizeof(eal_args[0]));
  if (rte_eal_init(eal_argc, const_cast<char**>(eal_args)) < 0) {
    std::fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  rte_mempool* mp = rte_mempool_create("bench_mp", bench::kPoolFrames - 1, 2048, bench::kPoolCache,
                                       0, nullptr, nullptr, nullptr, nullptr, SOCKET_ID_ANY, 0);
  if (mp == nullptr) {
    std::fprintf(stderr, "rte_mempool_create failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  set_log_level(LogLevel::kWarn);
  auto pool = mem::PacketPool::create({.name = "bench",
                                       .frame_count = bench::kPoolFrames,
                                       .frame_size = 2048,
                                       .cache_size = bench::kPoolCache,
                                       .region = {.allow_hugepages = false}});
  if (!pool.is_ok()) {
    std::fprintf(stderr, "%s\n", pool.status().to_string().c_str());
    return 1;
  }
  std::printf(
      "packet_core_bench: uplane vs DPDK %s, %d runs per case, scale %.2f, lcores 0 and 1\n",
      rte_version(), reps, bench::g_scale);
  std::printf("ratio = dpdk / uplane (time per element; above 1 means uplane is faster)\n\n");
  auto cases = bench::make_cases(*pool.value(), mp, *opts);
  bench::run_cases(cases, reps, "dpdk");
  rte_mempool_free(mp);
  rte_eal_cleanup();
  return 0;
}
