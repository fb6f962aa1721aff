#include "io/packet_port.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/compiler.h"
#include "base/log.h"

namespace uplane::io {
namespace {

std::int64_t now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no system call
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// V3 receive ring: the kernel's per-frame "slot" size only sets tp_frame_nr; frames are
// packed into blocks by their real size. Sized so the ring holds ring_size full-size frames.
constexpr std::uint32_t kRxFrameSlot = 2048;
constexpr std::uint32_t kRxMaxBlockSize = 128 * 1024;
constexpr std::uint32_t kRxMinBlockSize = 16 * 1024;
constexpr std::uint32_t kRxMinBlocks = 32;
constexpr unsigned kRxRetireMs = 1;
constexpr std::uint32_t kMinRingSize = 64;
constexpr std::uint32_t kMaxRingSize = 65536;
// V2 transmit ring: slots per block.
constexpr std::uint32_t kTxSlotsPerBlock = 16;
// Where a V2 transmit slot's frame starts (the kernel's tp_hdrlen - sizeof(sockaddr_ll)).
constexpr std::uint32_t kTxDataOffset = TPACKET_ALIGN(sizeof(tpacket2_hdr));
// Where V3 puts the sockaddr_ll of a received frame, after its header.
constexpr std::uint32_t kRxSllOffset = TPACKET_ALIGN(sizeof(tpacket3_hdr));
constexpr std::int64_t kKickRetryNs = 1'000'000;
constexpr std::uint32_t kEtherHeader = 14;
constexpr std::uint32_t kVlanTag = 4;

std::uint32_t next_pow2(std::uint32_t x) noexcept {
  std::uint32_t p = 1;
  while (p < x) p <<= 1;
  return p;
}

Status sockopt(int fd, int level, int name, const void* val, socklen_t len,
               const std::string& device, std::string_view what) {
  if (setsockopt(fd, level, name, val, len) != 0) {
    return errno_error(errno, fmt::format("packet port {}: setsockopt({})", device, what));
  }
  return Status::ok();
}

Status int_sockopt(int fd, int name, int v, const std::string& device, std::string_view what) {
  return sockopt(fd, SOL_PACKET, name, &v, sizeof(v), device, what);
}

Result<UniqueFd> packet_socket(const std::string& device) {
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    const int e = errno;
    if (e == EPERM || e == EACCES) {
      return make_error(Errc::kFailedPrecondition,
                        "packet port {}: socket(AF_PACKET): {} (needs CAP_NET_RAW)", device,
                        std::strerror(e));
    }
    return errno_error(e, fmt::format("packet port {}: socket(AF_PACKET)", device));
  }
  return fd;
}

Result<int> ifindex_of(int fd, const std::string& device, std::string_view what) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, device.data(), device.size());
  if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) {
    const int e = errno;
    if (e == ENODEV) {
      return make_error(Errc::kNotFound, "{} {}: no such network device in this network namespace",
                        what, device);
    }
    return errno_error(e, fmt::format("{} {}: SIOCGIFINDEX", what, device));
  }
  return ifr.ifr_ifindex;
}

Status bind_to(int fd, int ifindex, std::uint16_t protocol, const std::string& device) {
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(protocol);
  sll.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<const sockaddr*>(&sll), sizeof(sll)) != 0) {
    return errno_error(errno, fmt::format("packet port {}: bind", device));
  }
  return Status::ok();
}

}  // namespace

// --- DeviceLink ---

DeviceLink::DeviceLink(int fd, const std::string& device) noexcept : fd_(fd) {
  std::memcpy(name_, device.data(), std::min(device.size(), sizeof(name_) - 1));
}

LinkState DeviceLink::state() const noexcept {
  if (now_ns() - read_ns_.load(std::memory_order_relaxed) >= kRefreshNs) return refresh();
  return static_cast<LinkState>(state_.load(std::memory_order_relaxed));
}

LinkState DeviceLink::refresh() const noexcept {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name_, sizeof(name_));
  LinkState s = LinkState::kUnknown;
  if (ioctl(fd_, SIOCGIFFLAGS, &ifr) == 0) {
    const bool up = (ifr.ifr_flags & IFF_UP) != 0 && (ifr.ifr_flags & IFF_RUNNING) != 0;
    s = up ? LinkState::kUp : LinkState::kDown;
  } else if (errno == ENODEV) {
    s = LinkState::kDown;  // the device is gone
  }
  ifreq mtu{};
  std::memcpy(mtu.ifr_name, name_, sizeof(name_));
  if (ioctl(fd_, SIOCGIFMTU, &mtu) == 0 && mtu.ifr_mtu > 0) {
    mtu_.store(static_cast<std::uint32_t>(mtu.ifr_mtu), std::memory_order_relaxed);
  }
  state_.store(static_cast<std::uint8_t>(s), std::memory_order_relaxed);
  read_ns_.store(now_ns(), std::memory_order_relaxed);
  return s;
}

Status check_device_name(const std::string& device, std::string_view what) {
  if (device.empty()) return make_error(Errc::kInvalidArgument, "{}: no device named", what);
  if (device.size() >= IFNAMSIZ) {
    return make_error(Errc::kInvalidArgument,
                      "{} '{}': a network device name has at most {} characters", what, device,
                      IFNAMSIZ - 1);
  }
  for (const char ch : device) {
    if (ch == '/' || ch == ':' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\0') {
      return make_error(Errc::kInvalidArgument, "{} '{}': not a valid network device name", what,
                        device);
    }
  }
  return Status::ok();
}

void free_to_pools(mem::PacketPool& pool, mem::Packet* const* pkts, std::uint32_t n) noexcept {
  if (n == 0) return;
  if (UPLANE_LIKELY(pool.owns_all(pkts, n))) {
    pool.put_bulk(pkts, n);
    return;
  }
  for (std::uint32_t i = 0; i < n; ++i) mem::free_packet(pkts[i]);
}

// --- PacketPort ---

PacketPort::PacketPort(const PortConfig& cfg, mem::PacketPool& pool)
    : Port(cfg.device, cfg.queue), pool_(pool) {}

PacketPort::~PacketPort() {
  if (rx_ring_ != nullptr) munmap(rx_ring_, rx_ring_bytes_);
  if (tx_ring_ != nullptr) munmap(tx_ring_, tx_ring_bytes_);
}

Result<std::unique_ptr<PacketPort>> PacketPort::open(const PortConfig& cfg, mem::PacketPool& pool) {
  UPLANE_RETURN_IF_ERROR(check_device_name(cfg.device, "packet port"));
  if (!cfg.rx && !cfg.tx) {
    return make_error(Errc::kInvalidArgument,
                      "packet port {}: neither receive nor transmit side requested", cfg.device);
  }
  if (!is_power_of_two(cfg.ring_size) || cfg.ring_size < kMinRingSize ||
      cfg.ring_size > kMaxRingSize) {
    return make_error(Errc::kInvalidArgument,
                      "packet port {}: ring size {} is not a power of two in [{}, {}]", cfg.device,
                      cfg.ring_size, kMinRingSize, kMaxRingSize);
  }
  if (cfg.packet_fanout > 0x10000) {
    return make_error(Errc::kInvalidArgument,
                      "packet port {}: fanout group {} out of range (group ids are 0..65535)",
                      cfg.device, cfg.packet_fanout - 1);
  }
  auto probe = packet_socket(cfg.device);
  if (!probe) return probe.status();
  auto ifindex = ifindex_of(probe->get(), cfg.device, "packet port");
  if (!ifindex) return ifindex.status();

  std::unique_ptr<PacketPort> port(new PacketPort(cfg, pool));
  if (cfg.rx) UPLANE_RETURN_IF_ERROR(port->open_rx(cfg, *ifindex));
  if (cfg.tx) UPLANE_RETURN_IF_ERROR(port->open_tx(cfg, *ifindex));
  port->link_ = std::make_unique<DeviceLink>(
      port->rx_fd_.valid() ? port->rx_fd_.get() : port->tx_fd_.get(), cfg.device);
  port->link_->refresh();
  port->kick_ns_ = now_ns();
  UPLANE_LOG(kDebug,
             "packet port {}: rx ring {} x {} KiB blocks, tx ring {} slots of {} B, link {}",
             cfg.device, port->rx_block_nr_, port->rx_block_size_ / 1024, port->tx_frame_nr_,
             port->tx_frame_size_, link_state_name(port->link_->state()));
  return port;
}

Status PacketPort::open_rx(const PortConfig& cfg, int ifindex) {
  const std::string& dev = cfg.device;
  auto fd = packet_socket(dev);
  if (!fd) return fd.status();
  rx_fd_ = std::move(*fd);
  const int s = rx_fd_.get();
  UPLANE_RETURN_IF_ERROR(int_sockopt(s, PACKET_VERSION, TPACKET_V3, dev, "PACKET_VERSION V3"));

  const std::uint32_t total = cfg.ring_size * kRxFrameSlot;
  // Many blocks rather than few: the kernel retires a block after kRxRetireMs even when it
  // holds one frame, so at a low rate a ring of N blocks covers only N ms of a worker not
  // reading (descheduled, say); 32 blocks ride out 32 ms.
  rx_block_size_ = std::clamp(total / kRxMinBlocks, kRxMinBlockSize, kRxMaxBlockSize);
  rx_block_nr_ = total / rx_block_size_;
  tpacket_req3 req{};
  req.tp_block_size = rx_block_size_;
  req.tp_block_nr = rx_block_nr_;
  req.tp_frame_size = kRxFrameSlot;
  req.tp_frame_nr = rx_block_size_ / kRxFrameSlot * rx_block_nr_;
  req.tp_retire_blk_tov = kRxRetireMs;
  UPLANE_RETURN_IF_ERROR(
      sockopt(s, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req), dev, "PACKET_RX_RING"));
  rx_ring_bytes_ = std::size_t{rx_block_size_} * rx_block_nr_;
  void* m = mmap(nullptr, rx_ring_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, s, 0);
  if (m == MAP_FAILED) {
    return errno_error(errno, fmt::format("packet port {}: mmap of the receive ring", dev));
  }
  rx_ring_ = static_cast<std::byte*>(m);

  const int one = 1;
  if (setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0) {
    filter_outgoing_ = true;  // kernels before 4.20: drop PACKET_OUTGOING frames ourselves
    UPLANE_LOG(kDebug, "packet port {}: no PACKET_IGNORE_OUTGOING ({}); filtering in user space",
               dev, std::strerror(errno));
  }
  // Bound to the protocol only now that the ring exists, so nothing queues up before it.
  UPLANE_RETURN_IF_ERROR(bind_to(s, ifindex, ETH_P_ALL, dev));
  if (cfg.packet_fanout != 0) {
    const int arg = static_cast<int>((cfg.packet_fanout - 1) | (PACKET_FANOUT_HASH << 16));
    UPLANE_RETURN_IF_ERROR(sockopt(s, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg), dev,
                                   fmt::format("PACKET_FANOUT group {}", cfg.packet_fanout - 1)));
  }
  if (cfg.promiscuous) {
    packet_mreq mr{};
    mr.mr_ifindex = ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    UPLANE_RETURN_IF_ERROR(sockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr), dev,
                                   "PACKET_ADD_MEMBERSHIP promiscuous"));
  }
  // Start the drop count from zero: what the kernel counted before the ring existed is not ours.
  tpacket_stats_v3 st{};
  socklen_t len = sizeof(st);
  (void)getsockopt(s, SOL_PACKET, PACKET_STATISTICS, &st, &len);
  return Status::ok();
}

Status PacketPort::open_tx(const PortConfig& cfg, int ifindex) {
  const std::string& dev = cfg.device;
  auto fd = packet_socket(dev);
  if (!fd) return fd.status();
  tx_fd_ = std::move(*fd);
  const int s = tx_fd_.get();
  UPLANE_RETURN_IF_ERROR(int_sockopt(s, PACKET_VERSION, TPACKET_V2, dev, "PACKET_VERSION V2"));
  // A slot the kernel cannot send (bad header) goes back to AVAILABLE instead of stopping
  // the ring at TP_STATUS_WRONG_FORMAT.
  UPLANE_RETURN_IF_ERROR(int_sockopt(s, PACKET_LOSS, 1, dev, "PACKET_LOSS"));
  const int one = 1;
  if (setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0) {
    UPLANE_LOG(kDebug, "packet port {}: no PACKET_QDISC_BYPASS ({})", dev, std::strerror(errno));
  }
  // Room in the socket's send budget for a full ring in flight; root may exceed wmem_max.
  const int sndbuf = static_cast<int>(
      std::min<std::uint64_t>(std::uint64_t{cfg.ring_size} * 4096, std::uint64_t{1} << 30));
  if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) != 0) {
    (void)setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  }

  // A slot holds the largest frame a pool frame can carry.
  tx_frame_size_ = std::max<std::uint32_t>(
      2048, next_pow2(pool_.frame_size() - static_cast<std::uint32_t>(sizeof(mem::Packet)) +
                      kTxDataOffset));
  tx_max_data_ = tx_frame_size_ - kTxDataOffset;
  tx_frame_nr_ = cfg.ring_size;
  tpacket_req req{};
  req.tp_block_size = tx_frame_size_ * kTxSlotsPerBlock;
  req.tp_block_nr = tx_frame_nr_ / kTxSlotsPerBlock;
  req.tp_frame_size = tx_frame_size_;
  req.tp_frame_nr = tx_frame_nr_;
  UPLANE_RETURN_IF_ERROR(
      sockopt(s, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req), dev, "PACKET_TX_RING"));
  tx_ring_bytes_ = std::size_t{req.tp_block_size} * req.tp_block_nr;
  void* m = mmap(nullptr, tx_ring_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, s, 0);
  if (m == MAP_FAILED) {
    return errno_error(errno, fmt::format("packet port {}: mmap of the transmit ring", dev));
  }
  tx_ring_ = static_cast<std::byte*>(m);
  // Protocol 0: this socket sends only; the kernel delivers it nothing to receive.
  return bind_to(s, ifindex, 0, dev);
}

std::uint32_t PacketPort::rx_burst(mem::Batch& b) noexcept {
  const std::uint32_t room = b.room();
  if (UPLANE_UNLIKELY(rx_ring_ == nullptr || room == 0)) return 0;

  // 1. Find up to `room` frames in the blocks the kernel has handed over.
  const tpacket3_hdr* hdrs[mem::Batch::kMax];
  std::uint32_t n = 0;
  std::uint32_t done = 0;  // blocks read to the end, from rx_block_ on
  std::uint32_t errors = 0;
  std::uint32_t blk = rx_block_;
  std::uint32_t left = rx_left_;
  std::uint32_t off = rx_next_off_;
  auto finish_block = [&]() noexcept {
    left = 0;
    ++done;
    blk = blk + 1 == rx_block_nr_ ? 0 : blk + 1;
  };
  while (n < room) {
    if (left == 0) {
      // Every block was visited once in this burst: the next one is still ours, unreleased.
      if (done == rx_block_nr_) break;
      auto* bd = reinterpret_cast<tpacket_block_desc*>(rx_block(blk));
      // Acquire: pairs with the kernel's release of the block (smp_wmb before it flips
      // block_status to TP_STATUS_USER), so the frames in it are complete.
      if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0)
        break;
      left = bd->hdr.bh1.num_pkts;
      off = bd->hdr.bh1.offset_to_first_pkt;
      if (left == 0) {
        finish_block();
        continue;
      }
    }
    // The kernel writes these headers; still, never read past the block.
    if (UPLANE_UNLIKELY(off > rx_block_size_ - sizeof(tpacket3_hdr))) {
      errors += left;
      finish_block();
      continue;
    }
    const auto* h = reinterpret_cast<const tpacket3_hdr*>(rx_block(blk) + off);
    if (UPLANE_UNLIKELY(std::uint64_t{h->tp_mac} + h->tp_snaplen > rx_block_size_ - off)) {
      errors += left;
      finish_block();
      continue;
    }
    const bool outgoing =
        filter_outgoing_ &&
        reinterpret_cast<const sockaddr_ll*>(reinterpret_cast<const std::byte*>(h) + kRxSllOffset)
                ->sll_pkttype == PACKET_OUTGOING;
    if (!outgoing) hdrs[n++] = h;
    if (--left == 0) {
      finish_block();
    } else if (UPLANE_UNLIKELY(h->tp_next_offset == 0)) {
      errors += left;
      finish_block();
    } else {
      off += h->tp_next_offset;
    }
  }

  // 2. One get from the pool for the burst; what it cannot supply is dropped and counted.
  mem::Packet** out = b.data() + b.size();
  std::uint32_t got = n;
  if (n != 0 && UPLANE_UNLIKELY(!pool_.alloc_bulk(out, n))) {
    got = 0;
    while (got < n && pool_.alloc_bulk(out + got, 1)) ++got;
  }

  // 3. Copy each frame out, putting back the 802.1Q tag the kernel took off.
  mem::Packet* spare[mem::Batch::kMax];
  std::uint32_t nspare = 0;
  std::uint32_t w = 0;
  std::uint64_t bytes = 0;
  for (std::uint32_t i = 0; i < got; ++i) {
    mem::Packet* p = out[i];
    const tpacket3_hdr* h = hdrs[i];
    const std::uint32_t snap = h->tp_snaplen;
    const bool vlan = (h->tp_status & TP_STATUS_VLAN_VALID) != 0;
    const std::uint32_t len = snap + (vlan ? kVlanTag : 0);
    std::uint8_t* d;
    if (UPLANE_UNLIKELY(snap < h->tp_len || snap < (vlan ? 12u : 0u)) ||
        UPLANE_UNLIKELY((d = p->put(len)) == nullptr)) {
      spare[nspare++] = p;  // truncated by the kernel, or longer than a pool frame holds
      ++errors;
      continue;
    }
    const auto* src = reinterpret_cast<const std::uint8_t*>(h) + h->tp_mac;
    if (vlan) {
      const std::uint16_t tpid =
          (h->tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 ? h->hv1.tp_vlan_tpid : ETH_P_8021Q;
      const std::uint16_t tci = h->hv1.tp_vlan_tci;
      std::memcpy(d, src, 12);
      d[12] = static_cast<std::uint8_t>(tpid >> 8);
      d[13] = static_cast<std::uint8_t>(tpid);
      d[14] = static_cast<std::uint8_t>(tci >> 8);
      d[15] = static_cast<std::uint8_t>(tci);
      std::memcpy(d + 16, src + 12, snap - 12);
    } else {
      std::memcpy(d, src, snap);
    }
    p->set_timestamp_ns(std::uint64_t{h->tp_sec} * 1'000'000'000 + h->tp_nsec);
    const std::uint8_t type =
        reinterpret_cast<const sockaddr_ll*>(reinterpret_cast<const std::byte*>(h) + kRxSllOffset)
            ->sll_pkttype;
    // PACKET_HOST..PACKET_OTHERHOST have Click's numbering (mem::PacketType).
    if (type <= PACKET_OTHERHOST) p->set_packet_type(static_cast<mem::PacketType>(type));
    out[w++] = p;
    bytes += len;
  }
  if (nspare != 0) pool_.put_bulk(spare, nspare);
  b.set_size(b.size() + w);

  // 4. Give the finished blocks back. Release: our reads of the frames happen before the
  // kernel may refill the block (it reads block_status before writing).
  std::uint32_t k = rx_block_;
  for (std::uint32_t i = 0; i < done; ++i) {
    auto* bd = reinterpret_cast<tpacket_block_desc*>(rx_block(k));
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    k = k + 1 == rx_block_nr_ ? 0 : k + 1;
  }
  rx_block_ = blk;
  rx_left_ = left;
  rx_next_off_ = off;

  if (w != 0) {
    add(c_.rx_packets, w);
    add(c_.rx_bytes, bytes);
  }
  if (UPLANE_UNLIKELY(got != n)) add(c_.rx_dropped, n - got);
  if (UPLANE_UNLIKELY(errors != 0)) add(c_.rx_errors, errors);
  if (done != 0 && rx_stats_.due()) poll_kernel_stats();
  return w;
}

void PacketPort::poll_kernel_stats() noexcept {
  tpacket_stats_v3 st{};
  socklen_t len = sizeof(st);
  // The kernel clears its counters on every read, so each read adds only what is new.
  if (getsockopt(rx_fd_.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
    if (st.tp_drops != 0) add(c_.rx_dropped, st.tp_drops);
  }
}

std::uint32_t PacketPort::tx_burst(mem::Batch& b) noexcept {
  const std::uint32_t n = b.size();
  if (UPLANE_UNLIKELY(tx_ring_ == nullptr)) return 0;
  if (n == 0) {
    if (kick_pending_) kick_tx();
    return 0;
  }
  const std::uint32_t mtu = link_->mtu();
  mem::Packet* sent[mem::Batch::kMax];
  mem::Packet* bad[mem::Batch::kMax];
  std::uint32_t nsent = 0;
  std::uint32_t nbad = 0;
  std::uint64_t bytes = 0;
  std::uint32_t i = 0;
  for (; i < n; ++i) {
    mem::Packet* p = b[i];
    const std::uint32_t len = p->length();
    const std::uint8_t* data = p->data();
    const std::uint32_t limit = max_frame_length(data, len, mtu);
    if (UPLANE_UNLIKELY(len < kEtherHeader || len > std::min(limit, tx_max_data_))) {
      bad[nbad++] = p;
      continue;
    }
    std::byte* slot = tx_slot(tx_head_);
    auto* h = reinterpret_cast<tpacket2_hdr*>(slot);
    // Acquire: pairs with the kernel's store of TP_STATUS_AVAILABLE when it is done with the
    // slot (its skb destructor), so our copy cannot overtake its last read.
    const std::uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if ((status & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT)) != 0)
      break;  // ring full
    std::memcpy(slot + kTxDataOffset, data, len);
    h->tp_len = len;
    h->tp_snaplen = len;
    // Release: the frame bytes and length are visible before the kernel sees the request.
    __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    tx_last_ = tx_head_;
    tx_head_ = tx_head_ + 1 == tx_frame_nr_ ? 0 : tx_head_ + 1;
    sent[nsent++] = p;
    bytes += len;
  }
  if (nsent != 0 || kick_pending_) kick_tx();
  free_to_pools(pool_, sent, nsent);
  free_to_pools(pool_, bad, nbad);
  // What had no slot stays in b, in order.
  return finish_tx(b, i, nsent, bytes, nbad);
}

void PacketPort::kick_tx() noexcept {
  // One system call sends every marked slot, from the kernel's head on.
  const ssize_t r = send(tx_fd_.get(), nullptr, 0, MSG_DONTWAIT);
  const int e = errno;
  kick_ns_ = now_ns();
  // The kernel stops early when its send budget is used up or the device refuses a frame;
  // it leaves that slot marked, so a slot still marked means another kick is due.
  const auto* last = reinterpret_cast<const tpacket2_hdr*>(tx_slot(tx_last_));
  kick_pending_ =
      (__atomic_load_n(&last->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_SEND_REQUEST) != 0;
  if (r < 0 && e != EAGAIN && e != ENOBUFS && e != EINTR && e != ENETDOWN && e != ENXIO) {
    add(c_.tx_errors, 1);
  }
}

void PacketPort::housekeeping() noexcept {
  if (kick_pending_ && now_ns() - kick_ns_ >= kKickRetryNs) kick_tx();
  if (!tx_chores_.due()) return;
  if (rx_fd_.valid()) poll_kernel_stats();
  (void)link_->state();  // keeps the MTU that tx_burst checks current (re-read every 100 ms)
}

Result<std::unique_ptr<Port>> open_packet_port(const PortConfig& cfg, mem::PacketPool& pool) {
  auto port = PacketPort::open(cfg, pool);
  if (!port) return port.status();
  return std::unique_ptr<Port>(std::move(*port));
}

}  // namespace uplane::io
