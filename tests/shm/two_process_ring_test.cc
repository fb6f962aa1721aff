// Two processes, one packet pool, index rings between them — the EUROPA shape in small.
//
// The parent creates a PacketPool and a second Region holding two rings (forward and
// return), then starts a fresh copy of this binary (fork + exec: a new address space, so
// nothing is shared by accident) and hands it both Regions' fds over a Unix socket. The
// parent allocates frames, writes a sequence number into each, and enqueues the frame
// index on the forward ring; the child maps both Regions at addresses of its own, dequeues
// each index, validates it, reads the sequence number from the frame, checks order and
// sums, and hands the index back on the return ring, where the parent frees the frame.
// 10 million indexes cross; both sides' order checks and sums must agree, and every frame
// must be back in the pool at the end.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "base/unix_socket.h"
#include "mem/packet_pool.h"
#include "ring/mpmc_ring.h"
#include "ring/spsc_ring.h"

namespace uplane {
namespace {

constexpr std::uint64_t kItems = 10'000'000;
constexpr std::uint32_t kRingSlots = 1024;
constexpr std::uint32_t kBurst = 32;
constexpr auto kTimeLimit = std::chrono::seconds(120);

// Lives at offset 0 of the ring Region; written by the child, read by the parent.
struct alignas(64) ChildReport {
  std::atomic<std::uint64_t> received;
  std::atomic<std::uint64_t> sum;
  std::atomic<std::uint64_t> misordered;
  std::atomic<std::uint64_t> bad_index;
  std::atomic<std::uint32_t> done;
};
constexpr std::size_t kFwdOffset = 4096;

template <typename Ring>
std::size_t ret_offset() {
  return kFwdOffset + align_up(Ring::bytes_for(kRingSlots), 4096);
}
template <typename Ring>
std::size_t ring_region_bytes() {
  return ret_offset<Ring>() + Ring::bytes_for(kRingSlots);
}

bool timed_out(std::chrono::steady_clock::time_point start) {
  return std::chrono::steady_clock::now() - start > kTimeLimit;
}

// The child's side: everything it knows arrives over `sock`.
template <typename Ring>
int run_child(int sock) {
  auto pool_region = mem::Region::receive(sock);
  auto ring_region = mem::Region::receive(sock);
  if (!pool_region.is_ok() || !ring_region.is_ok()) return 10;
  auto pool = mem::PacketPool::attach(pool_region.value(), 0);
  if (!pool.is_ok()) return 11;
  std::byte* base = ring_region.value()->base();
  auto fwd = Ring::attach(base + kFwdOffset, Ring::bytes_for(kRingSlots));
  auto ret = Ring::attach(base + ret_offset<Ring>(), Ring::bytes_for(kRingSlots));
  if (!fwd.is_ok() || !ret.is_ok()) return 12;
  auto* report = reinterpret_cast<ChildReport*>(base);

  std::uint64_t received = 0, sum = 0, misordered = 0, bad = 0, expect = 0, iterations = 0;
  std::uint32_t idx[kBurst];
  const auto start = std::chrono::steady_clock::now();
  while (received < kItems) {
    if ((++iterations & 1023) == 0 && timed_out(start)) break;
    const std::uint32_t n = fwd.value()->dequeue_burst(idx, kBurst);
    if (n == 0) sched_yield();  // lets the parent run where cores are short
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!pool.value()->valid_index(idx[i])) {  // never trust an index from shared memory
        ++bad;
        continue;
      }
      std::uint64_t seq;
      std::memcpy(&seq, pool.value()->packet(idx[i])->data(), sizeof(seq));
      misordered += seq != expect;
      expect = seq + 1;
      sum += seq;
    }
    received += n;
    std::uint32_t sent = 0;
    while (sent < n) {
      const std::uint32_t moved = ret.value()->enqueue_burst(idx + sent, n - sent);
      sent += moved;
      if (moved == 0) sched_yield();
      if ((++iterations & 1023) == 0 && timed_out(start)) return 13;
    }
  }
  report->received.store(received, std::memory_order_relaxed);
  report->sum.store(sum, std::memory_order_relaxed);
  report->misordered.store(misordered, std::memory_order_relaxed);
  report->bad_index.store(bad, std::memory_order_relaxed);
  // Release pairs with the parent's acquire load of done.
  report->done.store(1, std::memory_order_release);
  return 0;
}

template <typename Ring>
void run_parent(const char* mode) {
  auto pool = mem::PacketPool::create({.name = "two-proc-pool",
                                       .frame_count = 4096,
                                       .cache_size = 256,
                                       .region = {.allow_hugepages = true}})
                  .value();
  auto rings = mem::Region::create("two-proc-rings", ring_region_bytes<Ring>()).value();
  std::byte* base = rings->base();
  auto* report = new (base) ChildReport{};
  Ring* fwd = Ring::create_in(base + kFwdOffset, Ring::bytes_for(kRingSlots), kRingSlots).value();
  Ring* ret =
      Ring::create_in(base + ret_offset<Ring>(), Ring::bytes_for(kRingSlots), kRingSlots).value();

  auto sockets = socket_pair().value();
  const int child_sock = fcntl(sockets.second.get(), F_DUPFD, 100);  // without close-on-exec
  ASSERT_GE(child_sock, 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test, even if it crashes
    std::string fd_arg = std::to_string(child_sock);
    execl("/proc/self/exe", "two_process_ring_test", "--child", mode, fd_arg.c_str(), nullptr);
    _exit(127);
  }
  close(child_sock);
  // Kill the child if anything below fails, so the test never leaves it behind.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  } reaper{pid};

  ASSERT_TRUE(pool->region()->send_to(sockets.first.get()).is_ok());
  ASSERT_TRUE(rings->send_to(sockets.first.get()).is_ok());

  std::uint64_t sent = 0, sent_sum = 0, freed = 0, returned_misordered = 0;
  // Frame index of each frame in flight, by sequence number: every frame in flight holds a
  // pool frame, so fewer than frame_count are ever in flight.
  std::vector<std::uint32_t> in_flight(pool->frame_count());
  mem::Packet* pkts[kBurst];
  std::uint32_t idx[kBurst];
  const auto start = std::chrono::steady_clock::now();
  int child_status = 0;
  bool child_exited = false;
  // False once the time is up or the child has exited with an error; a child that finished
  // cleanly lets the parent drain the return ring.
  auto child_ok = [&] {
    if (timed_out(start)) return false;
    if (!child_exited && waitpid(pid, &child_status, WNOHANG) == pid) {
      child_exited = true;
      reaper.pid = 0;  // reaped
    }
    return !child_exited || (WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0);
  };
  std::uint64_t iterations = 0;
  while (freed < kItems) {
    if ((++iterations & 4095) == 0) {
      ASSERT_TRUE(child_ok()) << "child gone or time up: sent " << sent << ", freed " << freed
                              << ", child status " << child_status;
    }
    // Give back what the child returned.
    const std::uint32_t r = ret->dequeue_burst(idx, kBurst);
    if (r == 0 && sent - freed == pool->frame_count()) sched_yield();  // all frames out
    ASSERT_FALSE(r == 0 && child_exited && ret->size_estimate() == 0)
        << "child exited with " << sent - freed << " frames not returned";
    for (std::uint32_t i = 0; i < r; ++i) {
      ASSERT_TRUE(pool->valid_index(idx[i]));
      pkts[i] = pool->packet(idx[i]);
      // Back in the order sent, each frame still holding its sequence number.
      const std::uint64_t want = freed + i;
      std::uint64_t seq;
      std::memcpy(&seq, pkts[i]->data(), sizeof(seq));
      returned_misordered += idx[i] != in_flight[want % in_flight.size()] || seq != want;
    }
    pool->put_bulk(pkts, r);
    freed += r;
    // Send the next burst.
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(kBurst, kItems - sent));
    if (n == 0 || !pool->alloc_bulk(pkts, n)) continue;
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint64_t seq = sent + i;
      std::memcpy(pkts[i]->put(sizeof(seq)), &seq, sizeof(seq));
      idx[i] = pool->index_of(pkts[i]);
      in_flight[seq % in_flight.size()] = idx[i];
      sent_sum += seq;
    }
    std::uint32_t q = 0;
    while (q < n) {
      const std::uint32_t moved = fwd->enqueue_burst(idx + q, n - q);
      q += moved;
      if (moved == 0) sched_yield();
      if (q < n && (++iterations & 4095) == 0) {
        ASSERT_TRUE(child_ok()) << "child stopped taking frames; status " << child_status;
      }
    }
    sent += n;
  }

  if (!child_exited) {
    ASSERT_EQ(waitpid(pid, &child_status, 0), pid);
    reaper.pid = 0;
  }
  ASSERT_TRUE(WIFEXITED(child_status));
  ASSERT_EQ(WEXITSTATUS(child_status), 0);
  // Acquire pairs with the child's release store of done.
  ASSERT_EQ(report->done.load(std::memory_order_acquire), 1u);
  EXPECT_EQ(report->received.load(), kItems);
  EXPECT_EQ(report->misordered.load(), 0u);
  EXPECT_EQ(returned_misordered, 0u);
  EXPECT_EQ(report->bad_index.load(), 0u);
  EXPECT_EQ(report->sum.load(), sent_sum);
  EXPECT_EQ(sent_sum, kItems * (kItems - 1) / 2);
  pool->flush_thread_cache();
  Status leaks = pool->check_no_leaks();
  EXPECT_TRUE(leaks.is_ok()) << leaks.message();
}

TEST(TwoProcess, SpscRingCarriesTenMillionFrameIndexes) {
  run_parent<ring::SpscRing<std::uint32_t>>("spsc");
}
TEST(TwoProcess, MpmcRingCarriesTenMillionFrameIndexes) {
  run_parent<ring::MpmcRing<std::uint32_t>>("mpmc");
}

}  // namespace
}  // namespace uplane

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--child") == 0) {
    const int sock = std::atoi(argv[3]);
    if (std::strcmp(argv[2], "spsc") == 0)
      return uplane::run_child<uplane::ring::SpscRing<std::uint32_t>>(sock);
    return uplane::run_child<uplane::ring::MpmcRing<std::uint32_t>>(sock);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
