#include "io/from_device.h"

#include <fmt/format.h>

#include <cctype>
#include <cstring>

#include "base/cpu.h"
#include "graph/registry.h"
#include "graph/task.h"
#include "io/device_config.h"

namespace uplane::io {

bool mark_ether_ip(mem::Packet& p) noexcept {
  const std::uint8_t* d = p.data();
  const std::uint32_t n = p.length();
  if (n < 14 + 1) return false;
  const unsigned type = unsigned{d[12]} << 8 | d[13];
  const std::uint8_t* ip = d + 14;
  const std::uint32_t room = n - 14;
  if (type == 0x0800 && (ip[0] >> 4) == 4) {
    const std::uint32_t hlen = (ip[0] & 0x0fu) * 4;
    if (hlen < 20 || room < hlen) return false;
    p.set_network_header(ip);
    p.set_transport_header(ip + hlen);
    std::uint32_t dst;
    std::memcpy(&dst, ip + 16, sizeof(dst));
    p.set_dst_ip_anno_raw(dst);
    return true;
  }
  if (type == 0x86dd && (ip[0] >> 4) == 6) {
    if (room < 40) return false;
    p.set_network_header(ip);
    p.set_transport_header(ip + 40);
    return true;
  }
  return false;
}

FromDevice::FromDevice() = default;

FromDevice::~FromDevice() { cleanup(); }

Status FromDevice::configure(graph::Args& args) {
  bool sniffer = true, outbound = false, active = true, zero_copy = false;
  std::uint32_t snaplen = 2046, fanout = 0;
  graph::WordArg method{"AUTO"}, capture, xdp_mode{"AUTO"};
  std::string bpf_filter;
  UPLANE_RETURN_IF_ERROR(args.required("DEVNAME", cfg_.device)
                             .optional("SNIFFER", sniffer)
                             .optional("PROMISC", cfg_.promiscuous)
                             .optional("SNAPLEN", snaplen)
                             .optional("FORCE_IP", force_ip_)
                             .optional("METHOD", method)
                             .optional("CAPTURE", capture)
                             .optional("BPF_FILTER", bpf_filter)
                             .optional("OUTBOUND", outbound)
                             .optional("QUEUE", cfg_.queue)
                             .optional("BURST", burst_, 1u, graph::Batch::kMax)
                             .optional("TIMESTAMP", timestamp_)
                             .optional("ZEROCOPY", zero_copy)
                             .optional("XDP_MODE", xdp_mode)
                             .optional("RING_SIZE", cfg_.ring_size, 64u, 1u << 16)
                             .optional("FANOUT", fanout, 0u, 0xfffeu)
                             .optional("ACTIVE", active)
                             .done());
  (void)snaplen;
  if (!sniffer) return make_error(Errc::kInvalidArgument, "SNIFFER false is not supported");
  if (outbound) return make_error(Errc::kInvalidArgument, "OUTBOUND true is not supported");
  if (!bpf_filter.empty())
    return make_error(Errc::kInvalidArgument,
                      "BPF_FILTER is not supported: filter in the graph (IPFilter, Classifier)");
  UPLANE_RETURN_IF_ERROR(finish_device_config(
      cfg_, !capture.word.empty() ? capture.word : method.word, xdp_mode.word, &method_));
  cfg_.xdp_zero_copy = zero_copy;
  cfg_.packet_fanout = fanout == 0 ? 0 : fanout + 1;
  cfg_.rx = true;
  cfg_.tx = true;  // a ToDevice on the same device may share the port
  active_.store(active, std::memory_order_relaxed);
  return {};
}

Status FromDevice::initialize() {
  auto port = open_port(method_, cfg_, pool());
  if (!port.is_ok()) return port.status();
  port_ = std::move(*port);
  method_ = port_->method();
  task_ = add_task(active_.load(std::memory_order_relaxed));
  return {};
}

void FromDevice::cleanup() noexcept {
  graph::free_batch(pending_);
  port_.reset();
}

bool FromDevice::run_task(graph::Task& task) noexcept {
  if (!active_.load(std::memory_order_relaxed)) {
    task.unschedule();  // writing active schedules it again
    return false;
  }
  // The port fills the batch; with BURST below 32 the rest waits for the next run, which
  // tops it up first, so every run emits BURST packets while they arrive.
  if (pending_.size() < burst_) port_->rx_burst(pending_);
  if (pending_.empty()) return false;
  graph::Batch b;
  if (pending_.size() <= burst_) {
    b = pending_;
    pending_.clear();
  } else {
    const std::uint32_t rest = pending_.size() - burst_;
    for (std::uint32_t i = 0; i < burst_; ++i) b[i] = pending_[i];
    b.set_size(burst_);
    for (std::uint32_t i = 0; i < rest; ++i) pending_[i] = pending_[burst_ + i];
    pending_.set_size(rest);
  }
  if (timestamp_) {
    std::uint64_t now = 0;
    for (mem::Packet* p : b) {
      if (p->timestamp_ns() == 0) {
        if (now == 0) now = realtime_ns();
        p->set_timestamp_ns(now);
      }
    }
  }
  if (force_ip_) {
    std::uint32_t kept = 0;
    std::uint64_t filtered = 0;
    for (std::uint32_t i = 0; i < b.size(); ++i) {
      mem::Packet* p = b[i];
      if (mark_ether_ip(*p)) {
        b[kept++] = p;
      } else {
        mem::free_packet(p);
        ++filtered;
      }
    }
    b.set_size(kept);
    if (filtered != 0) count_drop(graph::DropReason::kFiltered, filtered);
    if (b.empty()) return true;
  }
  count_.add(b.size());
  output_push(0, b);
  return true;
}

void FromDevice::add_handlers() {
  add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
  add_write_handler("reset_counts", [this](std::string_view) {
    count_.reset();
    return Status();
  });
  add_read_handler("kernel_drops", [this] {
    return fmt::format("{}\n", port_ ? port_->counters().rx_dropped : 0);
  });
  add_read_handler("method", [this] { return fmt::format("{}\n", method_name(method_)); });
  add_read_handler("link", [this] {
    return fmt::format("{}\n", link_state_name(port_ ? port_->link_state() : LinkState::kUnknown));
  });
  add_read_handler("encap", [] { return std::string("ETHER\n"); });
  add_read_handler("active", [this] {
    return std::string(active_.load(std::memory_order_relaxed) ? "true\n" : "false\n");
  });
  add_write_handler("active", [this](std::string_view v) -> Status {
    bool b = false;
    std::string word(v);
    while (!word.empty() && std::isspace(static_cast<unsigned char>(word.back()))) word.pop_back();
    if (!graph::ArgParser<bool>::parse(word, b).empty())
      return make_error(Errc::kInvalidArgument, "active: expected boolean, got '{}'", word);
    active_.store(b, std::memory_order_relaxed);
    if (b && task_ != nullptr) task_->reschedule();
    return Status();
  });
  add_read_handler("stats", [this] {
    const PortCounters c = port_ ? port_->counters() : PortCounters{};
    return fmt::format("rx_packets {}\nrx_bytes {}\nrx_dropped {}\nrx_errors {}\n", c.rx_packets,
                       c.rx_bytes, c.rx_dropped, c.rx_errors);
  });
}

UPLANE_REGISTER_ELEMENT(FromDevice);

}  // namespace uplane::io
