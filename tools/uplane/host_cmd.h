#pragma once
// `uplane host`: run a host configuration (ports, workers, tenants; docs/tenancy.md), or
// check it.
//
//   uplane host --check HOST.toml   check everything that can be checked without opening a
//                                   device; print "HOST.toml: OK (2 ports, 1 worker,
//                                   3 tenants)" and exit 0, or every error, one per line
//                                   on standard error, "file:line:col: ...", and exit 1
//   uplane host [--rates SEC] HOST.toml
//                                   check, then run the host until SIGINT or SIGTERM (with
//                                   --rates, print each tenant's rates every SEC seconds);
//                                   then print each tenant's totals and check that every
//                                   frame is back in the pool

namespace CLI {
class App;
}

namespace uplane {

// Adds the `host` subcommand to `app`. It does its work in its callback, during
// app.parse(), and always ends by throwing CLI::RuntimeError with the exit status, which
// CLI11_PARSE returns from main().
void add_host_command(CLI::App& app);

}  // namespace uplane
