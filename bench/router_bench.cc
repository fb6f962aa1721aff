// The classic IPv4 router, in process on one core, against DPDK doing the same work.
//
//   src -> Classifier(12/0800) -> Strip(14) -> CheckIPHeader -> <lookup over 1,000 routes>
//       -> DecIPTTL -> EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2) -> Discard
//
// The source is a bench-only element (RouterBenchSource, below): each batch takes fresh
// frames from the router's pool and copies into them the next of 1,024 prebuilt 60-byte
// Ethernet/IPv4/UDP packets, whose destinations fall inside routes picked at random from the
// table, so lookups spread over it. The table: 1,000 random prefixes shaped like a BGP
// table (60% /24, 30% /16../23, 8% /8../15, 2% longer than /24), each with one of 16
// gateways, plus a default route. Everything runs on EAL's main lcore (pinned to CPU 0).
//
// Cases (cycles are TSC cycles, base/cpu.h):
//   vs dpdk:
//     lpm_b32_direct   DirectIPLookup's table alone (32 prefetched lookups, as its push
//                      does) against rte_lpm_lookup_bulk over the same 32 addresses, each
//                      side also reading the next hop's gateway and port; cycles/lookup
//     lpm_b32_radix    the same with RadixIPLookup's table
//     router_bN_direct the whole router with DirectIPLookup, batches of N, against a plain
//                      DPDK loop doing the same per-packet work on rte_mbufs: alloc a burst
//                      from an rte_mempool, copy the template, check the EtherType, strip 14
//                      bytes, check the IP header (length, version, IHL, total length,
//                      checksum), trim, look up with rte_lpm, set the gateway, decrement the
//                      TTL with an incremental checksum, prepend the Ethernet header, free
//                      the burst; cycles/packet
//   vs target (100 cycles/packet, the project's goal at batch 32):
//     router_bN_<lookup>  the whole router with each lookup element, N = 1, 8, 32
// A table of Mpps (at the measured TSC rate) follows.
//
// Timing: each run is many chunks of about 2,048 packets (or lookups), each timed with the
// TSC; a run reports its median chunk, so time spent descheduled (the build machine is
// shared) lands in a few outlying chunks instead of the result. The harness then reports
// the median run and the spread.
//
// Usage: router_bench [--reps N] [--scale F] [--only SUBSTRING]

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/cpu.h"
#include "base/log.h"
#include "bench/harness.h"
#include "elements/ip/direct_ip_lookup.h"
#include "elements/ip/ip_lookup_trie.h"
#include "elements/ip/radix_ip_lookup.h"
#include "graph/config.h"
#include "graph/element.h"
#include "graph/registry.h"
#include "graph/router.h"
#include "net/checksum.h"
#include "net/ether.h"
#include "net/ipv4.h"

namespace uplane::bench {
namespace {

constexpr std::uint32_t kRoutes = 1000;
constexpr std::uint32_t kTemplates = 1024;  // a power of two
constexpr std::uint32_t kHops = 16;
constexpr std::uint32_t kPacketLen = 60;
constexpr std::uint32_t kSlot = 64;  // template stride
double g_scale = 1.0;

std::uint64_t scaled(double n) { return static_cast<std::uint64_t>(n * g_scale) + 1; }

// --- the workload ---

struct Route {
  std::uint32_t addr;  // host order, masked
  int len;
  std::uint32_t hop;  // 0..kHops-1
};

struct Workload {
  std::vector<Route> routes;            // kRoutes prefixes, then the default route
  std::uint32_t gw[kHops];              // host order
  std::vector<std::uint8_t> templates;  // kTemplates packets, kSlot bytes apart
  std::vector<std::uint32_t> dsts;      // each template's destination, host order
};

std::uint32_t mask_of(int len) { return len == 0 ? 0 : ~0u << (32 - len); }

Workload make_workload(std::uint32_t seed) {
  std::mt19937 rng(seed);
  Workload w;
  for (std::uint32_t h = 0; h < kHops; ++h) w.gw[h] = 0xac100001u + h;  // 172.16.0.(h+1)
  std::set<std::pair<std::uint32_t, int>> seen;
  while (w.routes.size() < kRoutes) {
    const std::uint32_t pick = rng() % 100;
    int len;
    if (pick < 2) {
      len = 25 + static_cast<int>(rng() % 8);
    } else if (pick < 10) {
      len = 8 + static_cast<int>(rng() % 8);
    } else if (pick < 40) {
      len = 16 + static_cast<int>(rng() % 8);
    } else {
      len = 24;
    }
    const std::uint32_t first_octet = 1 + rng() % 223;
    const std::uint32_t addr = ((first_octet << 24) | (rng() & 0x00ffffffu)) & mask_of(len);
    if (!seen.insert({addr, len}).second) continue;
    w.routes.push_back(Route{addr, len, static_cast<std::uint32_t>(rng() % kHops)});
  }
  w.routes.push_back(Route{0, 0, 0});

  w.templates.assign(std::size_t{kTemplates} * kSlot, 0);
  for (std::uint32_t t = 0; t < kTemplates; ++t) {
    const Route& r = w.routes[rng() % kRoutes];
    const std::uint32_t dst = r.addr | (rng() & ~mask_of(r.len));
    w.dsts.push_back(dst);
    std::uint8_t* p = w.templates.data() + std::size_t{t} * kSlot;
    auto* eth = reinterpret_cast<net::Ethernet*>(p);
    eth->dst = net::EtherAddr::parse("00:00:00:00:00:02").value();
    eth->src = net::EtherAddr::parse("00:00:00:00:00:01").value();
    eth->ether_type = net::kEtherTypeIpv4;
    auto* ip = reinterpret_cast<net::Ipv4*>(p + 14);
    ip->set_version_ihl();
    ip->tos = 0;
    ip->total_length = net::be16_t::from_host(kPacketLen - 14);
    ip->id = net::be16_t::from_host(static_cast<std::uint16_t>(t));
    ip->frag_off = net::be16_t::from_host(0);
    ip->ttl = 64;
    ip->protocol = net::kIpProtoUdp;
    ip->checksum = net::be16_t::from_host(0);
    ip->src = net::Ipv4Addr::from_host(0x0a000001u);  // 10.0.0.1
    ip->dst = net::Ipv4Addr::from_host(dst);
    ip->checksum = net::ipv4_header_checksum(*ip);
    std::uint8_t* udp = p + 34;  // ports 1234 -> 80, length 26, no checksum
    udp[0] = 0x04, udp[1] = 0xd2, udp[2] = 0, udp[3] = 80, udp[4] = 0, udp[5] = 26;
    for (std::uint32_t i = 42; i < kPacketLen; ++i) p[i] = static_cast<std::uint8_t>(i);
  }
  return w;
}

std::string routes_config(const Workload& w) {
  std::string s;
  for (const Route& r : w.routes) {
    if (!s.empty()) s += ", ";
    s += net::Ipv4Addr::from_host(r.addr).to_string() + "/" + std::to_string(r.len) + " " +
         net::Ipv4Addr::from_host(w.gw[r.hop]).to_string() + " 0";
  }
  return s;
}

// --- the uplane side ---

// Emits batches copied from the workload's templates, round robin. Bench only.
class RouterBenchSource final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "RouterBenchSource", .ports = "0/1", .processing = "h/h"};

  void set_templates(const std::uint8_t* t) { templates_ = t; }
  // Pushes `batches` batches of `burst` packets; returns the packets sent.
  std::uint64_t pump(std::uint64_t batches, std::uint32_t burst) noexcept {
    mem::PacketPool& pl = pool();
    std::uint64_t sent = 0;
    for (std::uint64_t n = 0; n < batches; ++n) {
      graph::Batch b;
      if (!pl.alloc_bulk(b.data(), burst)) [[unlikely]] {
        ++alloc_failures_;
        continue;
      }
      b.set_size(burst);
      for (std::uint32_t i = 0; i < burst; ++i) {
        std::uint8_t* d = b[i]->put(kPacketLen);
        std::memcpy(d, templates_ + std::size_t{next_} * kSlot, kPacketLen);
        next_ = (next_ + 1) & (kTemplates - 1);
      }
      sent += burst;
      output_push(0, b);
    }
    return sent;
  }
  std::uint64_t alloc_failures() const { return alloc_failures_; }

 private:
  const std::uint8_t* templates_ = nullptr;
  std::uint32_t next_ = 0;
  std::uint64_t alloc_failures_ = 0;
};
UPLANE_REGISTER_ELEMENT(RouterBenchSource);

struct UplaneRouter {
  std::unique_ptr<graph::Router> router;
  RouterBenchSource* src = nullptr;
  graph::Element* discard = nullptr;
};

Result<UplaneRouter> build_router(const Workload& w, const std::string& lookup_class) {
  const std::string config =
      "src :: RouterBenchSource -> Classifier(12/0800) -> Strip(14) -> CheckIPHeader -> rt :: " +
      lookup_class + "(" + routes_config(w) +
      ") -> DecIPTTL -> EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2) -> sink :: Discard;";
  auto flat = graph::parse_config(config, "router_bench.click");
  if (!flat.is_ok()) return flat.status();
  graph::RouterOptions opt;
  opt.threads = 1;
  opt.pin_threads = false;  // this thread is EAL's main lcore, already pinned
  opt.pool.name = "router_bench";
  opt.pool.frame_count = 4096;
  opt.pool.cache_size = 256;
  auto r = graph::Router::create(*flat, opt);
  if (!r.is_ok()) return r.status();
  UplaneRouter u;
  u.router = std::move(r).value();
  u.src = dynamic_cast<RouterBenchSource*>(u.router->find("src"));
  u.discard = u.router->find("sink");
  u.src->set_templates(w.templates.data());
  return u;
}

// The machine is shared (other builds run on both CPUs), so a run is timed as many short
// chunks of about kChunkPackets packets and reports the median chunk: a chunk in which this
// thread was descheduled counts as one outlier instead of inflating the whole run.
constexpr std::uint32_t kChunkPackets = 2048;

template <class Body>
double median_chunk(std::uint64_t total, std::uint32_t per_call, Body body) {
  const std::uint32_t calls = std::max<std::uint32_t>(1, kChunkPackets / per_call);
  const std::uint64_t chunks =
      std::max<std::uint64_t>(9, total / (std::uint64_t{calls} * per_call));
  for (std::uint32_t i = 0; i < calls * 4; ++i) body();  // warm up
  std::vector<double> per_item;
  per_item.reserve(chunks);
  for (std::uint64_t c = 0; c < chunks; ++c) {
    const std::uint64_t t0 = cycles_now();
    for (std::uint32_t i = 0; i < calls; ++i) body();
    const std::uint64_t t1 = cycles_now();
    per_item.push_back(static_cast<double>(t1 - t0) / (static_cast<double>(calls) * per_call));
  }
  return median(std::move(per_item));
}

// Cycles per packet, about `packets` packets in batches of `burst`.
double measure_uplane(UplaneRouter& u, std::uint32_t burst, double packets) {
  return median_chunk(scaled(packets), burst, [&] { u.src->pump(1, burst); });
}

// --- the DPDK side ---

struct DpdkRouter {
  rte_mempool* mp = nullptr;
  rte_lpm* lpm = nullptr;
  const Workload* w = nullptr;
  std::uint32_t gw_be[kHops];
  std::uint32_t next = 0;
  std::uint64_t forwarded = 0;
  std::uint64_t dropped = 0;

  // One burst through the same steps as the uplane graph.
  void burst(std::uint32_t n) {
    rte_mbuf* m[32];
    if (rte_pktmbuf_alloc_bulk(mp, m, n) != 0) [[unlikely]] {
      ++dropped;
      return;
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      char* d = rte_pktmbuf_append(m[i], kPacketLen);
      std::memcpy(d, w->templates.data() + std::size_t{next} * kSlot, kPacketLen);
      next = (next + 1) & (kTemplates - 1);
    }
    // Classifier(12/0800), Strip(14), CheckIPHeader.
    rte_mbuf* ok[32];
    std::uint32_t dst[32];
    std::uint32_t k = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      rte_mbuf* mb = m[i];
      const auto* eth = rte_pktmbuf_mtod(mb, const rte_ether_hdr*);
      if (mb->data_len < 14 || eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
        rte_pktmbuf_free(mb);
        ++dropped;
        continue;
      }
      rte_pktmbuf_adj(mb, 14);
      const auto* ip = rte_pktmbuf_mtod(mb, const rte_ipv4_hdr*);
      const std::uint32_t plen = mb->data_len;
      const std::uint32_t hlen = (ip->version_ihl & 0x0f) * 4u;
      const std::uint32_t tot = rte_be_to_cpu_16(ip->total_length);
      if (plen < 20 || (ip->version_ihl >> 4) != 4 || hlen < 20 || tot > plen || tot < hlen ||
          rte_raw_cksum(ip, hlen) != 0xffff) {
        rte_pktmbuf_free(mb);
        ++dropped;
        continue;
      }
      if (plen > tot) rte_pktmbuf_trim(mb, static_cast<std::uint16_t>(plen - tot));
      dst[k] = rte_be_to_cpu_32(ip->dst_addr);
      ok[k++] = mb;
    }
    // The lookup; the gateway becomes the packet's next-hop annotation (mbuf hash field).
    std::uint32_t hop[32];
    rte_lpm_lookup_bulk(lpm, dst, hop, k);
    rte_mbuf* out[32];
    std::uint32_t o = 0;
    for (std::uint32_t i = 0; i < k; ++i) {
      rte_mbuf* mb = ok[i];
      if (!(hop[i] & RTE_LPM_LOOKUP_SUCCESS)) {
        rte_pktmbuf_free(mb);
        ++dropped;
        continue;
      }
      const std::uint32_t g = gw_be[hop[i] & 0x00ffffff];
      mb->hash.rss = g != 0 ? g : rte_cpu_to_be_32(dst[i]);
      // DecIPTTL: RFC 1624 incremental update for the TTL byte going down by one.
      auto* ip = rte_pktmbuf_mtod(mb, rte_ipv4_hdr*);
      if (ip->time_to_live <= 1) {
        rte_pktmbuf_free(mb);
        ++dropped;
        continue;
      }
      --ip->time_to_live;
      std::uint32_t sum = (~rte_be_to_cpu_16(ip->hdr_checksum) & 0xffffu) + 0xfeffu;
      ip->hdr_checksum = rte_cpu_to_be_16(static_cast<std::uint16_t>(~(sum + (sum >> 16))));
      // EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2).
      auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(mb, 14));
      static constexpr rte_ether_addr kSrc{{1, 1, 1, 1, 1, 1}}, kDst{{2, 2, 2, 2, 2, 2}};
      eth->src_addr = kSrc;
      eth->dst_addr = kDst;
      eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
      out[o++] = mb;
    }
    // Discard.
    forwarded += o;
    rte_pktmbuf_free_bulk(out, o);
  }
};

double measure_dpdk(DpdkRouter& d, std::uint32_t burst, double packets) {
  return median_chunk(scaled(packets), burst, [&] { d.burst(burst); });
}

// --- the lookup alone ---

volatile std::uint64_t g_sink;

// 32 lookups at a time through a TrieRoutes, as the elements' push does: prefetch the
// first-level slot of each address, then look each up and read its next hop.
template <class Routes>
double measure_table(const Routes& routes, const Workload& w, double lookups) {
  std::uint64_t acc = 0;
  std::uint32_t next = 0;
  const double r = median_chunk(scaled(lookups), 32, [&] {
    const std::uint32_t* a = w.dsts.data() + next;
    for (std::uint32_t i = 0; i < 32; ++i) routes.prefetch(a[i]);
    for (std::uint32_t i = 0; i < 32; ++i) {
      const elements::NextHop& h = routes.lookup(a[i]);
      acc += h.gw_raw + static_cast<std::uint32_t>(h.code);
    }
    next = (next + 32) & (kTemplates - 1);
  });
  g_sink = acc;
  return r;
}

struct HopInfo {
  std::uint32_t gw_raw;
  std::int32_t port;
};

double measure_lpm(rte_lpm* lpm, const HopInfo* hops, const Workload& w, double lookups) {
  std::uint64_t acc = 0;
  std::uint32_t next = 0;
  std::uint32_t hop[32];
  const double r = median_chunk(scaled(lookups), 32, [&] {
    rte_lpm_lookup_bulk(lpm, w.dsts.data() + next, hop, 32);
    for (std::uint32_t i = 0; i < 32; ++i) {
      const HopInfo& h = hops[(hop[i] & RTE_LPM_LOOKUP_SUCCESS) ? (hop[i] & 0xffffff) : kHops];
      acc += h.gw_raw + static_cast<std::uint32_t>(h.port);
    }
    next = (next + 32) & (kTemplates - 1);
  });
  g_sink = acc;
  return r;
}

template <class Routes>
bool load_table(Routes& t, const Workload& w) {
  if (!t.init().is_ok()) return false;
  for (const Route& r : w.routes) {
    elements::IPRoute ir;
    ir.mask = mask_of(r.len);
    ir.addr = r.addr;
    ir.gw = w.gw[r.hop];
    ir.port = 0;
    if (t.add(ir, false, nullptr) != elements::IPRouteTable::Change::kOk) return false;
  }
  return true;
}

// Both sides must agree on every template's route before anything is timed.
template <class Routes>
bool tables_agree(const Routes& t, rte_lpm* lpm, const Workload& w) {
  for (std::uint32_t a : w.dsts) {
    std::uint32_t hop = 0;
    if (rte_lpm_lookup(lpm, a, &hop) != 0) return false;
    const elements::NextHop& h = t.lookup(a);
    if (h.port() != 0 || h.gw_host() != w.gw[hop]) return false;
  }
  return true;
}

}  // namespace
}  // namespace uplane::bench

int main(int argc, char** argv) {
  using namespace uplane;
  using namespace uplane::bench;
  const std::optional<Options> opts = parse_options(argc, argv);
  if (!opts) return 2;
  const int reps = opts->reps;
  g_scale = opts->scale;
  // Ordinary pages on both sides unless the host has hugepages for neither: DPDK's with
  // --no-huge, ours as the Region and the lookup tables find them.
  const char* eal_args[] = {"router_bench",   "--no-huge",   "-m", "1024", "--no-pci",
                            "--no-telemetry", "--no-shconf", "-l", "0",    "--log-level=*:error"};
  int eal_argc = static_cast<int>(sizeof(eal_args) / sizeof(eal_args[0]));
  if (rte_eal_init(eal_argc, const_cast<char**>(eal_args)) < 0) {
    std::fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  set_log_level(LogLevel::kWarn);
  const Workload w = make_workload(1);
  const double hz = cycles_per_second();

  // DPDK: the mbuf pool and the LPM table (the default route as two /1s: rte_lpm has no /0).
  rte_mempool* mp = rte_pktmbuf_pool_create("router_bench", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                            SOCKET_ID_ANY);
  rte_lpm_config lcfg{};
  lcfg.max_rules = 4096;
  lcfg.number_tbl8s = 1024;
  rte_lpm* lpm = rte_lpm_create("router_bench", SOCKET_ID_ANY, &lcfg);
  if (mp == nullptr || lpm == nullptr) {
    std::fprintf(stderr, "DPDK setup failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  for (const Route& r : w.routes) {
    const bool ok =
        r.len == 0
            ? rte_lpm_add(lpm, 0, 1, r.hop) == 0 && rte_lpm_add(lpm, 0x80000000u, 1, r.hop) == 0
            : rte_lpm_add(lpm, r.addr, static_cast<std::uint8_t>(r.len), r.hop) == 0;
    if (!ok) {
      std::fprintf(stderr, "rte_lpm_add failed\n");
      return 1;
    }
  }
  HopInfo hops[kHops + 1];
  for (std::uint32_t h = 0; h < kHops; ++h) hops[h] = {__builtin_bswap32(w.gw[h]), 0};
  hops[kHops] = {0, -1};
  DpdkRouter dpdk;
  dpdk.mp = mp;
  dpdk.lpm = lpm;
  dpdk.w = &w;
  for (std::uint32_t h = 0; h < kHops; ++h) dpdk.gw_be[h] = __builtin_bswap32(w.gw[h]);

  // Our tables alone.
  auto direct_table = std::make_unique<elements::TrieRoutes<elements::DirectIPLookup::Trie>>();
  auto radix_table = std::make_unique<elements::TrieRoutes<elements::RadixIPLookup::Trie>>();
  if (!load_table(*direct_table, w) || !load_table(*radix_table, w) ||
      !tables_agree(*direct_table, lpm, w) || !tables_agree(*radix_table, lpm, w)) {
    std::fprintf(stderr, "route tables disagree with rte_lpm\n");
    return 1;
  }

  // The four routers.
  const char* kLookups[] = {"DirectIPLookup", "RadixIPLookup", "LinearIPLookup", "StaticIPLookup"};
  std::vector<UplaneRouter> routers;
  for (const char* cls : kLookups) {
    auto r = build_router(w, cls);
    if (!r.is_ok()) {
      std::fprintf(stderr, "cannot build the %s router: %s\n", cls, r.status().message().c_str());
      return 1;
    }
    routers.push_back(std::move(r).value());
  }
  // A packet through each router must come out: check with one batch.
  for (std::size_t i = 0; i < routers.size(); ++i) {
    UplaneRouter& u = routers[i];
    u.src->pump(1, 32);
    auto count = u.router->read_handler("sink.count");
    if (!count.is_ok() || *count != "32\n") {
      std::fprintf(stderr, "the %s router did not forward a test batch (sink.count %s)\n",
                   kLookups[i], count.is_ok() ? count->c_str() : "?");
      return 1;
    }
  }

  std::printf(
      "router_bench: uplane vs DPDK %s, %d runs per case, scale %.2f, one core, TSC %.3f "
      "GHz\n",
      rte_version(), reps, g_scale, hz / 1e9);
  std::printf("%u routes + default, %u template packets of %u bytes, %u gateways\n", kRoutes,
              kTemplates, kPacketLen, kHops);
  std::printf("ratio = peer / uplane (cycles; above 1 means uplane is faster)\n\n");

  constexpr double kLookupsPerRun = 20e6;
  constexpr double kPacketsPerRun = 4e6;
  const std::uint32_t kBursts[] = {1, 8, 32};

  std::vector<Case> vs_dpdk;
  if (opts->wants("lpm_b32_direct"))
    vs_dpdk.push_back({"lpm_b32_direct", "cycles/lookup",
                       [&] { return measure_table(*direct_table, w, kLookupsPerRun); },
                       [&] { return measure_lpm(lpm, hops, w, kLookupsPerRun); }});
  if (opts->wants("lpm_b32_radix"))
    vs_dpdk.push_back({"lpm_b32_radix", "cycles/lookup",
                       [&] { return measure_table(*radix_table, w, kLookupsPerRun); },
                       [&] { return measure_lpm(lpm, hops, w, kLookupsPerRun); }});
  for (std::uint32_t b : kBursts) {
    const std::string name = "router_b" + std::to_string(b) + "_direct_vs_dpdk";
    if (!opts->wants(name)) continue;
    vs_dpdk.push_back({name, "cycles/pkt",
                       [&, b] { return measure_uplane(routers[0], b, kPacketsPerRun); },
                       [&, b] { return measure_dpdk(dpdk, b, kPacketsPerRun); }});
  }

  std::vector<Case> vs_target;
  const char* kShort[] = {"direct", "radix", "linear", "static"};
  for (std::size_t i = 0; i < routers.size(); ++i) {
    for (std::uint32_t b : kBursts) {
      const std::string name = "router_b" + std::to_string(b) + "_" + kShort[i];
      if (!opts->wants(name)) continue;
      // Linear search over 1,000 routes is slow by design: fewer packets keep runs short.
      const double packets = i >= 2 ? kPacketsPerRun / 8 : kPacketsPerRun;
      vs_target.push_back({name, "cycles/pkt",
                           [&, i, b, packets] { return measure_uplane(routers[i], b, packets); },
                           [] { return 100.0; }});
    }
  }

  std::vector<Outcome> results;
  if (!vs_dpdk.empty()) {
    auto r = run_cases(vs_dpdk, reps, "dpdk");
    results.insert(results.end(), r.begin(), r.end());
  }
  if (!vs_target.empty()) {
    std::printf("\n");
    auto r = run_cases(vs_target, reps, "target");
    results.insert(results.end(), r.begin(), r.end());
  }

  std::printf("\n%-26s %12s %10s %12s %10s\n", "case", "uplane c/p", "Mpps", "peer c/p", "Mpps");
  for (const Outcome& o : results) {
    const double u = median(o.ours), p = median(o.peer);
    const bool peer_is_rate =
        o.name.find("_vs_dpdk") != std::string::npos || o.name.rfind("lpm_", 0) == 0;
    if (peer_is_rate)
      std::printf("%-26s %12.1f %10.2f %12.1f %10.2f\n", o.name.c_str(), u, hz / u / 1e6, p,
                  hz / p / 1e6);
    else
      std::printf("%-26s %12.1f %10.2f %12s %10s\n", o.name.c_str(), u, hz / u / 1e6, "-", "-");
  }
  std::fflush(stdout);

  for (UplaneRouter& u : routers) {
    if (u.src->alloc_failures() != 0)
      std::fprintf(stderr, "warning: %llu allocation failures\n",
                   static_cast<unsigned long long>(u.src->alloc_failures()));
    Status st = u.router->cleanup_and_check_leaks();
    if (!st.is_ok()) std::fprintf(stderr, "leak check: %s\n", st.message().c_str());
  }
  if (dpdk.dropped != 0)
    std::fprintf(stderr, "warning: the DPDK loop dropped %llu packets\n",
                 static_cast<unsigned long long>(dpdk.dropped));
  rte_lpm_free(lpm);
  rte_mempool_free(mp);
  rte_eal_cleanup();
  return 0;
}
