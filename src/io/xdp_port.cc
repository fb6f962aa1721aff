#include "io/xdp_port.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/compiler.h"
#include "base/log.h"
#include "io/packet_port.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace uplane::io {
namespace {

constexpr std::uint32_t kXdpPacketHeadroom = 256;  // XDP_PACKET_HEADROOM in the kernel
constexpr std::uint32_t kFillChunk = 64;           // frames per get_bulk when refilling
constexpr std::uint32_t kFillMin = 32;             // refill once this many are missing
constexpr std::uint32_t kCompChunk = 64;           // completions per put_bulk
constexpr std::uint32_t kEtherHeader = 14;
constexpr std::uint32_t kMinMapEntries = 64;
constexpr std::uint8_t kMaxSlots = 255;
constexpr int kBindRetries = 200;  // EBUSY retries: up to a second in all
constexpr useconds_t kBindRetryUs = 5000;

// Identity of the calling thread's network namespace: an ifindex means something only
// inside one.
std::uint64_t current_netns() noexcept {
  struct stat st {};
  if (stat("/proc/thread-self/ns/net", &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_ino);
}

Status sys_error(int err, const std::string& device, std::string_view call) {
  return errno_error(err, fmt::format("xdp port {}: {}", device, call));
}

}  // namespace

// --- the UMEM: one per pool, shared by that pool's XDP ports ---

// Who uses a UMEM, and the per-frame marks. Membership changes under g_mu only; the marks
// are written on the data path by whoever holds each frame.
class XdpUmem {
 public:
  struct Member {
    const XdpPort* port;
    int fd;               // a bound socket of this UMEM: what the next port binds to
    std::uint64_t netns;  // with ifindex and queue: the fill/completion ring pair it owns
    std::uint32_t ifindex;
    std::uint32_t queue;
    std::string device;
  };

  explicit XdpUmem(mem::PacketPool& pool)
      : pool_id(pool.id()),
        area(pool.region()->base() + pool.frames_offset()),
        bytes(std::size_t{pool.frame_count()} * pool.frame_size()),
        owner(new std::atomic<std::uint8_t>[pool.frame_count()]) {
    // The kernel puts data XDP_PACKET_HEADROOM + headroom into a chunk; PacketPool::alloc
    // puts it sizeof(Packet) + pool headroom into a frame. Make them agree when they can.
    const std::uint32_t want = static_cast<std::uint32_t>(sizeof(mem::Packet)) + pool.headroom();
    headroom = want > kXdpPacketHeadroom ? want - kXdpPacketHeadroom : 0;
    for (std::uint32_t i = 0; i < pool.frame_count(); ++i)
      owner[i].store(0, std::memory_order_relaxed);
  }

  std::uint8_t take_slot() noexcept {
    for (std::uint32_t s = 1; s <= kMaxSlots; ++s) {
      if (!slot_used[s]) {
        slot_used[s] = true;
        return static_cast<std::uint8_t>(s);
      }
    }
    return 0;
  }

  std::uint16_t pool_id;
  std::byte* area;
  std::size_t bytes;
  std::uint32_t headroom = 0;
  // Per frame: 0, or the slot of the port whose kernel rings hold it. Relaxed: a frame's
  // mark is written by the thread that holds the frame, and read by a closing port only
  // for frames no running thread can hold (those its own, just-released socket held).
  std::unique_ptr<std::atomic<std::uint8_t>[]> owner;
  std::vector<Member> members;  // empty: no kernel UMEM (the next port registers one)
  bool slot_used[kMaxSlots + 1] = {};
  bool zero_copy = false;    // the mode the kernel fixed at the first bind
  std::string first_device;  // whose bind fixed it
};

// uplane's XDP program on one device: an XSKMAP and the redirect, attached by a BPF link.
struct XdpProgram {
  std::uint64_t netns = 0;
  std::uint32_t ifindex = 0;
  std::uint32_t max_entries = 0;
  bool skb_mode = false;
  UniqueFd map;
  UniqueFd prog;
  UniqueFd link;  // closing the last fd of the link detaches the program
  ~XdpProgram() {
    if (link.valid())
      UPLANE_LOG(kDebug, "xdp: detaching uplane's XDP program from ifindex {}", ifindex);
  }
};

namespace {

std::mutex g_mu;  // guards the two registries and every XdpUmem's membership
std::vector<std::weak_ptr<XdpUmem>> g_umems;
std::vector<std::weak_ptr<XdpProgram>> g_progs;

std::shared_ptr<XdpUmem> umem_for(mem::PacketPool& pool) {
  std::byte* area = pool.region()->base() + pool.frames_offset();
  std::erase_if(g_umems, [](const std::weak_ptr<XdpUmem>& w) { return w.expired(); });
  for (const auto& w : g_umems) {
    auto u = w.lock();
    if (u && u->pool_id == pool.id() && u->area == area) return u;
  }
  auto u = std::make_shared<XdpUmem>(pool);
  g_umems.push_back(u);
  return u;
}

// r2 = ctx->rx_queue_index; r1 = &xsks_map; r3 = XDP_PASS; return bpf_redirect_map(r1, r2, r3):
// the packet goes to the socket bound to its receive queue, or on up the stack if none is.
Result<UniqueFd> load_redirect_program(int map_fd, const std::string& device) {
  const bpf_insn insns[] = {
      {.code = BPF_LDX | BPF_W | BPF_MEM,
       .dst_reg = BPF_REG_2,
       .src_reg = BPF_REG_1,
       .off = offsetof(xdp_md, rx_queue_index),
       .imm = 0},
      {.code = BPF_LD | BPF_DW | BPF_IMM,
       .dst_reg = BPF_REG_1,
       .src_reg = BPF_PSEUDO_MAP_FD,
       .off = 0,
       .imm = map_fd},
      {.code = 0, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
      {.code = BPF_ALU64 | BPF_MOV | BPF_K,
       .dst_reg = BPF_REG_3,
       .src_reg = 0,
       .off = 0,
       .imm = XDP_PASS},
      {.code = BPF_JMP | BPF_CALL,
       .dst_reg = 0,
       .src_reg = 0,
       .off = 0,
       .imm = BPF_FUNC_redirect_map},
      {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
  };
  char log[1024] = {};
  bpf_prog_load_opts opts{};
  opts.sz = sizeof(opts);
  opts.expected_attach_type = BPF_XDP;
  opts.log_buf = log;
  opts.log_size = sizeof(log);
  opts.log_level = 1;
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "uplane_xsk", "Dual BSD/GPL", insns,
                               sizeof(insns) / sizeof(insns[0]), &opts);
  if (fd < 0) {
    const int e = -fd;
    if (e == EPERM || e == EACCES) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: bpf(BPF_PROG_LOAD): {} (needs CAP_BPF and CAP_NET_ADMIN, "
                        "or root)",
                        device, std::strerror(e));
    }
    return make_error(Errc::kSystem, "xdp port {}: bpf(BPF_PROG_LOAD): {}; verifier: {}", device,
                      std::strerror(e), log);
  }
  return UniqueFd(fd);
}

// How many receive queues the device may have (the XSKMAP is indexed by queue).
std::uint32_t device_max_queues(int ctl, const std::string& device) noexcept {
  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, device.data(), std::min(device.size(), sizeof(ifr.ifr_name) - 1));
  ifr.ifr_data = reinterpret_cast<char*>(&ch);
  if (ioctl(ctl, SIOCETHTOOL, &ifr) != 0) return 1;
  return std::max({ch.max_rx, ch.max_combined, ch.rx_count + ch.combined_count, 1u});
}

// The program on (this namespace, ifindex), loaded and attached if no port has it yet.
// Called under g_mu.
Result<std::shared_ptr<XdpProgram>> program_for(std::uint64_t netns, std::uint32_t ifindex,
                                                std::uint32_t queue, bool skb_mode,
                                                bool native_mode, int ctl,
                                                const std::string& device) {
  std::erase_if(g_progs, [](const std::weak_ptr<XdpProgram>& w) { return w.expired(); });
  for (const auto& w : g_progs) {
    auto p = w.lock();
    if (!p || p->netns != netns || p->ifindex != ifindex) continue;
    if ((skb_mode && !p->skb_mode) || (native_mode && p->skb_mode)) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: another port already attached uplane's XDP program to {} "
                        "in {} mode; open every XDP port of one device in the same mode",
                        device, device, p->skb_mode ? "generic (skb)" : "native");
    }
    if (queue >= p->max_entries) {
      return make_error(Errc::kInvalidArgument,
                        "xdp port {}: queue {} is beyond the {} queues the device's XDP program "
                        "was sized for",
                        device, queue, p->max_entries);
    }
    return p;
  }

  auto p = std::make_shared<XdpProgram>();
  p->netns = netns;
  p->ifindex = ifindex;
  p->skb_mode = skb_mode;
  p->max_entries = std::max({kMinMapEntries, device_max_queues(ctl, device), queue + 1});
  const int map = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "uplane_xsks", sizeof(std::uint32_t),
                                 sizeof(int), p->max_entries, nullptr);
  if (map < 0) {
    const int e = -map;
    if (e == EPERM || e == EACCES) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: bpf(BPF_MAP_CREATE, XSKMAP): {} (needs CAP_BPF and "
                        "CAP_NET_ADMIN, or root)",
                        device, std::strerror(e));
    }
    return sys_error(e, device, "bpf(BPF_MAP_CREATE, XSKMAP)");
  }
  p->map.reset(map);
  auto prog = load_redirect_program(map, device);
  if (!prog) return prog.status();
  p->prog = std::move(*prog);

  bpf_link_create_opts lo{};
  lo.sz = sizeof(lo);
  // No flag: the driver's XDP if it has one, else generic.
  lo.flags = skb_mode ? XDP_FLAGS_SKB_MODE : native_mode ? XDP_FLAGS_DRV_MODE : 0;
  const int link = bpf_link_create(p->prog.get(), static_cast<int>(ifindex), BPF_XDP, &lo);
  if (link < 0) {
    const int e = -link;
    if (e == EBUSY || e == EEXIST) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: bpf(BPF_LINK_CREATE): {}: the device already has an XDP "
                        "program that is not this process's (see `ip link show {}`; "
                        "`ip link set dev {} xdp off` removes one attached without a link)",
                        device, std::strerror(e), device, device);
    }
    if (e == EOPNOTSUPP || e == EINVAL || e == ERANGE) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: bpf(BPF_LINK_CREATE) in {} mode: {} (the driver refuses "
                        "XDP here: MTU too large for a single-buffer program?{})",
                        device, skb_mode ? "generic (skb)" : "native", std::strerror(e),
                        skb_mode ? "" : " try generic mode, XDP_MODE SKB");
    }
    return sys_error(e, device, "bpf(BPF_LINK_CREATE, BPF_XDP)");
  }
  p->link.reset(link);
  if (!skb_mode) {
    // With no mode flag the kernel chose: native when the driver has XDP, else generic.
    bpf_xdp_query_opts q{};
    q.sz = sizeof(q);
    if (bpf_xdp_query(static_cast<int>(ifindex), 0, &q) == 0 && q.attach_mode == XDP_ATTACHED_SKB)
      p->skb_mode = true;
  }
  UPLANE_LOG(kDebug, "xdp port {}: attached uplane's XDP program ({} mode, {} queues)", device,
             p->skb_mode ? "skb" : "native", p->max_entries);
  g_progs.push_back(p);
  return p;
}

}  // namespace

// --- XdpPort ---

XdpPort::XdpPort(const PortConfig& cfg, mem::PacketPool& pool)
    : Port(cfg.device, cfg.queue), pool_(pool) {}

XdpPort::~XdpPort() { release(); }

std::string_view XdpPort::xdp_mode() const noexcept {
  if (!prog_) return "none";
  return skb_mode_ ? "skb" : "native";
}

LinkState XdpPort::link_state() const noexcept {
  return link_ ? link_->state() : LinkState::kUnknown;
}

bool XdpPort::holds(std::uint32_t index) const noexcept {
  return umem_ && slot_ != 0 && index < frame_count_ &&
         umem_->owner[index].load(std::memory_order_relaxed) == slot_;
}

Result<std::unique_ptr<XdpPort>> XdpPort::open(const PortConfig& cfg, mem::PacketPool& pool) {
  UPLANE_RETURN_IF_ERROR(check_device_name(cfg.device, "xdp port"));
  const std::string& dev = cfg.device;
  if (!cfg.rx && !cfg.tx) {
    return make_error(Errc::kInvalidArgument,
                      "xdp port {}: neither receive nor transmit side requested", dev);
  }
  if (cfg.xdp_zero_copy && cfg.xdp_copy) {
    return make_error(Errc::kInvalidArgument, "xdp port {}: zero-copy and copy mode both requested",
                      dev);
  }
  if (!is_power_of_two(cfg.ring_size) || cfg.ring_size < kMinRingSize ||
      cfg.ring_size > kMaxRingSize) {
    return make_error(Errc::kInvalidArgument,
                      "xdp port {}: ring size {} is not a power of two in [{}, {}]", dev,
                      cfg.ring_size, kMinRingSize, kMaxRingSize);
  }
  const auto page = static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE));
  if (pool.frame_size() < 2048 || pool.frame_size() > page) {
    return make_error(Errc::kInvalidArgument,
                      "xdp port {}: pool '{}' has {}-byte frames; an AF_XDP UMEM chunk is 2048 "
                      "bytes up to the page size ({})",
                      dev, pool.name(), pool.frame_size(), page);
  }

  std::unique_ptr<XdpPort> port(new XdpPort(cfg, pool));
  port->ring_size_ = cfg.ring_size;
  port->frame_count_ = pool.frame_count();
  port->frame_shift_ = static_cast<std::uint32_t>(__builtin_ctz(pool.frame_size()));
  // Frames lent for receiving: the ring's worth, but no more than a quarter of the pool,
  // so that a few ports on one pool leave it frames to forward and transmit with.
  const std::uint32_t quarter = pool.frame_count() / 4;
  const std::uint32_t floor = std::min(64u, pool.frame_count() / 2);
  port->rx_budget_ = cfg.rx ? std::min(cfg.ring_size, std::max(quarter, floor)) : 0;

  port->ctl_.reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!port->ctl_.valid()) port->ctl_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!port->ctl_.valid()) return sys_error(errno, dev, "socket(AF_INET, SOCK_DGRAM)");
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, dev.data(), dev.size());
  if (ioctl(port->ctl_.get(), SIOCGIFINDEX, &ifr) != 0) {
    const int e = errno;
    if (e == ENODEV) {
      return make_error(Errc::kNotFound,
                        "xdp port {}: no such network device in this network namespace "
                        "(SIOCGIFINDEX)",
                        dev);
    }
    return sys_error(e, dev, "ioctl(SIOCGIFINDEX)");
  }
  port->ifindex_ = static_cast<std::uint32_t>(ifr.ifr_ifindex);
  port->link_ = std::make_unique<DeviceLink>(port->ctl_.get(), dev);
  port->link_->refresh();

  if (cfg.promiscuous) {
    // A membership of a packet socket that receives nothing (protocol 0): the kernel counts
    // it with any others and drops it when the socket closes, whatever ends the process.
    port->promisc_.reset(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    if (!port->promisc_.valid()) return sys_error(errno, dev, "socket(AF_PACKET) for PROMISC");
    packet_mreq mr{};
    mr.mr_ifindex = ifr.ifr_ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(port->promisc_.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0)
      return sys_error(errno, dev, "setsockopt(PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC)");
  }

  port->fd_.reset(socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (!port->fd_.valid()) {
    const int e = errno;
    if (e == EAFNOSUPPORT || e == EPROTONOSUPPORT) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: socket(AF_XDP): {} (this kernel has no AF_XDP sockets: "
                        "CONFIG_XDP_SOCKETS)",
                        dev, std::strerror(e));
    }
    if (e == EPERM || e == EACCES) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: socket(AF_XDP): {} (needs CAP_NET_RAW)", dev,
                        std::strerror(e));
    }
    return sys_error(e, dev, "socket(AF_XDP)");
  }

  {
    std::lock_guard lock(g_mu);
    UPLANE_RETURN_IF_ERROR(port->attach(cfg));
  }
  UPLANE_LOG(kDebug,
             "xdp port {} queue {}: {} copy, program {}, ring {}, {} frames lent for receiving, "
             "UMEM headroom {}",
             dev, cfg.queue, port->zero_copy_ ? "zero" : "kernel", port->xdp_mode(),
             port->ring_size_, port->rx_lent_, port->umem_->headroom);
  return port;
}

// Everything that touches the shared UMEM and program registries. Under g_mu. On error the
// caller destroys the port, whose release() undoes whatever was done.
Status XdpPort::attach(const PortConfig& cfg) {
  const std::string& dev = cfg.device;
  const std::uint64_t netns = current_netns();
  umem_ = umem_for(pool_);
  XdpUmem& u = *umem_;
  for (const auto& m : u.members) {
    if (m.netns == netns && m.ifindex == ifindex_ && m.queue == cfg.queue) {
      return make_error(Errc::kAlreadyExists,
                        "xdp port {}: queue {} is already open on pool '{}' (one port per "
                        "device queue and pool; FromDevice and ToDevice share it)",
                        dev, cfg.queue, pool_.name());
    }
  }
  const bool first = u.members.empty();
  if (!first) {
    if (cfg.xdp_zero_copy && !u.zero_copy) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: zero-copy requested, but pool '{}' already has an AF_XDP "
                        "UMEM in copy mode (fixed by its first port, {}); the kernel runs every "
                        "socket of a UMEM in one mode",
                        dev, pool_.name(), u.first_device);
    }
    if (cfg.xdp_copy && u.zero_copy) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: copy mode requested, but pool '{}' already has an AF_XDP "
                        "UMEM in zero-copy mode (fixed by its first port, {})",
                        dev, pool_.name(), u.first_device);
    }
  }
  slot_ = u.take_slot();
  if (slot_ == 0) {
    return make_error(Errc::kResourceExhausted,
                      "xdp port {}: pool '{}' already has {} XDP ports, the most one UMEM serves",
                      dev, pool_.name(), kMaxSlots);
  }
  const int fd = fd_.get();

  if (first) {
    xdp_umem_reg mr{};
    mr.addr = reinterpret_cast<std::uintptr_t>(u.area);
    mr.len = u.bytes;
    mr.chunk_size = pool_.frame_size();
    mr.headroom = u.headroom;
    int rc = setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr));
    if (rc != 0 && errno == ENOBUFS) {
      // Pinned UMEM pages count against RLIMIT_MEMLOCK unless we have CAP_IPC_LOCK.
      rlimit rl{};
      if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        UPLANE_LOG(kInfo, "xdp port {}: raising RLIMIT_MEMLOCK from {} to {} for the UMEM", dev,
                   rl.rlim_cur, rl.rlim_max);
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_MEMLOCK, &rl) == 0)
          rc = setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr));
      }
      if (rc != 0 && errno == ENOBUFS) {
        getrlimit(RLIMIT_MEMLOCK, &rl);
        return make_error(Errc::kResourceExhausted,
                          "xdp port {}: setsockopt(XDP_UMEM_REG): the UMEM of pool '{}' ({} "
                          "KiB) exceeds RLIMIT_MEMLOCK (soft {} KiB, hard {} KiB); raise it "
                          "(ulimit -l) or grant CAP_IPC_LOCK",
                          dev, pool_.name(), u.bytes >> 10, rl.rlim_cur >> 10, rl.rlim_max >> 10);
      }
    }
    if (rc != 0) return sys_error(errno, dev, "setsockopt(XDP_UMEM_REG)");
  }
  UPLANE_RETURN_IF_ERROR(setup_rings(cfg));

  sockaddr_xdp sxdp{};
  sxdp.sxdp_family = AF_XDP;
  sxdp.sxdp_ifindex = ifindex_;
  sxdp.sxdp_queue_id = cfg.queue;
  if (first) {
    sxdp.sxdp_flags = XDP_USE_NEED_WAKEUP;
    if (cfg.xdp_zero_copy) sxdp.sxdp_flags |= XDP_ZEROCOPY;
    if (cfg.xdp_copy) sxdp.sxdp_flags |= XDP_COPY;
  } else {
    // A socket sharing a UMEM takes its mode and need_wakeup from the socket it names.
    sxdp.sxdp_flags = XDP_SHARED_UMEM;
    sxdp.sxdp_shared_umem_fd = static_cast<std::uint32_t>(u.members.front().fd);
  }
  // A socket closed a moment ago may still hold the queue: the kernel lets go of it in
  // deferred work. Wait for that, briefly, before calling the queue taken.
  int rc = bind(fd, reinterpret_cast<const sockaddr*>(&sxdp), sizeof(sxdp));
  for (int tries = 0; rc != 0 && errno == EBUSY && tries < kBindRetries; ++tries) {
    usleep(kBindRetryUs);
    rc = bind(fd, reinterpret_cast<const sockaddr*>(&sxdp), sizeof(sxdp));
  }
  if (rc != 0) {
    const int e = errno;
    if (cfg.xdp_zero_copy && (e == EOPNOTSUPP || e == EPROTONOSUPPORT)) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: bind(XDP_ZEROCOPY): {}: the driver of {} offers no "
                        "zero-copy AF_XDP",
                        dev, std::strerror(e), dev);
    }
    if (!first && u.zero_copy && e == EOPNOTSUPP) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: bind(XDP_SHARED_UMEM): {}: pool '{}' has a zero-copy UMEM "
                        "(fixed by {}), which the driver of {} cannot do; use another pool",
                        dev, std::strerror(e), pool_.name(), u.first_device, dev);
    }
    if (e == EBUSY) {
      return make_error(Errc::kFailedPrecondition,
                        "xdp port {}: bind: {}: queue {} is in use by another AF_XDP socket "
                        "(waited {} ms for it)",
                        dev, std::strerror(e), cfg.queue, kBindRetries * kBindRetryUs / 1000);
    }
    if (e == EINVAL && cfg.queue > 0) {
      return make_error(Errc::kInvalidArgument,
                        "xdp port {}: bind: {} (has the device a queue {}?)", dev, std::strerror(e),
                        cfg.queue);
    }
    return sys_error(e, dev, "bind(AF_XDP)");
  }
  xdp_options opt{};
  socklen_t optlen = sizeof(opt);
  if (getsockopt(fd, SOL_XDP, XDP_OPTIONS, &opt, &optlen) == 0)
    zero_copy_ = (opt.flags & XDP_OPTIONS_ZEROCOPY) != 0;
  if (first) {
    u.zero_copy = zero_copy_;
    u.first_device = dev;
  }
  if (cfg.xdp_zero_copy && !zero_copy_) {
    return make_error(Errc::kFailedPrecondition,
                      "xdp port {}: zero-copy requested, but the kernel bound {} in copy mode", dev,
                      dev);
  }
  u.members.push_back({this, fd, netns, ifindex_, cfg.queue, dev});

  if (cfg.rx) {
    refill();
    auto prog = program_for(netns, ifindex_, cfg.queue, cfg.xdp_skb_mode, cfg.xdp_native_mode,
                            ctl_.get(), dev);
    if (!prog) return prog.status();
    prog_ = std::move(*prog);
    skb_mode_ = prog_->skb_mode;
    const std::uint32_t key = cfg.queue;
    const int value = fd;
    if (const int err = bpf_map_update_elem(prog_->map.get(), &key, &value, BPF_ANY); err != 0)
      return sys_error(-err, dev, "bpf(BPF_MAP_UPDATE_ELEM) of the XSKMAP");
  }
  return Status::ok();
}

Status XdpPort::setup_rings(const PortConfig& cfg) {
  const int fd = fd_.get();
  const std::string& dev = cfg.device;
  const int n = static_cast<int>(ring_size_);
  if (setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) != 0)
    return sys_error(errno, dev, "setsockopt(XDP_UMEM_FILL_RING)");
  if (setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) != 0)
    return sys_error(errno, dev, "setsockopt(XDP_UMEM_COMPLETION_RING)");
  if (cfg.rx && setsockopt(fd, SOL_XDP, XDP_RX_RING, &n, sizeof(n)) != 0)
    return sys_error(errno, dev, "setsockopt(XDP_RX_RING)");
  if (cfg.tx && setsockopt(fd, SOL_XDP, XDP_TX_RING, &n, sizeof(n)) != 0)
    return sys_error(errno, dev, "setsockopt(XDP_TX_RING)");

  xdp_mmap_offsets off{};
  socklen_t len = sizeof(off);
  if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &len) != 0)
    return sys_error(errno, dev, "getsockopt(XDP_MMAP_OFFSETS)");
  if (len != sizeof(off)) {
    return make_error(Errc::kFailedPrecondition,
                      "xdp port {}: getsockopt(XDP_MMAP_OFFSETS) has no ring flags: the kernel "
                      "predates need_wakeup (Linux 5.4)",
                      dev);
  }
  struct Ring {
    const xdp_ring_offset* o;
    std::size_t desc_size;
    off_t pgoff;
    bool want;
    const char* name;
  };
  const Ring rings[4] = {
      {&off.fr, sizeof(std::uint64_t), XDP_UMEM_PGOFF_FILL_RING, true, "fill"},
      {&off.cr, sizeof(std::uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING, true, "completion"},
      {&off.rx, sizeof(xdp_desc), XDP_PGOFF_RX_RING, cfg.rx, "RX"},
      {&off.tx, sizeof(xdp_desc), XDP_PGOFF_TX_RING, cfg.tx, "TX"},
  };
  for (int i = 0; i < 4; ++i) {
    if (!rings[i].want) continue;
    const std::size_t bytes = rings[i].o->desc + ring_size_ * rings[i].desc_size;
    void* m =
        mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, rings[i].pgoff);
    if (m == MAP_FAILED)
      return sys_error(errno, dev, fmt::format("mmap of the {} ring", rings[i].name));
    map_[i] = m;
    map_len_[i] = bytes;
  }
  // Producer rings keep cached_cons one ring ahead of the kernel's consumer (xsk.h's
  // convention); consumer rings start where the kernel's producer is.
  auto at = [](void* base, std::uint64_t o) { return static_cast<std::byte*>(base) + o; };
  auto init = [&](auto& r, int i, const xdp_ring_offset& o, bool producer) {
    r.mask = ring_size_ - 1;
    r.size = ring_size_;
    r.producer = reinterpret_cast<std::uint32_t*>(at(map_[i], o.producer));
    r.consumer = reinterpret_cast<std::uint32_t*>(at(map_[i], o.consumer));
    r.flags = reinterpret_cast<std::uint32_t*>(at(map_[i], o.flags));
    r.ring = at(map_[i], o.desc);
    r.cached_prod = *r.producer;
    r.cached_cons = *r.consumer + (producer ? ring_size_ : 0);
  };
  init(fill_, 0, off.fr, true);
  init(comp_, 1, off.cr, false);
  if (cfg.rx) init(rx_, 2, off.rx, false);
  if (cfg.tx) init(tx_, 3, off.tx, true);
  return Status::ok();
}

void XdpPort::release() noexcept {
  std::lock_guard lock(g_mu);
  if (prog_) {
    const std::uint32_t key = queue();
    // The map holds the socket: the entry goes first, so closing the fd releases it.
    if (const int rc = bpf_map_delete_elem(prog_->map.get(), &key); rc != 0 && rc != -ENOENT) {
      UPLANE_LOG(kError, "xdp port {}: removing queue {} from the XSKMAP: {}", device(), key,
                 std::strerror(-rc));
    }
    prog_.reset();  // the last port on the device detaches the program
  }
  for (int i = 0; i < 4; ++i) {
    if (map_[i] != nullptr) munmap(map_[i], map_len_[i]);
    map_[i] = nullptr;
  }
  if (umem_) {
    std::erase_if(umem_->members, [this](const XdpUmem::Member& m) { return m.port == this; });
  }
  // Releasing the socket unbinds it and waits out receives in flight (synchronize_net); in
  // copy mode nothing touches its frames after that (see xdp_port.h for zero-copy).
  fd_.reset();
  if (umem_ && slot_ != 0) {
    mem::Packet* back[kFillChunk];
    std::uint32_t n = 0;
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i < frame_count_; ++i) {
      if (umem_->owner[i].load(std::memory_order_relaxed) != slot_) continue;
      umem_->owner[i].store(0, std::memory_order_relaxed);
      back[n++] = pool_.packet(i);
      ++total;
      if (n == kFillChunk) {
        pool_.put_bulk(back, n);
        n = 0;
      }
    }
    if (n != 0) pool_.put_bulk(back, n);
    umem_->slot_used[slot_] = false;
    slot_ = 0;
    UPLANE_LOG(kDebug, "xdp port {}: {} frames back from the kernel on close", device(), total);
  }
  umem_.reset();
}

// --- receive side ---

void XdpPort::refill() noexcept {
  std::uint32_t want = rx_budget_ - rx_lent_;
  if (want < kFillMin && rx_lent_ >= kFillMin) return;
  std::atomic<std::uint8_t>* owner = umem_->owner.get();
  while (want != 0) {
    const std::uint32_t k = std::min(want, kFillChunk);
    mem::Packet* f[kFillChunk];
    if (!pool_.get_bulk(f, k)) return;  // the pool is dry: the kernel counts what it drops
    std::uint32_t idx = 0;
    // Cannot fail: the fill ring holds ring_size_ >= rx_budget_ >= everything lent.
    if (UPLANE_UNLIKELY(xsk_ring_prod__reserve(&fill_, k, &idx) != k)) {
      pool_.put_bulk(f, k);
      return;
    }
    for (std::uint32_t j = 0; j < k; ++j) {
      const std::uint32_t i = pool_.index_of(f[j]);
      owner[i].store(slot_, std::memory_order_relaxed);
      *xsk_ring_prod__fill_addr(&fill_, idx + j) = std::uint64_t{i} << frame_shift_;
    }
    xsk_ring_prod__submit(&fill_, k);  // release: the marks and addresses before the index
    rx_lent_ += k;
    want -= k;
  }
}

std::uint32_t XdpPort::rx_burst(mem::Batch& b) noexcept {
  if (UPLANE_UNLIKELY(rx_.ring == nullptr)) return 0;
  const std::uint32_t room = b.room();
  std::uint32_t idx = 0;
  const std::uint32_t n = room != 0 ? xsk_ring_cons__peek(&rx_, room, &idx) : 0;
  std::uint32_t got = 0;
  if (n != 0) {
    mem::Packet** out = b.data() + b.size();
    std::atomic<std::uint8_t>* owner = umem_->owner.get();
    const std::uint64_t mask = (std::uint64_t{1} << frame_shift_) - 1;
    const std::uint32_t frame_size = 1u << frame_shift_;
    mem::Packet* bad[mem::Batch::kMax];
    std::uint32_t nbad = 0;
    std::uint32_t foreign = 0;
    std::uint64_t bytes = 0;
    for (std::uint32_t k = 0; k < n; ++k) {
      const xdp_desc* d = xsk_ring_cons__rx_desc(&rx_, idx + k);
      const std::uint64_t i = d->addr >> frame_shift_;
      const auto off = static_cast<std::uint32_t>(d->addr & mask);
      if (UPLANE_UNLIKELY(i >= frame_count_)) {
        ++foreign;  // names no frame: nothing to give back
        continue;
      }
      mem::Packet* p = pool_.packet(static_cast<std::uint32_t>(i));
      owner[i].store(0, std::memory_order_relaxed);
      // The data must lie after the metadata and inside the frame.
      if (UPLANE_UNLIKELY(off < sizeof(mem::Packet) || off + d->len > frame_size)) {
        bad[nbad++] = p;
        continue;
      }
      p->reset(off - static_cast<std::uint32_t>(sizeof(mem::Packet)));
      (void)p->put(d->len);  // fits: checked above
      out[got++] = p;
      bytes += d->len;
    }
    xsk_ring_cons__release(&rx_, n);
    rx_lent_ -= n - foreign;
    b.set_size(b.size() + got);
    if (UPLANE_UNLIKELY(nbad != 0)) pool_.put_bulk(bad, nbad);
    if (UPLANE_UNLIKELY(nbad + foreign != 0)) add(c_.rx_errors, nbad + foreign);
    if (got != 0) {
      add(c_.rx_packets, got);
      add(c_.rx_bytes, bytes);
    }
  }
  refill();
  // A zero-copy driver that ran out of fill frames waits to be woken; copy mode never asks.
  if (UPLANE_UNLIKELY(xsk_ring_prod__needs_wakeup(&fill_))) {
    (void)recvfrom(fd_.get(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
  } else if (UPLANE_UNLIKELY(rx_stats_.due())) {
    fold_rx_stats();
  }
  return got;
}

void XdpPort::fold_rx_stats() noexcept {
  xdp_statistics s{};
  socklen_t len = sizeof(s);
  if (getsockopt(fd_.get(), SOL_XDP, XDP_STATISTICS, &s, &len) != 0) return;
  // In copy mode a packet dropped for want of a fill frame is in rx_dropped already (and in
  // rx_fill_ring_empty_descs too); in zero-copy mode the driver, not the socket, runs short,
  // and the empty-fill count is the kernel's only word on it.
  std::uint64_t dropped = s.rx_dropped + s.rx_ring_full;
  if (zero_copy_) dropped += s.rx_fill_ring_empty_descs;
  if (dropped > k_rx_dropped_) add(c_.rx_dropped, dropped - k_rx_dropped_);
  if (s.rx_invalid_descs > k_rx_invalid_) add(c_.rx_errors, s.rx_invalid_descs - k_rx_invalid_);
  k_rx_dropped_ = dropped;
  k_rx_invalid_ = s.rx_invalid_descs;
}

// --- transmit side ---

void XdpPort::reclaim_completions() noexcept {
  std::atomic<std::uint8_t>* owner = umem_->owner.get();
  for (std::uint32_t done = 0; done < ring_size_;) {
    std::uint32_t idx = 0;
    const std::uint32_t n = xsk_ring_cons__peek(&comp_, kCompChunk, &idx);
    if (n == 0) return;
    mem::Packet* f[kCompChunk];
    std::uint32_t m = 0;
    for (std::uint32_t k = 0; k < n; ++k) {
      const std::uint64_t i = *xsk_ring_cons__comp_addr(&comp_, idx + k) >> frame_shift_;
      if (UPLANE_UNLIKELY(i >= frame_count_)) continue;
      owner[i].store(0, std::memory_order_relaxed);
      f[m++] = pool_.packet(static_cast<std::uint32_t>(i));
    }
    xsk_ring_cons__release(&comp_, n);
    pool_.put_bulk(f, m);
    tx_in_flight_ -= std::min(tx_in_flight_, m);
    done += n;
    if (n < kCompChunk) return;
  }
}

void XdpPort::kick_tx() noexcept {
  if (sendto(fd_.get(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) return;
  // The kernel sends a bounded batch per call and says EAGAIN when more is left; the rest
  // are transient too (device busy or down): the descriptors wait in the ring.
  const int e = errno;
  if (e != EAGAIN && e != EBUSY && e != ENOBUFS && e != ENETDOWN && e != EINTR)
    add(c_.tx_errors, 1);
}

std::uint32_t XdpPort::tx_burst(mem::Batch& b) noexcept {
  if (UPLANE_UNLIKELY(tx_.ring == nullptr)) return 0;
  reclaim_completions();
  const std::uint32_t n = b.size();
  if (n == 0) return 0;
  const std::uint32_t room = std::min(n, ring_size_ - tx_in_flight_);
  std::uint32_t idx = 0;
  const std::uint32_t slots = room != 0 ? xsk_ring_prod__reserve(&tx_, room, &idx) : 0;
  if (slots == 0) {
    if (xsk_ring_prod__needs_wakeup(&tx_)) kick_tx();
    return 0;
  }
  std::atomic<std::uint8_t>* owner = umem_->owner.get();
  const std::uint32_t mtu = link_->mtu();
  mem::Packet* originals[mem::Batch::kMax];  // foreign frames, copied: freed once sent
  mem::Packet* bad[mem::Batch::kMax];
  std::uint32_t norig = 0;
  std::uint32_t nbad = 0;
  std::uint32_t k = 0;
  std::uint64_t bytes = 0;
  std::uint32_t i = 0;
  for (; i < n && k < slots; ++i) {
    mem::Packet* p = b[i];
    const std::uint32_t len = p->length();
    const std::uint8_t* data = p->data();
    const std::uint32_t limit = max_frame_length(data, len, mtu);
    if (UPLANE_UNLIKELY(len < kEtherHeader || len > limit)) {
      bad[nbad++] = p;
      continue;
    }
    if (UPLANE_UNLIKELY(!pool_.owns(p))) {
      mem::Packet* q = pool_.alloc();
      if (q == nullptr) break;  // no frame to copy into: it stays with the caller
      if (!q->assign(data, len, pool_.headroom())) {
        pool_.free(q);
        bad[nbad++] = p;
        continue;
      }
      originals[norig++] = p;
      p = q;
    }
    const std::uint32_t fi = pool_.index_of(p);
    owner[fi].store(slot_, std::memory_order_relaxed);
    xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, idx + k);
    d->addr = (std::uint64_t{fi} << frame_shift_) +
              static_cast<std::uint64_t>(p->data() - reinterpret_cast<std::uint8_t*>(p));
    d->len = len;
    d->options = 0;
    bytes += len;
    ++k;
  }
  tx_.cached_prod -= slots - k;  // give back the reserved slots left unused
  if (k != 0) {
    xsk_ring_prod__submit(&tx_, k);  // release: descriptors and frame bytes before the index
    tx_in_flight_ += k;
    if (xsk_ring_prod__needs_wakeup(&tx_)) kick_tx();
  }
  if (UPLANE_UNLIKELY(norig != 0)) {
    free_to_pools(pool_, originals, norig);
    tx_copied_.store(tx_copied_.load(std::memory_order_relaxed) + norig, std::memory_order_relaxed);
  }
  if (UPLANE_UNLIKELY(nbad != 0)) free_to_pools(pool_, bad, nbad);
  // What was not taken stays in b, in order.
  return finish_tx(b, i, k, bytes, nbad);
}

void XdpPort::housekeeping() noexcept {
  if (UPLANE_UNLIKELY(tx_.ring == nullptr)) return;
  reclaim_completions();
  // Acquire: pairs with the kernel's release of the consumer index as it takes descriptors.
  const std::uint32_t consumed = __atomic_load_n(tx_.consumer, __ATOMIC_ACQUIRE);
  if (consumed != tx_.cached_prod && xsk_ring_prod__needs_wakeup(&tx_)) {
    kick_tx();
  } else if (tx_stats_.due()) {
    fold_tx_stats();
    (void)link_->state();  // keeps the MTU that tx_burst checks current
  }
}

void XdpPort::fold_tx_stats() noexcept {
  xdp_statistics s{};
  socklen_t len = sizeof(s);
  if (getsockopt(fd_.get(), SOL_XDP, XDP_STATISTICS, &s, &len) != 0) return;
  if (s.tx_invalid_descs > k_tx_invalid_) {
    const std::uint64_t d = s.tx_invalid_descs - k_tx_invalid_;
    add(c_.tx_errors, d);
    // The kernel skips an invalid descriptor without completing it: its frame stays marked
    // (and comes back when the port closes), but no longer counts against the limit.
    tx_in_flight_ -= static_cast<std::uint32_t>(std::min<std::uint64_t>(tx_in_flight_, d));
  }
  k_tx_invalid_ = s.tx_invalid_descs;
}

Result<std::unique_ptr<Port>> open_xdp_port(const PortConfig& cfg, mem::PacketPool& pool) {
  auto port = XdpPort::open(cfg, pool);
  if (!port) return port.status();
  return std::unique_ptr<Port>(std::move(*port));
}

}  // namespace uplane::io
