// Shared-memory pipes between two processes: end A in this one, end B in a fresh copy of
// this binary (fork + exec: a new address space, so nothing is shared by accident), joined
// by the pool's Region and the pipe's Region, whose fds cross a Unix socket pair. Frames
// cross as indices only: both processes map the same frames.
//
// AMillionPacketsThereAndBackZeroCopy: the parent sends one million packets of 60-1514
// bytes on end A; the child (end B) checks each in its own mapping of the frame (sequence
// number, length and tail; every byte of every 16th), stamps bytes 8-15 with the
// complement of the sequence number, and sends it back. The parent checks order, that the
// very frame it sent came back, the child's stamp and the sampled bytes. Counters of both
// ends must add up and every frame must be back in the pool.
//
// APeerThatClosesWithFramesInFlightAndSendsGarbage: the child plays a peer with bugs and
// leaves early. Of 256 packets it takes, it sends 64 back, 16 with their metadata
// scribbled on, frees 64 into the shared pool, writes 8 bad indices straight into its ring
// (4 out of range, 4 naming frames it just freed), sends the last 112 back and closes
// while 32 more from the parent wait unread. The parent must receive exactly the good
// ones it reads, count each bad one, free no frame twice, and get every frame back when
// it closes its end last.
//
// Bounded: every wait has a deadline, the child dies with the parent, and the child is
// killed if anything in the parent fails.

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/unix_socket.h"
#include "io/shm_port.h"
#include "mem/packet_pool.h"
#include "ring/spsc_ring.h"

namespace uplane {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kPackets = 1'000'000;
constexpr std::uint32_t kSlots = 1024;
constexpr std::uint32_t kFrames = 4096;
constexpr auto kTimeLimit = std::chrono::seconds(120);

// The early-closing peer's script (see the top of the file).
constexpr std::uint32_t kTaken = 256, kBackFirst = 64, kScribbled = 16, kFreed = 64, kGarbage = 8,
                        kBackLast = 112, kUnread = 32;
static_assert(kBackFirst + kScribbled + kFreed + kBackLast == kTaken);

std::uint32_t length_of(std::uint64_t seq) { return 60 + static_cast<std::uint32_t>(seq % 1455); }
bool sampled(std::uint64_t seq) { return seq % 16 == 0; }
std::uint8_t byte_of(std::uint64_t seq, std::uint32_t i) {
  return static_cast<std::uint8_t>(seq * 131 + i * 7 + (i >> 8));
}
std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
// Every packet: its sequence number in bytes 0-7 and in its last 8 bytes. Sampled packets:
// every byte from 16 up to the tail is byte_of(seq, i). Bytes 8-15 are the child's stamp.
bool fill(mem::Packet* p, std::uint64_t seq) {
  const std::uint32_t len = length_of(seq);
  std::uint8_t* d = p->put(len);
  if (d == nullptr) return false;
  std::memcpy(d, &seq, 8);
  std::memset(d + 8, 0, 8);
  if (sampled(seq))
    for (std::uint32_t i = 16; i < len - 8; ++i) d[i] = byte_of(seq, i);
  std::memcpy(d + len - 8, &seq, 8);
  return true;
}
// True when p is packet `seq` as `fill` made it (stamp aside).
bool intact(const mem::Packet* p, std::uint64_t seq) {
  const std::uint32_t len = length_of(seq);
  if (p->length() != len) return false;
  const std::uint8_t* d = p->data();
  if (load64(d) != seq || load64(d + len - 8) != seq) return false;
  if (sampled(seq))
    for (std::uint32_t i = 16; i < len - 8; ++i)
      if (d[i] != byte_of(seq, i)) return false;
  return true;
}
void stamp(mem::Packet* p, std::uint64_t seq) {
  const std::uint64_t s = ~seq;
  std::memcpy(p->data() + 8, &s, 8);
}
bool stamped(const mem::Packet* p, std::uint64_t seq) { return load64(p->data() + 8) == ~seq; }

bool timed_out(Clock::time_point start) { return Clock::now() - start > kTimeLimit; }

// One byte of handshake on the (SOCK_SEQPACKET) socket, or a whole report.
bool send_msg(int sock, const void* m, std::size_t n) {
  return send(sock, m, n, MSG_NOSIGNAL) == static_cast<ssize_t>(n);
}
bool recv_msg(int sock, void* m, std::size_t n, int timeout_ms) {
  pollfd pfd{sock, POLLIN, 0};
  return poll(&pfd, 1, timeout_ms) == 1 && recv(sock, m, n, 0) == static_cast<ssize_t>(n);
}

// What the child sends back over the socket when it is done.
struct ChildReport {
  std::uint64_t received;
  std::uint64_t misordered;   // not the sequence number expected next
  std::uint64_t corrupt;      // length, sequence number, tail or sampled bytes wrong
  std::uint64_t link_up;      // end B saw the link up while both ends were open
  io::PortCounters counters;  // end B's
};

// --- the children ---

int run_echo_child(int sock) {
  ChildReport r{};
  {
    auto peer = io::ShmPipe::receive(sock);
    if (!peer.is_ok()) {
      std::fprintf(stderr, "child: %s\n", peer.status().to_string().c_str());
      return 10;
    }
    io::ShmPort& b = *peer->port;
    if (b.end() != io::ShmPort::End::kB || !b.zero_copy()) return 11;
    r.link_up = b.link_state() == io::LinkState::kUp;
    mem::Batch batch;
    std::uint64_t expect = 0, iterations = 0;
    const auto start = Clock::now();
    while (r.received < kPackets) {
      if ((++iterations & 1023) == 0 && timed_out(start)) return 12;
      // Send back what the ring had no room for last time before taking more.
      if (!batch.empty()) {
        if (b.tx_burst(batch) == 0) sched_yield();
        continue;
      }
      const std::uint32_t n = b.rx_burst(batch);
      if (n == 0) {
        sched_yield();  // lets the parent run where cores are short
        continue;
      }
      for (std::uint32_t i = 0; i < n; ++i) {
        mem::Packet* p = batch[i];
        const std::uint64_t seq = load64(p->data());
        r.misordered += seq != expect;
        expect = seq + 1;
        r.corrupt += !intact(p, seq);
        stamp(p, seq);
      }
      r.received += n;
      b.tx_burst(batch);
    }
    while (!batch.empty()) {  // the last few
      if ((++iterations & 1023) == 0 && timed_out(start)) return 13;
      if (b.tx_burst(batch) == 0) sched_yield();
    }
    r.counters = b.counters();
  }  // end B closes, then the child's view of the pool goes
  return send_msg(sock, &r, sizeof(r)) ? 0 : 14;
}

// Sends all of b (bounded); false if the ring stayed full.
bool send_all(io::ShmPort& port, mem::Batch& b, Clock::time_point start) {
  while (!b.empty()) {
    if (timed_out(start)) return false;
    if (port.tx_burst(b) == 0) sched_yield();
  }
  return true;
}

int run_early_close_child(int sock) {
  ChildReport r{};
  {
    // ShmPipe::receive's steps, keeping the pipe's Region: this peer writes into its ring.
    auto pool_region = mem::Region::receive(sock);
    auto pipe_region = mem::Region::receive(sock);
    if (!pool_region.is_ok() || !pipe_region.is_ok()) return 20;
    auto pool = mem::PacketPool::attach(pool_region.value(), 64);
    if (!pool.is_ok()) return 21;
    auto port = io::ShmPipe::attach(pipe_region.value(), **pool);
    if (!port.is_ok()) {
      std::fprintf(stderr, "child: %s\n", port.status().to_string().c_str());
      return 22;
    }
    io::ShmPort& b = **port;
    r.link_up = b.link_state() == io::LinkState::kUp;
    const io::ShmPipeLayout l = io::ShmPipeLayout::of(kSlots, (*pool)->frame_count());
    auto back_ring = ring::SpscRing<std::uint32_t>::attach(
        pipe_region.value()->base() + l.ring_offset[1], l.ring_bytes);
    if (!back_ring.is_ok()) return 23;

    std::vector<mem::Packet*> taken;
    const auto start = Clock::now();
    while (taken.size() < kTaken) {
      if (timed_out(start)) return 24;
      mem::Batch in;
      if (b.rx_burst(in) == 0) sched_yield();
      for (mem::Packet* p : in) {
        const std::uint64_t seq = load64(p->data());
        r.misordered += seq != taken.size();
        r.corrupt += !intact(p, seq);
        stamp(p, seq);
        taken.push_back(p);
      }
    }
    r.received = taken.size();
    auto batch_of = [&](std::uint32_t from, std::uint32_t n) {
      mem::Batch out;
      for (std::uint32_t i = from; i < from + n; ++i) (void)out.push_back(taken[i]);
      return out;
    };
    std::uint32_t at = 0;
    for (std::uint32_t i = 0; i < kBackFirst; i += mem::Batch::kMax) {
      mem::Batch out = batch_of(at + i, mem::Batch::kMax);
      if (!send_all(b, out, start)) return 25;
    }
    at += kBackFirst;
    // Scribbled: each claims to be the next frame (a peer with a stale pointer).
    for (std::uint32_t i = at; i < at + kScribbled; ++i) {
      io::ShmFrameHead h;
      std::memcpy(&h, static_cast<const void*>(taken[i]), sizeof(h));
      h.frame_index += 1;
      std::memcpy(static_cast<void*>(taken[i]), &h, sizeof(h));
    }
    mem::Batch scribbled = batch_of(at, kScribbled);
    if (!send_all(b, scribbled, start)) return 26;
    at += kScribbled;
    std::uint32_t freed_index[4];
    for (std::uint32_t i = 0; i < 4; ++i) freed_index[i] = (*pool)->index_of(taken[at + i]);
    for (std::uint32_t i = at; i < at + kFreed; ++i) mem::free_packet(taken[i]);
    at += kFreed;
    const std::uint32_t n = (*pool)->frame_count();
    std::uint32_t garbage[kGarbage] = {n, n + 1, 0x80000000u, 0xFFFFFFFFu};  // out of range
    std::copy(freed_index, freed_index + 4, garbage + 4);  // freed here, never sent
    if (back_ring.value()->enqueue_burst(garbage, kGarbage) != kGarbage) return 27;
    for (std::uint32_t i = 0; i < kBackLast; i += mem::Batch::kMax) {
      mem::Batch out = batch_of(at + i, std::min<std::uint32_t>(mem::Batch::kMax, kBackLast - i));
      if (!send_all(b, out, start)) return 28;
    }
    // Let the parent send what this end will never read, then close on it.
    const char ready = 'r';
    char sent = 0;
    if (!send_msg(sock, &ready, 1) || !recv_msg(sock, &sent, 1, 30'000) || sent != 's') return 29;
    r.counters = b.counters();
    port.value().reset();  // end B closes, not last: the parent's end is open
  }  // the child's view of the pool goes, giving its cached frames back to the shared ring
  return send_msg(sock, &r, sizeof(r)) ? 0 : 30;
}

// --- the parent ---

// A child running this binary with `mode`, its end of the socket pair passed by number.
// The destructor kills it if the test did not wait for it.
class Child {
 public:
  Child(const char* mode, int child_sock) {
    const int fd = fcntl(child_sock, F_DUPFD, 100);  // without close-on-exec
    if (fd < 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test, even if it crashes
      const std::string fd_arg = std::to_string(fd);
      execl("/proc/self/exe", "two_process_pipe_test", "--child", mode, fd_arg.c_str(), nullptr);
      _exit(127);
    }
    close(fd);
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool started() const { return pid_ > 0; }
  // True (and the exit status in *status) once the child has exited.
  bool exited(int* status) {
    if (pid_ <= 0) return true;
    if (waitpid(pid_, status, WNOHANG) != pid_) return false;
    pid_ = 0;
    return true;
  }
  // Waits up to `limit` for the child to exit; its exit code, or -1 (killed, or too slow).
  int wait_exit(std::chrono::milliseconds limit) {
    const auto until = Clock::now() + limit;
    int status = 0;
    while (!exited(&status)) {
      if (Clock::now() > until) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

std::unique_ptr<mem::PacketPool> make_pool() {
  return mem::PacketPool::create({.name = "pipe-pool",
                                  .frame_count = kFrames,
                                  .cache_size = 256,
                                  .region = {.allow_hugepages = true}})
      .value();
}

TEST(TwoProcessPipe, AMillionPacketsThereAndBackZeroCopy) {
  auto pool = make_pool();
  auto pipe = io::ShmPipe::create(fmt::format("two-proc-pipe-{}", getpid()), *pool, kSlots);
  ASSERT_TRUE(pipe.is_ok()) << pipe.status().to_string();
  std::unique_ptr<io::ShmPort> a = pipe->take_end_a();

  auto sockets = socket_pair().value();
  Child child("echo", sockets.second.get());
  ASSERT_TRUE(child.started());
  const int sock = sockets.first.get();
  ASSERT_TRUE(pipe->send_to(sock).is_ok());

  // Which packet each frame carries while it is out: the child must return the very frame.
  std::vector<std::uint64_t> seq_in_frame(kFrames, ~std::uint64_t{0});
  std::uint64_t made = 0, returned = 0, misordered = 0, corrupt = 0, unstamped = 0, other_frame = 0,
                iterations = 0;
  mem::Batch out, in;
  const auto start = Clock::now();
  while (returned < kPackets) {
    if ((++iterations & 4095) == 0) {
      ASSERT_FALSE(timed_out(start)) << "made " << made << ", returned " << returned;
      int status = 0;
      ASSERT_FALSE(child.exited(&status))
          << "child exited early, status " << status << "; returned " << returned;
    }
    // Top the outgoing batch up with new packets; what the ring did not take stays in it.
    while (!out.full() && made < kPackets) {
      mem::Packet* p = pool->alloc();
      if (p == nullptr) break;  // every frame is out: wait for some to come back
      ASSERT_TRUE(fill(p, made));
      seq_in_frame[pool->index_of(p)] = made;
      (void)out.push_back(p);
      ++made;
    }
    a->tx_burst(out);
    const std::uint32_t n = a->rx_burst(in);
    for (std::uint32_t i = 0; i < n; ++i) {
      const mem::Packet* p = in[i];
      const std::uint64_t seq = load64(p->data());
      misordered += seq != returned + i;
      corrupt += !intact(p, seq);
      unstamped += !stamped(p, seq);
      other_frame += seq_in_frame[pool->index_of(p)] != seq;
    }
    returned += n;
    pool->put_bulk(in.data(), n);
    in.clear();
    if (n == 0) sched_yield();
  }

  ChildReport r{};
  ASSERT_TRUE(recv_msg(sock, &r, sizeof(r), 30'000)) << "no report from the child";
  ASSERT_EQ(child.wait_exit(std::chrono::seconds(30)), 0);

  EXPECT_EQ(r.received, kPackets);
  EXPECT_EQ(r.misordered, 0u);
  EXPECT_EQ(r.corrupt, 0u);
  EXPECT_EQ(r.link_up, 1u);
  EXPECT_EQ(r.counters.rx_errors + r.counters.tx_errors + r.counters.rx_dropped, 0u);
  EXPECT_EQ(misordered, 0u);
  EXPECT_EQ(corrupt, 0u);
  EXPECT_EQ(unstamped, 0u) << "the child's writes reach the parent's mapping";
  EXPECT_EQ(other_frame, 0u) << "zero copy: each packet comes back in the frame it left in";
  const io::PortCounters c = a->counters();
  EXPECT_EQ(c.tx_packets, kPackets);
  EXPECT_EQ(c.rx_packets, kPackets);
  EXPECT_EQ(r.counters.rx_packets, kPackets);
  EXPECT_EQ(r.counters.tx_packets, kPackets);
  EXPECT_EQ(c.rx_errors + c.tx_errors + c.rx_dropped, 0u);
  // Bytes in = bytes out, at each of the four steps.
  std::uint64_t want_bytes = 0;
  for (std::uint64_t s = 0; s < kPackets; ++s) want_bytes += length_of(s);
  EXPECT_EQ(c.tx_bytes, want_bytes);
  EXPECT_EQ(r.counters.rx_bytes, want_bytes);
  EXPECT_EQ(r.counters.tx_bytes, want_bytes);
  EXPECT_EQ(c.rx_bytes, want_bytes);
  EXPECT_EQ(a->link_state(), io::LinkState::kDown) << "end B has closed";

  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("two processes: %llu packets there and back in %.2f s (%.2f Mpps each way)\n",
              static_cast<unsigned long long>(kPackets), secs, kPackets / secs / 1e6);
  a.reset();  // the last end to close
  pool->flush_thread_cache();
  const Status leaks = pool->check_no_leaks();
  EXPECT_TRUE(leaks.is_ok()) << leaks.message();
  EXPECT_EQ(pool->counters().bad_puts, 0u);
}

TEST(TwoProcessPipe, APeerThatClosesWithFramesInFlightAndSendsGarbage) {
  auto pool = make_pool();
  auto pipe = io::ShmPipe::create(fmt::format("two-proc-early-{}", getpid()), *pool, kSlots);
  ASSERT_TRUE(pipe.is_ok()) << pipe.status().to_string();
  std::unique_ptr<io::ShmPort> a = pipe->take_end_a();

  auto sockets = socket_pair().value();
  Child child("early-close", sockets.second.get());
  ASSERT_TRUE(child.started());
  const int sock = sockets.first.get();
  ASSERT_TRUE(pipe->send_to(sock).is_ok());

  std::vector<mem::Packet*> frame_of(kTaken + kUnread);
  std::uint64_t sent_bytes = 0;
  auto send_range = [&](std::uint64_t from, std::uint64_t to) {
    mem::Batch out;
    for (std::uint64_t s = from; s < to; ++s) {
      mem::Packet* p = pool->alloc();
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(fill(p, s));
      frame_of[s] = p;
      sent_bytes += p->length();
      (void)out.push_back(p);
      if (out.full() || s + 1 == to) {
        const std::uint32_t n = out.size();
        ASSERT_EQ(a->tx_burst(out), n);
        ASSERT_TRUE(out.empty());
      }
    }
  };
  send_range(0, kTaken);
  char ready = 0;
  ASSERT_TRUE(recv_msg(sock, &ready, 1, 60'000) && ready == 'r') << "the child did not get ready";
  EXPECT_EQ(a->link_state(), io::LinkState::kUp);
  send_range(kTaken, kTaken + kUnread);  // the child will never read these
  const char sent = 's';
  ASSERT_TRUE(send_msg(sock, &sent, 1));
  ChildReport r{};
  ASSERT_TRUE(recv_msg(sock, &r, sizeof(r), 30'000)) << "no report from the child";
  ASSERT_EQ(child.wait_exit(std::chrono::seconds(30)), 0);

  EXPECT_EQ(r.received, kTaken);
  EXPECT_EQ(r.misordered, 0u);
  EXPECT_EQ(r.corrupt, 0u);
  EXPECT_EQ(r.link_up, 1u);
  EXPECT_EQ(r.counters.rx_packets, kTaken);
  EXPECT_EQ(r.counters.tx_packets, kBackFirst + kScribbled + kBackLast);
  EXPECT_EQ(r.counters.rx_errors + r.counters.tx_errors, 0u);

  // End B has closed: end A sends nothing more, and leaves the packet with its caller.
  EXPECT_EQ(a->link_state(), io::LinkState::kDown);
  mem::Batch late;
  mem::Packet* p = pool->alloc();
  ASSERT_NE(p, nullptr);
  (void)late.push_back(p);
  EXPECT_EQ(a->tx_burst(late), 0u);
  ASSERT_EQ(late.size(), 1u);
  pool->free(p);

  // The ring back holds 64 good | 16 scribbled | 8 garbage | 112 good. Three bursts of 32
  // take the first 96 + 24 entries: 64 + 8 good packets, 24 rejected.
  std::vector<std::uint64_t> want;
  for (std::uint64_t s = 0; s < kBackFirst; ++s) want.push_back(s);
  const std::uint64_t last_from = kBackFirst + kScribbled + kFreed;
  for (std::uint64_t s = last_from; s < last_from + 8; ++s) want.push_back(s);
  std::vector<std::uint32_t> per_burst;
  std::uint64_t got = 0, wrong = 0, got_bytes = 0;
  for (int burst = 0; burst < 3; ++burst) {
    mem::Batch in;
    per_burst.push_back(a->rx_burst(in));
    for (const mem::Packet* q : in) {
      const std::uint64_t seq = load64(q->data());
      wrong += got >= want.size() || seq != want[got] || !intact(q, seq) || !stamped(q, seq) ||
               q != frame_of[seq];
      got_bytes += q->length();
      ++got;
    }
    pool->put_bulk(in.data(), in.size());
  }
  EXPECT_EQ(per_burst, (std::vector<std::uint32_t>{32, 32, 8}));
  EXPECT_EQ(wrong, 0u);
  const io::PortCounters c = a->counters();
  EXPECT_EQ(c.tx_packets, kTaken + kUnread);
  EXPECT_EQ(c.tx_bytes, sent_bytes);
  EXPECT_EQ(c.rx_packets, 72u);
  EXPECT_EQ(c.rx_bytes, got_bytes);
  EXPECT_EQ(c.rx_errors, kScribbled + kGarbage);

  // End A closes last with 104 frames in the ring back and 32 in the ring out: all come
  // back, the 64 the child freed come back through the shared free ring, and the 4 freed
  // frames the child named in garbage were not given back a second time.
  a.reset();
  pool->flush_thread_cache();
  const Status leaks = pool->check_no_leaks();
  EXPECT_TRUE(leaks.is_ok()) << leaks.message();
  EXPECT_EQ(pool->counters().bad_puts, 0u);
}

}  // namespace
}  // namespace uplane

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--child") == 0) {
    const int sock = std::atoi(argv[3]);
    if (std::strcmp(argv[2], "echo") == 0) return uplane::run_echo_child(sock);
    if (std::strcmp(argv[2], "early-close") == 0) return uplane::run_early_close_child(sock);
    return 2;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
