#include "tenant/host.h"

#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include "base/cpu.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "graph/config.h"
#include "graph/router.h"
#include "graph/worker.h"
#include "io/port.h"
#include "mem/packet_pool.h"
#include "tenant/tenant_elements.h"
#include "tenant/tenant_process.h"

namespace uplane::tenant {

std::string_view tenant_drop_name(TenantDrop r) noexcept {
  switch (r) {
    case TenantDrop::kIngressFull:
      return "ingress_full";
    case TenantDrop::kNoInput:
      return "no_input";
    case TenantDrop::kNoMemory:
      return "no_memory";
    case TenantDrop::kEgressPort:
      return "egress_port_denied";
    case TenantDrop::kEgressVlan:
      return "egress_vlan_denied";
    case TenantDrop::kEgressMac:
      return "egress_mac_denied";
    case TenantDrop::kEgressRunt:
      return "egress_runt";
    case TenantDrop::kTxFull:
      return "tx_full";
    case TenantDrop::kOverBudget:
      return "over_budget";
    case TenantDrop::kTenantDown:
      return "tenant_down";
    case TenantDrop::kLinkFull:
      return "link_full";
    case TenantDrop::kOverFrames:
      return "over_frames";
    case TenantDrop::kCount:
      break;
  }
  return "unknown";
}

std::uint64_t TenantStats::total_drops() const noexcept {
  std::uint64_t n = 0;
  for (std::uint64_t d : drops) n += d;
  return n;
}

namespace {

using graph::Batch;
using mem::Packet;

// --- the pieces ---

struct HostPort {
  PortSpec spec;
  std::uint16_t index = 0;
  int worker = -1;
  std::vector<std::unique_ptr<io::Port>> queues;  // queue 0 also transmits
  graph::Counter64 rx_packets;
  graph::Counter64 unmatched;
};

// A tenant's graph and the context its elements see; the router goes first.
struct Graph {
  std::unique_ptr<TenantContext> ctx;
  std::unique_ptr<graph::Router> router;

  ~Graph() {
    if (router != nullptr) (void)router->cleanup_and_check_leaks();
    router.reset();
  }
};

// A tenant's token buckets (packets, bits, cycles), in units of each; negative is debt (a
// pass may take a burst more than what is left). Its worker's alone: they carry over plans.
struct Buckets {
  double packets = 0, bits = 0, cycles = 0;
  std::uint64_t last = 0;             // cycle counter at the last refill; 0: never
  bool throttled = false;             // skipped on the last pass for its budget
  std::uint64_t throttled_since = 0;  // cycle counter when it was first skipped
};

// A tenant: outlives its graphs (its rings and counters carry over a replacement).
struct TenantSlot {
  TenantSpec spec;
  std::uint16_t id = 0;
  int worker = 0;
  std::vector<std::uint16_t> port_ids;             // host ports it selects
  std::vector<ring::HeapRing<IngressRing>> rings;  // parallel to port_ids
  TenantCounters counters;
  Buckets buckets;                      // its worker's
  std::unique_ptr<ProcessTenant> proc;  // mode process: its processes (outlive its graphs)
  std::unique_ptr<Graph> graph;         // the one its worker runs (control thread's handle)

  IngressRing* ring_for(std::uint16_t port) const noexcept {
    for (std::size_t i = 0; i < port_ids.size(); ++i)
      if (port_ids[i] == port) return rings[i].get();
    return nullptr;
  }
  // Frees what waits in its rings (no graph reads them any more).
  void drain_rings() noexcept {
    for (auto& r : rings) {
      Packet* buf[Batch::kMax];
      for (;;) {
        const std::uint32_t got = r->dequeue_burst(buf, Batch::kMax);
        if (got == 0) break;
        for (std::uint32_t i = 0; i < got; ++i) mem::free_packet(buf[i]);
      }
    }
  }
  ~TenantSlot() {
    graph.reset();
    drain_rings();
  }
};

// What a worker runs; built whole on the control thread and swapped in at a pass boundary.
struct Rule {
  TenantSlot* slot = nullptr;
  IngressRing* ring = nullptr;
  bool has_input = false;    // its graph reads this ring
  bool accounting = true;    // count its bytes (HostOptions::accounting)
  std::uint32_t frames = 0;  // its `frames` budget: it may hold that many (0: no limit)
  std::vector<std::uint16_t> vlans;
  std::vector<std::uint64_t> macs;  // mac_key()s
  Batch staged;                     // this burst's frames for it; empty between bursts
};
struct PortDemux {
  HostPort* port = nullptr;
  std::vector<Rule> rules;
  int default_rule = -1;  // the default tenant's rule, for what nothing matched
};
// A tenant's budget as rates per cycle of the counter, and bucket depths (0: no limit).
struct Limits {
  bool any = false;
  double packets_per_cycle = 0, bits_per_cycle = 0, share = 0;
  double packets_max = 0, bits_max = 0, cycles_max = 0;
  double pass_charge_max = 0;  // cycles: kMaxPassChargeSeconds' worth
};
struct TenantRun {
  TenantSlot* slot = nullptr;
  graph::Router* router = nullptr;
  Limits limits;
  std::uint32_t passes = 1;  // graph passes per worker pass while it has work: its weight
  bool timed = true;         // reads the cycle counter around its passes (accounting, share)
};
struct Plan {
  std::vector<PortDemux> ports;
  std::vector<TenantRun> tenants;
};

// Control thread -> worker: one function at a time, run at a pass boundary.
class Mailbox {
 public:
  // Runs fn on the worker and waits for it at most `timeout_ms`. A function the worker has
  // not taken by then is withdrawn (it never runs) and the call fails.
  Status call(std::function<void()> fn, std::uint64_t timeout_ms, int worker) {
    std::unique_lock lock(mu_);
    fn_ = std::move(fn);
    done_ = false;
    // Release: the worker that sees the flag sees fn_ (it also takes the mutex).
    pending_.store(true, std::memory_order_release);
    wake();
    if (cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return done_; })) return {};
    fn_ = nullptr;
    pending_.store(false, std::memory_order_relaxed);
    return make_error(Errc::kResourceExhausted,
                      "worker {} did not answer within {} ms; nothing was changed", worker,
                      timeout_ms);
  }
  // Written to (an eventfd) when a function waits, so that a sleeping worker wakes.
  void set_wake_fd(int fd) noexcept { wake_fd_ = fd; }
  void wake() const noexcept {
    if (wake_fd_ < 0) return;
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
  // Worker side, once per pass: cheap when nothing waits.
  void serve() noexcept {
    if (!pending_.load(std::memory_order_acquire)) return;
    std::lock_guard lock(mu_);
    if (fn_ != nullptr) {
      fn_();
      fn_ = nullptr;
      done_ = true;
      cv_.notify_all();
    }
    pending_.store(false, std::memory_order_relaxed);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> fn_;
  bool done_ = false;
  std::atomic<bool> pending_{false};
  int wake_fd_ = -1;
};

enum class Phase : std::uint8_t { kIdle, kRunning, kDraining };

struct HostWorker {
  int index = 0;
  int cpu = -1;
  std::vector<HostPort*> ports;
  Plan* plan = nullptr;  // the worker's view; changed only through the mailbox
  Mailbox mailbox;
  UniqueFd wake;  // an eventfd: the mailbox and stop() write it; -1 when none could be made
  std::thread thread;
  // Pick-ups after idle (HostWorkerStats); written by the worker, read by anyone.
  graph::Counter64 pickups, pickup_ns_sum;
  std::atomic<std::uint64_t> pickup_ns_last{0}, pickup_ns_max{0};
};

// Times the first stamped frame of a burst taken after idle (HostWorkerStats). True when
// it found one.
bool time_pickup(HostWorker& w, const Batch& b) noexcept {
  std::uint64_t first = UINT64_MAX;
  for (const Packet* p : b.packets())
    if (p->timestamp_ns() != 0) first = std::min(first, p->timestamp_ns());
  if (first == UINT64_MAX) return false;
  const std::uint64_t now = realtime_ns();
  const std::uint64_t ns = now > first ? now - first : 0;
  w.pickups.add();
  w.pickup_ns_sum.add(ns);
  w.pickup_ns_last.store(ns, std::memory_order_relaxed);
  if (ns > w.pickup_ns_max.load(std::memory_order_relaxed))
    w.pickup_ns_max.store(ns, std::memory_order_relaxed);
  return true;
}

// --- classification ---

// The VLAN ID of an Ethernet frame: the 802.1Q (or 802.1ad outer) tag's, 0 untagged.
inline std::uint16_t vlan_of(const std::uint8_t* d, std::uint32_t n) noexcept {
  if (n >= 18 && ((d[12] == 0x81 && d[13] == 0x00) || (d[12] == 0x88 && d[13] == 0xa8)))
    return static_cast<std::uint16_t>(((d[14] << 8) | d[15]) & 0x0fff);
  return 0;
}

inline bool vlan_ok(const Rule& r, std::uint16_t vid) noexcept {
  return r.vlans.empty() || std::find(r.vlans.begin(), r.vlans.end(), vid) != r.vlans.end();
}

inline bool mac_ok(const Rule& r, const std::uint8_t* dst) noexcept {
  if (r.macs.empty()) return true;
  const std::uint64_t k = mac_key(dst);
  for (std::uint64_t m : r.macs)
    if (m == k) return true;
  return false;
}

inline void stage(Rule& r, Packet* p, std::uint16_t port) noexcept {
  p->set_input_port(port);
  (void)r.staged.push_back(p);  // at most one per frame of a burst: always fits
}

// One burst of one port: every frame to its tenant's staging batch, then each batch to its
// tenant's ring. A tenant with a frames budget gets no more than it has room for; what it
// gets is charged to it in the pool until it comes back (sent or freed).
void classify(PortDemux& pd, Batch& b, mem::PacketPool& pool) noexcept {
  const std::uint16_t port = pd.port->index;
  Batch unmatched;
  for (Packet* p : b.packets()) {
    const std::uint8_t* d = p->data();
    const std::uint32_t n = p->length();
    if (n < 14) [[unlikely]] {
      (void)unmatched.push_back(p);
      continue;
    }
    const std::uint16_t vid = vlan_of(d, n);
    Rule* first = nullptr;
    if ((d[0] & 1) == 0) [[likely]] {
      for (Rule& r : pd.rules) {
        if (vlan_ok(r, vid) && mac_ok(r, d)) {
          first = &r;
          break;
        }
      }
      if (first != nullptr) {
        stage(*first, p, port);
        continue;
      }
    } else {
      // Broadcast or multicast: every tenant whose VLANs match gets it; the last the frame,
      // the others copies.
      Rule* last = nullptr;
      for (Rule& r : pd.rules) {
        if (!vlan_ok(r, vid)) continue;
        if (last != nullptr) {
          Packet* c = graph::copy_packet(pool, *p);
          if (c == nullptr) {
            last->slot->counters.drop(TenantDrop::kNoMemory);
          } else {
            stage(*last, c, port);
          }
        }
        last = &r;
      }
      if (last != nullptr) {
        stage(*last, p, port);
        continue;
      }
    }
    if (pd.default_rule >= 0) {
      stage(pd.rules[static_cast<std::size_t>(pd.default_rule)], p, port);
    } else {
      (void)unmatched.push_back(p);
    }
  }
  if (!unmatched.empty()) {
    pd.port->unmatched.add(unmatched.size());
    graph::free_batch(unmatched);
  }
  for (Rule& r : pd.rules) {
    if (r.staged.empty()) continue;
    TenantCounters& c = r.slot->counters;
    std::uint32_t took = 0;
    // What its ring is offered: nothing when its graph does not read it, no more than its
    // frames budget leaves room for.
    std::uint32_t offer = r.has_input ? r.staged.size() : 0;
    if (r.frames != 0 && offer != 0) {
      const std::int64_t room = std::int64_t{r.frames} - pool.charged(r.slot->id);
      if (room < offer) offer = room > 0 ? static_cast<std::uint32_t>(room) : 0;
      pool.charge(r.staged.data(), offer, r.slot->id);
    }
    if (offer != 0) {
      took = r.ring->enqueue_burst(r.staged.data(), offer);
      c.rx_packets.add(took);
      if (r.accounting) {
        // The ring's reader is this worker's tenant graph, not yet run: the frames are
        // still ours to read.
        std::uint64_t bytes = 0;
        for (std::uint32_t i = 0; i < took; ++i) bytes += r.staged[i]->length();
        c.rx_bytes.add(bytes);
      }
    }
    const std::uint32_t left = r.staged.size() - took;
    if (left != 0) {
      // What the ring refused of the offer was charged: freeing it gives the charge back.
      if (took != offer)
        c.drop(r.slot->buckets.throttled ? TenantDrop::kOverBudget : TenantDrop::kIngressFull,
               offer - took);
      if (offer != r.staged.size())
        c.drop(r.has_input ? TenantDrop::kOverFrames : TenantDrop::kNoInput,
               r.staged.size() - offer);
      for (std::uint32_t i = took; i < r.staged.size(); ++i) mem::free_packet(r.staged[i]);
    }
    r.staged.clear();
  }
}

// --- budgets ---

// The deepest a bucket gets: this long at its rate (and at least one full burst).
constexpr double kBurstSeconds = 0.010;
// The most one graph pass is charged against a cycles budget: a pass that took longer was
// preempted, not working, and charging it whole would hold a small share back for seconds.
constexpr double kMaxPassChargeSeconds = 0.0001;
// A weight is how many graph passes a tenant gets per worker pass while it has work.
constexpr std::uint32_t kMaxWeight = 16;

Limits limits_of(const Budget& b) noexcept {
  Limits l;
  const double cps = cycles_per_second();
  constexpr double kBatch = graph::Batch::kMax;
  if (b.pps != 0) {
    l.packets_per_cycle = static_cast<double>(b.pps) / cps;
    l.packets_max = std::max(static_cast<double>(b.pps) * kBurstSeconds, kBatch);
  }
  if (b.bps != 0) {
    l.bits_per_cycle = static_cast<double>(b.bps) / cps;
    l.bits_max = std::max(static_cast<double>(b.bps) * kBurstSeconds, kBatch * 1518 * 8);
  }
  if (b.cpu_share > 0 && b.cpu_share < 1) {
    l.share = b.cpu_share;
    l.cycles_max = b.cpu_share * cps * kBurstSeconds;
    l.pass_charge_max = cps * kMaxPassChargeSeconds;
  }
  l.any = l.packets_per_cycle > 0 || l.bits_per_cycle > 0 || l.share > 0;
  return l;
}

inline void refill(const Limits& l, Buckets& k, std::uint64_t now) noexcept {
  if (k.last == 0) {  // a new tenant (or a new budget): full buckets
    k.packets = l.packets_max;
    k.bits = l.bits_max;
    k.cycles = l.cycles_max;
  } else {
    const double dt = static_cast<double>(now - k.last);
    k.packets = std::min(k.packets + dt * l.packets_per_cycle, l.packets_max);
    k.bits = std::min(k.bits + dt * l.bits_per_cycle, l.bits_max);
    k.cycles = std::min(k.cycles + dt * l.share, l.cycles_max);
  }
  k.last = now;
}

// Every limited bucket has something left.
inline bool has_tokens(const Limits& l, const Buckets& k) noexcept {
  return (l.packets_per_cycle == 0 || k.packets > 0) && (l.bits_per_cycle == 0 || k.bits > 0) &&
         (l.share == 0 || k.cycles > 0);
}

// --- adaptive polling ---

// What a worker sleeps on when idle: its wake eventfd and its ports' wait_fds. `all` when
// every queue of its ports has one (else it cannot sleep on them, and naps instead).
struct Sleeper {
  std::vector<pollfd> fds;
  bool all = true;
};

Sleeper sleeper_of(const HostWorker& w) {
  Sleeper s;
  if (w.wake.get() >= 0) {
    s.fds.push_back(pollfd{w.wake.get(), POLLIN, 0});
  } else {
    s.all = false;
  }
  for (const HostPort* p : w.ports) {
    for (const auto& q : p->queues) {
      const int fd = q->wait_fd();
      if (fd < 0) {
        s.all = false;
      } else {
        s.fds.push_back(pollfd{fd, POLLIN, 0});
      }
    }
  }
  return s;
}

// How long an idle worker sleeps on its descriptors without looking: kShortSleepNs for 64
// sleeps, then kLongSleepNs. A look is what sends a frame that a full transmit ring left in
// a tenant's ToDevice (the worker sleeps on its ports' receive side only).
constexpr std::uint64_t kShortSleepNs = 10'000'000;
constexpr std::uint64_t kLongSleepNs = 100'000'000;
// After its last work a worker spins for kSpinNs and yields until kYieldNs before it
// sleeps: what a packet's answer takes to come back through the host (a ping's reply is
// tens of µs behind its request) then finds it awake, and only a packet after a pause pays
// for waking a sleeping thread (on a VM, an idle vCPU: 40-250 µs here).
constexpr std::uint64_t kSpinNs = 100'000;
constexpr std::uint64_t kYieldNs = 400'000;

// An idle worker's backoff: `idle_ns` since its last work, `sleeps` sleeps since then.
// Spin (cpu_relax) and yield as above, then sleep 20 us, doubling every 16 sleeps up to
// 1 ms, and from the 128th sleep on for kShortSleepNs, then kLongSleepNs (1 ms while a
// tenant waits for its budget) — never past the earliest timer of its graphs. It sleeps in
// ppoll on its wake eventfd and its ports' wait_fds when every port has one (a frame or a
// change wakes it at once); else it naps (nanosleep), at most 1 ms. True when it slept.
bool backoff(std::uint64_t idle_ns, std::uint32_t sleeps, Sleeper& sl, const Plan& plan,
             bool throttled) noexcept {
  if (idle_ns < kSpinNs) {
    cpu_relax();
    return false;
  }
  if (idle_ns < kYieldNs) {
    sched_yield();
    return false;
  }
  std::uint64_t next_timer = UINT64_MAX;
  for (const TenantRun& t : plan.tenants)
    next_timer = std::min(next_timer, t.router->worker(0).next_timer_ns());
  const std::uint32_t step = std::min<std::uint32_t>(sleeps / 16, 6);
  std::uint64_t sleep_ns = std::min<std::uint64_t>(20'000ull << step, 1'000'000);
  if (sleeps >= 128 && sl.all && !throttled) sleep_ns = sleeps < 192 ? kShortSleepNs : kLongSleepNs;
  if (next_timer != UINT64_MAX) {
    const std::uint64_t now = now_ns();
    if (next_timer <= now) return false;
    sleep_ns = std::min(sleep_ns, next_timer - now);
  }
  timespec ts{static_cast<time_t>(sleep_ns / 1'000'000'000),
              static_cast<long>(sleep_ns % 1'000'000'000)};
  if (!sl.all) {
    nanosleep(&ts, nullptr);
    return true;
  }
  for (pollfd& p : sl.fds) p.revents = 0;
  if (ppoll(sl.fds.data(), sl.fds.size(), &ts, nullptr) > 0 && (sl.fds[0].revents & POLLIN)) {
    std::uint64_t v = 0;
    (void)!::read(sl.fds[0].fd, &v, sizeof v);  // the mailbox or stop() woke us
  }
  return true;
}

// One tenant's share of a worker pass: its graph, `passes` times while it has work and
// budget (once while draining, when budgets no longer apply). True when it did work; sets
// `throttled` when its budget held it back. `clock` is the cycle counter as last read on
// this pass (0: stale): a timed graph pass starts from it and leaves its end there, so
// back-to-back passes and tenants share one read of the counter between them.
inline bool serve_tenant(TenantRun& t, bool draining, std::uint64_t now, std::uint64_t& clock,
                         bool& throttled) noexcept {
  TenantSlot& s = *t.slot;
  TenantCounters& c = s.counters;
  Buckets& k = s.buckets;
  const bool limited = t.limits.any && !draining;
  if (limited) {
    refill(t.limits, k, now);
    if (!has_tokens(t.limits, k)) {
      if (!k.throttled) {
        k.throttled = true;
        k.throttled_since = now;
      }
      c.throttled_passes.add();
      throttled = true;
      return false;
    }
  }
  if (k.throttled) {
    c.throttled_cycles.add(now - k.throttled_since);
    k.throttled = false;
  }
  bool worked = false;
  const std::uint32_t passes = draining ? 1 : t.passes;
  for (std::uint32_t i = 0; i < passes; ++i) {
    std::uint64_t spent = 0;
    bool did;
    if (t.timed) {
      const std::uint64_t c0 = clock != 0 ? clock : cycles_now();
      did = t.router->worker(0).run_once(draining);
      clock = cycles_now();
      spent = clock - c0;
    } else {
      did = t.router->worker(0).run_once(draining);
      clock = 0;
    }
    if (did) {
      c.cycles.add(spent);
      worked = true;
    }
    if (limited) {
      k.packets -= static_cast<double>(c.taken_packets);
      k.bits -= static_cast<double>(c.taken_bytes) * 8;
      if (did) k.cycles -= std::min(static_cast<double>(spent), t.limits.pass_charge_max);
    }
    c.taken_packets = 0;
    c.taken_bytes = 0;
    if (!did || (limited && !has_tokens(t.limits, k))) break;
  }
  return worked;
}

void worker_loop(HostWorker& w, const std::atomic<Phase>& phase, mem::PacketPool& pool,
                 std::uint64_t drain_timeout_ms, bool busy_poll) noexcept {
  std::uint32_t sleeps = 0, quiet = 0;
  std::uint64_t drain_deadline = 0;
  std::uint64_t last_work = cycles_now();
  std::uint64_t last_pass = last_work;  // the cycle counter as the last pass read it
  const double ns_per_cycle = 1e9 / cycles_per_second();
  const auto idle_ms_cycles = static_cast<std::uint64_t>(cycles_per_second() / 1000);
  Sleeper sleeper = sleeper_of(w);
  for (;;) {
    // Acquire: pairs with the release store of kDraining in Host::stop.
    const Phase ph = phase.load(std::memory_order_acquire);
    w.mailbox.serve();  // a pass boundary: a new plan takes effect here
    Plan& plan = *w.plan;
    const bool draining = ph == Phase::kDraining;
    bool worked = false;
    if (!draining) {
      // After 1 ms without work (as of the last pass's clock: no read of the counter here),
      // the first stamped frame is timed (HostWorkerStats).
      bool after_idle = last_pass - last_work >= idle_ms_cycles;
      for (PortDemux& pd : plan.ports) {
        for (auto& q : pd.port->queues) {
          Batch b;
          if (q->rx_burst(b) == 0) continue;
          worked = true;
          if (after_idle && time_pickup(w, b)) after_idle = false;
          pd.port->rx_packets.add(b.size());
          classify(pd, b, pool);
        }
      }
    }
    bool throttled = false;
    const std::uint64_t now = cycles_now();
    last_pass = now;
    std::uint64_t clock = now;
    for (TenantRun& t : plan.tenants) worked |= serve_tenant(t, draining, now, clock, throttled);
    for (HostPort* p : w.ports)
      for (auto& q : p->queues) q->housekeeping();
    if (draining) {
      if (drain_deadline == 0) drain_deadline = now_ns() + drain_timeout_ms * 1'000'000;
      quiet = worked ? 0 : quiet + 1;
      if (quiet >= 2) break;
      if (now_ns() > drain_deadline) {
        UPLANE_LOG(kWarn, "host worker {}: drain did not finish in {} ms; stopping anyway", w.index,
                   drain_timeout_ms);
        break;
      }
    }
    if (worked) {
      last_work = now;
      sleeps = 0;
    } else if (draining || busy_poll) {
      cpu_relax();
    } else {
      const auto idle_ns =
          static_cast<std::uint64_t>(static_cast<double>(now - last_work) * ns_per_cycle);
      if (backoff(idle_ns, sleeps, sleeper, plan, throttled) && sleeps < 1'000'000) ++sleeps;
    }
  }
  pool.flush_thread_cache();
}

bool valid_tenant_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(n[0])) return false;
  for (char c : n)
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-') return false;
  return true;
}

template <typename T>
bool intersects_or_any(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.empty() || b.empty()) return true;
  for (const T& x : a)
    if (std::find(b.begin(), b.end(), x) != b.end()) return true;
  return false;
}

std::string where_of(const SourceRef& w) {
  if (w.file.empty()) return {};
  if (w.line == 0) return w.file + ": ";
  return fmt::format("{}:{}:{}: ", w.file, w.line, w.column);
}

}  // namespace

// --- the host's state ---

struct Host::State {
  HostSpec spec;
  HostOptions opt;
  std::unique_ptr<mem::PacketPool> pool;
  std::vector<std::unique_ptr<HostPort>> ports;
  std::vector<std::unique_ptr<HostWorker>> workers;
  std::vector<std::unique_ptr<Plan>> plans;          // per worker, what it runs
  std::vector<std::unique_ptr<TenantSlot>> tenants;  // control thread's list
  mutable std::mutex mu;                             // one control operation at a time
  std::atomic<Phase> phase{Phase::kIdle};
  bool started = false;
  bool stopped = false;
  std::uint16_t next_id = 1;

  ~State() {
    // Workers are joined (Host::~Host stopped them). Graphs before ports, ports before
    // the pool.
    plans.clear();
    tenants.clear();
    ports.clear();
    workers.clear();
    if (pool != nullptr) pool->flush_thread_cache();
  }

  HostPort* port(std::string_view name) const {
    for (const auto& p : ports)
      if (p->spec.name == name) return p.get();
    return nullptr;
  }
  TenantSlot* find(std::string_view name) const {
    for (const auto& t : tenants)
      if (t->spec.name == name) return t.get();
    return nullptr;
  }
  std::string tenant_where(const TenantSpec& t) const {
    return fmt::format("{}tenant '{}'", where_of(t.where), t.name);
  }

  // Checks a tenant's spec against the host and the other tenants (`self`: the one it
  // replaces, not compared with).
  Status check_spec(const TenantSpec& t, const TenantSlot* self, int* worker_out) const;
  // Builds, configures and initializes a graph for the slot, off the data path.
  Result<std::unique_ptr<Graph>> build_graph(const TenantSlot& slot, const TenantSpec& t);
  // What worker `w` runs with `slots` (replacing a slot's graph by `swap_graph`, if given).
  std::unique_ptr<Plan> make_plan(int w, const std::vector<TenantSlot*>& slots,
                                  const TenantSlot* swap_slot, Graph* swap_graph,
                                  const TenantSpec* swap_spec) const;
  std::vector<TenantSlot*> slots_of(int w, const TenantSlot* skip) const {
    std::vector<TenantSlot*> v;
    for (const auto& t : tenants)
      if (t->worker == w && t.get() != skip) v.push_back(t.get());
    return v;
  }
  // Runs fn on worker w at a pass boundary (directly when the workers do not run).
  Status on_worker(int w, std::function<void()> fn) {
    if (!started || stopped) {
      fn();
      return {};
    }
    return workers[static_cast<std::size_t>(w)]->mailbox.call(std::move(fn), opt.ack_timeout_ms, w);
  }
  Status add(const TenantSpec& t);
  Status replace(const TenantSpec& t);
  Status remove(std::string_view name);

  // What an out-of-process tenant's child is started from.
  ChildSpec child_spec(const TenantSlot& slot, const TenantSpec& t) const {
    ChildSpec c;
    c.name = t.name;
    c.click = t.click;
    c.click_file = t.click_file;
    c.click_line = t.click_line;
    for (std::uint16_t id : slot.port_ids) c.ports.push_back(ports[id]->spec.name);
    c.link.name = "tenant-" + t.name;
    c.link.frame_count = std::max<std::uint32_t>(opt.ingress_ring * 2, 2048);
    c.link.ring_slots = opt.ingress_ring;
    c.link.lend = t.trusted ? pool.get() : nullptr;
    c.program = t.program.empty() ? opt.tenant_program : t.program;
    return c;
  }

  // The supervisor: restarts out-of-process tenants that died, kills stalled ones.
  std::thread supervisor;
  std::atomic<bool> supervising{false};
  void supervise_loop();
};

void Host::State::supervise_loop() {
  while (supervising.load(std::memory_order_acquire)) {
    bool any = false;
    {
      std::lock_guard lock(mu);
      for (const auto& t : tenants) {
        if (t->proc == nullptr) continue;
        any = true;
        t->proc->supervise(now_ns());
      }
    }
    // 10 ms to notice a death or a stall when there are process tenants; 50 ms otherwise.
    std::this_thread::sleep_for(std::chrono::milliseconds(any ? 10 : 50));
  }
}

Status Host::State::check_spec(const TenantSpec& t, const TenantSlot* self, int* worker_out) const {
  const std::string who = tenant_where(t);
  if (!valid_tenant_name(t.name))
    return make_error(Errc::kInvalidArgument,
                      "{}: a tenant's name is a letter, then letters, digits, '_' or '-'", who);
  if (t.mode == TenantMode::kProcess && t.selector.ports.size() > 0xfff0)
    return make_error(Errc::kInvalidArgument, "{}: too many ports", who);
  if (t.selector.ports.empty())
    return make_error(Errc::kInvalidArgument, "{}: its selector names no port", who);
  int worker = -1;
  std::string first;
  for (const std::string& pn : t.selector.ports) {
    const HostPort* p = port(pn);
    if (p == nullptr) {
      std::string names;
      for (const auto& q : ports) names += (names.empty() ? "" : ", ") + q->spec.name;
      return make_error(Errc::kInvalidArgument, "{}: no host port '{}' (the host has: {})", who, pn,
                        names);
    }
    if (worker >= 0 && p->worker != worker)
      return make_error(Errc::kInvalidArgument,
                        "{}: ports '{}' (worker {}) and '{}' (worker {}) are polled by different "
                        "workers; a tenant's ports must share one",
                        who, first, worker, pn, p->worker);
    if (worker < 0) {
      worker = p->worker;
      first = pn;
    }
  }
  for (std::uint16_t v : t.selector.vlans)
    if (v > 4094)
      return make_error(Errc::kInvalidArgument, "{}: VLAN ID {} is outside 0-4094", who, v);
  for (const auto& o : tenants) {
    if (o.get() == self) continue;
    if (o->spec.name == t.name)
      return make_error(Errc::kAlreadyExists, "{}: a tenant of that name exists", who);
    bool shares_port = false;
    for (const std::string& a : t.selector.ports)
      for (const std::string& b : o->spec.selector.ports) shares_port |= a == b;
    if (shares_port && intersects_or_any(t.selector.vlans, o->spec.selector.vlans) &&
        intersects_or_any(t.selector.macs, o->spec.selector.macs))
      return make_error(Errc::kInvalidArgument,
                        "{}: its selector overlaps tenant '{}''s (same port, and VLANs and MACs "
                        "that both may match)",
                        who, o->spec.name);
  }
  if (!(t.budget.cpu_share >= 0 && t.budget.cpu_share <= 1))
    return make_error(Errc::kInvalidArgument, "{}: cpu_share {} is outside [0, 1]", who,
                      t.budget.cpu_share);
  if (t.budget.weight > kMaxWeight)
    return make_error(Errc::kInvalidArgument, "{}: weight {} is above {}", who, t.budget.weight,
                      kMaxWeight);
  *worker_out = worker;
  return {};
}

Result<std::unique_ptr<Graph>> Host::State::build_graph(const TenantSlot& slot,
                                                        const TenantSpec& t) {
  const std::string who = fmt::format("tenant '{}'", t.name);
  const std::string file = t.click_file.empty() ? fmt::format("<tenant {}>", t.name) : t.click_file;
  // Blank lines in front, so that line numbers in messages are the file's.
  std::string text(t.click_line > 1 ? std::min<std::uint32_t>(t.click_line - 1, 1u << 20) : 0,
                   '\n');
  const bool proxy = t.mode == TenantMode::kProcess;
  if (proxy) {
    // Its graph runs in its own process; here it is the link to that process, port by port
    // (link port i is host port slot.port_ids[i], as the process was told).
    text = fmt::format("link :: TenantProcessLink({});\n", slot.port_ids.size());
    for (std::size_t i = 0; i < slot.port_ids.size(); ++i) {
      const std::string& pn = ports[slot.port_ids[i]]->spec.name;
      text += fmt::format("FromDevice({0}) -> [{1}]link; link[{1}] -> ToDevice({0});\n", pn, i);
    }
  } else {
    text += t.click;
  }
  auto parsed = graph::parse_config(text, file);
  if (!parsed.is_ok())
    return make_error(parsed.status().code(), "{}: {}", who, parsed.status().message());
  graph::FlatConfig cfg = std::move(parsed).value();
  for (graph::ElementDecl& d : cfg.elements) {
    if (d.class_name == "FromDevice") d.class_name = "TenantFromDevice";
    if (d.class_name == "ToDevice") d.class_name = "TenantToDevice";
    const std::string_view why = proxy ? std::string_view() : class_denied_in_tenant(d.class_name);
    if (!why.empty())
      return make_error(Errc::kInvalidArgument, "{}: {}: {} :: {}: {}", who, d.where.str(), d.name,
                        d.class_name, why);
  }
  auto g = std::make_unique<Graph>();
  g->ctx = std::make_unique<TenantContext>();
  TenantContext& ctx = *g->ctx;
  ctx.tenant = t.name;
  ctx.tenant_id = slot.id;
  ctx.counters = const_cast<TenantCounters*>(&slot.counters);
  ctx.vlans = t.selector.vlans;
  ctx.macs = mac_keys(t.selector.macs);
  ctx.accounting = opt.accounting;
  ctx.count_bits = t.budget.bps != 0;
  ctx.process = slot.proc.get();
  for (const auto& p : ports) {
    PortBinding b;
    b.name = p->spec.name;
    b.port = p->queues.empty() ? nullptr : p->queues.front().get();
    b.ring = slot.ring_for(p->index);
    b.allowed = b.ring != nullptr;
    ctx.ports.push_back(std::move(b));
  }
  graph::RouterOptions ro;
  ro.threads = 1;
  ro.pin_threads = false;
  ro.shared_pool = pool.get();
  ro.host = g->ctx.get();
  auto r = graph::Router::create(cfg, ro);
  if (!r.is_ok()) return make_error(r.status().code(), "{}: {}", who, r.status().message());
  g->router = std::move(r).value();
  return g;
}

std::unique_ptr<Plan> Host::State::make_plan(int w, const std::vector<TenantSlot*>& slots,
                                             const TenantSlot* swap_slot, Graph* swap_graph,
                                             const TenantSpec* swap_spec) const {
  auto plan = std::make_unique<Plan>();
  for (TenantSlot* s : slots) {
    Graph* g = s == swap_slot ? swap_graph : s->graph.get();
    const Budget& b = s == swap_slot ? swap_spec->budget : s->spec.budget;
    TenantRun run;
    run.slot = s;
    run.router = g->router.get();
    run.limits = limits_of(b);
    run.passes = std::clamp<std::uint32_t>(b.weight, 1, kMaxWeight);
    run.timed = opt.accounting || run.limits.share > 0;
    plan->tenants.push_back(run);
  }
  for (HostPort* hp : workers[static_cast<std::size_t>(w)]->ports) {
    PortDemux pd;
    pd.port = hp;
    for (TenantSlot* s : slots) {
      IngressRing* ring = s->ring_for(hp->index);
      if (ring == nullptr) continue;
      const TenantSpec& ts = s == swap_slot ? *swap_spec : s->spec;
      Graph* g = s == swap_slot ? swap_graph : s->graph.get();
      Rule r;
      r.slot = s;
      r.ring = ring;
      r.has_input = g->ctx->ports[hp->index].reading;
      r.vlans = ts.selector.vlans;
      r.macs = mac_keys(ts.selector.macs);
      r.accounting = opt.accounting;
      r.frames = ts.budget.frames;
      if (!spec.default_tenant.empty() && ts.name == spec.default_tenant)
        pd.default_rule = static_cast<int>(pd.rules.size());
      pd.rules.push_back(std::move(r));
    }
    plan->ports.push_back(std::move(pd));
  }
  return plan;
}

Status Host::State::add(const TenantSpec& t) {
  if (stopped) return make_error(Errc::kFailedPrecondition, "the host has stopped");
  int worker = 0;
  UPLANE_RETURN_IF_ERROR(check_spec(t, nullptr, &worker));
  auto slot = std::make_unique<TenantSlot>();
  slot->spec = t;
  // An id no live tenant has and no frame is still charged to (ids wrap after 65535 adds).
  for (int tries = 0; tries < 65536; ++tries) {
    bool taken = pool->charged(next_id) != 0;
    for (const auto& o : tenants) taken |= o->id == next_id;
    if (!taken) break;
    if (++next_id == 0) next_id = 1;
  }
  slot->id = next_id;
  slot->worker = worker;
  for (const std::string& pn : t.selector.ports) {
    const HostPort* p = port(pn);
    if (slot->ring_for(p->index) != nullptr) continue;  // named twice
    auto ring = ring::make_heap_ring<IngressRing>(opt.ingress_ring);
    if (!ring.is_ok())
      return make_error(ring.status().code(), "{}: ingress ring: {}", tenant_where(t),
                        ring.status().message());
    slot->port_ids.push_back(p->index);
    slot->rings.push_back(std::move(ring).value());
  }
  if (t.mode == TenantMode::kProcess)
    slot->proc = std::make_unique<ProcessTenant>(t.restart, t.stall_ms);
  auto g = build_graph(*slot, t);
  if (!g.is_ok()) return g.status();
  slot->graph = std::move(g).value();
  // Its process is up, its configuration accepted, before any frame is steered to it.
  if (slot->proc != nullptr) UPLANE_RETURN_IF_ERROR(slot->proc->start(child_spec(*slot, t)));
  if (t.budget.frames != 0) pool->enable_charges();  // before a plan charges a frame
  std::vector<TenantSlot*> slots = slots_of(worker, nullptr);
  slots.push_back(slot.get());
  std::unique_ptr<Plan> plan = make_plan(worker, slots, nullptr, nullptr, nullptr);
  HostWorker& hw = *workers[static_cast<std::size_t>(worker)];
  Plan* fresh = plan.get();
  UPLANE_RETURN_IF_ERROR(on_worker(worker, [&hw, fresh] { hw.plan = fresh; }));
  plans[static_cast<std::size_t>(worker)] = std::move(plan);  // the old one is unused now
  tenants.push_back(std::move(slot));
  ++next_id;
  if (next_id == 0) next_id = 1;
  return {};
}

Status Host::State::replace(const TenantSpec& t) {
  if (stopped) return make_error(Errc::kFailedPrecondition, "the host has stopped");
  TenantSlot* slot = find(t.name);
  if (slot == nullptr)
    return make_error(Errc::kNotFound, "no tenant named '{}' to replace", t.name);
  int worker = 0;
  UPLANE_RETURN_IF_ERROR(check_spec(t, slot, &worker));
  std::vector<std::string> a = t.selector.ports, b = slot->spec.selector.ports;
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  if (a != b)
    return make_error(Errc::kInvalidArgument,
                      "{}: a replacement keeps the tenant's ports; remove and add it to change "
                      "them",
                      tenant_where(t));
  if (t.mode != slot->spec.mode)
    return make_error(Errc::kInvalidArgument,
                      "{}: a replacement keeps the tenant's mode; remove and add it to change it",
                      tenant_where(t));
  if (slot->proc != nullptr) {
    // Hitless: the new process attaches (its configuration accepted) and takes new frames
    // before the old one is asked to leave; the old one finishes what it holds.
    UPLANE_RETURN_IF_ERROR(slot->proc->start(child_spec(*slot, t)));
    slot->proc->set_policy(t.restart, t.stall_ms);
    if (t.budget.frames != 0) pool->enable_charges();
    std::unique_ptr<Plan> plan =
        make_plan(worker, slots_of(worker, nullptr), slot, slot->graph.get(), &t);
    HostWorker& hw = *workers[static_cast<std::size_t>(worker)];
    Plan* fresh = plan.get();
    Status swapped = on_worker(worker, [&hw, fresh] { hw.plan = fresh; });
    if (swapped.is_ok()) plans[static_cast<std::size_t>(worker)] = std::move(plan);
    slot->spec = t;  // the process runs the new configuration either way
    slot->counters.replacements.add();
    return swapped;
  }
  auto built = build_graph(*slot, t);
  if (!built.is_ok()) return built.status();
  std::unique_ptr<Graph> g = std::move(built).value();
  if (t.budget.frames != 0) pool->enable_charges();  // before a plan charges a frame
  std::unique_ptr<Plan> plan = make_plan(worker, slots_of(worker, nullptr), slot, g.get(), &t);
  HostWorker& hw = *workers[static_cast<std::size_t>(worker)];
  Plan* fresh = plan.get();
  graph::Router* old_router = slot->graph->router.get();
  graph::Router* new_router = g->router.get();
  UPLANE_RETURN_IF_ERROR(on_worker(worker, [&hw, fresh, old_router, new_router] {
    // Hotswap: elements that keep their name and class take their predecessors' state.
    for (const auto& e : new_router->elements()) {
      graph::Element* old = old_router->find(e->name());
      if (old != nullptr && old->class_name() == e->class_name()) e->take_state(*old);
    }
    hw.plan = fresh;
  }));
  plans[static_cast<std::size_t>(worker)] = std::move(plan);
  std::swap(slot->graph, g);  // g now holds the old graph: cleaned up as it goes
  slot->spec = t;
  slot->counters.replacements.add();
  g.reset();
  return {};
}

Status Host::State::remove(std::string_view name) {
  if (stopped) return make_error(Errc::kFailedPrecondition, "the host has stopped");
  TenantSlot* slot = find(name);
  if (slot == nullptr) return make_error(Errc::kNotFound, "no tenant named '{}'", name);
  const int worker = slot->worker;
  std::unique_ptr<Plan> plan = make_plan(worker, slots_of(worker, slot), nullptr, nullptr, nullptr);
  HostWorker& hw = *workers[static_cast<std::size_t>(worker)];
  Plan* fresh = plan.get();
  UPLANE_RETURN_IF_ERROR(on_worker(worker, [&hw, fresh] { hw.plan = fresh; }));
  plans[static_cast<std::size_t>(worker)] = std::move(plan);
  auto it =
      std::find_if(tenants.begin(), tenants.end(), [&](const auto& t) { return t.get() == slot; });
  tenants.erase(it);  // cleans its graph up and frees what waits in its rings
  return {};
}

// --- Host ---

Host::Host(std::unique_ptr<State> s) noexcept : s_(std::move(s)) {}

Host::~Host() { stop(); }

Result<std::unique_ptr<Host>> Host::create(const HostSpec& spec, HostOptions options) {
  auto s = std::make_unique<State>();
  s->spec = spec;
  s->opt = options;
  if (options.ingress_ring < 2 || !std::has_single_bit(options.ingress_ring))
    return make_error(Errc::kInvalidArgument, "ingress ring size {} is not a power of two >= 2",
                      options.ingress_ring);
  if (spec.ports.empty()) return make_error(Errc::kInvalidArgument, "the host has no port");
  if (spec.workers.empty()) return make_error(Errc::kInvalidArgument, "the host has no worker");
  if (spec.ports.size() > 0xfff0)
    return make_error(Errc::kInvalidArgument, "too many ports ({})", spec.ports.size());

  // The pool: enough for every port's rings, the tenants' rings and their queues.
  std::uint64_t frames = 0;
  for (const PortSpec& p : spec.ports)
    frames += std::uint64_t{std::max<std::uint32_t>(p.queues, 1)} * 4 * p.ring_size.value_or(2048);
  frames += std::uint64_t{options.ingress_ring} * std::max<std::size_t>(spec.tenants.size(), 4);
  frames = std::max<std::uint64_t>(frames + 8192, 16384);
  mem::PoolConfig pc;
  pc.name = "host";
  pc.frame_count = options.pool_frames != 0
                       ? options.pool_frames
                       : static_cast<std::uint32_t>(std::min<std::uint64_t>(frames, 1u << 20));
  auto pool = mem::PacketPool::create(pc);
  if (!pool.is_ok())
    return make_error(pool.status().code(), "host packet pool: {}", pool.status().message());
  s->pool = std::move(pool).value();

  for (std::size_t i = 0; i < spec.workers.size(); ++i) {
    auto w = std::make_unique<HostWorker>();
    w->index = static_cast<int>(i);
    w->cpu = spec.workers[i].cpu;
    w->wake = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (w->wake.get() < 0)
      UPLANE_LOG(kWarn, "host worker {}: no eventfd ({}); it naps when idle instead of sleeping", i,
                 std::strerror(errno));
    w->mailbox.set_wake_fd(w->wake.get());
    s->workers.push_back(std::move(w));
    s->plans.push_back(std::make_unique<Plan>());
    s->workers.back()->plan = s->plans.back().get();
  }
  for (std::size_t i = 0; i < spec.ports.size(); ++i) {
    const PortSpec& ps = spec.ports[i];
    const std::string who = fmt::format("{}port '{}'", where_of(ps.where), ps.name);
    if (ps.name.empty()) return make_error(Errc::kInvalidArgument, "{}: no name", who);
    if (s->port(ps.name) != nullptr)
      return make_error(Errc::kInvalidArgument, "{}: a second port of that name", who);
    auto hp = std::make_unique<HostPort>();
    hp->spec = ps;
    hp->index = static_cast<std::uint16_t>(i);
    for (std::size_t w = 0; w < spec.workers.size(); ++w) {
      for (const std::string& n : spec.workers[w].ports) {
        if (n != ps.name) continue;
        if (hp->worker >= 0 && hp->worker != static_cast<int>(w))
          return make_error(Errc::kInvalidArgument,
                            "{}: polled by workers {} and {}; a port has exactly one worker", who,
                            hp->worker, w);
        hp->worker = static_cast<int>(w);
      }
    }
    if (hp->worker < 0) return make_error(Errc::kInvalidArgument, "{}: no worker polls it", who);
    io::Method method = io::Method::kAuto;
    if (!io::parse_method(ps.driver.empty() ? "auto" : ps.driver, &method))
      return make_error(Errc::kInvalidArgument, "{}: unknown driver '{}'", who, ps.driver);
    for (std::uint32_t q = 0; q < std::max<std::uint32_t>(ps.queues, 1); ++q) {
      io::PortConfig cfg;
      cfg.device = ps.device;
      cfg.queue = q;
      if (ps.ring_size) cfg.ring_size = *ps.ring_size;
      auto port = io::open_port(method, cfg, *s->pool);
      if (!port.is_ok())
        return make_error(port.status().code(), "{}: {}", who, port.status().message());
      hp->queues.push_back(std::move(port).value());
    }
    s->workers[static_cast<std::size_t>(hp->worker)]->ports.push_back(hp.get());
    s->ports.push_back(std::move(hp));
  }
  for (std::size_t w = 0; w < spec.workers.size(); ++w)
    for (const std::string& n : spec.workers[w].ports)
      if (s->port(n) == nullptr)
        return make_error(Errc::kInvalidArgument, "{}worker {}: no port named '{}'",
                          where_of(spec.workers[w].where), w, n);
  for (const TenantSpec& t : spec.tenants) UPLANE_RETURN_IF_ERROR(s->add(t));
  if (!spec.default_tenant.empty() && s->find(spec.default_tenant) == nullptr)
    return make_error(Errc::kInvalidArgument, "default tenant '{}' is not a tenant",
                      spec.default_tenant);
  return std::unique_ptr<Host>(new Host(std::move(s)));
}

Status Host::start() {
  std::lock_guard lock(s_->mu);
  if (s_->started) return make_error(Errc::kFailedPrecondition, "the host has already started");
  s_->started = true;
  s_->phase.store(Phase::kRunning, std::memory_order_release);
  for (auto& wp : s_->workers) {
    HostWorker* w = wp.get();
    State* st = s_.get();
    w->thread = std::thread([w, st] {
      if (w->cpu >= 0) {
        Status pinned = pin_this_thread(w->cpu);
        if (!pinned.is_ok())
          UPLANE_LOG(kWarn, "host worker {}: not pinned to CPU {}: {}", w->index, w->cpu,
                     pinned.message());
      }
      worker_loop(*w, st->phase, *st->pool, st->opt.drain_timeout_ms, st->opt.busy_poll);
    });
  }
  s_->supervising.store(true, std::memory_order_release);
  State* st = s_.get();
  s_->supervisor = std::thread([st] { st->supervise_loop(); });
  return {};
}

bool Host::running() const noexcept {
  return s_->phase.load(std::memory_order_acquire) == Phase::kRunning;
}

void Host::stop() {
  if (s_ == nullptr) return;
  std::lock_guard lock(s_->mu);
  if (s_->stopped) return;
  s_->stopped = true;
  if (s_->supervisor.joinable()) {
    s_->supervising.store(false, std::memory_order_release);
    // It takes mu: let it finish its round without us holding it.
    s_->mu.unlock();
    s_->supervisor.join();
    s_->mu.lock();
  }
  if (s_->started) {
    s_->phase.store(Phase::kDraining, std::memory_order_release);
    for (auto& w : s_->workers) w->mailbox.wake();
    for (auto& w : s_->workers)
      if (w->thread.joinable()) w->thread.join();
  }
  // Every graph gives its frames back, every ring is emptied, every port closes (a pipe
  // drains its rings as it does).
  for (auto& t : s_->tenants) {
    // Out-of-process tenants' processes go first; a zero-copy link gives the host its frames.
    if (t->proc != nullptr) t->proc->stop();
    if (t->graph != nullptr && t->graph->router != nullptr)
      (void)t->graph->router->cleanup_and_check_leaks();
    t->drain_rings();
  }
  for (auto& p : s_->ports) p->queues.clear();
  s_->pool->flush_thread_cache();
}

Status Host::add_tenant(const TenantSpec& spec) {
  std::lock_guard lock(s_->mu);
  return s_->add(spec);
}

Status Host::replace_tenant(const TenantSpec& spec) {
  std::lock_guard lock(s_->mu);
  return s_->replace(spec);
}

Status Host::remove_tenant(std::string_view name) {
  std::lock_guard lock(s_->mu);
  return s_->remove(name);
}

std::vector<std::string> Host::tenant_names() const {
  std::lock_guard lock(s_->mu);
  std::vector<std::string> v;
  for (const auto& t : s_->tenants) v.push_back(t->spec.name);
  return v;
}

Result<TenantSpec> Host::tenant(std::string_view name) const {
  std::lock_guard lock(s_->mu);
  const TenantSlot* t = s_->find(name);
  if (t == nullptr) return make_error(Errc::kNotFound, "no tenant named '{}'", name);
  return t->spec;
}

std::vector<TenantStats> Host::stats() const {
  std::lock_guard lock(s_->mu);
  std::vector<TenantStats> v;
  for (const auto& t : s_->tenants) {
    TenantStats st;
    const TenantCounters& c = t->counters;
    st.name = t->spec.name;
    st.worker = t->worker;
    st.rx_packets = c.rx_packets.get();
    st.rx_bytes = c.rx_bytes.get();
    st.tx_packets = c.tx_packets.get();
    st.tx_bytes = c.tx_bytes.get();
    for (std::size_t i = 0; i < kTenantDropCount; ++i) st.drops[i] = c.drops[i].get();
    st.cycles = c.cycles.get();
    st.cycles_per_packet = st.rx_packets == 0 ? 0 : st.cycles / st.rx_packets;
    st.replacements = c.replacements.get();
    st.throttled_passes = c.throttled_passes.get();
    st.frames = t->spec.budget.frames != 0 ? s_->pool->charged(t->id) : 0;
    st.throttled_ns = static_cast<std::uint64_t>(static_cast<double>(c.throttled_cycles.get()) *
                                                 1e9 / cycles_per_second());
    if (t->proc != nullptr) {
      const ProcessStats ps = t->proc->stats();
      st.process = true;
      st.pid = ps.pid;
      st.starts = ps.starts;
      st.deaths = ps.deaths;
      st.stalls = ps.stalls;
      st.frames_reclaimed = ps.reclaimed;
      for (std::size_t i = 0; i < st.rejects.size(); ++i) st.rejects[i] = ps.rejects[i];
      st.ring_faults = ps.ring_faults;
      st.unbalanced = ps.unbalanced;
      st.last_exit = ps.last_exit;
    }
    v.push_back(std::move(st));
  }
  return v;
}

HostStats Host::host_stats() const {
  std::lock_guard lock(s_->mu);
  HostStats hs;
  for (const auto& p : s_->ports) {
    HostPortStats ps{p->spec.name, p->rx_packets.get(), p->unmatched.get()};
    hs.unmatched += ps.unmatched;
    hs.ports.push_back(std::move(ps));
  }
  for (const auto& w : s_->workers) {
    HostWorkerStats ws;
    ws.index = w->index;
    ws.pickups = w->pickups.get();
    ws.pickup_ns_last = w->pickup_ns_last.load(std::memory_order_relaxed);
    ws.pickup_ns_sum = w->pickup_ns_sum.get();
    ws.pickup_ns_max = w->pickup_ns_max.load(std::memory_order_relaxed);
    hs.workers.push_back(ws);
  }
  return hs;
}

namespace {
// "blue/c.count" -> ("blue", "c.count"). Tenant names have no '/'; element names may.
Result<std::pair<std::string_view, std::string_view>> split_path(std::string_view path) {
  const auto slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size())
    return make_error(Errc::kInvalidArgument,
                      "handler '{}': expected TENANT/ELEMENT.HANDLER (e.g. blue/c.count)", path);
  return std::pair{path.substr(0, slash), path.substr(slash + 1)};
}
}  // namespace

Result<std::string> Host::read_handler(std::string_view path) const {
  auto parts = split_path(path);
  if (!parts.is_ok()) return parts.status();
  std::lock_guard lock(s_->mu);
  const TenantSlot* t = s_->find(parts->first);
  if (t == nullptr) return make_error(Errc::kNotFound, "no tenant named '{}'", parts->first);
  if (t->proc != nullptr) {
    // Its elements are in its process; the host's part (its link) answers what they do not.
    auto asked = t->proc->ask("read", parts->second);
    if (asked.is_ok()) return asked;
    auto own = t->graph->router->read_handler(parts->second);
    if (own.is_ok()) return own;
    return make_error(asked.status().code(), "tenant '{}': {}", parts->first,
                      asked.status().message());
  }
  auto r = t->graph->router->read_handler(parts->second);
  if (!r.is_ok())
    return make_error(r.status().code(), "tenant '{}': {}", parts->first, r.status().message());
  return r;
}

Host::HandlerInfo Host::handler_info(std::string_view path) const {
  HandlerInfo info;
  auto parts = split_path(path);
  if (!parts.is_ok()) return info;
  std::lock_guard lock(s_->mu);
  const TenantSlot* t = s_->find(parts->first);
  if (t == nullptr) return info;
  info.tenant = true;
  if (t->proc != nullptr) {
    auto a = t->proc->ask("info", parts->second);
    int e = 0, h = 0, rd = 0, wr = 0;
    if (a.is_ok() && std::sscanf(a->c_str(), "%d %d %d %d", &e, &h, &rd, &wr) == 4 && h != 0) {
      info.element = e != 0;
      info.handler = true;
      info.readable = rd != 0;
      info.writable = wr != 0;
      return info;
    }
  }
  const graph::Router& r = *t->graph->router;
  const std::string_view rest = parts->second;
  const auto dot = rest.rfind('.');
  const std::string_view el =
      dot == std::string_view::npos ? std::string_view() : rest.substr(0, dot);
  const std::string_view hn = dot == std::string_view::npos ? rest : rest.substr(dot + 1);
  if (!el.empty() && r.find(el) == nullptr) return info;
  info.element = true;
  const graph::Handler* h = r.find_handler(el, hn);
  if (h == nullptr) return info;
  info.handler = true;
  info.readable = static_cast<bool>(h->read);
  info.writable = static_cast<bool>(h->write);
  return info;
}

Status Host::write_handler(std::string_view path, std::string_view value) {
  auto parts = split_path(path);
  if (!parts.is_ok()) return parts.status();
  std::lock_guard lock(s_->mu);
  if (s_->stopped) return make_error(Errc::kFailedPrecondition, "the host has stopped");
  TenantSlot* t = s_->find(parts->first);
  if (t == nullptr) return make_error(Errc::kNotFound, "no tenant named '{}'", parts->first);
  if (t->proc != nullptr) {
    auto asked = t->proc->ask("write", fmt::format("{}\n{}", parts->second, value));
    if (asked.is_ok()) return {};
    return make_error(asked.status().code(), "tenant '{}': {}", parts->first,
                      asked.status().message());
  }
  graph::Router* r = t->graph->router.get();
  Status result;
  const std::string_view h = parts->second;
  UPLANE_RETURN_IF_ERROR(s_->on_worker(t->worker, [&] { result = r->write_handler(h, value); }));
  if (!result.is_ok())
    return make_error(result.code(), "tenant '{}': {}", parts->first, result.message());
  return {};
}

Status Host::check_frames() const {
  std::lock_guard lock(s_->mu);
  if (!s_->stopped)
    return make_error(Errc::kFailedPrecondition, "check_frames: stop the host first");
  s_->pool->flush_thread_cache();
  return s_->pool->check_no_leaks();
}

}  // namespace uplane::tenant
