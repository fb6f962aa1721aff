#pragma once
// Element: one node of a packet-processing graph, as in Click.
//
// An element class declares its shape in a constexpr ElementSpec, in Click's own notation:
//   ports       "1/1", "1/1-2", "1/-" (any number), "1-/1" (one or more), "0/1", "-/-"
//   processing  one letter per port, the last repeated: h = push, l = pull, a = agnostic;
//               inputs before the slash, outputs after ("a/ah": agnostic input, output 0
//               agnostic, outputs 1.. push)
//   flow        which inputs reach which outputs, for resolving agnostic ports ("x/x": all
//               of them, the default; "xy/x": input 1 does not reach output 0 ...)
// The Router counts each element's ports from its connections, checks the counts against
// `ports`, resolves agnostic ports to push or pull as Click does, then calls configure()
// with the element's arguments, then initialize(). Only then do packets flow.
//
// Packets move in batches (mem::Batch, up to 32). push(port, batch) takes ownership of
// every packet in the batch: each leaves exactly once — pushed to an output, kept (a
// queue), or dropped with a reason and counted. pull(port, out, max) appends at most `max`
// packets to `out`. An element runs on one worker thread at a time; the fast path does not
// allocate, lock, throw or make a syscall per packet.
//
// Most elements are naturally per-packet: derive from SimpleElement<T> and write
//   Verdict process(Packet& p) noexcept;   // Port{n} to emit on output n, or Drop(reason)
// and SimpleElement supplies push and pull over whole batches with no virtual call per
// packet (CRTP). Within a batch, packets bound for one output keep their order; packets
// for different outputs leave as one batch per output, lowest port first.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "graph/args.h"
#include "graph/config.h"
#include "mem/batch.h"
#include "mem/packet.h"
#include "mem/packet_pool.h"

namespace uplane::graph {

using mem::Batch;
using mem::Packet;

class Router;
class Task;
class Timer;

// Why a packet was dropped. Counted per element; the names are what handlers print.
enum class DropReason : std::uint8_t {
  kTooShort,       // shorter than the headers the element needs
  kBadHeader,      // a header field is invalid (version, length, options)
  kBadChecksum,    // a header checksum does not verify
  kBadSource,      // source address not allowed (CheckIPHeader's BADSRC, martians)
  kBadLength,      // a length field disagrees with the packet
  kTtlExpired,     // TTL would reach zero and no output takes expired packets
  kNoRoute,        // no route matched and no output takes unrouted packets
  kFiltered,       // rejected by a filter or classifier rule
  kQueueFull,      // a queue or ring had no room
  kNoMemory,       // the packet pool was empty (a clone, an encapsulation)
  kNoRoom,         // no headroom or tailroom in the frame for a push/put
  kNoArpEntry,     // ARP queries pending and the per-destination queue full
  kFragmentNeeded, // larger than the MTU with DF set and no output for it
  kUnconnected,    // emitted on an output port that does not exist
  kOther,
  kCount
};
std::string_view drop_reason_name(DropReason r) noexcept;

// Where process() sends a packet: an output port, or a drop with its reason.
class Verdict {
 public:
  constexpr Verdict(const struct Port& p) noexcept;  // NOLINT: implicit by design
  static constexpr Verdict drop(DropReason r) noexcept {
    return Verdict(static_cast<std::int16_t>(-1 - static_cast<int>(r)));
  }
  constexpr bool is_drop() const noexcept { return code_ < 0; }
  constexpr int port() const noexcept { return code_; }  // valid when !is_drop()
  constexpr DropReason reason() const noexcept { return static_cast<DropReason>(-1 - code_); }
  constexpr std::int16_t code() const noexcept { return code_; }
  friend constexpr bool operator==(Verdict, Verdict) = default;

 private:
  explicit constexpr Verdict(std::int16_t code) noexcept : code_(code) {}
  std::int16_t code_;
};
struct Port {
  int n;
};
constexpr Verdict::Verdict(const Port& p) noexcept : code_(static_cast<std::int16_t>(p.n)) {}
constexpr Verdict Drop(DropReason r) noexcept { return Verdict::drop(r); }

inline constexpr int kConfigurePhaseFirst = 0;
inline constexpr int kConfigurePhaseInfo = 20;
inline constexpr int kConfigurePhaseDefault = 100;
inline constexpr int kConfigurePhaseLast = 2000;

struct ElementSpec {
  std::string_view name;                // Click's class name
  std::string_view ports = "0/0";       // see the top of this file
  std::string_view processing = "a/a";  // see the top of this file
  std::string_view flow = "x/x";        // see the top of this file
  int configure_phase = kConfigurePhaseDefault;  // lower configures first
  // Safe to be pushed into, or pulled from, by several worker threads at once (Queue).
  // The Router warns when any other element is reached from tasks on two threads.
  bool thread_safe = false;
};

enum class Processing : std::uint8_t { kAgnostic, kPush, kPull };

// A read or write handler (Click's handlers: "c.count", "q.reset"). Handlers run on the
// control thread; they read counters that the data path writes with relaxed stores. A
// write handler that changes data-path state runs only while the router is stopped (the
// Router enforces this until handlers are marshalled to workers).
struct Handler {
  std::string name;
  std::function<std::string()> read;                 // empty when not readable
  std::function<Status(std::string_view)> write;     // empty when not writable
  bool calm = false;  // not printed by "handlers"-style listings of hot counters
};

// A counter written by one thread and read by any: relaxed load and store, no RMW.
class Counter64 {
 public:
  void add(std::uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // For counters that several threads bump (drops at a Queue pushed from two workers):
  // an atomic RMW, no lost increments. Relaxed: a count orders nothing.
  void add_shared(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }
  void reset() noexcept { v_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class Element {
 public:
  Element() = default;
  Element(const Element&) = delete;
  Element& operator=(const Element&) = delete;
  virtual ~Element();

  // --- identity (valid from configure() on) ---
  const std::string& name() const noexcept { return name_; }
  std::string_view class_name() const noexcept { return spec_->name; }
  const ElementSpec& spec() const noexcept { return *spec_; }
  const std::string& config_string() const noexcept { return config_; }
  const Landmark& landmark() const noexcept { return landmark_; }
  // "name :: Class", as Click names an element in messages.
  std::string declaration() const;
  Router& router() const noexcept { return *router_; }
  int eindex() const noexcept { return eindex_; }
  int ninputs() const noexcept { return static_cast<int>(inputs_.size()); }
  int noutputs() const noexcept { return static_cast<int>(outputs_.size()); }
  bool input_is_push(int port) const noexcept { return inputs_[port].processing == Processing::kPush; }
  bool input_is_pull(int port) const noexcept { return !input_is_push(port); }
  bool output_is_push(int port) const noexcept {
    return outputs_[port].processing == Processing::kPush;
  }
  bool output_is_pull(int port) const noexcept { return !output_is_push(port); }
  // The worker thread this element's tasks and timers run on (StaticThreadSched).
  int home_thread() const noexcept { return home_thread_; }

  // --- lifecycle, on the control thread ---
  // Parses the arguments; port counts and push/pull are known. Must not start traffic.
  virtual Status configure(Args& args) { return args.done(); }
  // After every element is configured: look up other elements, create tasks and timers,
  // allocate packets. An error aborts the whole router.
  virtual Status initialize() { return {}; }
  // Before destruction (also after a failed initialize): free every packet still held.
  virtual void cleanup() noexcept {}
  // Adds this class's handlers (add_read_handler ...). The Router adds Click's standard
  // ones (class, name, config, ports, handlers) and "drop_reasons" (each DropReason
  // counted, one "reason count" line each).
  virtual void add_handlers() {}

  // Live replacement (Click's hotswap take_state): this element replaces `old`, an
  // element of the same name and class in the graph being replaced, and takes over what
  // it can of its state (counts, queued packets). Runs on the worker thread at the swap,
  // after both graphs are initialized and before this one sees a packet; `old` is cleaned
  // up afterwards. Must not fail; the default takes nothing.
  virtual void take_state(Element& old) noexcept;

  // --- the data path, on the element's worker thread ---
  // Push input `port` received `batch`; every packet in it is now this element's. The
  // batch's contents after return are unspecified. The default drops them (kUnconnected).
  virtual void push(int port, Batch& batch) noexcept;
  // Pull output `port` is asked for packets: append at most `max` (<= out.room()).
  // The default returns none.
  virtual void pull(int port, Batch& out, std::uint32_t max) noexcept;
  // A task of this element runs; true when it did work (moved a packet).
  virtual bool run_task(Task& task) noexcept;
  // A timer of this element fired.
  virtual void run_timer(Timer& timer) noexcept;

  // --- counters ---
  std::uint64_t drops(DropReason r) const noexcept {
    return drops_[static_cast<int>(r)].get();
  }
  std::uint64_t total_drops() const noexcept;
  void reset_drops() noexcept;

  // --- for the Router ---
  struct PortInfo {
    Element* peer = nullptr;  // push output: downstream; pull input: upstream
    int peer_port = 0;
    Processing processing = Processing::kAgnostic;
  };
  const PortInfo& input(int port) const noexcept { return inputs_[port]; }
  const PortInfo& output(int port) const noexcept { return outputs_[port]; }
  const std::vector<Handler>& handlers() const noexcept { return handlers_; }
  const std::vector<Task*>& tasks() const noexcept { return tasks_; }

 protected:
  // Sends a batch out of push output `port`. An unconnected or out-of-range port drops
  // the packets (kUnconnected).
  void output_push(int port, Batch& batch) noexcept {
    if (static_cast<unsigned>(port) < outputs_.size() && outputs_[port].peer != nullptr)
        [[likely]] {
      outputs_[port].peer->push(outputs_[port].peer_port, batch);
    } else {
      drop_batch(batch, DropReason::kUnconnected);
    }
  }
  // Sends one packet out of push output `port`.
  void output_push_one(int port, Packet* p) noexcept;
  // Pulls at most `max` packets from pull input `port` into `out`.
  void input_pull(int port, Batch& out, std::uint32_t max) noexcept {
    if (static_cast<unsigned>(port) < inputs_.size() && inputs_[port].peer != nullptr) [[likely]] {
      inputs_[port].peer->pull(inputs_[port].peer_port, out, max);
    }
  }
  // Frees p and counts the reason.
  void drop(Packet* p, DropReason r) noexcept;
  // Counts n drops that have no packet to free (a clone or allocation that failed).
  void count_drop(DropReason r, std::uint64_t n = 1) noexcept {
    drops_[static_cast<int>(r)].add_shared(n);
  }
  // Frees every packet of the batch, counting each; the batch ends empty.
  void drop_batch(Batch& b, DropReason r) noexcept;
  // Port{port} when that output exists, else a drop for `r` (optional outputs in Click,
  // such as DecIPTTL's output 1).
  Verdict port_or_drop(int port, DropReason r) const noexcept {
    return port < noutputs() ? Verdict(Port{port}) : Drop(r);
  }

  void add_read_handler(std::string name, std::function<std::string()> read, bool calm = false);
  void add_write_handler(std::string name, std::function<Status(std::string_view)> write);
  // Creates a task on this element's home thread, scheduled (polled) from the start when
  // `active`. The Router owns it.
  Task* add_task(bool active = true);
  // Creates an unscheduled timer whose expiry calls run_timer on the home thread.
  Timer* add_timer();

  // The packet pool this element allocates from.
  mem::PacketPool& pool() const noexcept;

 private:
  friend class Router;

  std::string name_;
  std::string config_;
  Landmark landmark_;
  const ElementSpec* spec_ = nullptr;
  Router* router_ = nullptr;
  int eindex_ = -1;
  int home_thread_ = 0;
  std::vector<PortInfo> inputs_;
  std::vector<PortInfo> outputs_;
  std::vector<Handler> handlers_;
  std::vector<Task*> tasks_;
  std::array<Counter64, static_cast<int>(DropReason::kCount)> drops_;
};

// Frees every packet of a batch to its pool; the batch ends empty.
void free_batch(Batch& b) noexcept;
// A copy of p (data window at the same offset, the headroom bytes in front of it, every
// annotation) from `pool`, or nullptr when the pool is empty.
Packet* copy_packet(mem::PacketPool& pool, const Packet& p) noexcept;

// SimpleElement<T>: an element written as `Verdict process(Packet&) noexcept` gets push
// and pull over batches. T may also define `void after_batch() noexcept` hooks later; for
// now process() is all.
template <class T>
class SimpleElement : public Element {
 public:
  void push(int, Batch& batch) noexcept override {
    T& self = static_cast<T&>(*this);
    const std::uint32_t n = batch.size();
    std::int16_t codes[Batch::kMax];
    std::int16_t all_same = 0;  // OR of (code ^ codes[0]): zero when every verdict matches
    for (std::uint32_t i = 0; i < n; ++i) {
      codes[i] = self.process(*batch[i]).code();
      all_same |= static_cast<std::int16_t>(codes[i] ^ codes[0]);
    }
    if (n == 0) return;
    if (all_same == 0 && codes[0] >= 0) [[likely]] {
      output_push(codes[0], batch);
      return;
    }
    dispatch(batch, codes);
  }

  void pull(int, Batch& out, std::uint32_t max) noexcept override {
    T& self = static_cast<T&>(*this);
    Batch in;
    input_pull(0, in, max);
    for (Packet* p : in.packets()) {
      const Verdict v = self.process(*p);
      if (v.is_drop()) {
        drop(p, v.reason());
      } else if (v.port() == 0) {
        (void)out.push_back(p);  // in.size() <= max <= out.room()
      } else if (output_is_push(v.port())) {
        output_push_one(v.port(), p);
      } else {
        drop(p, DropReason::kUnconnected);
      }
    }
  }

 private:
  // Splits a batch whose packets go to different places: one batch per output port,
  // lowest port first, each in arrival order; drops counted.
  void dispatch(Batch& batch, const std::int16_t* codes) noexcept {
    const std::uint32_t n = batch.size();
    std::uint64_t seen = 0;  // bit p set: port p (< 64) has packets; bigger ports go one by one
    for (std::uint32_t i = 0; i < n; ++i) {
      const int c = codes[i];
      if (c < 0) {
        drop(batch[i], static_cast<DropReason>(-1 - c));
      } else if (c < 64) {
        seen |= std::uint64_t{1} << c;
      } else {
        output_push_one(c, batch[i]);
      }
    }
    while (seen != 0) {
      const int port = __builtin_ctzll(seen);
      seen &= seen - 1;
      Batch out;
      for (std::uint32_t i = 0; i < n; ++i)
        if (codes[i] == port) (void)out.push_back(batch[i]);
      output_push(port, out);
    }
  }
};

}  // namespace uplane::graph
