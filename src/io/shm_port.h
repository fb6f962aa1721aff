#pragma once
// Shared-memory pipes (Method::kShm): two ports joined back to back by index rings in a
// shared Region, over ONE PacketPool whose Region both ends map — netmap's pipes, and the
// shape EUROPA gives out-of-process routers. A packet crosses as its frame index: no copy,
// no system call, one ring write and one ring read.
//
// The pipe's Region (the ABI: offsets only, see ShmPipeLayout; checked whole on attach):
//   [PipeHeader, 4 KiB | ring A->B | ring B->A | in-flight marks A->B | in-flight marks B->A]
// - rings: SpscRing<uint32_t> of frame indices of the pool, `slots` each. End A produces on
//   A->B and consumes B->A; end B the reverse.
// - marks: one byte per frame of the pool and direction, 1 while that frame's index is in
//   that direction's ring (set by the sender before it publishes the index, cleared by the
//   receiver when it takes it).
//
// Sending (tx_burst): a packet of the pipe's pool goes as its index and the sender gives the
// frame up. A packet of any other pool is first copied into a frame of the pipe's pool (one
// copy, as VALE does) and the original freed. A full ring, or a pipe pool with no frame for a
// copy, leaves the rest of the batch with the caller, in order (port.h). A packet whose frame
// is already marked in flight in this direction (the caller sent it twice) is taken out of
// the batch, not sent, not freed — it is the receiver's now — and counted in tx_errors; so
// is a packet of another pool too large for a pipe frame, which is freed.
//
// Receiving (rx_burst): every index taken from the ring is checked before it becomes a
// Packet*, and what fails is counted in rx_errors and dropped:
// - an index outside the pool cannot name a frame: counted, nothing to free;
// - an index whose frame is not marked in flight was never sent (garbage, or a duplicate of
//   one already taken): counted and NOT freed — the frame belongs to someone else;
// - a frame sent properly whose metadata is wrong (identity not this frame of this pool,
//   frame size not the pool's, data window not inside the frame after the metadata) is
//   counted and given back to the pool, which rewrites identity on its next alloc.
// The metadata read for these checks (ShmFrameHead) is read as bytes, so a scribbled frame
// size is caught before anything shifts by it.
//
// What the marks cannot catch: a sender that keeps using (or sends again) a frame after
// the receiver has taken it — the mark is clear by then, as for a frame sent legitimately
// twice in a row. That is a use-after-send in the sender, visible later as a frame given
// back twice (PacketPool::check_no_leaks). And the checks are a snapshot: zero copy means
// the peer still maps the frame and could rewrite it after the check. So a pipe joins
// trusted code (two graphs of this host, or a process the host trusts as it trusts a
// PacketPool::attach); an untrusted tenant gets its own pool, the host copying into it and
// validating what comes back (DESIGN.md, "Tenancy and isolation"; issue 6). The rings
// likewise trust their shared headers (ring_layout.h).
//
// Ends, pools and lifetime:
// - ShmPipe::create makes the Region and opens end A over the given pool (the pipe's pool).
//   End B opens once: in this process over any pool (the pipe's: zero copy both ways; any
//   other, e.g. a second Router's: this end copies each packet once, in and out), or in
//   another process from the Region fds (ShmPipe::send_to / receive; the peer attaches the
//   pool's Region, PacketPool::attach, and uses it zero copy).
// - Each end opens once: end B cannot open after end A has closed, nor a second time. One
//   lifecycle word in the header orders end B's claim and both closes (shm_port.cc).
// - Link state is up while both ends are open. Before end B opens, end A's sends wait in
//   the ring; after either end closes, the other sends nothing (tx_burst returns 0).
// - Frames in the rings when the pipe closes go back to the pool: the last end to close
//   drains both rings. A peer process that dies without closing strands what is in its
//   rings until the pipe's creator is told (a supervisor's job, issue 6).
// - The pool an end was opened over must outlive it (port.h). An in-process end B over
//   another pool also borrows the pipe's pool; end A's close takes that loan back: it waits
//   for a burst end B may be in, drains both rings, and end B receives and sends nothing
//   from then on. So the two graphs may be torn down in either order, on any threads.
// - open_shm_port (open_port with Method::kShm) joins ports by (device, queue) in this
//   process: the first open creates a pipe and is its end A, the next is its end B (over
//   any pool, as open_end_b). Once end A has closed and end B is closed or was never
//   opened, the name starts a new pipe, even while the old one's last end is still closing
//   on another thread.
//
// No wait_fd: a pipe has no kernel object to sleep on, so its reader polls.
//
// Threads: as port.h — the receive side and the transmit side of an end may run on two
// threads, each side on one at a time. open_shm_port and the ShmPipe calls are control plane.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "io/port.h"
#include "mem/packet.h"
#include "mem/region.h"
#include "ring/spsc_ring.h"

namespace uplane::io {

// Offsets of the parts of a pipe's Region, all derived from (slots, frame count).
struct ShmPipeLayout {
  static constexpr std::size_t kHeaderBytes = 4096;
  std::size_t ring_offset[2];   // [0] A->B, [1] B->A
  std::size_t ring_bytes;       // each
  std::size_t marks_offset[2];  // [0] A->B, [1] B->A
  std::size_t marks_bytes;      // each: one byte per frame, rounded up to a cache line
  std::size_t total;

  static ShmPipeLayout of(std::uint32_t slots, std::uint32_t frame_count) noexcept;
};

// What the receive side reads of a frame's metadata before it trusts it: the first 12
// bytes of mem::Packet, as packet.h lays them out. Read as bytes, never through Packet's
// accessors (which believe them); shm_port_test pins the two layouts together.
struct ShmFrameHead {
  std::uint32_t frame_index;
  std::uint16_t pool_id;
  std::uint16_t data_off;  // from the frame start
  std::uint16_t length;
  std::uint8_t frame_shift;
  std::uint8_t packet_type;
};
static_assert(sizeof(ShmFrameHead) == 12);

class ShmPort;
namespace detail {
struct PipeView;
}  // namespace detail

// What a peer process gets from ShmPipe::receive: its own view of the pipe's pool and end B
// over it. The port is destroyed first (members go in reverse order).
struct ShmPeer {
  std::unique_ptr<mem::PacketPool> pool;
  std::unique_ptr<ShmPort> port;
};

class ShmPipe {
 public:
  static constexpr std::uint32_t kMinSlots = 2;
  static constexpr std::uint32_t kMaxSlots = 1u << 20;
  static constexpr std::size_t kMaxNameLength = 63;

  // Creates a pipe named `name` (1-63 characters, used for its Region too) whose rings
  // hold `slots` indices each (a power of two in [2, 2^20]), over `pool`, and opens end A
  // on it. `pool` must outlive both ends in this process.
  static Result<ShmPipe> create(const std::string& name, mem::PacketPool& pool,
                                std::uint32_t slots);

  // End B from a pipe's Region (from another process: Region::receive), over `pool`, this
  // process's view of the pipe's pool (PacketPool::attach on the pool's Region). Every
  // field of the header and the layout is checked, and the pool must be the pipe's (same
  // id, name, frame count and size). Fails if end B was opened before or the pipe closed.
  static Result<std::unique_ptr<ShmPort>> attach(std::shared_ptr<mem::Region> region,
                                                 mem::PacketPool& pool);

  // Receives what send_to sent on a connected Unix socket: attaches the pool (with a
  // per-thread cache of `pool_cache_size` frames) and end B over it.
  static Result<ShmPeer> receive(int sock, std::uint32_t pool_cache_size = 256);

  ShmPipe(ShmPipe&&) noexcept;
  ShmPipe& operator=(ShmPipe&&) noexcept;
  ~ShmPipe();

  // End A, opened by create. Moves out: null after the first call.
  std::unique_ptr<ShmPort> take_end_a() noexcept;
  // End B in this process, over `pool`: the pipe's pool (zero copy) or another (one copy
  // each way at this end). Once per pipe.
  Result<std::unique_ptr<ShmPort>> open_end_b(mem::PacketPool& pool);
  // Hands end B to another process: sends the pool's Region, then the pipe's Region, over
  // a connected Unix socket. The peer calls receive().
  Status send_to(int sock) const;

  const std::shared_ptr<mem::Region>& region() const noexcept;
  mem::PacketPool& pool() const noexcept;
  std::uint32_t slots() const noexcept;

 private:
  ShmPipe(std::shared_ptr<detail::PipeView> view, std::unique_ptr<ShmPort> a) noexcept;
  std::shared_ptr<detail::PipeView> view_;
  std::unique_ptr<ShmPort> end_a_;
};

class ShmPort final : public Port {
 public:
  enum class End : std::uint8_t { kA = 0, kB = 1 };

  ~ShmPort() override;

  Method method() const noexcept override { return Method::kShm; }
  // Up to b.room() packets, in the order sent, each checked (see the top of this file).
  std::uint32_t rx_burst(mem::Batch& b) noexcept override;
  // Sends from the front of b until the ring is full; see the top of this file.
  std::uint32_t tx_burst(mem::Batch& b) noexcept override;
  LinkState link_state() const noexcept override;

  End end() const noexcept { return end_; }
  // True when this end's packets are the pipe pool's own (no copy at this end).
  bool zero_copy() const noexcept { return zero_copy_; }
  // The pipe's pool. For an end B over another pool, valid only until end A closes.
  mem::PacketPool& pipe_pool() const noexcept { return pipe_pool_; }

 private:
  friend class ShmPipe;
  friend Result<std::unique_ptr<Port>> open_shm_port(const PortConfig& cfg, mem::PacketPool& pool);
  ShmPort(std::shared_ptr<detail::PipeView> view, End end, mem::PacketPool& local_pool,
          const PortConfig& cfg);
  // Claims end B of the pipe behind `view` and opens it over `local_pool`. When the pipe's
  // state refuses the claim and `refused` is not null, *refused is that state.
  static Result<std::unique_ptr<ShmPort>> open_b(const std::shared_ptr<detail::PipeView>& view,
                                                 mem::PacketPool& local_pool, const PortConfig& cfg,
                                                 std::uint32_t* refused);
  // The receive-side check of one frame index (see the top of this file).
  bool frame_ok(const mem::Packet* p, std::uint32_t index) const noexcept;
  // Copies received pipe frames into this end's own pool; returns how many it delivered.
  std::uint32_t copy_in(mem::Packet** pkts, std::uint32_t n) noexcept;

  std::shared_ptr<detail::PipeView> view_;
  End end_;
  mem::PacketPool& pipe_pool_;
  mem::PacketPool& local_pool_;
  // Fast-path copies of what the view holds.
  ring::SpscRing<std::uint32_t>* rx_ring_;
  ring::SpscRing<std::uint32_t>* tx_ring_;
  std::atomic<std::uint8_t>* rx_marks_;
  std::atomic<std::uint8_t>* tx_marks_;
  std::atomic<std::uint32_t>* state_;  // the pipe's lifecycle word (shm_port.cc)
  std::uint32_t peer_closed_bit_;      // the other end's "closed" bit in it
  // Non-null for an in-process end over another pool (borrowing the pipe's): the burst
  // flags end A's close waits on, and the flag it raises.
  std::atomic<std::uint32_t>* busy_rx_ = nullptr;
  std::atomic<std::uint32_t>* busy_tx_ = nullptr;
  const std::atomic<bool>* loan_ended_ = nullptr;
  std::uint32_t frame_count_;
  std::uint32_t frame_size_;
  std::uint16_t pool_id_;
  std::uint8_t frame_shift_;
  bool rx_;
  bool tx_;
  bool zero_copy_;
};

}  // namespace uplane::io
