// uplane-pktgen — a packet generator and sink on uplane's own ports, in the spirit of
// netmap's pkt-gen.
//
//   uplane-pktgen tx -i DEV [--method xdp|packet] [--rate PPS] [--size BYTES] [--flows N]
//                 [--duration SEC] [--count N] [--src-mac/--dst-mac/--src-ip/--dst-ip ...]
//   uplane-pktgen rx -i DEV [--method xdp|packet] [--duration SEC] [--count N] [--idle SEC]
//
// tx sends Ethernet/IPv4/UDP frames (pktgen/frame.h: valid checksums, a sequence number in
// the payload, N flows by UDP source port) out of one queue of DEV, through an io::Port
// (AF_XDP or AF_PACKET) on a PacketPool, in bursts of up to 32. --rate limits it with a
// token bucket on the monotonic clock, 5 ms (and at least 64 packets) deep; between bursts
// it sleeps, so a rate-limited generator leaves the CPU to others. rx counts every frame,
// and for the frames that carry a probe the sequence numbers: lost (gaps below the highest
// number seen) and reordered (at or below it).
//
// Both print one line a second (packets and bits per second over that second, and the
// running total) and a summary at the end, as key=value pairs a script can read:
//   tx summary: packets=N bytes=B duration=S pps=P bps=R unsent=U tx_errors=E
//   rx summary: packets=N bytes=B duration=S pps=P bps=R probes=Q lost=L reordered=O
//               rx_dropped=D rx_errors=E
// Bytes count frames without the Ethernet FCS. tx's duration runs from start to the last
// burst; rx's from the first packet to the last. Each stops at --duration, --count, (rx)
// --idle seconds without a packet after the first, or SIGINT/SIGTERM — then prints its
// summary and gives every frame back to the pool (exit status 1 if one is missing).
// Exit status: 0 done, 1 runtime error (device, permissions, leak), 2 bad arguments.

#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "base/cpu.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "io/port.h"
#include "mem/batch.h"
#include "mem/packet_pool.h"
#include "pktgen/frame.h"

namespace {

using uplane::Result;
using uplane::Status;
using uplane::io::Port;
using uplane::mem::Batch;
using uplane::mem::Packet;
using uplane::mem::PacketPool;
using uplane::pktgen::FrameBuilder;
using uplane::pktgen::FrameSpec;

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

void install_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  // A second signal kills: the first asks for a clean stop and a summary.
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

struct Options {
  std::string device;
  std::string method = "xdp";
  std::uint32_t queue = 0;
  std::uint32_t ring_size = 2048;
  bool xdp_skb = false;
  bool promisc = false;
  double duration = 0;      // seconds; 0 = no limit
  std::uint64_t count = 0;  // 0 = no limit
  double idle = 0;          // rx: seconds without a packet, after the first, that end the run
  bool quiet = false;
  // tx
  std::uint64_t rate = 0;  // packets per second; 0 = as fast as the port takes them
  std::uint32_t burst = Batch::kMax;
  std::uint32_t size = uplane::pktgen::kMinFrame;
  std::uint32_t flows = 1;
  std::string src_mac, dst_mac = "ff:ff:ff:ff:ff:ff", src_ip, dst_ip = "10.1.0.1";
  std::uint16_t src_port = 10000, dst_port = 9;
};

int fail(const std::string& msg) {
  std::fprintf(stderr, "uplane-pktgen: %s\n", msg.c_str());
  return 1;
}

// The device's MAC and first IPv4 address, from the kernel of this network namespace.
Result<uplane::net::EtherAddr> device_mac(const std::string& dev) {
  uplane::UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return uplane::errno_error(errno, "socket");
  ifreq ifr = {};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd.get(), SIOCGIFHWADDR, &ifr) != 0) {
    return uplane::errno_error(errno, "SIOCGIFHWADDR " + dev);
  }
  uplane::net::EtherAddr mac;
  std::memcpy(mac.bytes, ifr.ifr_hwaddr.sa_data, sizeof(mac.bytes));
  return mac;
}

std::optional<uplane::net::Ipv4Addr> device_ipv4(const std::string& dev) {
  uplane::UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return std::nullopt;
  ifreq ifr = {};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  ifr.ifr_addr.sa_family = AF_INET;
  if (ioctl(fd.get(), SIOCGIFADDR, &ifr) != 0) return std::nullopt;
  sockaddr_in sin;
  std::memcpy(&sin, &ifr.ifr_addr, sizeof(sin));
  return uplane::net::Ipv4Addr{uplane::net::be32_t::from_raw(sin.sin_addr.s_addr)};
}

Result<FrameSpec> frame_spec(const Options& o) {
  FrameSpec s;
  if (o.src_mac.empty()) {
    auto mac = device_mac(o.device);
    if (!mac) return mac.status();
    s.src_mac = *mac;
  } else {
    auto mac = uplane::net::EtherAddr::parse(o.src_mac);
    if (!mac) return uplane::make_error(uplane::Errc::kInvalidArgument, "--src-mac: {}",
                                        mac.status().message());
    s.src_mac = *mac;
  }
  auto dmac = uplane::net::EtherAddr::parse(o.dst_mac);
  if (!dmac) return uplane::make_error(uplane::Errc::kInvalidArgument, "--dst-mac: {}",
                                       dmac.status().message());
  s.dst_mac = *dmac;
  if (o.src_ip.empty()) {
    s.src_ip = device_ipv4(o.device).value_or(uplane::net::Ipv4Addr::from_octets(10, 0, 0, 1));
  } else {
    auto ip = uplane::net::Ipv4Addr::parse(o.src_ip);
    if (!ip) return uplane::make_error(uplane::Errc::kInvalidArgument, "--src-ip: {}",
                                       ip.status().message());
    s.src_ip = *ip;
  }
  auto dip = uplane::net::Ipv4Addr::parse(o.dst_ip);
  if (!dip) return uplane::make_error(uplane::Errc::kInvalidArgument, "--dst-ip: {}",
                                      dip.status().message());
  s.dst_ip = *dip;
  s.src_port = o.src_port;
  s.dst_port = o.dst_port;
  s.flows = o.flows;
  s.size = o.size;
  return s;
}

// The pool and the port, torn down in that order's reverse; the leak check in between.
struct Endpoint {
  std::unique_ptr<PacketPool> pool;
  std::unique_ptr<Port> port;
};

Result<Endpoint> open_endpoint(const Options& o, bool rx) {
  uplane::io::Method method{};
  if (!uplane::io::parse_method(o.method, &method) ||
      (method != uplane::io::Method::kXdp && method != uplane::io::Method::kPacket)) {
    return uplane::make_error(uplane::Errc::kInvalidArgument,
                              "--method '{}': expected xdp or packet", o.method);
  }
  uplane::mem::PoolConfig pc;
  pc.name = "pktgen";
  // AF_XDP lends at most a quarter of the pool to the kernel for receiving, and keeps up
  // to ring_size frames in flight when sending: four rings' worth leaves room for both.
  pc.frame_count = std::max<std::uint32_t>(4096, o.ring_size * 4);
  auto pool = PacketPool::create(pc);
  if (!pool) return pool.status();
  uplane::io::PortConfig cfg;
  cfg.device = o.device;
  cfg.queue = o.queue;
  cfg.ring_size = o.ring_size;
  cfg.promiscuous = o.promisc;
  cfg.rx = rx;
  cfg.tx = !rx;
  cfg.xdp_skb_mode = o.xdp_skb;
  auto port = uplane::io::open_port(method, cfg, **pool);
  if (!port) return port.status();
  Endpoint e;
  e.pool = std::move(*pool);
  e.port = std::move(*port);
  return e;
}

// Closes the port (it gives back every frame the kernel held) and checks the pool.
int close_endpoint(Endpoint& e) {
  e.port.reset();
  Status leaks = e.pool->check_no_leaks();
  if (!leaks.is_ok()) return fail("packet pool: " + leaks.message());
  return 0;
}

double seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }

void sleep_until_ns(std::uint64_t t) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(t / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(t % 1'000'000'000);
  // uplane::now_ns() is CLOCK_MONOTONIC; an early wake-up (a signal) just loops again.
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

// One line a second: rates over the last interval and the running total.
class Meter {
 public:
  Meter(const char* what, bool quiet, std::uint64_t start)
      : what_(what), quiet_(quiet), start_(start), last_t_(start), next_(start + kSecond) {}
  std::uint64_t next_report() const noexcept { return next_; }
  void maybe_report(std::uint64_t now, std::uint64_t packets, std::uint64_t bytes,
                    const char* extra = "") {
    if (now < next_) return;
    const double dt = seconds(now - last_t_);
    if (!quiet_ && dt > 0) {
      const double pps = static_cast<double>(packets - last_p_) / dt;
      const double bps = static_cast<double>(bytes - last_b_) * 8 / dt;
      std::printf("%s %7.2f s %11.0f pps %10.2f Mbit/s  total %" PRIu64 "%s\n", what_,
                  seconds(now - start_), pps, bps / 1e6, packets, extra);
      std::fflush(stdout);
    }
    last_t_ = now;
    last_p_ = packets;
    last_b_ = bytes;
    while (next_ <= now) next_ += kSecond;
  }

 private:
  static constexpr std::uint64_t kSecond = 1'000'000'000;
  const char* what_;
  bool quiet_;
  std::uint64_t start_, last_t_, next_;
  std::uint64_t last_p_ = 0, last_b_ = 0;
};

int run_tx(const Options& o) {
  auto spec = frame_spec(o);
  if (!spec) return fail(spec.status().message());
  auto builder = FrameBuilder::create(*spec);
  if (!builder) return fail(builder.status().message());
  auto ep = open_endpoint(o, /*rx=*/false);
  if (!ep) return fail(ep.status().message());
  PacketPool& pool = *ep->pool;
  Port& port = *ep->port;
  const FrameBuilder& fb = *builder;
  const std::uint32_t size = fb.size();
  if (pool.frame_size() - sizeof(Packet) - pool.headroom() < size) {
    return fail("packet pool frames are too small for " + std::to_string(size) + "-byte frames");
  }
  if (!o.quiet) {
    const std::string rate = o.rate == 0 ? "unlimited" : std::to_string(o.rate) + " pps";
    std::printf("tx on %s (%s): %u-byte frames, %u flow(s), %s -> %s, rate %s\n",
                o.device.c_str(), std::string(uplane::io::method_name(port.method())).c_str(),
                size, o.flows, spec->src_ip.to_string().c_str(),
                spec->dst_ip.to_string().c_str(), rate.c_str());
    std::fflush(stdout);
  }

  const std::uint64_t start = uplane::now_ns();
  const std::uint64_t end =
      o.duration > 0 ? start + static_cast<std::uint64_t>(o.duration * 1e9) : UINT64_MAX;
  const std::uint64_t limit = o.count > 0 ? o.count : UINT64_MAX;
  // Token bucket: `seq` packets may have been built by time t0 + seq * ns_per_pkt; credit
  // beyond `depth` packets is forfeited (t0 moves), so a stall never turns into a long
  // burst afterwards.
  const double ns_per_pkt = o.rate > 0 ? 1e9 / static_cast<double>(o.rate) : 0;
  // Five milliseconds of credit (at least two bursts): a wake-up that comes late, as on a
  // busy machine many do, catches up in a few back-to-back bursts instead of losing rate
  // (with 1 ms, --rate 100000 sent 4% less on two busy cores).
  const std::uint64_t depth = std::max<std::uint64_t>(o.rate / 200, 2 * Batch::kMax);
  // Aim for bursts that keep wake-ups at or under ~1000 a second, up to o.burst packets.
  const std::uint64_t target =
      o.rate > 0 ? std::clamp<std::uint64_t>(o.rate / 1000, 1, o.burst) : o.burst;
  double t0 = static_cast<double>(start);

  Meter meter("tx", o.quiet, start);
  Batch b;
  std::uint64_t seq = 0;   // frames built (= sent + in b + unsent at the end)
  std::uint64_t sent = 0;  // frames the port took
  std::uint64_t last_send = start;
  while (!g_stop.load(std::memory_order_relaxed)) {
    const std::uint64_t now = uplane::now_ns();
    meter.maybe_report(now, sent, sent * size);
    if (now >= end || sent >= limit) break;

    std::uint64_t room = std::min<std::uint64_t>(o.burst - std::min(o.burst, b.size()),
                                                 limit - seq);
    if (o.rate > 0) {
      double credit = (static_cast<double>(now) - t0) / ns_per_pkt - static_cast<double>(seq);
      if (credit > static_cast<double>(depth)) {
        t0 = static_cast<double>(now) - static_cast<double>(seq + depth) * ns_per_pkt;
        credit = static_cast<double>(depth);
      }
      room = std::min(room, credit > 0 ? static_cast<std::uint64_t>(credit) : 0);
    }
    if (room > 0) {
      const auto k = static_cast<std::uint32_t>(room);
      Packet** slots = b.data() + b.size();
      if (pool.alloc_bulk(slots, k)) {
        for (std::uint32_t i = 0; i < k; ++i) {
          Packet* p = slots[i];
          std::uint8_t* d = p->put(size);
          fb.write(d, seq + i);
        }
        b.set_size(b.size() + k);
        seq += k;
      }
    }
    if (!b.empty()) {
      const std::uint32_t n = port.tx_burst(b);
      sent += n;
      if (n > 0) last_send = now;
      if (!b.empty()) port.housekeeping();  // ring full: reclaim completions, kick
      if (o.rate == 0 || !b.empty()) continue;
    } else if (room > 0) {
      port.housekeeping();  // the pool ran dry: frames are still in flight
      continue;
    }
    // Rate-limited and up to date: sleep until `target` more packets are due (or the next
    // report, or the end), reclaiming completed frames first.
    port.housekeeping();
    const double due = t0 + static_cast<double>(seq + target) * ns_per_pkt;
    std::uint64_t wake = due >= static_cast<double>(UINT64_MAX) ? UINT64_MAX
                                                                 : static_cast<std::uint64_t>(due);
    wake = std::min({wake, meter.next_report(), end});
    if (wake > uplane::now_ns()) sleep_until_ns(wake);
  }
  const std::uint64_t unsent = b.size();
  if (!b.empty()) pool.put_bulk(b.data(), b.size());
  b.clear();
  // Let the kernel finish what it was given: completions come back within microseconds on
  // a veth; 50 ms of upkeep is plenty and bounded.
  for (int i = 0; i < 50; ++i) {
    port.housekeeping();
    sleep_until_ns(uplane::now_ns() + 1'000'000);
  }
  const auto pc = port.counters();
  const std::uint64_t bytes = sent * size;
  const double dur = seconds(std::max<std::uint64_t>(last_send - start, 1));
  std::printf("tx summary: packets=%" PRIu64 " bytes=%" PRIu64 " duration=%.3fs pps=%.0f "
              "bps=%.0f unsent=%" PRIu64 " tx_errors=%" PRIu64 " tx_dropped=%" PRIu64 "\n",
              sent, bytes, dur, static_cast<double>(sent) / dur,
              static_cast<double>(bytes) * 8 / dur, unsent, pc.tx_errors, pc.tx_dropped);
  std::fflush(stdout);
  return close_endpoint(*ep);
}

struct SeqStats {
  bool any = false;
  std::uint64_t first = 0, highest = 0, probes = 0, reordered = 0;

  void add(std::uint64_t seq) noexcept {
    ++probes;
    if (!any) {
      any = true;
      first = highest = seq;
    } else if (seq > highest) {
      highest = seq;
    } else {
      ++reordered;  // late, or a duplicate
    }
  }
  // Numbers between the first and the highest seen that never arrived (late arrivals fill
  // their gaps; duplicates can hide a loss).
  std::uint64_t lost() const noexcept {
    if (!any) return 0;
    const std::uint64_t span = highest - first + 1;
    return span > probes ? span - probes : 0;
  }
};

int run_rx(const Options& o) {
  auto ep = open_endpoint(o, /*rx=*/true);
  if (!ep) return fail(ep.status().message());
  PacketPool& pool = *ep->pool;
  Port& port = *ep->port;
  if (!o.quiet) {
    std::printf("rx on %s (%s)\n", o.device.c_str(),
                std::string(uplane::io::method_name(port.method())).c_str());
    std::fflush(stdout);
  }
  const std::uint64_t start = uplane::now_ns();
  const std::uint64_t end =
      o.duration > 0 ? start + static_cast<std::uint64_t>(o.duration * 1e9) : UINT64_MAX;
  const std::uint64_t idle_ns = static_cast<std::uint64_t>(o.idle * 1e9);
  const std::uint64_t limit = o.count > 0 ? o.count : UINT64_MAX;
  Meter meter("rx", o.quiet, start);
  Batch b;
  SeqStats st;
  std::uint64_t packets = 0, bytes = 0, first_rx = 0, last_rx = 0;
  int empty_polls = 0;
  char extra[64] = "";
  while (!g_stop.load(std::memory_order_relaxed) && st.probes < limit) {
    const std::uint32_t n = port.rx_burst(b);
    const std::uint64_t now = uplane::now_ns();
    if (n > 0) {
      for (Packet* p : b) {
        bytes += p->length();
        if (auto seq = uplane::pktgen::parse_probe({p->data(), p->length()})) st.add(*seq);
      }
      if (packets == 0) first_rx = now;
      packets += n;
      last_rx = now;
      pool.put_bulk(b.data(), b.size());
      b.clear();
      empty_polls = 0;
    }
    std::snprintf(extra, sizeof(extra), "  lost %" PRIu64, st.lost());
    meter.maybe_report(now, packets, bytes, extra);
    if (now >= end) break;
    if (idle_ns > 0 && packets > 0 && now - last_rx >= idle_ns) break;
    if (n == 0 && ++empty_polls > 64) {
      // Idle: sleep on the port's descriptor (or a short nap) instead of spinning, so the
      // sink leaves the CPU to the generator and the forwarder. 1 ms bounds each wait.
      if (int fd = port.wait_fd(); fd >= 0) {
        pollfd pfd{fd, POLLIN, 0};
        poll(&pfd, 1, 1);
      } else {
        sleep_until_ns(now + 100'000);
      }
    }
  }
  const auto pc = port.counters();
  const double dur = packets > 1 ? seconds(last_rx - first_rx) : seconds(uplane::now_ns() - start);
  const double safe = dur > 0 ? dur : 1e-9;
  std::printf("rx summary: packets=%" PRIu64 " bytes=%" PRIu64 " duration=%.3fs pps=%.0f "
              "bps=%.0f probes=%" PRIu64 " lost=%" PRIu64 " reordered=%" PRIu64
              " rx_dropped=%" PRIu64 " rx_errors=%" PRIu64 "\n",
              packets, bytes, dur, packets > 1 ? static_cast<double>(packets) / safe : 0.0,
              packets > 1 ? static_cast<double>(bytes) * 8 / safe : 0.0, st.probes, st.lost(),
              st.reordered, pc.rx_dropped, pc.rx_errors);
  std::fflush(stdout);
  return close_endpoint(*ep);
}

void add_common(CLI::App* c, Options& o) {
  c->add_option("-i,--interface", o.device, "Network device")->required();
  c->add_option("-m,--method", o.method, "xdp (AF_XDP) or packet (AF_PACKET)")
      ->capture_default_str();
  c->add_option("--queue", o.queue, "Device queue")->capture_default_str();
  c->add_option("--ring-size", o.ring_size, "Descriptors per ring, a power of two")
      ->capture_default_str();
  c->add_flag("--xdp-skb", o.xdp_skb, "Attach the XDP program in generic (skb) mode");
  c->add_option("-d,--duration", o.duration, "Stop after SEC seconds (0: no limit)")
      ->check(CLI::Range(0.0, 1e7));
  c->add_option("-n,--count", o.count, "Stop after N packets (rx: N probes; 0: no limit)");
  c->add_flag("-q,--quiet", o.quiet, "Print only the summary");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"uplane-pktgen: packet generator and sink on uplane's ports", "uplane-pktgen"};
  app.set_help_flag("--help", "Print this help and exit");
  app.require_subcommand(1);
  Options o;

  auto* tx = app.add_subcommand("tx", "Send UDP frames");
  tx->set_help_flag("--help", "Print this help and exit");
  add_common(tx, o);
  tx->add_option("-r,--rate", o.rate, "Packets per second (0: as fast as possible)");
  tx->add_option("-l,--size", o.size, "Frame size without FCS, 60..1514")
      ->check(CLI::Range(uplane::pktgen::kMinFrame, uplane::pktgen::kMaxFrame))
      ->capture_default_str();
  tx->add_option("-f,--flows", o.flows, "Flows (UDP source ports), 1..65536")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  tx->add_option("-b,--burst", o.burst, "Packets per burst, 1..32")
      ->check(CLI::Range(1u, Batch::kMax))
      ->capture_default_str();
  tx->add_option("--src-mac", o.src_mac, "Source MAC (default: the device's)");
  tx->add_option("--dst-mac", o.dst_mac, "Destination MAC")->capture_default_str();
  tx->add_option("--src-ip", o.src_ip, "Source IPv4 (default: the device's, else 10.0.0.1)");
  tx->add_option("--dst-ip", o.dst_ip, "Destination IPv4")->capture_default_str();
  tx->add_option("--src-port", o.src_port, "First UDP source port")->capture_default_str();
  tx->add_option("--dst-port", o.dst_port, "UDP destination port")->capture_default_str();

  auto* rx = app.add_subcommand("rx", "Count received frames and check probe sequences");
  rx->set_help_flag("--help", "Print this help and exit");
  add_common(rx, o);
  rx->add_flag("--promisc", o.promisc, "Put the device into promiscuous mode");
  rx->add_option("--idle", o.idle, "Stop SEC seconds after the last packet (0: never)")
      ->check(CLI::Range(0.0, 1e7));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (std::getenv("UPLANE_LOG") == nullptr) uplane::set_log_level(uplane::LogLevel::kWarn);
  // Wake-ups between bursts should be on time: 1 us of slack, not the default 50.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  install_signal_handlers();
  return *tx ? run_tx(o) : run_rx(o);
}
