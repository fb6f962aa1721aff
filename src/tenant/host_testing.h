#pragma once
// Test helpers for the running host (host.h): crafted Ethernet frames, and the test's end
// of a host port — a shared-memory pipe (io/ kShm) with a pool of its own — to inject frames
// and read what the tenants send back. For host_test.cc and process_test.cc; no device,
// no root.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "io/port.h"
#include "mem/packet_pool.h"
#include "tenant/host.h"
#include "tenant/spec.h"

namespace uplane::tenant {

using Bytes = std::vector<std::uint8_t>;

constexpr Mac kGreenMac{0x02, 0, 0, 0, 0, 0x03};
constexpr Mac kPeerMac{0x02, 0, 0, 0, 0, 0xee};
constexpr Mac kOtherMac{0x02, 0, 0, 0, 0, 0x99};
constexpr Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// A 64-byte frame: dst, src, optional 802.1Q tag, type 0x88b5, then a 32-bit sequence.
inline Bytes frame(const Mac& dst, const Mac& src, int vlan, std::uint32_t seq) {
  Bytes f(64, 0);
  std::memcpy(f.data(), dst.data(), 6);
  std::memcpy(f.data() + 6, src.data(), 6);
  std::size_t o = 12;
  if (vlan >= 0) {
    f[o++] = 0x81;
    f[o++] = 0x00;
    f[o++] = static_cast<std::uint8_t>(vlan >> 8);
    f[o++] = static_cast<std::uint8_t>(vlan);
  }
  f[o++] = 0x88;
  f[o++] = 0xb5;
  std::memcpy(f.data() + o, &seq, 4);
  return f;
}

inline int vlan_of(const Bytes& f) {
  if (f.size() >= 18 && f[12] == 0x81 && f[13] == 0x00) return ((f[14] << 8) | f[15]) & 0xfff;
  return -1;
}

inline std::string unique_name(std::string_view what) {
  static std::atomic<int> n{0};
  return fmt::format("ht{}-{}-{}", getpid(), what, n.fetch_add(1));
}

// The test's end of a host port: its own pool (the pipe copies in and out).
struct Peer {
  std::unique_ptr<mem::PacketPool> pool;
  std::unique_ptr<io::Port> port;

  static Peer open(const std::string& device) {
    Peer p;
    mem::PoolConfig pc;
    pc.name = "peer";
    pc.frame_count = 4096;
    auto pool = mem::PacketPool::create(pc);
    EXPECT_TRUE(pool.is_ok()) << pool.status().message();
    p.pool = std::move(pool).value();
    io::PortConfig cfg;
    cfg.device = device;
    auto port = io::open_port(io::Method::kShm, cfg, *p.pool);
    EXPECT_TRUE(port.is_ok()) << port.status().message();
    if (port.is_ok()) p.port = std::move(port).value();
    return p;
  }

  // Sends every frame (bounded retries while the ring is full).
  void send(const std::vector<Bytes>& frames) {
    std::size_t i = 0;
    for (int tries = 0; i < frames.size() && tries < 10000; ++tries) {
      mem::Batch b;
      while (i + b.size() < frames.size() && !b.full()) {
        mem::Packet* p = pool->alloc();
        ASSERT_NE(p, nullptr);
        const Bytes& f = frames[i + b.size()];
        ASSERT_TRUE(p->assign(f.data(), static_cast<std::uint32_t>(f.size()), 64));
        (void)b.push_back(p);
      }
      i += port->tx_burst(b);
      for (mem::Packet* p : b.packets()) pool->free(p);
      if (!b.empty()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    ASSERT_EQ(i, frames.size()) << "the host did not take the frames";
  }

  // Whatever has arrived, appended to `out`.
  void poll(std::vector<Bytes>& out) {
    for (int rounds = 0; rounds < 1000; ++rounds) {
      mem::Batch b;
      if (port->rx_burst(b) == 0) return;
      for (mem::Packet* p : b.packets()) {
        out.emplace_back(p->data(), p->data() + p->length());
        pool->free(p);
      }
    }
  }

  // Receives until `n` frames have arrived or `ms` passed, then a short while more (to
  // catch any extra).
  std::vector<Bytes> receive(std::size_t n, int ms = 3000) {
    std::vector<Bytes> out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      poll(out);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    poll(out);
    return out;
  }
};

inline TenantSpec tenant(std::string name, std::string click, std::vector<std::string> ports,
                         std::vector<std::uint16_t> vlans, std::vector<Mac> macs = {}) {
  TenantSpec t;
  t.name = std::move(name);
  t.click = std::move(click);
  t.click_file = "host.toml";
  t.click_line = 10;
  t.selector.ports = std::move(ports);
  t.selector.vlans = std::move(vlans);
  t.selector.macs = std::move(macs);
  return t;
}

inline std::uint64_t count_of(const Host& h, const std::string& path) {
  auto r = h.read_handler(path);
  EXPECT_TRUE(r.is_ok()) << path << ": " << r.status().message();
  return r.is_ok() ? std::stoull(*r) : ~0ull;
}

inline const TenantStats* find_stats(const std::vector<TenantStats>& v, std::string_view name) {
  for (const TenantStats& s : v)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace uplane::tenant
