#pragma once
// =c
// Counter([KEYWORDS])
// =s counters
// measures packet count and rate
// =d
// Passes packets through unchanged, counting packets and bytes and measuring their recent
// rates. Works in push and in pull context.
//
// The rates are Click's exponentially weighted moving averages: time is cut into 1 ms
// epochs; when an epoch ends, the packets (bytes) seen in it update the average with
// weight 1/16, and each epoch without traffic updates it with zero. Averages keep 10
// fraction bits for packets and 4 for bytes, and print as Click prints them.
//
// Keywords:
//   COUNT_CALL       Not supported in uplane (an error).
//   BYTE_COUNT_CALL  Not supported in uplane (an error).
// =h count read-only
// Packets counted since the last reset.
// =h byte_count read-only
// Bytes counted since the last reset.
// =h rate read-only
// Recent arrival rate in packets per second (moving average).
// =h bit_rate read-only
// Recent arrival rate in bits per second (moving average).
// =h byte_rate read-only
// Recent arrival rate in bytes per second (moving average).
// =h reset_counts write-only
// Resets count and byte_count to zero. The rates keep their history (as Click's code does;
// its documentation says they are reset too).
// =h reset write-only
// Same as reset_counts.
// =e
// ... -> c :: Counter -> ...   // then read c.count, c.rate
// =a AverageCounter
// =uplane
// COUNT_CALL and BYTE_COUNT_CALL (and the count_call and byte_count_call handlers) are not
// supported: a configuration naming them is rejected. Rates are updated once per batch,
// with the batch's packets and bytes, at the time the batch passes.

#include <atomic>
#include <cstdint>
#include <string>

#include "graph/element.h"

namespace uplane::elements {

// Click's cp_unparse_real2: `value` with `frac_bits` fraction bits as a decimal, with just
// enough digits to read back the same value (Knuth's print_scaled). Negative values get '-'.
std::string unparse_real2(std::int64_t value, int frac_bits);

// Click's RateEWMAX with jiffy epochs, for one writer thread and any reader threads: the
// writer calls update(); readers get what an update(0) would show, without writing.
template <unsigned kStabilityShift, unsigned kScale>
class RateEwma {
 public:
  static constexpr unsigned kEpochsPerSecond = 1000;

  // Adds `delta` events at epoch `now` (milliseconds). Writer thread only.
  void update(std::uint64_t delta, std::uint32_t now) noexcept {
    State s = load();
    advance(s, now);
    s.current += delta;
    store(s);
  }
  // The average (kScale fraction bits, events per epoch) as of epoch `now`. Any thread.
  std::int64_t scaled_average(std::uint32_t now) const noexcept {
    State s = load();
    advance(s, now);
    return static_cast<std::int64_t>(s.avg);
  }
  // Events per second, as Click prints it.
  std::string unparse_rate(std::uint32_t now) const {
    return unparse_real2(scaled_average(now) * kEpochsPerSecond, kScale);
  }
  void reset(std::uint32_t now) noexcept { store(State{0, 0, now}); }
  // Takes another's history (live replacement). Writer thread only.
  void copy_from(const RateEwma& o) noexcept { store(o.load()); }

 private:
  struct State {
    std::uint64_t avg;
    std::uint64_t current;
    std::uint32_t epoch;
  };
  State load() const noexcept {
    return State{avg_.load(std::memory_order_relaxed), current_.load(std::memory_order_relaxed),
                 epoch_.load(std::memory_order_relaxed)};
  }
  void store(const State& s) noexcept {
    avg_.store(s.avg, std::memory_order_relaxed);
    current_.store(s.current, std::memory_order_relaxed);
    epoch_.store(s.epoch, std::memory_order_relaxed);
  }
  // One observation x: avg += (x << scale + compensation - avg) >> stability, the shift
  // arithmetic on the signed difference (Click's DirectEWMAX::update).
  static void observe(std::uint64_t& avg, std::uint64_t x) noexcept {
    const std::uint64_t x_scaled = (x << kScale) + (1u << (kStabilityShift - 1));
    avg += static_cast<std::uint64_t>(static_cast<std::int64_t>(x_scaled - avg) >> kStabilityShift);
  }
  // Closes the current epoch and accounts for the empty epochs after it, as Click's
  // RateEWMAX::update_time.
  static void advance(State& s, std::uint32_t now) noexcept {
    if (now == s.epoch) return;
    observe(s.avg, s.current);
    const std::uint32_t idle = now - s.epoch - 1;
    if (idle >= 100) {
      s.avg = 0;  // Click's update_n(0, n >= 100) sets the average outright
    } else {
      for (std::uint32_t i = 0; i < idle; ++i) observe(s.avg, 0);
    }
    s.current = 0;
    s.epoch = now;
  }

  // A reader may see the three from different updates; the rate it prints is then off by
  // at most one epoch's worth, never torn within a field.
  std::atomic<std::uint64_t> avg_{0};
  std::atomic<std::uint64_t> current_{0};
  std::atomic<std::uint32_t> epoch_{0};
};

class Counter final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "Counter", .ports = "1/1", .processing = "a/a"};
  using PacketRate = RateEwma<4, 10>;
  using ByteRate = RateEwma<4, 4>;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void add_handlers() override;
  void push(int port, graph::Batch& batch) noexcept override;
  void pull(int port, graph::Batch& out, std::uint32_t max) noexcept override;
  // Live replacement: the counts and rates carry over.
  void take_state(graph::Element& old) noexcept override;

 private:
  void count(const graph::Batch& b, std::uint32_t from) noexcept;
  void reset() noexcept;

  graph::Counter64 count_;
  graph::Counter64 byte_count_;
  PacketRate rate_;
  ByteRate byte_rate_;
};

}  // namespace uplane::elements
