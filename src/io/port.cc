#include "io/port.h"

#include <atomic>
#include <cctype>

#include "base/log.h"

namespace uplane::io {

std::string_view link_state_name(LinkState s) noexcept {
  switch (s) {
    case LinkState::kUnknown:
      return "unknown";
    case LinkState::kDown:
      return "down";
    case LinkState::kUp:
      return "up";
  }
  return "unknown";
}

std::string_view method_name(Method m) noexcept {
  switch (m) {
    case Method::kAuto:
      return "AUTO";
    case Method::kXdp:
      return "XDP";
    case Method::kPacket:
      return "PACKET";
    case Method::kTap:
      return "TAP";
    case Method::kShm:
      return "SHM";
    case Method::kNull:
      return "NULL";
  }
  return "AUTO";
}

namespace {

bool equals_upper(std::string_view s, std::string_view upper) noexcept {
  if (s.size() != upper.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(s[i])) != upper[i]) return false;
  }
  return true;
}

}  // namespace

bool parse_method(std::string_view s, Method* out) noexcept {
  struct Name {
    std::string_view name;
    Method method;
  };
  // LINUX is Click's name for its packet-socket method (FromDevice METHOD LINUX).
  static constexpr Name kNames[] = {
      {"AUTO", Method::kAuto},    {"XDP", Method::kXdp}, {"PACKET", Method::kPacket},
      {"LINUX", Method::kPacket}, {"TAP", Method::kTap}, {"SHM", Method::kShm},
      {"NULL", Method::kNull},
  };
  for (const Name& n : kNames) {
    if (equals_upper(s, n.name)) {
      if (out != nullptr) *out = n.method;
      return true;
    }
  }
  return false;
}

PortCounters Port::counters() const noexcept {
  PortCounters c;
  c.rx_packets = c_.rx_packets.load(std::memory_order_relaxed);
  c.rx_bytes = c_.rx_bytes.load(std::memory_order_relaxed);
  c.rx_dropped = c_.rx_dropped.load(std::memory_order_relaxed);
  c.rx_errors = c_.rx_errors.load(std::memory_order_relaxed);
  c.tx_packets = c_.tx_packets.load(std::memory_order_relaxed);
  c.tx_bytes = c_.tx_bytes.load(std::memory_order_relaxed);
  c.tx_dropped = c_.tx_dropped.load(std::memory_order_relaxed);
  c.tx_errors = c_.tx_errors.load(std::memory_order_relaxed);
  return c;
}

namespace {

// kAuto's choice is logged once per process for each method it settles on: a host whose
// ports all end up on PACKET gets one line saying why AF_XDP was refused, not one per port;
// a host where some devices take XDP and others do not sees both outcomes.
std::atomic<std::uint32_t> g_auto_logged{0};

void log_auto_choice_once(Method chosen, const PortConfig& cfg, const Status& xdp_refusal) {
  const std::uint32_t bit = 1u << static_cast<unsigned>(chosen);
  if ((g_auto_logged.fetch_or(bit, std::memory_order_relaxed) & bit) != 0) {
    UPLANE_LOG(kDebug, "port {} queue {}: METHOD AUTO chose {}", cfg.device, cfg.queue,
               method_name(chosen));
    return;
  }
  if (chosen == Method::kXdp) {
    UPLANE_LOG(kInfo, "port {} queue {}: METHOD AUTO chose XDP (AF_XDP); logged once", cfg.device,
               cfg.queue);
  } else {
    UPLANE_LOG(kInfo,
               "port {} queue {}: METHOD AUTO chose {} because AF_XDP was refused ({}); "
               "logged once",
               cfg.device, cfg.queue, method_name(chosen), xdp_refusal.message());
  }
}

}  // namespace

Result<std::unique_ptr<Port>> open_port(Method method, const PortConfig& cfg,
                                        mem::PacketPool& pool) {
  switch (method) {
    case Method::kXdp:
      return open_xdp_port(cfg, pool);
    case Method::kPacket:
      return open_packet_port(cfg, pool);
    case Method::kTap:
      return open_tap_port(cfg, pool);
    case Method::kShm:
      return open_shm_port(cfg, pool);
    case Method::kNull:
      return open_null_port(cfg, pool);
    case Method::kAuto:
      break;
  }
  auto xdp = open_xdp_port(cfg, pool);
  if (xdp) {
    log_auto_choice_once(Method::kXdp, cfg, Status());
    return xdp;
  }
  auto packet = open_packet_port(cfg, pool);
  if (packet) {
    log_auto_choice_once(Method::kPacket, cfg, xdp.status());
    return packet;
  }
  return make_error(packet.status().code(), "port {}: no method works: XDP: {}; PACKET: {}",
                    cfg.device, xdp.status().message(), packet.status().message());
}

}  // namespace uplane::io
