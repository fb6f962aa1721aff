#include "control/control_socket_element.h"

#include <sys/un.h>

#include <cctype>

#include "control/control_socket.h"
#include "control/router_backend.h"
#include "graph/registry.h"
#include "graph/router.h"

namespace uplane::control {

ControlSocket::ControlSocket() = default;

ControlSocket::~ControlSocket() { cleanup(); }

Status ControlSocket::configure(graph::Args& args) {
  std::string type;
  graph::RawArg where;
  args.required("TYPE", type).required("FILENAME", where);
  args.optional("READONLY", read_only_).optional("VERBOSE", verbose_);
  // Click's keywords that uplane does not implement: an error, never silently ignored.
  for (const char* kw : {"PROXY", "RETRIES", "RETRY_WARNINGS", "LOCALHOST"}) {
    graph::RawArg ignored;
    args.optional(kw, ignored);
    if (args.ok() && args.found())
      return make_error(Errc::kInvalidArgument, "{}: not supported in uplane", kw);
  }
  UPLANE_RETURN_IF_ERROR(args.done());
  for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (type == "TCP")
    return make_error(Errc::kInvalidArgument,
                      "TYPE: TCP control sockets are not supported in uplane; use "
                      "ControlSocket(unix, FILENAME)");
  if (type != "UNIX")
    return make_error(Errc::kInvalidArgument, "TYPE: unknown socket type '{}' (expected unix)",
                      type);
  path_ = graph::unquote(where.text);
  if (path_.empty()) return make_error(Errc::kInvalidArgument, "FILENAME: empty");
  if (path_.size() >= sizeof(sockaddr_un{}.sun_path))
    return make_error(Errc::kInvalidArgument, "FILENAME: too long ({} bytes, at most {})",
                      path_.size(), sizeof(sockaddr_un{}.sun_path) - 1);
  return {};
}

Status ControlSocket::initialize() {
  backend_ = std::make_unique<RouterBackend>(router(), RouterBackend::Serve::kWhileRunning);
  ServerOptions o;
  o.path = path_;
  o.read_only = read_only_;
  o.verbose = verbose_;
  o.log_name = declaration();
  server_ = std::make_unique<ControlServer>(std::move(o), *backend_);
  Status st = server_->start();
  if (!st.is_ok()) {
    server_.reset();
    backend_.reset();
  }
  return st;
}

void ControlSocket::cleanup() noexcept {
  if (server_ != nullptr) server_->stop();
  server_.reset();
  backend_.reset();
}

UPLANE_REGISTER_ELEMENT(ControlSocket);

}  // namespace uplane::control
