// tenant_tap_router: the baseline of issue 6, a conventional user-mode router on TAP devices
// (the design EUROPA was measured against): every frame crosses the kernel boundary twice,
// one read() from the inbound TAP and one write() to the outbound one, each a copy and a
// system call. bench/tenant/tap_hop.sh measures its forwarding rate.
//
// It attaches to two TAP interfaces that already exist (`ip tuntap add dev X mode tap`, no
// packet-information header), reads IN_TAP's descriptor (non-blocking, and poll() only when
// it runs dry, so a busy router makes exactly one read and one write per frame) and writes
// each frame to OUT_TAP's. The routing work stands for what such a router does per frame:
// the Ethernet addresses swapped (the frame goes back towards where it came from, as the
// next hop), and for IPv4 the TTL decremented with the checksum patched (RFC 1624); a frame
// whose TTL would reach 0 is dropped. Frames the kernel sends to IN_TAP are the input: the
// script injects them with an AF_PACKET socket bound to IN_TAP; OUT_TAP's rx_packets counts
// what came out.
//
//   tenant_tap_router [--seconds S] IN_TAP OUT_TAP
// Stops on SIGINT or SIGTERM, or after S seconds (default 30; at most 86400), and prints
//   tap_router read=<frames read> written=<frames written> write_errors=<n> ttl_expired=<n>
// Exit status: 0 done, 1 runtime error (a device, permissions), 2 bad arguments.
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

volatile sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) { g_stop = 1; }

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

bool parse_int(const char* s, long lo, long hi, long* out) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// A descriptor attached to the existing TAP interface `name`, non-blocking, or -1 (with the
// reason on stderr). TUNSETIFF would create a missing interface; we want the script's.
int open_tap(const char* name) {
  if (std::strlen(name) >= IFNAMSIZ) {
    std::fprintf(stderr, "tap_router: interface name '%s' is too long\n", name);
    return -1;
  }
  if (if_nametoindex(name) == 0) {
    std::fprintf(stderr,
                 "tap_router: no interface '%s' in this network namespace "
                 "(create it: ip tuntap add dev %s mode tap)\n",
                 name, name);
    return -1;
  }
  const int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "tap_router: open /dev/net/tun: %s\n", std::strerror(errno));
    return -1;
  }
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name, std::strlen(name));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    const int e = errno;
    std::fprintf(stderr, "tap_router: TUNSETIFF %s: %s%s\n", name, std::strerror(e),
                 e == EINVAL  ? " (not a TAP interface, or a multi-queue one)"
                 : e == EBUSY ? " (another process has it open)"
                              : "");
    close(fd);
    return -1;
  }
  return fd;
}

// The per-frame routing work. Returns false for a frame to drop (TTL expired).
bool route(std::uint8_t* f, std::size_t n) {
  if (n < 14) return true;
  std::uint8_t mac[6];
  std::memcpy(mac, f, 6);
  std::memmove(f, f + 6, 6);
  std::memcpy(f + 6, mac, 6);
  if (f[12] != 0x08 || f[13] != 0x00 || n < 14 + 20) return true;  // not IPv4
  std::uint8_t* ip = f + 14;
  if (ip[8] <= 1) return false;
  // The TTL is the high byte of the 16-bit word at offset 8, so that word drops by 0x0100;
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), in one's complement arithmetic.
  const std::uint32_t m = static_cast<std::uint32_t>(ip[8]) << 8 | ip[9];
  const std::uint32_t m_new = m - 0x0100;
  const std::uint32_t hc = static_cast<std::uint32_t>(ip[10]) << 8 | ip[11];
  std::uint32_t sum = (~hc & 0xffff) + (~m & 0xffff) + m_new;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  const std::uint32_t hc_new = ~sum & 0xffff;
  --ip[8];
  ip[10] = static_cast<std::uint8_t>(hc_new >> 8);
  ip[11] = static_cast<std::uint8_t>(hc_new);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long seconds = 30;
  const char* in_name = nullptr;
  const char* out_name = nullptr;
  bool ok = true;
  for (int i = 1; i < argc && ok; ++i) {
    const std::string_view a = argv[i];
    if (a == "--seconds") {
      ok = i + 1 < argc && parse_int(argv[i + 1], 1, 86'400, &seconds);
      ++i;
    } else if (!a.empty() && a[0] == '-') {
      ok = false;
    } else if (in_name == nullptr) {
      in_name = argv[i];
    } else if (out_name == nullptr) {
      out_name = argv[i];
    } else {
      ok = false;
    }
  }
  if (!ok || out_name == nullptr) {
    std::fprintf(stderr, "usage: %s [--seconds S (1..86400, default 30)] IN_TAP OUT_TAP\n",
                 argv[0]);
    return 2;
  }
  if (std::strcmp(in_name, out_name) == 0) {
    std::fprintf(stderr, "tap_router: IN_TAP and OUT_TAP are both '%s'\n", in_name);
    return 2;
  }
  const int in = open_tap(in_name);
  if (in < 0) return 1;
  const int out = open_tap(out_name);
  if (out < 0) return 1;

  // No SA_RESTART: a signal interrupts poll() and the loop sees g_stop.
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const std::uint64_t end = now_ns() + static_cast<std::uint64_t>(seconds) * 1'000'000'000u;
  // Larger than any frame a TAP without offloads hands over (its MTU plus the header).
  static std::uint8_t buf[65536];
  std::uint64_t reads = 0, written = 0, write_errors = 0, ttl_expired = 0;
  int status = 0;
  // The clock is read once per 256 frames and at every wait, so a busy router spends its
  // time in read() and write(), and still stops within a few ms of the end.
  for (std::uint32_t k = 0; g_stop == 0; ++k) {
    if (k % 256 == 0 && now_ns() >= end) break;
    const ssize_t n = read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        std::fprintf(stderr, "tap_router: read %s: %s\n", in_name, std::strerror(errno));
        status = 1;
        break;
      }
      const std::uint64_t t = now_ns();
      if (t >= end) break;
      const std::uint64_t left_ms = (end - t) / 1'000'000 + 1;
      pollfd p{in, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left_ms < 100 ? left_ms : 100));  // EINTR: loop again
      continue;
    }
    ++reads;
    const auto len = static_cast<std::size_t>(n);
    if (!route(buf, len)) {
      ++ttl_expired;
      continue;
    }
    const ssize_t w = write(out, buf, len);
    if (w == n) {
      ++written;
    } else {
      ++write_errors;
    }
  }
  close(in);
  close(out);
  std::printf("tap_router read=%" PRIu64 " written=%" PRIu64 " write_errors=%" PRIu64
              " ttl_expired=%" PRIu64 "\n",
              reads, written, write_errors, ttl_expired);
  return status;
}
