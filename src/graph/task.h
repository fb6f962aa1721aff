#pragma once
// Tasks and timers: how elements get run time on a worker thread.
//
// A Task belongs to one element and one worker (the element's home thread). While it is
// scheduled, its worker calls Element::run_task on every pass of its loop; the element
// returns whether it did work, and a worker whose tasks all did nothing backs off (spin,
// then yield, then short sleeps bounded by its next timer), so an idle router costs little
// CPU. Any thread may reschedule or unschedule a task (a flag, no lock).
//
// A Timer belongs to one element and fires Element::run_timer on the element's home
// worker. It is scheduled during initialize() (control thread, before workers start) or
// from its own worker thread; nothing else may touch it. Times are CLOCK_MONOTONIC
// nanoseconds (base/cpu.h now_ns()).

#include <atomic>
#include <cstdint>

#include "graph/element.h"

namespace uplane::graph {

class Worker;

class Task {
 public:
  Element* element() const noexcept { return element_; }
  int home_thread() const noexcept { return home_thread_; }
  bool scheduled() const noexcept { return active_.load(std::memory_order_relaxed); }
  // Any thread. A task's effects before it was rescheduled are visible to its next run
  // (release here, acquire in the worker).
  void reschedule() noexcept { active_.store(true, std::memory_order_release); }
  void unschedule() noexcept { active_.store(false, std::memory_order_relaxed); }
  // A source task (its element has no inputs) is not run while the router drains.
  bool is_source() const noexcept { return source_; }

 private:
  friend class Element;
  friend class Router;
  friend class Worker;
  Task(Element* e, int home, bool active, bool source) noexcept
      : element_(e), home_thread_(home), source_(source), active_(active) {}

  Element* element_;
  int home_thread_;
  bool source_;
  std::atomic<bool> active_;
};

class Timer {
 public:
  Element* element() const noexcept { return element_; }
  bool scheduled() const noexcept { return scheduled_; }
  std::uint64_t expiry_ns() const noexcept { return expiry_ns_; }
  // Fires at monotonic time `when_ns` (at once if that has passed), replacing any earlier
  // schedule.
  void schedule_at_ns(std::uint64_t when_ns) noexcept;
  void schedule_after_ns(std::uint64_t delay_ns) noexcept;
  void schedule_after_ms(std::uint64_t ms) noexcept { schedule_after_ns(ms * 1'000'000); }
  void unschedule() noexcept;

 private:
  friend class Element;
  friend class Router;
  friend class Worker;
  Timer(Element* e, Worker* w) noexcept : element_(e), worker_(w) {}

  Element* element_;
  Worker* worker_;
  std::uint64_t expiry_ns_ = 0;
  std::uint32_t generation_ = 0;  // bumped on every (re)schedule and unschedule
  bool scheduled_ = false;
};

}  // namespace uplane::graph
