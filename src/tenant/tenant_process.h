#pragma once
// Out-of-process tenants (issue 6, the EUROPA design; docs/tenancy.md, "Out-of-process
// tenants"): a tenant's graph in a process of its own, `uplane tenant`, attached to the
// host by a TenantLink (tenant_link.h) — a pool holding only its frames and four rings of
// frame indexes.
//
// Starting one (TenantChild::spawn, on the host's control or supervisor thread):
//   1. a SOCK_SEQPACKET socket pair; fork; the child makes its end fd 3, asks to be killed
//      when the host dies (PR_SET_PDEATHSIG) and execs `PROGRAM tenant --fd 3`
//      (ProcessOptions: the host's own binary by default, or a tenant's own build that
//      links uplane's libraries and calls tenant_process_main);
//   2. the host sends a header ("uplane-tenant 1", name, ports, ring offset, mode), the
//      link's Region(s) by SCM_RIGHTS (its pool; in zero-copy mode the host's pool and the
//      rings' Region), a doorbell eventfd (written when the host posts frames on rx while
//      the tenant says it is asleep), and the Click configuration in chunks, ended by an
//      empty message;
//   3. the child attaches, builds its graph — FromDevice(p)/ToDevice(p) become
//      LinkFromDevice/LinkToDevice, the tenant's ports on the link — and answers "ok" or
//      "error MESSAGE" (a configuration error names file:line:col, as in-process).
// The socket stays open: the host writes "leave" to ask the tenant to finish what it holds
// and exit (a hitless restart), and asks for its elements' handlers ("read SEQ PATH",
// "write SEQ PATH\nVALUE", "info SEQ PATH"; answers "ok SEQ ..." or "error SEQ MESSAGE",
// served between graph passes, about every millisecond); the tenant exits when the host's
// end closes.
//
// Host side, per tenant: ProcessTenant owns its children (the current one and any that are
// leaving). The host's supervisor thread calls supervise(): a child that exited (its pidfd
// readable) or stalled (its rx ring full for longer than stall_ms: killed) is marked dead
// and, per the tenant's restart policy, a new one is started and published; the worker's
// proxy element (TenantProcessLink, tenant_elements.cc) moves to the new link, collects
// what is left on old ones, and reclaims a dead child's frames.
//
// =c
// LinkFromDevice(DEVNAME [, KEYWORDS])
// =d
// In an out-of-process tenant (`uplane tenant`), what FromDevice(DEVNAME) becomes: pushes
// out of output 0 the packets the host delivered for host port DEVNAME (one of the
// tenant's ports), up to BURST per run, processed in place in the link's frames. Keywords
// kept from FromDevice: BURST; SNIFFER, SNAPLEN, OUTBOUND, TIMESTAMP, PROMISC and METHOD
// are accepted and ignored (the host's configuration checks refuse driver keywords).
// Handlers: count, reset_counts.
// =c
// LinkToDevice(DEVNAME [, KEYWORDS])
// =d
// What ToDevice(DEVNAME) becomes in an out-of-process tenant: hands each packet's frame to
// the host (the link's tx ring) to send on host port DEVNAME as the tenant; the host checks
// the descriptor and the frame (egress rules) before it leaves. What the ring refuses
// after a short spin is dropped and counted. Input agnostic. Keywords: BURST, DEBUG,
// METHOD (ignored). Handlers: count, drops, reset_counts.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "tenant/spec.h"
#include "tenant/tenant_link.h"

namespace uplane::tenant {

// What a child is started from.
struct ChildSpec {
  std::string name;
  std::string click;
  std::string click_file;
  std::uint32_t click_line = 1;
  std::vector<std::string> ports;  // link port i is host port ports[i]
  LinkConfig link;
  std::string program;  // the executable; empty: this process's own (/proc/self/exe)
  std::uint64_t handshake_timeout_ms = 10000;
};

// One tenant process and its link (host side).
class TenantChild {
 public:
  // Starts the process and completes the handshake: all or nothing (a child that fails is
  // killed and reaped, and its message — a configuration error, say — is returned).
  static Result<std::unique_ptr<TenantChild>> spawn(const ChildSpec& spec);
  TenantChild(const TenantChild&) = delete;
  TenantChild& operator=(const TenantChild&) = delete;
  ~TenantChild();  // kills it (SIGKILL) if it still runs, and reaps it

  pid_t pid() const noexcept { return pid_; }
  TenantLinkHost& link() noexcept { return *link_; }
  const TenantLinkHost& link() const noexcept { return *link_; }

  // True once the process has exited (reaped here, without blocking).
  bool exited();
  // "exited with status 0", "killed by signal 9"; empty while it runs.
  const std::string& exit_reason() const noexcept { return exit_reason_; }
  // It exited by a signal or with a non-zero status (valid once exited()).
  bool exit_failed() const noexcept { return exit_failed_; }
  void kill_now() noexcept;  // SIGKILL
  // Asks it to finish what it holds and exit (writes "leave" on the socket).
  void ask_to_leave() noexcept;
  // One request to the process ("read PATH", "write PATH\nVALUE", "info PATH"), its answer
  // within `timeout_ms`: the text after "ok", or its error. One caller at a time.
  Result<std::string> ask(std::string_view verb, std::string_view rest, int timeout_ms);

  // Shared with the worker that serves the link.
  std::atomic<std::uint64_t> full_since_ns{0};  // its rx ring refused a frame; 0: it did not
  std::atomic<bool> dead{false};                // exited: the worker reclaims its frames
  std::atomic<bool> reclaimed{false};           // the worker is done with it: it may be destroyed
  bool leaving = false;                         // asked to leave (not a failure when it exits)

 private:
  TenantChild() = default;
  pid_t pid_ = -1;
  UniqueFd pidfd_, sock_, kick_;
  std::uint64_t seq_ = 0;  // of ask()
  std::unique_ptr<TenantLinkHost> link_;
  std::string exit_reason_;
  bool reaped_ = false;
  bool exit_failed_ = false;
};

// Counters of a process tenant, for stats and `uplanectl tenants`.
struct ProcessStats {
  std::uint64_t starts = 0;     // processes started (the first one included)
  std::uint64_t deaths = 0;     // exits that were not asked for
  std::uint64_t stalls = 0;     // killed for not draining its rx ring
  std::uint64_t reclaimed = 0;  // frames taken back from dead children
  std::int64_t pid = -1;        // the current child's, -1 when none runs
  // Summed over the children so far (the ledger's rejects, the link's drops).
  std::uint64_t rejects[kFrameRejectCount] = {};
  std::uint64_t ring_faults = 0;
  std::uint64_t delivered = 0, collected = 0;
  // Children whose frames did not all come back, or whose ledger did not balance, once
  // they were gone (0: every frame of every link went back to its pool).
  std::uint64_t unbalanced = 0;
  std::string last_exit;  // exit_reason() of the last child that exited
};

class ProcessTenant {
 public:
  explicit ProcessTenant(RestartPolicy policy, std::uint64_t stall_ms)
      : policy_(policy), stall_ms_(stall_ms) {}
  ~ProcessTenant();  // kills every child

  // Its restart policy and stall time from now on.
  void set_policy(RestartPolicy policy, std::uint64_t stall_ms) {
    std::lock_guard lock(mu_);
    policy_ = policy;
    stall_ms_ = stall_ms;
  }
  // Kills every child and forgets them (the workers no longer run: the host stopped).
  void stop();

  // Starts a child for `spec` and makes it the current one; the one it replaces (if any)
  // is asked to leave and drains meanwhile. On failure nothing changes.
  Status start(const ChildSpec& spec);
  // Supervisor thread: reaps and restarts, kills a stalled child, frees the children the
  // worker is done with. `now_ns` from base/cpu.h now_ns().
  void supervise(std::uint64_t now_ns);
  // Worker: the child whose link gets new packets (null while none runs).
  TenantChild* current() const noexcept { return current_.load(std::memory_order_acquire); }
  // Called by the worker when it reclaimed a dead child's frames.
  void count_reclaimed(std::uint64_t n) noexcept {
    reclaimed_.fetch_add(n, std::memory_order_relaxed);
  }
  ProcessStats stats() const;
  // ask() of the current child; an error when none runs.
  Result<std::string> ask(std::string_view verb, std::string_view rest, int timeout_ms = 2000);

 private:
  RestartPolicy policy_;
  std::uint64_t stall_ms_;
  mutable std::mutex mu_;  // children_, spec_, the counters below
  std::vector<std::unique_ptr<TenantChild>> children_;
  std::atomic<TenantChild*> current_{nullptr};
  ChildSpec spec_;  // what a restart starts
  std::uint64_t starts_ = 0, deaths_ = 0, stalls_ = 0;
  std::uint64_t restart_at_ns_ = 0;  // a restart is due (0: none)
  std::uint64_t backoff_ns_ = 0;
  std::uint64_t last_start_ns_ = 0;
  std::string last_exit_;
  ProcessStats retired_;  // what children already freed had counted
  std::atomic<std::uint64_t> reclaimed_{0};
};

// The tenant's end of a link once the handshake has been read: what the host sent and the
// link attached. The tenant answers with reply() before it touches the rings.
struct TenantSession {
  int sock = -1;
  std::string name, file, click;
  std::uint32_t line = 1;
  std::vector<std::string> ports;  // link port i is host port ports[i]
  bool zero_copy = false;
  std::unique_ptr<TenantLinkTenant> link;
  // The link's frames with a free list of this process's own (PacketPool::attach_private).
  std::unique_ptr<mem::PacketPool> pool;
  UniqueFd kick;  // an eventfd the host writes when it posts on rx while we sleep

  // "ok" (empty `error`) or "error MESSAGE" to the host.
  Status reply(std::string_view error = {}) const;
  // True when the host asked this tenant to leave or went away (never blocks).
  bool host_says_leave() const;
};
// Reads the host's side of the handshake on `sock` and attaches the link. On failure the
// host has been told why ("error ...").
Result<TenantSession> tenant_handshake(int sock);

// The body of `uplane tenant --fd N`: the handshake on socket `sock`, then the tenant's
// graph until the host asks it to leave or goes away. Returns the exit status.
int tenant_process_main(int sock);

}  // namespace uplane::tenant
