#include "host_cmd.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "base/log.h"
#include "tenant/host_config.h"

namespace uplane {
namespace {

struct HostOptions {
  std::string file;
  bool check = false;
};

std::string count(std::size_t n, const char* noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

// Runs a checked host until it is asked to stop; the exit status.
int run_host(const tenant::HostSpec& spec) {
  std::fprintf(stderr, "uplane host: %s: running a host is not wired yet (use --check)\n",
               spec.file.c_str());
  return 2;
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
  return run_host(*spec);
}

}  // namespace

void add_host_command(CLI::App& app) {
  auto opts = std::make_shared<HostOptions>();
  auto* host = app.add_subcommand("host", "Run a host configuration: ports, workers, tenants");
  host->set_help_flag("--help", "Print this help and exit");
  host->add_flag("--check", opts->check,
                 "Check the configuration and every tenant's graph, then exit (opens no device)");
  host->add_option("HOST", opts->file, "Host configuration (TOML)")->required();
  host->callback([&app, opts] { throw CLI::RuntimeError(host_main(app, *opts)); });
}

}  // namespace uplane
