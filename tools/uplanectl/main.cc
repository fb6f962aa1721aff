// uplanectl — talk to a running uplane over its control socket (Click's ControlSocket
// protocol; docs/control.md).
//
//   uplanectl [-s SOCKET] [-t SEC] read ELEMENT.HANDLER [ARGS...]   print the handler's value
//   uplanectl [-s SOCKET] write ELEMENT.HANDLER [VALUE...]          call a write handler
//                                 (-f FILE, or -f - for standard input, gives the value)
//   uplanectl [-s SOCKET] list                                      the elements, one a line
//   uplanectl [-s SOCKET] handlers ELEMENT                          ELEMENT's handlers
//   uplanectl [-s SOCKET] check [-w] [HANDLER]                      is the server there? is
//                                 HANDLER readable (writable, -w)?
//   uplanectl [-s SOCKET] tenants                                   a running host's tenants and
//                                 their counters, a line each (docs/control.md, "A host")
//   uplanectl [-s SOCKET] add TENANT.toml                           add a tenant: one [[tenant]]
//                                 table, the host configuration's schema
//   uplanectl [-s SOCKET] replace NAME CONFIG.click                 give tenant NAME a new
//                                 Click configuration, live
//   uplanectl [-s SOCKET] remove NAME                               remove tenant NAME
//   uplanectl [-s SOCKET] call [-d FILE] WORD...                    send one command as it is;
//                                 -d sends FILE's bytes after it (its size is added as the
//                                 last word); prints the reply lines, then any DATA
//
// SOCKET defaults to $UPLANE_CONTROL, else /run/uplane/control.sock. Every wait (connect,
// reply) is bounded by -t (default 5 s). A handler without a dot is a router handler
// ("version", "list", "stop").
// Exit status: 0 when the server said 2xx; 1 when it answered with an error (its code and
// message go to standard error, as "uplanectl: 510 No element named 'x'"); 2 when it could
// not be reached or did not speak the protocol, or the command line was wrong.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "control/control_client.h"

namespace {

using uplane::control::ClientReply;
using uplane::control::ControlClient;

constexpr std::size_t kMaxValue = 4 * 1024 * 1024;  // the server's data limit

int unreachable(const std::string& what) {
  std::fprintf(stderr, "uplanectl: %s\n", what.c_str());
  return 2;
}

// Prints an error reply's lines to stderr; returns the exit status for the reply.
int report(const ClientReply& r) {
  if (r.ok()) {
    if (r.code != 200)  // 220: done, with warnings
      for (const std::string& l : r.lines)
        std::fprintf(stderr, "uplanectl: %d %s\n", r.code, l.c_str());
    return 0;
  }
  for (const std::string& l : r.lines)
    std::fprintf(stderr, "uplanectl: %d %s\n", r.code, l.c_str());
  return 1;
}

void print_data(const ClientReply& r) {
  if (r.data) std::fwrite(r.data->data(), 1, r.data->size(), stdout);
  std::fflush(stdout);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 0) s += ' ';
    s += v[i];
  }
  return s;
}

// FILE's bytes, or standard input's for "-"; false (with a message) past kMaxValue.
bool slurp(const std::string& file, std::string& out) {
  std::istream* in = &std::cin;
  std::ifstream f;
  if (file != "-") {
    f.open(file, std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "uplanectl: cannot open %s\n", file.c_str());
      return false;
    }
    in = &f;
  }
  char buf[65536];
  while (*in) {
    in->read(buf, sizeof(buf));
    out.append(buf, static_cast<std::size_t>(in->gcount()));
    if (out.size() > kMaxValue) {
      std::fprintf(stderr, "uplanectl: %s: more than %zu bytes\n", file.c_str(), kMaxValue);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"uplanectl: read and write a running uplane's handlers over its control socket",
               "uplanectl"};
  app.set_help_flag("--help", "Print this help and exit");
  app.require_subcommand(1);
  const char* env = std::getenv("UPLANE_CONTROL");
  std::string socket = env != nullptr && *env != '\0' ? env : "/run/uplane/control.sock";
  double timeout = 5;
  app.add_option("-s,--socket", socket,
                 "Control socket (default $UPLANE_CONTROL, else "
                 "/run/uplane/control.sock)");
  app.add_option("-t,--timeout", timeout, "Seconds to wait for the server (connect, reply)")
      ->check(CLI::Range(0.1, 3600.0))
      ->type_name("SEC");

  std::string handler;
  std::vector<std::string> words;
  std::string file;
  bool check_write = false;

  auto* read = app.add_subcommand("read", "Print a read handler's value");
  read->add_option("HANDLER", handler, "ELEMENT.HANDLER, or a router handler")->required();
  read->add_option("ARGS", words, "Arguments for the handler");

  auto* write = app.add_subcommand("write", "Call a write handler");
  write->add_option("HANDLER", handler, "ELEMENT.HANDLER, or a router handler")->required();
  write->add_option("VALUE", words, "The value (words joined by single spaces)");
  write->add_option("-f,--file", file, "Take the value from FILE (- for standard input)");

  auto* list = app.add_subcommand("list", "List the router's elements");
  std::string element;
  auto* handlers = app.add_subcommand("handlers", "List an element's handlers");
  handlers->add_option("ELEMENT", element, "Element name")->required();

  auto* check = app.add_subcommand("check", "Check the server answers, or that a handler exists");
  check->add_option("HANDLER", handler, "ELEMENT.HANDLER to check");
  check->add_flag("-w,--write", check_write, "Check that HANDLER is writable (else readable)");

  auto* call = app.add_subcommand("call", "Send one command as it is and print the reply");
  call->add_option("COMMAND", words,
                   "The command's words (use -- before words that start "
                   "with '-')")
      ->required();
  call->add_option("-d,--data", file,
                   "Send FILE's bytes (- for standard input) after the "
                   "line, its size added as the last word");

  std::string tenant;
  auto* tenants = app.add_subcommand("tenants", "A running host's tenants and their counters");
  auto* add = app.add_subcommand("add", "Add a tenant to a running host");
  add->add_option("TENANT", file, "A TOML file with one [[tenant]] table")->required();
  auto* replace = app.add_subcommand("replace", "Give a tenant a new Click configuration, live");
  replace->add_option("NAME", tenant, "The tenant")->required();
  replace->add_option("CONFIG", file, "The new Click configuration")->required();
  auto* remove = app.add_subcommand("remove", "Remove a tenant from a running host");
  remove->add_option("NAME", tenant, "The tenant")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  auto conn = ControlClient::connect(socket, static_cast<int>(timeout * 1000));
  if (!conn.is_ok()) return unreachable(conn.status().message());
  ControlClient& c = *conn;

  if (*check && handler.empty()) {
    std::printf("%s: %s\n", socket.c_str(), c.greeting().c_str());
    return 0;
  }

  uplane::Result<ClientReply> r = uplane::make_error(uplane::Errc::kInternal, "no command");
  if (*read) {
    r = c.read(handler, join(words));
  } else if (*write) {
    std::string value = join(words);
    if (!file.empty()) {
      if (!words.empty()) return unreachable("give the value as words or with -f, not both");
      value.clear();
      if (!slurp(file, value)) return 2;
    }
    r = c.write(handler, value);
  } else if (*list) {
    r = c.read("list");
  } else if (*handlers) {
    r = c.read(element + ".handlers");
  } else if (*check) {
    r = c.command(fmt::format("{} {}", check_write ? "CHECKWRITE" : "CHECKREAD", handler));
  } else if (*tenants) {
    r = c.command("TENANTS", {}, true);
  } else if (*add || *replace) {
    // The server reads the file's relative paths from where the file is: send its full name.
    std::string data;
    if (!slurp(file, data)) return 2;
    std::error_code ec;
    const std::string where = std::filesystem::absolute(file, ec).lexically_normal().string();
    r = c.command_then_quit(
        *add ? fmt::format("TENANT_ADD {} {}", where, data.size())
             : fmt::format("TENANT_REPLACE {} {} {}", tenant, where, data.size()),
        data);
  } else if (*remove) {
    r = c.command(fmt::format("TENANT_REMOVE {}", tenant));
  } else if (*call) {
    std::string line = join(words);
    std::string data;
    if (!file.empty()) {
      if (!slurp(file, data)) return 2;
      line += fmt::format(" {}", data.size());
    }
    r = c.command_then_quit(line, data);
  }
  if (!r.is_ok()) return unreachable(fmt::format("{}: {}", socket, r.status().message()));
  const int status = report(*r);
  if (status != 0) return status;

  if (*list) {
    // Click's "list": the count, then one name a line. Print the names.
    const std::string& d = r->data.value_or("");
    const auto nl = d.find('\n');
    if (nl != std::string::npos) std::fwrite(d.data() + nl + 1, 1, d.size() - nl - 1, stdout);
  } else if (*check) {
    std::printf("%s\n", r->message().c_str());
  } else if (*add || *replace || *remove) {
    std::printf("%s\n", r->message().c_str());
  } else if (*call) {
    for (const std::string& l : r->lines) std::printf("%d %s\n", r->code, l.c_str());
    print_data(*r);
  } else {
    print_data(*r);
  }
  std::fflush(stdout);
  return 0;
}
