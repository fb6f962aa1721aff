#include "host_cmd.h"

#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "base/cpu.h"
#include "base/log.h"
#include "control/host_control.h"
#include "tenant/host.h"
#include "tenant/host_config.h"

namespace uplane {
namespace {

struct HostOptions {
  std::string file;
  bool check = false;
  double rates = 0;
  bool no_accounting = false;
  bool busy_poll = false;
};

std::string count(std::size_t n, const char* noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

// The tenants' per-second rates since the last call: "rates t=2.0s blue rx=812/s tx=810/s
// drops=0/s red ...".
class TenantRates {
 public:
  explicit TenantRates(const tenant::Host& host) : host_(host), t0_(now_ns()), last_ns_(t0_) {}

  std::string line() {
    const std::uint64_t now = now_ns();
    const double dt = static_cast<double>(now - last_ns_) / 1e9;
    std::string out = fmt::format("rates t={:.1f}s", static_cast<double>(now - t0_) / 1e9);
    std::map<std::string, Totals> next;
    for (const tenant::TenantStats& t : host_.stats()) {
      const Totals cur{t.rx_packets, t.tx_packets, t.total_drops()};
      const Totals before = last_.count(t.name) != 0 ? last_[t.name] : Totals{};
      const auto rate = [&](std::uint64_t a, std::uint64_t b) {
        return static_cast<std::uint64_t>(static_cast<double>(a >= b ? a - b : 0) / dt + 0.5);
      };
      out += fmt::format(" {} rx={}/s tx={}/s drops={}/s", t.name, rate(cur.rx, before.rx),
                         rate(cur.tx, before.tx), rate(cur.drops, before.drops));
      next[t.name] = cur;
    }
    last_ = std::move(next);
    last_ns_ = now;
    return out;
  }

 private:
  struct Totals {
    std::uint64_t rx = 0, tx = 0, drops = 0;
  };
  const tenant::Host& host_;
  std::uint64_t t0_;
  std::uint64_t last_ns_;
  std::map<std::string, Totals> last_;
};

// Runs a checked host until SIGINT or SIGTERM; the exit status. The signals are blocked
// before any thread starts (workers, the control server inherit the mask) and taken here.
int run_host(const tenant::HostSpec& spec, const HostOptions& opts) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  tenant::HostOptions ho;
  ho.accounting = !opts.no_accounting;
  ho.busy_poll = opts.busy_poll;
  auto host = tenant::Host::create(spec, ho);
  if (!host.is_ok()) {
    std::fprintf(stderr, "uplane host: %s\n", host.status().message().c_str());
    return 1;
  }
  Status st = (*host)->start();
  if (!st.is_ok()) {
    std::fprintf(stderr, "uplane host: %s\n", st.message().c_str());
    return 1;
  }
  std::unique_ptr<control::HostControl> ctl;
  if (!spec.control.empty()) {
    ctl = std::make_unique<control::HostControl>(**host, spec,
                                                 std::string("uplane ") + UPLANE_VERSION);
    st = ctl->start(spec.control);
    if (!st.is_ok()) {
      std::fprintf(stderr, "uplane host: control socket: %s\n", st.message().c_str());
      (*host)->stop();
      return 1;
    }
  }
  UPLANE_LOG(kInfo, "host {}: {} tenants running; SIGINT stops", spec.file, spec.tenants.size());
  TenantRates printer(**host);
  const double rates = opts.rates;
  const long step_ms = rates > 0 ? static_cast<long>(rates * 1000) : 1000;
  for (;;) {
    const timespec wait{step_ms / 1000, (step_ms % 1000) * 1'000'000};
    const int sig = sigtimedwait(&stop_signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) break;
    if (rates > 0) {
      std::printf("%s\n", printer.line().c_str());
      std::fflush(stdout);
    }
  }
  if (ctl) ctl->stop();
  (*host)->stop();
  std::string final_stats;
  for (const tenant::TenantStats& t : (*host)->stats()) {
    final_stats += fmt::format("tenant {}: rx {} tx {} drops {} cycles/packet {}", t.name,
                               t.rx_packets, t.tx_packets, t.total_drops(), t.cycles_per_packet);
    if (t.process)
      final_stats += fmt::format(
          " (process: starts {} deaths {} rejected {} frames reclaimed {})", t.starts, t.deaths,
          t.rejects[0] + t.rejects[1] + t.rejects[2] + t.rejects[3], t.frames_reclaimed);
    final_stats += '\n';
  }
  final_stats += fmt::format("host: unmatched {}\n", (*host)->host_stats().unmatched);
  std::fputs(final_stats.c_str(), stdout);
  st = (*host)->check_frames();
  if (!st.is_ok()) {
    std::fprintf(stderr, "uplane host: %s\n", st.message().c_str());
    return 1;
  }
  return 0;
}

int host_main(const CLI::App& app, const HostOptions& opts) {
  // Quiet by default, as the other subcommands: building a tenant's graph for the check
  // logs at info level.
  const CLI::Option* verbose = app.get_option_no_throw("--verbose");
  if ((verbose == nullptr || verbose->count() == 0) && std::getenv("UPLANE_LOG") == nullptr)
    set_log_level(LogLevel::kWarn);
  auto spec = tenant::parse_host_config_file(opts.file);
  if (!spec.is_ok()) {
    std::fprintf(stderr, "%s\n", spec.status().message().c_str());
    return 1;
  }
  if (opts.check) {
    std::printf("%s: OK (%s, %s, %s)\n", opts.file.c_str(),
                count(spec->ports.size(), "port").c_str(),
                count(spec->workers.size(), "worker").c_str(),
                count(spec->tenants.size(), "tenant").c_str());
    return 0;
  }
  return run_host(*spec, opts);
}

}  // namespace

void add_host_command(CLI::App& app) {
  auto opts = std::make_shared<HostOptions>();
  auto* host = app.add_subcommand("host", "Run a host configuration: ports, workers, tenants");
  host->set_help_flag("--help", "Print this help and exit");
  host->add_flag("--check", opts->check,
                 "Check the configuration and every tenant's graph, then exit (opens no device)");
  host->add_option("--rates", opts->rates,
                   "While running, print each tenant's packet rates every SEC seconds")
      ->check(CLI::Range(0.1, 3600.0))
      ->type_name("SEC");
  host->add_flag("--no-accounting", opts->no_accounting,
                 "Do not count tenants' bytes and cycles (they read 0; packets and drops are "
                 "still counted): for measuring what accounting costs");
  host->add_flag("--busy-poll", opts->busy_poll,
                 "Workers spin when idle (a core each, always) instead of backing off to sleep");
  host->add_option("HOST", opts->file, "Host configuration (TOML)")->required();
  host->callback([&app, opts] { throw CLI::RuntimeError(host_main(app, *opts)); });
}

}  // namespace uplane
