#pragma once
// =c
// ControlSocket(TYPE, FILENAME [, KEYWORDS])
// =s control
// opens a control socket for other programs
// =d
// Listens on a Unix-domain stream socket named FILENAME (TYPE "unix", any case) and speaks
// Click's ControlSocket protocol 1.3 on it, so that other programs (uplanectl, Click's
// clients) can call this router's read and write handlers while it runs. One thread of
// its own serves every connection; the data path never sees it. docs/control.md
// describes the protocol.
//
// The socket file is created when the router initializes and removed when it is cleaned
// up. A socket file that nothing listens on (left by a crash) is replaced; if another
// server answers on FILENAME, or FILENAME is some other kind of file, the configuration
// fails. Commands wait until the router runs, and get "540 No router installed" after it
// has stopped.
//
// Keywords:
//   READONLY        Boolean. Write handlers answer "530 Permission denied". Default false.
//   VERBOSE         Boolean. Log each connection opened and closed. Default false.
//   PROXY, RETRIES, RETRY_WARNINGS, LOCALHOST  Not supported in uplane (an error).
// =e
// ControlSocket(unix, /run/uplane/router.sock);
// // then: uplanectl -s /run/uplane/router.sock read c.count
// =uplane
// TYPE "tcp" (ControlSocket(TCP, PORT)) is not supported: the configuration is rejected.
// So are PROXY, RETRIES, RETRY_WARNINGS and LOCALHOST. FILENAME is used as written (no ~
// expansion). Read handlers take no arguments ("READ h args" is a handler error), LLRPC
// always answers 501, and a handler error is 520 for reads as for writes. Element write
// handlers are refused (520) while the router runs; router write handlers such as "stop"
// work.

#include <memory>
#include <string>

#include "graph/element.h"

namespace uplane::control {

class ControlServer;
class RouterBackend;

class ControlSocket final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "ControlSocket", .ports = "0/0"};
  ControlSocket();
  ~ControlSocket() override;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void cleanup() noexcept override;

  // The server, once initialized (to add commands); nullptr before.
  ControlServer* server() noexcept { return server_.get(); }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  bool read_only_ = false;
  bool verbose_ = false;
  std::unique_ptr<RouterBackend> backend_;
  std::unique_ptr<ControlServer> server_;
};

}  // namespace uplane::control
