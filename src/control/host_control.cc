#include "control/host_control.h"

#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tenant/host_config.h"

namespace uplane::control {
namespace {

constexpr std::string_view kHostHandlers[] = {"tenants", "stats",   "unmatched", "ports",
                                              "workers", "version", "list"};

bool host_handler(std::string_view h) {
  for (std::string_view k : kHostHandlers)
    if (k == h) return true;
  return false;
}

std::string path_of(std::string_view element, std::string_view handler) {
  return element.empty() ? std::string(handler) : fmt::format("{}.{}", element, handler);
}

}  // namespace

// The server's window on the host: the tenants' handlers, and the host's own.
class HostControl::Backend final : public ControlBackend {
 public:
  explicit Backend(HostControl& c) : c_(c) {}

  Lookup find(std::string_view element, std::string_view handler) override {
    Lookup r;
    if (element.empty() && host_handler(handler)) {
      r.found = Found::kHandler;
      r.readable = true;
      return r;
    }
    const tenant::Host::HandlerInfo info = c_.host_.handler_info(path_of(element, handler));
    if (!info.tenant || !info.element) {
      r.found = Found::kNoElement;
      return r;
    }
    r.found = info.handler ? Found::kHandler : Found::kNoHandler;
    r.readable = info.readable;
    r.writable = info.writable;
    return r;
  }

  Result<std::string> read(std::string_view element, std::string_view handler,
                           std::string_view args) override {
    if (args.find_first_not_of(" \t\r\n") != std::string_view::npos)
      return make_error(Errc::kInvalidArgument, "read handler '{}' takes no arguments", handler);
    if (element.empty() && host_handler(handler)) return c_.host_read(handler);
    return c_.host_.read_handler(path_of(element, handler));
  }

  Status write(std::string_view element, std::string_view handler,
               std::string_view value) override {
    return c_.host_.write_handler(path_of(element, handler), value);
  }

 private:
  HostControl& c_;
};

HostControl::HostControl(tenant::Host& host, tenant::HostSpec spec, std::string version)
    : host_(host),
      version_(std::move(version)),
      spec_(std::move(spec)),
      backend_(std::make_unique<Backend>(*this)) {}

HostControl::~HostControl() { stop(); }

Result<std::string> HostControl::host_read(std::string_view handler) const {
  if (handler == "version") return version_ + "\n";
  if (handler == "stats") return stats_text();
  if (handler == "unmatched") return fmt::format("{}\n", host_.host_stats().unmatched);
  if (handler == "workers") {
    std::string out;
    for (const tenant::HostWorkerStats& w : host_.host_stats().workers)
      out += fmt::format(
          "worker={} pickups_after_idle={} pickup_us_last={:.1f} pickup_us_avg={:.1f} "
          "pickup_us_max={:.1f}\n",
          w.index, w.pickups, static_cast<double>(w.pickup_ns_last) / 1e3,
          w.pickups == 0
              ? 0.0
              : static_cast<double>(w.pickup_ns_sum) / 1e3 / static_cast<double>(w.pickups),
          static_cast<double>(w.pickup_ns_max) / 1e3);
    return out;
  }
  if (handler == "ports") {
    std::string out;
    for (const tenant::HostPortStats& p : host_.host_stats().ports)
      out += fmt::format("name={} rx_packets={} unmatched={}\n", p.name, p.rx_packets, p.unmatched);
    return out;
  }
  const std::vector<std::string> names = host_.tenant_names();
  std::string out = handler == "list" ? fmt::format("{}\n", names.size()) : std::string();
  for (const std::string& n : names) out += n + "\n";
  return out;
}

std::string HostControl::stats_text() const {
  std::string out;
  for (const tenant::TenantStats& t : host_.stats()) {
    out += fmt::format(
        "name={} worker={} rx_packets={} rx_bytes={} tx_packets={} tx_bytes={} drops={} "
        "cycles={} cycles_per_packet={} replacements={} frames={}",
        t.name, t.worker, t.rx_packets, t.rx_bytes, t.tx_packets, t.tx_bytes, t.total_drops(),
        t.cycles, t.cycles_per_packet, t.replacements, t.frames);
    for (std::size_t r = 0; r < tenant::kTenantDropCount; ++r) {
      if (t.drops[r] == 0) continue;
      out += fmt::format(" drop_{}={}",
                         tenant::tenant_drop_name(static_cast<tenant::TenantDrop>(r)), t.drops[r]);
    }
    if (t.process) {
      // Its process: which, how often (re)started, and what the host refused from it.
      out += fmt::format(
          " mode=process pid={} starts={} deaths={} stalls={} frames_reclaimed={} "
          "reject_out_of_range={} reject_not_held={} reject_twice={} reject_bad_length={} "
          "ring_faults={}",
          t.pid, t.starts, t.deaths, t.stalls, t.frames_reclaimed, t.rejects[0], t.rejects[1],
          t.rejects[2], t.rejects[3], t.ring_faults);
    }
    out += '\n';
  }
  return out;
}

Status HostControl::add(std::string_view toml, std::string_view file) {
  std::lock_guard lock(mu_);
  auto t = tenant::parse_tenant_change(toml, file, spec_);
  if (!t.is_ok()) return t.status();
  UPLANE_RETURN_IF_ERROR(host_.add_tenant(*t));
  spec_.tenants.push_back(std::move(*t));
  return Status();
}

Status HostControl::replace(std::string_view name, std::string_view click, std::string_view file) {
  std::lock_guard lock(mu_);
  tenant::TenantSpec* old = nullptr;
  for (tenant::TenantSpec& t : spec_.tenants)
    if (t.name == name) old = &t;
  if (old == nullptr) return make_error(Errc::kNotFound, "no tenant named '{}'", name);
  tenant::TenantSpec t = *old;
  t.click = std::string(click);
  t.click_file = std::string(file);
  t.click_line = 1;
  UPLANE_RETURN_IF_ERROR(tenant::check_tenant_config(spec_, t));
  UPLANE_RETURN_IF_ERROR(host_.replace_tenant(t));
  *old = std::move(t);
  return Status();
}

Status HostControl::remove(std::string_view name) {
  std::lock_guard lock(mu_);
  UPLANE_RETURN_IF_ERROR(host_.remove_tenant(name));
  std::erase_if(spec_.tenants, [&](const tenant::TenantSpec& t) { return t.name == name; });
  if (spec_.default_tenant == name) spec_.default_tenant.clear();
  return Status();
}

Reply HostControl::reply_for(const Status& st, std::string_view done) const {
  if (st.is_ok()) return Reply::ok(std::string(done));
  const int code = st.code() == Errc::kNotFound ? kNoSuchElement : kHandlerError;
  return Reply::error(code, st.message());
}

Status HostControl::start(const std::string& path) {
  ServerOptions o;
  o.path = path;
  o.log_name = "host control";
  server_ = std::make_unique<ControlServer>(o, *backend_);
  UPLANE_RETURN_IF_ERROR(server_->add_command("TENANTS", [this](const CommandRequest& r) {
    if (!r.words.empty()) return Reply::error(kSyntaxError, "TENANTS takes no arguments");
    Reply rep = Reply::ok("Tenants OK");
    rep.data = stats_text();
    return rep;
  }));
  UPLANE_RETURN_IF_ERROR(server_->add_command(
      "TENANT_ADD",
      [this](const CommandRequest& r) {
        if (r.words.size() != 1)
          return Reply::error(kSyntaxError, "usage: TENANT_ADD FILE n, then n bytes of TOML");
        return reply_for(add(r.data, r.words[0]), "Tenant added");
      },
      CommandOptions{.with_data = true, .writes = true}));
  UPLANE_RETURN_IF_ERROR(server_->add_command(
      "TENANT_REPLACE",
      [this](const CommandRequest& r) {
        if (r.words.size() != 2)
          return Reply::error(kSyntaxError,
                              "usage: TENANT_REPLACE NAME FILE n, then n bytes of Click "
                              "configuration");
        return reply_for(replace(r.words[0], r.data, r.words[1]),
                         fmt::format("Tenant '{}' replaced", r.words[0]));
      },
      CommandOptions{.with_data = true, .writes = true}));
  UPLANE_RETURN_IF_ERROR(server_->add_command(
      "TENANT_REMOVE",
      [this](const CommandRequest& r) {
        if (r.words.size() != 1) return Reply::error(kSyntaxError, "usage: TENANT_REMOVE NAME");
        return reply_for(remove(r.words[0]), fmt::format("Tenant '{}' removed", r.words[0]));
      },
      CommandOptions{.with_data = false, .writes = true}));
  return server_->start();
}

void HostControl::stop() noexcept {
  if (server_) server_->stop();
}

}  // namespace uplane::control
