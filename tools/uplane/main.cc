// uplane — run, check or draw a Click configuration.
//
//   uplane run [-j N] [-h ELEMENT.HANDLER]... [--rates SEC] CONFIG
//                                                     run until a source asks to stop, or
//                                                     SIGINT/SIGTERM; then print handlers
//   uplane check CONFIG                               build and initialize, then exit
//   uplane graph CONFIG                               the elaborated graph as Graphviz DOT
//   uplane host [--check] HOST.toml                   run, or check, a host of tenants
//                                                     (docs/tenancy.md)
//   uplane tenant --fd N                              an out-of-process tenant: what a host
//                                                     starts for a tenant of mode "process"
//                                                     (socket N leads to the host)
//
// CONFIG is a file, or "-" for standard input. `-h` follows Click's driver: ELEMENT may be
// an element name, a glob pattern over names ("c*"), or a class name; a handler without a
// dot is a router handler ("list"). With more than one handler to print, each value is
// preceded by "NAME.HANDLER:" and followed by a blank line. With --rates SEC, while it runs,
// uplane prints a line every SEC seconds with the rate of each element's `count` handler
// over that interval (packets per second; FromDevice, ToDevice, Counter, Discard ...), the
// elements whose count has moved, in configuration order:
//   rates t=3.0s fd0=812345/s td1=812301/s
// Exit status: 0 on success; 1
// when the configuration is rejected, a handler fails, or packets leaked.

#include <fnmatch.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "base/log.h"
#include "graph/config.h"
#include "graph/router.h"
#include "host_cmd.h"
#include "tenant/tenant_process.h"

namespace {

using uplane::graph::Router;

std::atomic<Router*> g_router{nullptr};

extern "C" void on_stop_signal(int) {
  // please_stop() is one atomic store: async-signal-safe.
  if (Router* r = g_router.load(std::memory_order_acquire)) r->please_stop();
}

void install_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "uplane: %s\n", msg.c_str());
  return 1;
}

// Click's expansion of one -h argument into (element, handler) pairs; element empty for a
// router handler. False (with a message) when nothing matches.
bool expand_handler(Router& r, const std::string& spec,
                    std::vector<std::pair<std::string, std::string>>& out, bool& several) {
  const auto dot = spec.find('.');
  if (dot == std::string::npos) {
    out.emplace_back("", spec);
    return true;
  }
  const std::string pattern = spec.substr(0, dot), handler = spec.substr(dot + 1);
  if (r.find(pattern) != nullptr) {
    out.emplace_back(pattern, handler);
    return true;
  }
  const bool is_glob = pattern.find_first_of("?*[") != std::string::npos;
  bool any = false;
  for (const auto& e : r.elements()) {
    const bool match = is_glob ? fnmatch(pattern.c_str(), e->name().c_str(), 0) == 0
                               : e->class_name() == pattern;
    if (!match) continue;
    any = true;
    const auto* h = r.find_handler(e->name(), handler);
    if (h != nullptr && h->read) out.emplace_back(e->name(), handler);
  }
  if (!any) {
    std::fprintf(stderr, "uplane: %s '%s'\n", is_glob ? "no element matching" : "no element",
                 pattern.c_str());
    return false;
  }
  several = true;
  return true;
}

int print_handlers(Router& r, const std::vector<std::string>& specs) {
  int status = 0;
  bool several = specs.size() > 1;
  std::vector<std::pair<std::string, std::string>> calls;
  for (const std::string& s : specs)
    if (!expand_handler(r, s, calls, several)) status = 1;
  for (const auto& [element, handler] : calls) {
    const std::string full = element.empty() ? handler : element + "." + handler;
    const auto* h = r.find_handler(element, handler);
    if (h == nullptr) {
      std::fprintf(stderr, "uplane: no '%s' handler\n", full.c_str());
      status = 1;
      continue;
    }
    if (!h->read) {
      std::fprintf(stderr, "uplane: '%s' is a write handler\n", full.c_str());
      status = 1;
      continue;
    }
    if (several) std::printf("%s:\n", full.c_str());
    std::string value = h->read();
    if (!value.empty() && value.back() != '\n') value += '\n';
    std::fputs(value.c_str(), stdout);
    if (several) std::fputs("\n", stdout);
  }
  std::fflush(stdout);
  return status;
}

// --rates: a thread that reads the `count` handlers (relaxed atomic counters) while the
// workers run and prints their per-second rates.
class RatePrinter {
 public:
  RatePrinter(Router& r, double interval) : interval_(interval) {
    for (const auto& e : r.elements()) {
      const auto* h = r.find_handler(e->name(), "count");
      if (h != nullptr && h->read) counters_.push_back({e->name(), h, 0, false});
    }
    for (Counter& c : counters_) c.last = value(c);
    thread_ = std::thread([this] { loop(); });
  }
  ~RatePrinter() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  struct Counter {
    std::string element;
    const uplane::graph::Handler* handler;
    std::uint64_t last;
    bool moved;
  };
  static std::uint64_t value(const Counter& c) {
    return std::strtoull(c.handler->read().c_str(), nullptr, 10);
  }
  void loop() {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    auto last = start;
    auto next = start;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_));
      if (cv_.wait_until(lock, next, [this] { return done_; })) return;
      const auto now = Clock::now();
      const double dt = std::chrono::duration<double>(now - last).count();
      last = now;
      std::string line = fmt::format(
          "rates t={:.1f}s", std::chrono::duration<double>(now - start).count());
      for (Counter& c : counters_) {
        const std::uint64_t v = value(c);
        c.moved = c.moved || v != c.last;
        if (c.moved) {
          const std::uint64_t d = v >= c.last ? v - c.last : 0;  // reset_counts: 0
          line += fmt::format(" {}={:.0f}/s", c.element, static_cast<double>(d) / dt);
        }
        c.last = v;
      }
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    }
  }

  double interval_;
  std::vector<Counter> counters_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

uplane::Result<std::unique_ptr<Router>> build(const std::string& file, int threads,
                                              bool configure) {
  auto flat = uplane::graph::parse_config_file(file);
  if (!flat.is_ok()) return flat.status();
  uplane::graph::RouterOptions opts;
  opts.threads = threads;
  return configure ? Router::create(*flat, opts) : Router::create_unconfigured(*flat, opts);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"uplane: a Click-compatible user-space dataplane", "uplane"};
  app.set_help_flag("--help", "Print this help and exit");
  app.set_version_flag("--version", std::string("uplane ") + UPLANE_VERSION);
  app.require_subcommand(1);

  std::string run_config;
  int threads = 1;
  std::vector<std::string> handlers;
  double rates = 0;
  auto* run = app.add_subcommand("run", "Run a configuration until it stops");
  run->set_help_flag("--help", "Print this help and exit");
  run->add_option("-j,--threads", threads, "Worker threads, each pinned to a core")
      ->check(CLI::Range(1, 256));
  run->add_option("-h,--handler", handlers,
                  "After stopping, print ELEMENT.HANDLER's value (repeatable)");
  run->add_option("--rates", rates,
                  "While running, print each element's count rate every SEC seconds")
      ->check(CLI::Range(0.1, 3600.0))
      ->type_name("SEC");
  run->add_option("CONFIG", run_config, "Configuration file, or - for standard input")
      ->required();

  std::string check_config;
  auto* check = app.add_subcommand("check", "Build and initialize a configuration, then exit");
  check->add_option("CONFIG", check_config, "Configuration file")->required();

  std::string graph_config;
  auto* graph = app.add_subcommand("graph", "Print the elaborated graph as Graphviz DOT");
  graph->add_option("CONFIG", graph_config, "Configuration file")->required();

  uplane::add_host_command(app);

  int tenant_fd = -1;
  auto* tenant = app.add_subcommand(
      "tenant", "Run a tenant's graph in this process, for a host (started by `uplane host`)");
  tenant->add_option("--fd", tenant_fd, "The Unix socket to the host (inherited)")
      ->required()
      ->check(CLI::Range(0, 1 << 20));

  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log what the router sets up (as UPLANE_LOG=info)");
  CLI11_PARSE(app, argc, argv);
  // Quiet by default: warnings and errors only, unless UPLANE_LOG says otherwise.
  if (verbose) {
    uplane::set_log_level(uplane::LogLevel::kInfo);
  } else if (std::getenv("UPLANE_LOG") == nullptr) {
    uplane::set_log_level(uplane::LogLevel::kWarn);
  }

  if (*tenant) return uplane::tenant::tenant_process_main(tenant_fd);
  if (*check) {
    auto r = build(check_config, 1, true);
    if (!r.is_ok()) return fail(r.status().message());
    uplane::Status leaks = (*r)->cleanup_and_check_leaks();
    return leaks.is_ok() ? 0 : fail(leaks.message());
  }
  if (*graph) {
    auto r = build(graph_config, 1, false);
    if (!r.is_ok()) return fail(r.status().message());
    std::fputs((*r)->to_dot().c_str(), stdout);
    return 0;
  }

  auto r = build(run_config, threads, true);
  if (!r.is_ok()) return fail(r.status().message());
  Router& router = **r;
  g_router.store(&router, std::memory_order_release);
  install_signal_handlers();
  int status = 0;
  if (!router.elements().empty()) {
    std::unique_ptr<RatePrinter> printer;
    if (rates > 0) printer = std::make_unique<RatePrinter>(router, rates);
    uplane::Status st = router.run();
    printer.reset();
    if (!st.is_ok()) status = fail(st.message());
  }
  g_router.store(nullptr, std::memory_order_release);
  if (print_handlers(router, handlers) != 0) status = 1;
  uplane::Status leaks = router.cleanup_and_check_leaks();
  if (!leaks.is_ok()) status = fail(leaks.message());
  return status;
}
