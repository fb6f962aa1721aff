#pragma once
// Worker: one thread's loop over its tasks and timers (see task.h and router.h).
//
// The loop: run every scheduled task; fire due timers; count a pass. The clock is read for
// timers only when the cycle counter says the earliest may be due (or one was scheduled
// since): a clock read costs more than a busy pass's other bookkeeping. When a whole pass did
// no work, back off — cpu_relax for the first 64 idle passes, then sched_yield for 64
// more, then sleep 20 us doubling to 1 ms, never past the next timer. Work resets the
// backoff. The Router reads passes() and work() to tell when a drain is complete.

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "graph/element.h"
#include "graph/task.h"

namespace uplane::graph {

enum class RunPhase : std::uint8_t { kRunning, kDraining, kStopped };

class Worker {
 public:
  explicit Worker(int id) noexcept : id_(id) {}
  int id() const noexcept { return id_; }

  void add_task(Task* t) { tasks_.push_back(t); }
  const std::vector<Task*>& tasks() const noexcept { return tasks_; }

  // The loop; returns when `phase` reads kStopped.
  void run(const std::atomic<RunPhase>& phase) noexcept;
  // One pass of the loop without the backoff: every scheduled task (but sources when
  // `draining`), then the timers that are due; counts the pass. True when a task did work.
  // run() is this in a loop; a host that drives a hosted router's worker from its own
  // thread calls it directly (always from the same thread).
  bool run_once(bool draining) noexcept;

  // Passes of the loop, and passes that did work; any thread may read them.
  std::uint64_t passes() const noexcept { return passes_.get(); }
  std::uint64_t work() const noexcept { return work_.get(); }

  // Timer heap; see Timer for which thread may call these.
  void schedule(Timer* t, std::uint64_t when_ns, std::uint32_t generation);
  // Fires every timer due at `now_ns`; the earliest remaining expiry, or UINT64_MAX.
  std::uint64_t run_timers(std::uint64_t now_ns) noexcept;
  // The earliest timer's expiry (ns, now_ns() clock) as last looked, UINT64_MAX when none:
  // never later than the real one. For a host that sleeps between passes; its thread's.
  std::uint64_t next_timer_ns() const noexcept { return next_timer_ns_; }

 private:
  struct TimerEntry {
    std::uint64_t when;
    Timer* timer;
    std::uint32_t generation;
    bool operator>(const TimerEntry& o) const noexcept { return when > o.when; }
  };
  void backoff(std::uint32_t idle_passes, std::uint64_t next_timer_ns) noexcept;

  int id_;
  std::vector<Task*> tasks_;
  std::vector<TimerEntry> timers_;            // a min-heap on `when`; stale entries skipped
  std::uint64_t next_timer_ns_ = UINT64_MAX;  // the heap's earliest, as last looked
  std::uint64_t timer_check_cycles_ = 0;      // look again once cycles_now() reaches it
  double cycles_per_ns_ = 0;                  // set on the first pass
  Counter64 passes_;
  Counter64 work_;
};

}  // namespace uplane::graph
