#pragma once
// RouterBackend: a ControlServer's window on one graph::Router — its elements' handlers and
// its own ("list", "version", "flatconfig", "stop" ...).
//
// Reads call the handler's read function on the server's thread; the Router's handlers are
// safe to read while it runs. Writes go through Router::write_handler, which refuses an
// element's write handler while the router runs (520, with the Router's message) and lets
// router handlers ("stop") through.

#include <string_view>

#include "control/control_socket.h"
#include "graph/router.h"

namespace uplane::control {

class RouterBackend final : public ControlBackend {
 public:
  enum class Serve {
    kAlways,       // whenever asked (the router is never torn down under the server)
    kWhileRunning  // only while Router::run runs: commands wait for it to start, and get
                   // 540 once it has stopped (the ControlSocket element's choice: handlers
                   // are complete only once the router is built, and cleanup follows run)
  };
  // `router` must outlive the backend.
  explicit RouterBackend(graph::Router& router, Serve serve = Serve::kAlways)
      : router_(router), serve_(serve) {}

  Availability availability() override;
  Lookup find(std::string_view element, std::string_view handler) override;
  Result<std::string> read(std::string_view element, std::string_view handler,
                           std::string_view args) override;
  Status write(std::string_view element, std::string_view handler, std::string_view value) override;

 private:
  // By name, else by 1-based index ("3"); nullptr when neither.
  graph::Element* element(std::string_view name) const;

  graph::Router& router_;
  Serve serve_;
  bool seen_running_ = false;  // server thread only
};

}  // namespace uplane::control
