#pragma once
// Router: a configuration made real — elements instantiated from the registry, ports
// counted and checked, push and pull resolved, every element configured and initialized —
// and the worker threads that run it.
//
// Building follows Click's order, and any error leaves nothing running:
//   1. each declaration's class is looked up ("unknown element class 'Foo'");
//   2. port counts come from the connections and are checked against the class's spec;
//      every port in range must be connected;
//   3. agnostic ports are resolved: a connection joins the ports at its two ends, an
//      agnostic element joins its agnostic inputs to the agnostic outputs they flow to,
//      and every joined set must be all push or all pull (unresolved sets become push).
//      A push output connects to one input; a pull input to one output;
//   4. elements are configured in configure-phase order, then initialized in the same
//      order. Errors carry "file:line:col: name :: Class: ".
//
// Running: run() starts N workers (threads pinned to cores, -j N), each looping over the
// tasks of the elements whose home thread it is. When please_stop() is called (a source's
// STOP, SIGINT), the router drains: source tasks stop, every other task runs until no
// worker moves a packet, then the workers exit. Packets still held by elements are freed
// in cleanup.
//
// Hosted mode (a tenant's graph on a host, src/tenant): RouterOptions::host names the
// host's context and RouterOptions::shared_pool the host's pool. Such a router has one
// worker, starts no thread (run() refuses): the host's own thread calls
// worker(0).run_once() between its other work, and stops calling it before the control
// thread cleans the router up. Its elements find the host through host_context().

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "graph/config.h"
#include "graph/element.h"
#include "graph/task.h"
#include "mem/packet_pool.h"

namespace uplane::graph {

class Worker;

// What a host hands the routers it runs (tenant graphs): elements that only make sense
// on a host look for their own subclass with dynamic_cast. graph/ knows nothing more.
class HostContext {
 public:
  virtual ~HostContext() = default;
};

struct RouterOptions {
  int threads = 1;           // worker threads (-j)
  bool pin_threads = true;   // pin worker i to usable CPU i mod count
  mem::PoolConfig pool = default_pool();
  std::uint64_t drain_timeout_ms = 2000;  // give up draining after this long
  // Hosted mode (see the top of this file). shared_pool: packets come from this pool,
  // which the router does not own and which must outlive it (`pool` is then unused).
  // host: the context elements see; non-null makes the router hosted (one thread, no
  // run(): the host drives worker(0).run_once()).
  mem::PacketPool* shared_pool = nullptr;
  HostContext* host = nullptr;

  static mem::PoolConfig default_pool() {
    mem::PoolConfig p;
    p.name = "router";
    p.frame_count = 16384;
    return p;
  }
};

class Router {
 public:
  // Builds, configures and initializes. A failed build cleans up after itself.
  static Result<std::unique_ptr<Router>> create(const FlatConfig& config,
                                                RouterOptions options = {});
  // Builds and checks ports and push/pull without configuring (what `uplane graph` shows).
  static Result<std::unique_ptr<Router>> create_unconfigured(const FlatConfig& config,
                                                             RouterOptions options = {});
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;
  ~Router();

  // Runs the workers until please_stop() and the drain complete. Call once.
  Status run();
  // Asks the router to stop. Any thread, and async-signal-safe.
  void please_stop() noexcept { stop_requested_.store(true, std::memory_order_release); }
  bool stop_requested() const noexcept {
    return stop_requested_.load(std::memory_order_acquire);
  }
  bool running() const noexcept { return running_.load(std::memory_order_acquire); }
  // After run(): cleans every element up (each frees the packets it holds) and checks that
  // every frame of the pool is back. Elements are unusable afterwards; handlers still read.
  // With a shared pool, the frames of other users are out too, so only the cleanup
  // happens here: the pool's owner checks the whole pool once every user is done (a
  // tenant's frames cannot be told apart from another's by their pool alone).
  Status cleanup_and_check_leaks();
  // Hosted mode: the host's context, or nullptr for a router of its own.
  HostContext* host_context() const noexcept { return options_.host; }
  bool hosted() const noexcept { return options_.host != nullptr; }

  // --- elements ---
  const std::vector<std::unique_ptr<Element>>& elements() const noexcept { return elements_; }
  Element* find(std::string_view name) const noexcept;
  int nthreads() const noexcept { return options_.threads; }
  mem::PacketPool& pool() noexcept { return *pool_; }
  bool owns_pool() const noexcept { return owned_pool_ != nullptr; }
  const FlatConfig& config() const noexcept { return config_; }
  // Sets where an element's tasks and timers run (StaticThreadSched). Before initialize.
  void set_home_thread(Element* e, int thread) noexcept;

  // --- handlers: "element.handler", or a router handler ("list", "version", ...) ---
  Result<std::string> read_handler(std::string_view spec);
  Status write_handler(std::string_view spec, std::string_view value);
  // The handler, or nullptr. `element` empty for the router's own handlers.
  const Handler* find_handler(std::string_view element, std::string_view handler) const;

  // --- views ---
  std::string flat_config() const;  // Click's flatconfig: declarations, then connections
  std::string to_dot() const;       // Graphviz DOT: push edges solid, pull dashed

  // For workers and tests.
  Worker& worker(int i) noexcept { return *workers_[static_cast<std::size_t>(i)]; }
  Task* make_task(Element* e, bool active);
  Timer* make_timer(Element* e);

 private:
  Router() = default;
  Status build(const FlatConfig& config, RouterOptions options);
  Status resolve_ports();
  Status configure_all();
  Status initialize_all();
  void add_standard_handlers(Element* e);
  void add_router_handlers();
  void cleanup_all() noexcept;
  void warn_about_shared_elements();
  bool drained(std::vector<std::uint64_t>& last_work, std::vector<std::uint64_t>& last_passes);

  RouterOptions options_;
  FlatConfig config_;
  std::unique_ptr<mem::PacketPool> owned_pool_;  // null with a shared pool
  mem::PacketPool* pool_ = nullptr;              // owned_pool_, or the shared one
  std::vector<std::unique_ptr<Element>> elements_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::vector<std::unique_ptr<Timer>> timers_;
  std::vector<Handler> router_handlers_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};
  bool configured_ = false;
};

}  // namespace uplane::graph
