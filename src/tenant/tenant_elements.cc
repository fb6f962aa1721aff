#include "tenant/tenant_elements.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/cpu.h"
#include "graph/registry.h"
#include "graph/task.h"
#include "io/from_device.h"
#include "io/port.h"
#include "tenant/tenant_process.h"

namespace uplane::tenant {

PortBinding* TenantContext::find(std::string_view name) noexcept {
  for (PortBinding& b : ports)
    if (b.name == name) return &b;
  return nullptr;
}

std::string TenantContext::port_list() const {
  std::string s;
  for (const PortBinding& b : ports) s += (s.empty() ? "" : ", ") + b.name;
  return s.empty() ? "none" : s;
}

TenantDrop TenantContext::check_egress(const PortBinding& b, const mem::Packet& p) const noexcept {
  if (!b.allowed) return TenantDrop::kEgressPort;
  const std::uint8_t* d = p.data();
  const std::uint32_t n = p.length();
  if (n < 14) return TenantDrop::kEgressRunt;
  if (!vlans.empty()) {
    std::uint16_t vid = 0;
    const bool tagged = (d[12] == 0x81 && d[13] == 0x00) || (d[12] == 0x88 && d[13] == 0xa8);
    if (tagged) {
      if (n < 18) return TenantDrop::kEgressRunt;
      vid = static_cast<std::uint16_t>(((d[14] << 8) | d[15]) & 0x0fff);
    }
    if (std::find(vlans.begin(), vlans.end(), vid) == vlans.end()) return TenantDrop::kEgressVlan;
  }
  if (!macs.empty()) {
    const std::uint64_t src = mac_key(d + 6);
    if (std::find(macs.begin(), macs.end(), src) == macs.end()) return TenantDrop::kEgressMac;
  }
  return TenantDrop::kCount;
}

std::string_view class_denied_in_tenant(std::string_view cls) noexcept {
  if (cls == "FromDump" || cls == "ToDump")
    return "reads or writes the host's files; not allowed in an in-process tenant";
  if (cls == "ControlSocket") return "the host has the control socket (uplanectl)";
  if (cls == "TenantProcessLink") return "the host's own element (mode process)";
  return {};
}

namespace {

TenantContext* context_of(graph::Element& e) {
  return dynamic_cast<TenantContext*>(e.router().host_context());
}

Status not_hosted(std::string_view cls, std::string_view plain) {
  return make_error(Errc::kInvalidArgument,
                    "{} exists only in a tenant's configuration on a host (uplane host); "
                    "use {}",
                    cls, plain);
}

// Keywords that choose or tune a driver: the host's business, not a tenant's.
Status refuse_driver_keywords(graph::Args& args, std::string_view port,
                              std::initializer_list<std::string_view> keywords) {
  for (std::string_view k : keywords) {
    graph::RawArg v;
    args.optional(k, v);
    if (!args.ok()) return args.done();
    if (args.found())
      return make_error(Errc::kInvalidArgument,
                        "{}: not allowed in a tenant's configuration: host port '{}' is set up "
                        "by the host configuration",
                        k, port);
  }
  return {};
}

class TenantFromDevice final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "TenantFromDevice",
                                            .ports = "0/1",
                                            .processing = "h/h",
                                            .configure_phase = graph::kConfigurePhaseDefault - 1};

  Status configure(graph::Args& args) override {
    TenantContext* ctx = context_of(*this);
    if (ctx == nullptr) return not_hosted(kSpec.name, "FromDevice");
    std::string dev;
    bool sniffer = true, outbound = false, timestamp = true;
    std::uint32_t snaplen = 2046;
    args.required("DEVNAME", dev);
    if (!args.ok()) return args.done();
    UPLANE_RETURN_IF_ERROR(
        refuse_driver_keywords(args, dev,
                               {"METHOD", "CAPTURE", "QUEUE", "PROMISC", "ZEROCOPY", "XDP_MODE",
                                "RING_SIZE", "FANOUT", "BPF_FILTER"}));
    UPLANE_RETURN_IF_ERROR(args.optional("SNIFFER", sniffer)
                               .optional("SNAPLEN", snaplen)
                               .optional("FORCE_IP", force_ip_)
                               .optional("OUTBOUND", outbound)
                               .optional("BURST", burst_, 1u, graph::Batch::kMax)
                               .optional("TIMESTAMP", timestamp)
                               .optional("ACTIVE", active_)
                               .done());
    (void)snaplen;
    (void)timestamp;
    if (!sniffer) return make_error(Errc::kInvalidArgument, "SNIFFER false is not supported");
    if (outbound) return make_error(Errc::kInvalidArgument, "OUTBOUND true is not supported");
    binding_ = ctx->find(dev);
    if (binding_ == nullptr)
      return make_error(Errc::kInvalidArgument, "no host port '{}' (the host has: {})", dev,
                        ctx->port_list());
    if (binding_->ring == nullptr)
      return make_error(Errc::kInvalidArgument,
                        "host port '{}' is not in tenant '{}''s selector: it receives nothing "
                        "there",
                        dev, ctx->tenant);
    if (binding_->reading)
      return make_error(Errc::kInvalidArgument,
                        "a second FromDevice({}) in tenant '{}': one per port", dev, ctx->tenant);
    binding_->reading = true;
    counters_ = ctx->counters;
    count_bits_ = ctx->count_bits;
    return {};
  }

  Status initialize() override {
    task_ = add_task(active_);
    return {};
  }

  void add_handlers() override {
    add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
    add_write_handler("reset_counts", [this](std::string_view) {
      count_.reset();
      return Status();
    });
    add_read_handler(
        "port", [this] { return binding_->name + "\n"; }, true);
  }

  bool run_task(graph::Task&) noexcept override {
    graph::Batch b;
    const std::uint32_t got = binding_->ring->dequeue_burst(b.data(), burst_);
    if (got == 0) return false;
    b.set_size(got);
    counters_->taken_packets += got;
    if (count_bits_) {
      std::uint64_t bytes = 0;
      for (mem::Packet* p : b.packets()) bytes += p->length();
      counters_->taken_bytes += bytes;
    }
    if (force_ip_) {
      graph::Batch keep, bad;
      for (mem::Packet* p : b.packets()) (void)(io::mark_ether_ip(*p) ? keep : bad).push_back(p);
      if (!bad.empty()) drop_batch(bad, graph::DropReason::kFiltered);
      b = keep;
    }
    count_.add(b.size());
    if (!b.empty()) output_push(0, b);
    return true;
  }

 private:
  PortBinding* binding_ = nullptr;
  TenantCounters* counters_ = nullptr;
  bool count_bits_ = false;
  std::uint32_t burst_ = graph::Batch::kMax;
  bool force_ip_ = false;
  bool active_ = true;
  graph::Task* task_ = nullptr;
  graph::Counter64 count_;
};

class TenantToDevice final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "TenantToDevice", .ports = "1/0", .processing = "a/a"};

  ~TenantToDevice() override { cleanup(); }

  Status configure(graph::Args& args) override {
    ctx_ = context_of(*this);
    if (ctx_ == nullptr) return not_hosted(kSpec.name, "ToDevice");
    std::string dev;
    bool debug = false;
    args.required("DEVNAME", dev);
    if (!args.ok()) return args.done();
    UPLANE_RETURN_IF_ERROR(refuse_driver_keywords(
        args, dev, {"METHOD", "QUEUE", "ZEROCOPY", "XDP_MODE", "RING_SIZE"}));
    UPLANE_RETURN_IF_ERROR(
        args.optional("BURST", burst_, 1u, graph::Batch::kMax).optional("DEBUG", debug).done());
    binding_ = ctx_->find(dev);
    if (binding_ == nullptr)
      return make_error(Errc::kInvalidArgument, "no host port '{}' (the host has: {})", dev,
                        ctx_->port_list());
    // A port that is not the tenant's is accepted and everything sent there is refused and
    // counted (egress_port_denied): the host enforces egress on the data path.
    return {};
  }

  Status initialize() override {
    if (input_is_pull(0)) add_task(true);
    return {};
  }

  void cleanup() noexcept override { graph::free_batch(pending_); }

  // Live replacement: what the old one had pulled and the port had not taken yet is sent
  // by this one (when it sends on the same port), so the swap loses nothing there.
  void take_state(graph::Element& old) noexcept override {
    auto* o = dynamic_cast<TenantToDevice*>(&old);
    if (o == nullptr || o->binding_ == nullptr || binding_ == nullptr ||
        o->binding_->name != binding_->name)
      return;
    count_.add(o->count_.get());
    drops_.add(o->drops_.get());
    if (o->pending_.empty()) return;
    if (input_is_pull(0) && pending_.empty()) {
      pending_ = o->pending_;
      o->pending_.clear();
      admit(pending_);  // this graph's egress rules
    }
  }

  void add_handlers() override {
    add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
    add_read_handler("drops", [this] { return fmt::format("{}\n", drops_.get()); });
    add_write_handler("reset_counts", [this](std::string_view) {
      count_.reset();
      drops_.reset();
      return Status();
    });
  }

  void push(int, graph::Batch& batch) noexcept override {
    admit(batch);
    for (int tries = 0; tries < 4 && !batch.empty(); ++tries) send(batch);
    if (!batch.empty()) {
      ctx_->counters->drop(TenantDrop::kTxFull, batch.size());
      drops_.add(batch.size());
      if (binding_->port != nullptr) binding_->port->count_tx_dropped(batch.size());
      graph::free_batch(batch);
    }
  }

  bool run_task(graph::Task&) noexcept override {
    bool worked = false;
    if (pending_.empty()) {
      input_pull(0, pending_, burst_);
      if (pending_.empty()) return false;
      worked = true;
      admit(pending_);
    }
    if (!pending_.empty()) worked |= send(pending_) != 0;
    return worked;
  }

 private:
  // Keeps the frames that may leave as this tenant; drops and counts the others.
  void admit(graph::Batch& b) noexcept {
    std::uint32_t kept = 0;
    for (std::uint32_t i = 0; i < b.size(); ++i) {
      mem::Packet* p = b[i];
      const TenantDrop why = ctx_->check_egress(*binding_, *p);
      if (why == TenantDrop::kCount) [[likely]] {
        b.data()[kept++] = p;
      } else {
        ctx_->counters->drop(why);
        drops_.add();
        mem::free_packet(p);
      }
    }
    b.set_size(kept);
  }

  // Hands the front of b to the port; counts what it took. The bytes are the port's own
  // count's growth over the call (the port and this graph share one thread).
  std::uint32_t send(graph::Batch& b) noexcept {
    io::Port& port = *binding_->port;
    const std::uint64_t bytes0 = port.tx_bytes_sent();
    const std::uint32_t sent = port.tx_burst(b);
    if (sent != 0) {
      ctx_->counters->tx_packets.add(sent);
      if (ctx_->accounting) ctx_->counters->tx_bytes.add(port.tx_bytes_sent() - bytes0);
      count_.add(sent);
    }
    return sent;
  }

  TenantContext* ctx_ = nullptr;
  PortBinding* binding_ = nullptr;
  std::uint32_t burst_ = graph::Batch::kMax;
  graph::Batch pending_;
  graph::Counter64 count_;
  graph::Counter64 drops_;
};

class TenantProcessLink final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "TenantProcessLink", .ports = "-/-", .processing = "h/h"};

  Status configure(graph::Args& args) override {
    ctx_ = context_of(*this);
    if (ctx_ == nullptr || ctx_->process == nullptr)
      return make_error(Errc::kInvalidArgument, "TenantProcessLink is the host's own element");
    std::uint32_t n = 0;
    UPLANE_RETURN_IF_ERROR(args.required("N", n).done());
    if (ninputs() != static_cast<int>(n) || noutputs() != static_cast<int>(n))
      return make_error(Errc::kInvalidArgument, "{} ports, {} inputs and {} outputs", n, ninputs(),
                        noutputs());
    proc_ = ctx_->process;
    return {};
  }
  Status initialize() override {
    add_task(true);
    // The process's answers are polled: the worker never sleeps longer than this between
    // looks (its ports wake it for what comes from outside).
    timer_ = add_timer();
    timer_->schedule_after_ms(1);
    return {};
  }
  void run_timer(graph::Timer& t) noexcept override { t.schedule_after_ms(1); }
  void add_handlers() override {
    add_read_handler("delivered", [this] { return fmt::format("{}\n", delivered_.get()); });
    add_read_handler("collected", [this] { return fmt::format("{}\n", collected_.get()); });
  }

  void push(int port, graph::Batch& b) noexcept override {
    adopt();
    TenantChild* c = cur_;
    if (c == nullptr) {
      ctx_->counters->drop(TenantDrop::kTenantDown, b.size());
      graph::free_batch(b);
      return;
    }
    delivered_.add(c->link().deliver(b, static_cast<std::uint16_t>(port)));
    if (!b.empty()) {
      // Its rx ring (or its pool) is full: it is slower than its traffic, or stalled.
      if (c->full_since_ns.load(std::memory_order_relaxed) == 0)
        c->full_since_ns.store(now_ns(), std::memory_order_relaxed);
      ctx_->counters->drop(TenantDrop::kLinkFull, b.size());
      graph::free_batch(b);
    } else if (c->full_since_ns.load(std::memory_order_relaxed) != 0) {
      c->full_since_ns.store(0, std::memory_order_relaxed);
    }
  }

  bool run_task(graph::Task&) noexcept override {
    adopt();
    bool worked = false;
    if (cur_ != nullptr) worked |= serve(*cur_);
    for (std::size_t i = 0; i < old_.size();) {
      TenantChild* c = old_[i];
      worked |= serve(*c);
      if (c->dead.load(std::memory_order_acquire)) {
        while (serve(*c)) {  // what it sent before it died still goes out (bounded: rings)
        }
        proc_->count_reclaimed(c->link().reclaim());
        c->reclaimed.store(true, std::memory_order_release);
        old_[i] = old_.back();
        old_.pop_back();
      } else {
        ++i;
      }
    }
    return worked;
  }

 private:
  // Moves to the child the supervisor published, keeping the previous one until it is dead.
  void adopt() noexcept {
    TenantChild* c = proc_->current();
    if (c == cur_) return;
    if (cur_ != nullptr) old_.push_back(cur_);
    cur_ = c;
  }
  // What the child sent goes out on its ports; its fill ring is topped up.
  bool serve(TenantChild& c) noexcept {
    // Up to as many bursts as the tenant's ports can bring in per pass, and then some: the
    // tenant's answers to a pass's deliveries fit in one look.
    bool worked = false;
    for (int k = 0; k < 2 * noutputs() + 2; ++k) {
      graph::Batch out;
      const std::uint32_t got = c.link().collect(router().pool(), out);
      if (got == 0) break;
      worked = true;
      send_out(out);
      if (got < graph::Batch::kMax) break;
    }
    (void)c.link().fill();
    return worked;
  }
  void send_out(graph::Batch& out) noexcept {
    const std::uint32_t got = out.size();
    {
      collected_.add(got);
      // Runs of the same port go out together.
      graph::Batch run;
      int port = -1;
      for (mem::Packet* p : out.packets()) {
        const int want = p->input_port();
        if (want >= noutputs()) {  // a port it does not have
          ctx_->counters->drop(TenantDrop::kEgressPort);
          mem::free_packet(p);
          continue;
        }
        if (want != port && !run.empty()) {
          output_push(port, run);
          run.clear();
        }
        port = want;
        p->set_input_port(mem::Packet::kNoPort);
        (void)run.push_back(p);
      }
      if (!run.empty()) output_push(port, run);
    }
  }

  TenantContext* ctx_ = nullptr;
  ProcessTenant* proc_ = nullptr;
  TenantChild* cur_ = nullptr;
  std::vector<TenantChild*> old_;  // leaving or dead, not yet reclaimed
  graph::Timer* timer_ = nullptr;
  graph::Counter64 delivered_, collected_;
};

}  // namespace

UPLANE_REGISTER_ELEMENT(TenantFromDevice);
UPLANE_REGISTER_ELEMENT(TenantProcessLink);
UPLANE_REGISTER_ELEMENT(TenantToDevice);

}  // namespace uplane::tenant
