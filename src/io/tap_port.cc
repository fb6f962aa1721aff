#include "io/tap_port.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/compiler.h"
#include "base/cpu.h"
#include "base/log.h"

namespace uplane::io {
namespace {

constexpr std::size_t kOverflowBytes = 65536;  // the largest frame a TAP device can hand us

bool device_exists(int ctl, const std::string& device) noexcept {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, device.data(), std::min(device.size(), sizeof(ifr.ifr_name) - 1));
  return ioctl(ctl, SIOCGIFINDEX, &ifr) == 0;
}

Status attach_error(int e, const std::string& device, bool existed, bool multi_queue) {
  std::string hint;
  if (e == EPERM) {
    hint = " (needs CAP_NET_ADMIN)";
  } else if (e == EINVAL && existed) {
    hint = fmt::format(
        " ('{}' exists but is not a TAP device opened {} multi-queue: every queue of a "
        "multi-queue TAP device must ask for it, and no other may)",
        device, multi_queue ? "with" : "without");
  } else if (e == EBUSY) {
    hint = " (a single-queue TAP device already attached elsewhere)";
  }
  return make_error(Errc::kSystem, "tap port {}: TUNSETIFF: {}{}", device, std::strerror(e), hint);
}

}  // namespace

Result<std::unique_ptr<TapPort>> TapPort::open(const PortConfig& cfg, mem::PacketPool& pool) {
  if (!cfg.device.empty()) UPLANE_RETURN_IF_ERROR(check_device_name(cfg.device, "tap port"));
  if (!cfg.rx && !cfg.tx) {
    return make_error(Errc::kInvalidArgument,
                      "tap port {}: neither receive nor transmit side requested", cfg.device);
  }
  UniqueFd ctl(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!ctl.valid()) return errno_error(errno, fmt::format("tap port {}: socket", cfg.device));
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    const int e = errno;
    return make_error(Errc::kSystem, "tap port {}: open /dev/net/tun: {}{}", cfg.device,
                      std::strerror(e),
                      e == ENOENT ? " (no tun driver: modprobe tun, or create the node)" : "");
  }
  const bool multi_queue = cfg.tap_multi_queue || cfg.queue > 0;
  const bool existed = !cfg.device.empty() && device_exists(ctl.get(), cfg.device);
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, cfg.device.data(), cfg.device.size());
  ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | (multi_queue ? IFF_MULTI_QUEUE : 0));
  if (ioctl(fd.get(), TUNSETIFF, &ifr) != 0) {
    return attach_error(errno, cfg.device, existed, multi_queue);
  }
  const std::string name(ifr.ifr_name, strnlen(ifr.ifr_name, sizeof(ifr.ifr_name)));

  std::unique_ptr<TapPort> port(new TapPort(name, cfg, pool));
  port->created_ = !existed;
  // Set it up; an attached device may already be.
  ifreq fl{};
  std::memcpy(fl.ifr_name, name.data(), name.size());
  if (ioctl(ctl.get(), SIOCGIFFLAGS, &fl) != 0) {
    return errno_error(errno, fmt::format("tap port {}: SIOCGIFFLAGS", name));
  }
  if ((fl.ifr_flags & IFF_UP) == 0) {
    fl.ifr_flags = static_cast<short>(fl.ifr_flags | IFF_UP);
    if (ioctl(ctl.get(), SIOCSIFFLAGS, &fl) != 0) {
      return errno_error(errno, fmt::format("tap port {}: setting it up (SIOCSIFFLAGS)", name));
    }
  }
  port->fd_ = std::move(fd);
  port->ctl_ = std::move(ctl);
  port->overflow_.resize(kOverflowBytes);
  port->link_ = std::make_unique<DeviceLink>(port->ctl_.get(), name);
  port->link_->refresh();
  UPLANE_LOG(kDebug, "tap port {}: {} {}(queue {})", name,
             port->created_ ? "created" : "attached to", multi_queue ? "multi-queue " : "",
             cfg.queue);
  return port;
}

std::uint32_t TapPort::rx_burst(mem::Batch& b) noexcept {
  const std::uint32_t room = b.room();
  if (UPLANE_UNLIKELY(!rx_ || room == 0)) return 0;
  mem::Packet** out = b.data() + b.size();
  std::uint32_t n = room;
  if (UPLANE_UNLIKELY(!pool_.alloc_bulk(out, n))) {
    n = 0;
    while (n < room && pool_.alloc_bulk(out + n, 1)) ++n;
  }
  std::uint32_t w = 0;
  std::uint32_t errors = 0;
  std::uint32_t dropped = 0;
  std::uint64_t bytes = 0;
  std::uint64_t stamp = 0;
  if (UPLANE_UNLIKELY(n == 0)) {
    // No frame to read into: take what waits off the device, counted as dropped.
    for (std::uint32_t i = 0; i < room; ++i) {
      if (read(fd_.get(), overflow_.data(), overflow_.size()) <= 0) break;
      ++dropped;
    }
  }
  while (w < n) {
    mem::Packet* p = out[w];
    const std::uint32_t cap = p->tailroom();
    iovec iov[2] = {{p->data(), cap}, {overflow_.data(), overflow_.size()}};
    const ssize_t r = readv(fd_.get(), iov, 2);
    if (r <= 0) {
      if (r < 0 && errno != EAGAIN && errno != EINTR) ++errors;
      break;
    }
    if (UPLANE_UNLIKELY(static_cast<std::size_t>(r) > cap)) {
      ++errors;  // longer than a pool frame holds; p is reused for the next frame
      continue;
    }
    (void)p->put(static_cast<std::uint32_t>(r));
    if (stamp == 0) stamp = realtime_ns();
    p->set_timestamp_ns(stamp);
    bytes += static_cast<std::uint64_t>(r);
    ++w;
  }
  if (w < n) pool_.put_bulk(out + w, n - w);
  b.set_size(b.size() + w);
  if (w != 0) {
    add(c_.rx_packets, w);
    add(c_.rx_bytes, bytes);
  }
  if (UPLANE_UNLIKELY(dropped != 0)) add(c_.rx_dropped, dropped);
  if (UPLANE_UNLIKELY(errors != 0)) add(c_.rx_errors, errors);
  return w;
}

std::uint32_t TapPort::tx_burst(mem::Batch& b) noexcept {
  const std::uint32_t n = b.size();
  if (UPLANE_UNLIKELY(!tx_ || n == 0)) return 0;
  mem::Packet* sent[mem::Batch::kMax];
  mem::Packet* bad[mem::Batch::kMax];
  std::uint32_t nsent = 0;
  std::uint32_t nbad = 0;
  std::uint64_t bytes = 0;
  std::uint32_t i = 0;
  for (; i < n; ++i) {
    mem::Packet* p = b[i];
    const ssize_t r = write(fd_.get(), p->data(), p->length());
    if (r == static_cast<ssize_t>(p->length())) {
      sent[nsent++] = p;
      bytes += p->length();
      continue;
    }
    const int e = errno;
    // The device cannot take frames now (down, detached, or its backlog full): the rest
    // stays with the caller.
    if (r < 0 && (e == EAGAIN || e == ENOBUFS || e == EINTR || e == EIO || e == EBADFD)) break;
    bad[nbad++] = p;  // refused as malformed (too short, too long): it never will be sent
  }
  free_to_pools(pool_, sent, nsent);
  free_to_pools(pool_, bad, nbad);
  return finish_tx(b, i, nsent, bytes, nbad);
}

Result<std::unique_ptr<Port>> open_tap_port(const PortConfig& cfg, mem::PacketPool& pool) {
  auto port = TapPort::open(cfg, pool);
  if (!port) return port.status();
  return std::unique_ptr<Port>(std::move(*port));
}

}  // namespace uplane::io
