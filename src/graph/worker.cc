#include "graph/worker.h"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <functional>
#include <limits>

#include "base/compiler.h"
#include "base/cpu.h"

namespace uplane::graph {

void Timer::schedule_at_ns(std::uint64_t when_ns) noexcept {
  expiry_ns_ = when_ns;
  scheduled_ = true;
  worker_->schedule(this, when_ns, ++generation_);
}

void Timer::schedule_after_ns(std::uint64_t delay_ns) noexcept {
  schedule_at_ns(now_ns() + delay_ns);
}

void Timer::unschedule() noexcept {
  scheduled_ = false;
  ++generation_;  // the heap entry, if any, is now stale and will be skipped
}

void Worker::schedule(Timer* t, std::uint64_t when_ns, std::uint32_t generation) {
  timers_.push_back(TimerEntry{when_ns, t, generation});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
  next_timer_ns_ = std::min(next_timer_ns_, when_ns);
  timer_check_cycles_ = 0;  // look on the next pass
}

std::uint64_t Worker::run_timers(std::uint64_t now) noexcept {
  while (!timers_.empty()) {
    const TimerEntry top = timers_.front();
    Timer* t = top.timer;
    const bool live = t->scheduled_ && t->generation_ == top.generation;
    if (live && top.when > now) return top.when;
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    timers_.pop_back();
    if (live) {
      // Popped before the callback runs, which may schedule this timer again.
      t->scheduled_ = false;
      t->element_->run_timer(*t);
    }
  }
  return std::numeric_limits<std::uint64_t>::max();
}

void Worker::backoff(std::uint32_t idle, std::uint64_t next_timer_ns) noexcept {
  if (idle < 64) {
    cpu_relax();
    return;
  }
  if (idle < 128) {
    sched_yield();
    return;
  }
  // 20 us, doubling every 16 idle passes, at most 1 ms; never past the next timer.
  const std::uint32_t step = std::min<std::uint32_t>((idle - 128) / 16, 6);
  std::uint64_t sleep_ns = std::min<std::uint64_t>(20'000ull << step, 1'000'000);
  const std::uint64_t now = now_ns();
  if (next_timer_ns <= now) return;
  sleep_ns = std::min(sleep_ns, next_timer_ns - now);
  timespec ts{0, static_cast<long>(sleep_ns)};
  nanosleep(&ts, nullptr);
}

bool Worker::run_once(bool draining) noexcept {
  bool worked = false;
  for (Task* t : tasks_) {
    // Acquire: pairs with Task::reschedule's release.
    if (!t->active_.load(std::memory_order_acquire)) continue;
    if (draining && t->source_) continue;
    worked |= t->element_->run_task(*t);
  }
  if (!timers_.empty() && cycles_now() >= timer_check_cycles_) {
    if (cycles_per_ns_ == 0) cycles_per_ns_ = cycles_per_second() / 1e9;
    const std::uint64_t now = now_ns();
    next_timer_ns_ = run_timers(now);
    // A cycle-rate estimate that runs fast only makes the next look early, and then
    // run_timers fires nothing and says when to look again.
    timer_check_cycles_ =
        next_timer_ns_ == std::numeric_limits<std::uint64_t>::max()
            ? std::numeric_limits<std::uint64_t>::max()
            : cycles_now() + static_cast<std::uint64_t>(
                                 static_cast<double>(next_timer_ns_ - now) * cycles_per_ns_);
  }
  if (worked) work_.add();
  passes_.add();
  return worked;
}

void Worker::run(const std::atomic<RunPhase>& phase) noexcept {
  std::uint32_t idle = 0;
  for (;;) {
    // Acquire: pairs with the Router's release store of a new phase.
    const RunPhase ph = phase.load(std::memory_order_acquire);
    if (ph == RunPhase::kStopped) break;
    if (run_once(ph == RunPhase::kDraining)) {
      idle = 0;
    } else {
      backoff(idle, next_timer_ns_);
      if (idle < std::numeric_limits<std::uint32_t>::max()) ++idle;
    }
  }
}

}  // namespace uplane::graph
