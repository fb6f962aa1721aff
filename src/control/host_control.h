#pragma once
// HostControl: a running tenant::Host on a control socket (docs/control.md, "A host").
//
// Handlers are the tenants': "TENANT/ELEMENT.HANDLER" ("blue/c.count"), and
// "TENANT/HANDLER" for a tenant graph's own ("blue/list"). The host's own handlers take no
// element:
//   tenants    the tenants' names, one a line
//   stats      one line a tenant: name=... worker=... rx_packets=... rx_bytes=...
//              tx_packets=... tx_bytes=... drops=... cycles=... cycles_per_packet=...
//              replacements=..., then each nonzero drop reason (drop_REASON=N)
//   unmatched  frames no tenant's selector took (and no default tenant), all ports
//   ports      one line a port: name=... rx_packets=... unmatched=...
//   version    uplane's version
//   list       the tenants' names, in Click's list format (count, then a name a line)
//
// Tenant commands (each says why when it refuses; a refused change changes nothing):
//   TENANTS                       -> 200, DATA: `stats`
//   TENANT_ADD FILE n + n bytes   one [[tenant]] table (the host configuration's schema);
//                                 FILE names it in messages and anchors its relative paths
//   TENANT_REPLACE NAME FILE n + n bytes
//                                 NAME's new Click configuration (its selector, budget and
//                                 mode stay); elements that keep their name and class keep
//                                 their state
//   TENANT_REMOVE NAME
// Errors: 510 when NAME is no tenant, 520 with the checker's or the host's message (every
// error, "file:line:col: ...", one a line).

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"
#include "control/control_socket.h"
#include "tenant/host.h"
#include "tenant/spec.h"

namespace uplane::control {

class HostControl {
 public:
  // `host` must outlive this; `spec` is the configuration it was created from (new tenants
  // are checked against its ports and workers, and against the tenants running).
  HostControl(tenant::Host& host, tenant::HostSpec spec, std::string version);
  ~HostControl();
  HostControl(const HostControl&) = delete;
  HostControl& operator=(const HostControl&) = delete;

  // Serves on the Unix socket `path` (see ControlServer::start).
  Status start(const std::string& path);
  void stop() noexcept;

  // The handlers and commands above, for the server, tests and `uplane host`.
  std::string stats_text() const;
  Status add(std::string_view toml, std::string_view file);
  Status replace(std::string_view name, std::string_view click, std::string_view file);
  Status remove(std::string_view name);

 private:
  class Backend;
  Result<std::string> host_read(std::string_view handler) const;  // the host's own handlers
  Reply reply_for(const Status& st, std::string_view done) const;

  tenant::Host& host_;
  std::string version_;
  mutable std::mutex mu_;   // spec_: changes come one at a time
  tenant::HostSpec spec_;   // the running tenants, as configured
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<ControlServer> server_;
};

}  // namespace uplane::control
