#include "control/router_backend.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

namespace uplane::control {

ControlBackend::Availability RouterBackend::availability() {
  if (serve_ == Serve::kAlways) return Availability::kReady;
  // Partner: Router::run's store of running_ (true) after create() has added every handler.
  if (router_.running()) {
    seen_running_ = true;
    return Availability::kReady;
  }
  return seen_running_ ? Availability::kGone : Availability::kWait;
}

graph::Element* RouterBackend::element(std::string_view name) const {
  if (graph::Element* e = router_.find(name)) return e;
  if (name.empty() || name.size() > 9 || !std::all_of(name.begin(), name.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      }))
    return nullptr;
  std::size_t i = 0;
  std::from_chars(name.data(), name.data() + name.size(), i);
  const auto& all = router_.elements();
  return i >= 1 && i <= all.size() ? all[i - 1].get() : nullptr;
}

ControlBackend::Lookup RouterBackend::find(std::string_view el, std::string_view handler) {
  Lookup r;
  const graph::Handler* h = nullptr;
  if (el.empty()) {
    h = router_.find_handler({}, handler);
  } else {
    graph::Element* e = element(el);
    if (e == nullptr) {
      r.found = Found::kNoElement;
      return r;
    }
    h = router_.find_handler(e->name(), handler);
  }
  if (h == nullptr) {
    r.found = Found::kNoHandler;
    return r;
  }
  r.found = Found::kHandler;
  r.readable = static_cast<bool>(h->read);
  r.writable = static_cast<bool>(h->write);
  return r;
}

Result<std::string> RouterBackend::read(std::string_view el, std::string_view handler,
                                        std::string_view args) {
  std::string name;
  if (!el.empty()) {
    graph::Element* e = element(el);
    if (e == nullptr) return make_error(Errc::kNotFound, "no element named '{}'", el);
    name = e->name();
  }
  const graph::Handler* h = router_.find_handler(name, handler);
  if (h == nullptr || !h->read) return make_error(Errc::kNotFound, "no read handler '{}'", handler);
  // uplane's read handlers take no arguments (Click's read handlers with parameters are
  // not there yet); say so rather than ignore them.
  if (args.find_first_not_of(" \t\r\n") != std::string_view::npos)
    return make_error(Errc::kInvalidArgument, "read handler '{}' takes no arguments", handler);
  return h->read();
}

Status RouterBackend::write(std::string_view el, std::string_view handler, std::string_view value) {
  std::string spec(handler);
  if (!el.empty()) {
    graph::Element* e = element(el);
    if (e == nullptr) return make_error(Errc::kNotFound, "no element named '{}'", el);
    spec = e->name() + "." + spec;
  }
  return router_.write_handler(spec, value);
}

}  // namespace uplane::control
