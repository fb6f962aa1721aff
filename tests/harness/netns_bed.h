#pragma once
// Network namespaces and veth pairs for tests that move real frames (io/ ports, FromDevice,
// ToDevice): created with names unique to this process, deleted in destructors so a failed
// assertion cleans up too, and, before a new bed is built, whatever an earlier run that
// crashed left behind (namespaces whose owner pid is gone). IPv6 is off in every namespace,
// so the kernel sends nothing of its own on the veths and counters can be checked exactly.
// Needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN for setns); is_root() lets a test
// skip, saying so, without.
//
//   NetnsBed bed("uplx", 2);                 // namespaces uplx<pid>-<n>-0 and -1
//   auto [a, b] = bed.veth(0, 1);            // veth a in namespace 0, b in 1, both up
//   { InNetns in(bed.ns(0)); open a socket } // a socket stays in the namespace it was made in
//
// Also what the port tests (io/*_port_test.cc) share: the frames they send (test_frame, of
// kTestEtherType, which nothing else on the veths uses) and the pools they move them in
// (make_test_pool: on the heap, so they run without hugepages).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "mem/packet_pool.h"

namespace uplane::testing {

bool is_root();
// Runs `cmd` with sh, output discarded; whether it exited 0.
bool sh(const std::string& cmd);
// Runs `cmd` with sh; its standard output (standard error discarded).
std::string sh_out(const std::string& cmd);
// Deletes namespaces named `prefix<pid>...` whose process is gone.
void delete_stale_namespaces(const std::string& prefix);

// Runs the calling thread in network namespace `ns` until destroyed.
class InNetns {
 public:
  explicit InNetns(const std::string& ns);
  ~InNetns();
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;
  bool ok() const { return ok_; }

 private:
  UniqueFd self_;
  bool ok_ = false;
};

// A namespace with IPv6 off; deleted (with the devices in it) when destroyed.
class Netns {
 public:
  explicit Netns(std::string name);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  const std::string& name() const { return name_; }
  bool ok() const { return ok_; }

 private:
  std::string name_;
  bool ok_ = false;
};

// `count` namespaces, and veth pairs between them. Deleting the namespaces deletes the veths.
class NetnsBed {
 public:
  NetnsBed(const std::string& prefix, int count);
  // A veth pair, `first` in namespace i and `second` in namespace j, both operationally up
  // (carrier is reported in deferred work, up to a second late: this waits, bounded).
  std::pair<std::string, std::string> veth(int i, int j);
  const std::string& ns(int i) const { return ns_[static_cast<std::size_t>(i)]->name(); }
  // Whether every step so far worked.
  bool ok() const { return ok_; }

 private:
  std::string prefix_;
  std::vector<std::unique_ptr<Netns>> ns_;
  bool ok_ = false;
};

// A counter from `ip -s -j link show`: dir "tx" or "rx", what e.g. "packets", "dropped".
std::uint64_t link_stat(const std::string& ns, const std::string& dev, const std::string& dir,
                        const std::string& what);

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint16_t kTestEtherType = 0x88b5;  // IEEE 802 local experimental

// A `len`-byte Ethernet frame from 02:00:00:00:00:01 to 02:00:00:00:00:02 (another host's
// MAC) of EtherType `type`: the first 14 bytes of that header when `len` is shorter; then
// `seq` (host order, when len >= 18) and bytes that depend on `seq` and their position.
Bytes test_frame(std::uint32_t len, std::uint32_t seq, std::uint16_t type = kTestEtherType);

// A pool of `frames` frames of `frame_size` bytes, heap-backed (no hugepages).
Result<std::unique_ptr<mem::PacketPool>> make_test_pool(const std::string& name,
                                                        std::uint32_t frames,
                                                        std::uint32_t frame_size = 2048,
                                                        std::uint32_t cache = 256,
                                                        std::uint32_t headroom = 128);

}  // namespace uplane::testing
