#include "tenant/tenant_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <optional>
#include <span>
#include <thread>

#include "base/cpu.h"
#include "base/log.h"
#include "base/unix_socket.h"
#include "graph/config.h"
#include "graph/element.h"
#include "graph/registry.h"
#include "graph/router.h"
#include "graph/task.h"
#include "graph/worker.h"
#include "mem/region.h"

namespace uplane::tenant {

namespace {

constexpr std::string_view kHello = "uplane-tenant 1";
constexpr std::size_t kChunk = 32 * 1024;
constexpr std::size_t kMaxMessage = 64 * 1024;

Status send_msg(int sock, std::string_view m) {
  if (::send(sock, m.data(), m.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(m.size()))
    return make_error(Errc::kIo, "tenant socket: send: {}", std::strerror(errno));
  return {};
}

// One message, waiting at most `timeout_ms` (-1: forever). Empty messages are messages.
Result<std::string> recv_msg(int sock, int timeout_ms) {
  pollfd p{sock, POLLIN, 0};
  const int r = ::poll(&p, 1, timeout_ms);
  if (r == 0) return make_error(Errc::kResourceExhausted, "no answer within {} ms", timeout_ms);
  if (r < 0) return make_error(Errc::kIo, "poll: {}", std::strerror(errno));
  std::string buf(kMaxMessage, '\0');
  const ssize_t n = ::recv(sock, buf.data(), buf.size(), 0);
  if (n < 0) return make_error(Errc::kIo, "recv: {}", std::strerror(errno));
  if (n == 0 && (p.revents & (POLLHUP | POLLERR)) != 0)
    return make_error(Errc::kFailedPrecondition, "the other side closed the socket");
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("ended (wait status {:#x})", status);
}

bool failed(int status) { return !WIFEXITED(status) || WEXITSTATUS(status) != 0; }

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t end = s.find(sep, start);
    const std::size_t stop = end == std::string_view::npos ? s.size() : end;
    out.emplace_back(s.substr(start, stop - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

// Forks and execs `argv` with `child_end` as its fd 3, the child to be killed when the host
// dies (PR_SET_PDEATHSIG). The kernel sends that signal when the *thread* that forked the
// child exits, not the process, so every child is forked by one thread that lives as long
// as the process: this one's. Returns the pid, or -errno.
class Spawner {
 public:
  static Spawner& get() {
    static Spawner* s = new Spawner();  // never destroyed: its thread lives to the exit
    return *s;
  }
  pid_t spawn(const char* const* argv, int child_end) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return argv_ == nullptr && !done_; });  // one at a time
    argv_ = argv;
    fd_ = child_end;
    cv_.notify_all();
    cv_.wait(lock, [this] { return done_; });
    done_ = false;
    cv_.notify_all();
    return pid_;
  }

 private:
  Spawner() {
    std::thread([this] { loop(); }).detach();
  }
  [[noreturn]] void loop() {
    for (;;) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return argv_ != nullptr; });
      pid_ = fork_exec(argv_, fd_);
      argv_ = nullptr;
      done_ = true;
      cv_.notify_all();
    }
  }
  // The child calls only async-signal-safe functions until it execs.
  static pid_t fork_exec(const char* const* argv, int child_end) {
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) _exit(126);  // the host died before we asked
      if (child_end == 3) {
        if (::fcntl(3, F_SETFD, 0) < 0) _exit(126);  // keep it across exec
      } else if (::dup2(child_end, 3) < 0) {         // dup2 clears close-on-exec on fd 3
        _exit(126);
      }
      ::execv(argv[0], const_cast<char* const*>(argv));
      _exit(127);
    }
    return pid;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  const char* const* argv_ = nullptr;
  int fd_ = -1;
  pid_t pid_ = -1;
  bool done_ = false;
};

}  // namespace

// --- host side: one child ---

Result<std::unique_ptr<TenantChild>> TenantChild::spawn(const ChildSpec& spec) {
  auto link = TenantLinkHost::create(spec.link);
  if (!link.is_ok()) return link.status();
  auto pair = socket_pair();
  if (!pair.is_ok()) return pair.status();
  std::unique_ptr<TenantChild> c(new TenantChild());
  c->link_ = std::move(link).value();
  const std::string program = spec.program.empty() ? "/proc/self/exe" : spec.program;
  // Everything the child needs is ready before fork: it only calls async-signal-safe
  // functions until it execs.
  const char* argv[] = {program.c_str(), "tenant", "--fd", "3", nullptr};
  const pid_t pid = Spawner::get().spawn(argv, pair->second.get());
  if (pid < 0) return make_error(Errc::kIo, "fork: {}", std::strerror(-pid));
  c->pid_ = pid;
  c->pidfd_ = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  pair->second.reset();
  c->sock_ = std::move(pair->first);
  const int sock = c->sock_.get();
  const TenantLinkHost& l = *c->link_;
  std::string ports;
  for (const std::string& p : spec.ports) ports += (ports.empty() ? "" : ",") + p;
  const std::string header = fmt::format(
      "{}\nname={}\nports={}\nring_offset={}\nzero_copy={}\nfile={}\nline={}\n", kHello, spec.name,
      ports, l.ring_offset(), l.zero_copy() ? 1 : 0, spec.click_file, spec.click_line);
  auto fail = [&](const Status& st) -> Status {
    c->kill_now();
    return st;
  };
  // The child's doorbell: the host writes it when it posts frames while the child sleeps.
  c->kick_ = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (c->kick_.get() < 0) {
    c->kill_now();
    return make_error(Errc::kSystem, "eventfd: {}", std::strerror(errno));
  }
  c->link_->set_kick_fd(c->kick_.get());
  Status st = send_msg(sock, header);
  if (st.is_ok()) st = l.pool_region()->send_to(sock);
  if (st.is_ok() && l.zero_copy()) st = l.ring_region()->send_to(sock);
  if (st.is_ok()) {
    static constexpr char kTag[] = "kick";
    st = send_fd(sock, c->kick_.get(), std::as_bytes(std::span<const char>(kTag, sizeof kTag - 1)));
  }
  for (std::size_t off = 0; st.is_ok() && off < spec.click.size(); off += kChunk)
    st = send_msg(sock, std::string_view(spec.click).substr(off, kChunk));
  if (st.is_ok()) st = send_msg(sock, {});
  const std::string who = fmt::format("tenant '{}' (process {})", spec.name, pid);
  if (!st.is_ok()) {
    (void)fail(st);
    (void)c->exited();
    return make_error(Errc::kFailedPrecondition, "{}: handshake: {} ({})", who, st.message(),
                      c->exit_reason_.empty() ? "still running" : c->exit_reason_);
  }
  auto answer = recv_msg(sock, static_cast<int>(spec.handshake_timeout_ms));
  if (!answer.is_ok() || answer->empty()) {
    (void)fail(Status());
    (void)c->exited();
    const std::string why =
        answer.is_ok() ? std::string("no answer") : std::string(answer.status().message());
    return make_error(Errc::kFailedPrecondition, "{}: handshake: {}; the process {}{}", who, why,
                      c->exit_reason_.empty() ? "was killed" : c->exit_reason_,
                      c->exit_reason_ == "exited with status 127"
                          ? fmt::format(" (could not run '{}')", program)
                          : "");
  }
  if (answer->rfind("error ", 0) == 0) {
    (void)fail(Status());
    // The child's own words, as far as they are printable and not too long.
    std::string msg = answer->substr(6, 4000);
    for (char& ch : msg)
      if ((ch < 0x20 && ch != '\n') || ch == 0x7f) ch = '?';
    return make_error(Errc::kInvalidArgument, "{}", msg);
  }
  if (*answer != "ok") {
    (void)fail(Status());
    return make_error(Errc::kFailedPrecondition, "{}: handshake: unexpected answer '{}'", who,
                      answer->substr(0, 80));
  }
  // Topped up before the worker first looks: the tenant can make packets at once.
  (void)c->link_->fill();
  return c;
}

TenantChild::~TenantChild() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

bool TenantChild::exited() {
  if (reaped_) return true;
  if (pid_ <= 0) return true;
  if (pidfd_.get() >= 0) {
    pollfd p{pidfd_.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
  }
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return false;
  reaped_ = true;
  exit_reason_ = r == pid_ ? describe_status(status) : std::string("gone (not our child)");
  exit_failed_ = r != pid_ || failed(status);
  return true;
}

void TenantChild::kill_now() noexcept {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    exit_reason_ = r == pid_ ? describe_status(status) : std::string("gone");
    exit_failed_ = true;
  }
}

void TenantChild::ask_to_leave() noexcept {
  leaving = true;
  (void)send_msg(sock_.get(), "leave");
}

Result<std::string> TenantChild::ask(std::string_view verb, std::string_view rest, int timeout_ms) {
  const std::uint64_t seq = ++seq_;
  UPLANE_RETURN_IF_ERROR(send_msg(sock_.get(), fmt::format("{} {} {}", verb, seq, rest)));
  const std::string ok = fmt::format("ok {}", seq), err = fmt::format("error {}", seq);
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout_ms) * 1'000'000;
  for (;;) {  // answers to earlier requests that timed out are skipped
    const std::uint64_t now = now_ns();
    if (now >= deadline) break;
    auto m = recv_msg(sock_.get(), static_cast<int>((deadline - now) / 1'000'000) + 1);
    if (!m.is_ok()) return m.status();
    const std::string_view a = *m;
    auto after = [&](const std::string& head) -> std::optional<std::string> {
      if (a.rfind(head, 0) != 0 ||
          (a.size() > head.size() && a[head.size()] != ' ' && a[head.size()] != '\n'))
        return std::nullopt;
      return std::string(a.substr(std::min(a.size(), head.size() + 1)));
    };
    if (auto v = after(ok)) return *v;
    if (auto e = after(err)) return make_error(Errc::kInvalidArgument, "{}", e->substr(0, 4000));
  }
  return make_error(Errc::kResourceExhausted, "process {} did not answer within {} ms", pid_,
                    timeout_ms);
}

// --- host side: a tenant's children ---

ProcessTenant::~ProcessTenant() {
  current_.store(nullptr, std::memory_order_release);
  std::lock_guard lock(mu_);
  children_.clear();  // each kills and reaps its process; copy-mode frames go with the link
}

namespace {
// Every frame of a gone child's link is back: in its ledger, and (copy mode) on its free list.
bool all_back(const TenantLinkHost& l) {
  return l.balanced() && l.ledger().held_count() == 0 &&
         (l.zero_copy() || l.frames_free() == l.ledger().frames());
}
}  // namespace

void ProcessTenant::stop() {
  current_.store(nullptr, std::memory_order_release);
  std::lock_guard lock(mu_);
  // The workers have stopped: the links are ours to reclaim.
  for (auto& c : children_) {
    c->kill_now();
    reclaimed_.fetch_add(c->link().reclaim(), std::memory_order_relaxed);
    if (!all_back(c->link())) ++retired_.unbalanced;
  }
  children_.clear();
}

Status ProcessTenant::start(const ChildSpec& spec) {
  auto child = TenantChild::spawn(spec);
  if (!child.is_ok()) return child.status();
  std::lock_guard lock(mu_);
  TenantChild* old = current_.load(std::memory_order_relaxed);
  spec_ = spec;
  ++starts_;
  last_start_ns_ = now_ns();
  restart_at_ns_ = 0;
  children_.push_back(std::move(child).value());
  current_.store(children_.back().get(), std::memory_order_release);
  if (old != nullptr) old->ask_to_leave();
  return {};
}

void ProcessTenant::supervise(std::uint64_t now) {
  std::unique_lock lock(mu_);
  TenantChild* cur = current_.load(std::memory_order_relaxed);
  for (auto& c : children_) {
    if (c->dead.load(std::memory_order_relaxed)) continue;
    // A child whose rx ring has stayed full for stall_ms is not draining: it goes.
    const std::uint64_t since = c->full_since_ns.load(std::memory_order_relaxed);
    if (!c->leaving && stall_ms_ != 0 && since != 0 && now > since &&
        now - since > stall_ms_ * 1'000'000) {
      UPLANE_LOG(kWarn, "tenant '{}': process {} has not drained its ring for {} ms; killing it",
                 spec_.name, c->pid(), (now - since) / 1'000'000);
      ++stalls_;
      c->kill_now();
    }
    if (!c->exited()) continue;
    last_exit_ = c->exit_reason();
    const bool asked = c->leaving;
    if (c.get() == cur) {
      current_.store(nullptr, std::memory_order_release);
      cur = nullptr;
      const bool again = policy_ == RestartPolicy::kAlways ||
                         (policy_ == RestartPolicy::kOnFailure && c->exit_failed());
      if (!asked) {
        ++deaths_;
        UPLANE_LOG(kWarn, "tenant '{}': process {} {}{}", spec_.name, c->pid(), c->exit_reason(),
                   again ? "; restarting it" : "");
      }
      if (again && !asked) {
        // Back to back deaths back off: 0, then 100 ms doubling to 5 s while it keeps dying
        // within a second of its start.
        backoff_ns_ = now - last_start_ns_ < 1'000'000'000
                          ? std::clamp<std::uint64_t>(backoff_ns_ * 2, 100'000'000, 5'000'000'000)
                          : 0;
        restart_at_ns_ = now + backoff_ns_;
      }
    }
    c->dead.store(true, std::memory_order_release);  // the worker reclaims its frames
  }
  // Children the worker is done with go (their processes are reaped).
  for (auto it = children_.begin(); it != children_.end();) {
    TenantChild& c = **it;
    if (c.reclaimed.load(std::memory_order_acquire)) {
      const TenantLinkHost& l = c.link();
      for (std::size_t r = 0; r < kFrameRejectCount; ++r)
        retired_.rejects[r] += l.ledger().rejected(static_cast<FrameReject>(r));
      retired_.ring_faults += l.ring_faults();
      retired_.delivered += l.delivered();
      retired_.collected += l.collected();
      if (!all_back(l)) ++retired_.unbalanced;
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
  if (restart_at_ns_ != 0 && now >= restart_at_ns_ && cur == nullptr) {
    restart_at_ns_ = 0;
    const ChildSpec spec = spec_;
    lock.unlock();  // the handshake takes a while; stats() may read meanwhile
    auto child = TenantChild::spawn(spec);
    lock.lock();
    if (!child.is_ok()) {
      UPLANE_LOG(kWarn, "tenant '{}': restart failed: {}", spec.name, child.status().message());
      backoff_ns_ = std::clamp<std::uint64_t>(backoff_ns_ * 2, 100'000'000, 5'000'000'000);
      restart_at_ns_ = now_ns() + backoff_ns_;
      return;
    }
    ++starts_;
    last_start_ns_ = now_ns();
    children_.push_back(std::move(child).value());
    current_.store(children_.back().get(), std::memory_order_release);
  }
}

Result<std::string> ProcessTenant::ask(std::string_view verb, std::string_view rest,
                                       int timeout_ms) {
  std::lock_guard lock(mu_);
  TenantChild* c = current_.load(std::memory_order_relaxed);
  if (c == nullptr) return make_error(Errc::kFailedPrecondition, "no process runs");
  return c->ask(verb, rest, timeout_ms);
}

ProcessStats ProcessTenant::stats() const {
  std::lock_guard lock(mu_);
  ProcessStats s = retired_;
  s.starts = starts_;
  s.deaths = deaths_;
  s.stalls = stalls_;
  s.reclaimed = reclaimed_.load(std::memory_order_relaxed);
  s.last_exit = last_exit_;
  if (TenantChild* c = current_.load(std::memory_order_relaxed); c != nullptr) s.pid = c->pid();
  // Live children's counters are the worker's; read as they are (relaxed atomics).
  for (const auto& c : children_) {
    const TenantLinkHost& l = c->link();
    for (std::size_t r = 0; r < kFrameRejectCount; ++r)
      s.rejects[r] += l.ledger().rejected(static_cast<FrameReject>(r));
  }
  return s;
}

// --- tenant side ---

namespace {

// Packets that came in on one port and no LinkFromDevice has taken yet: a FIFO of fixed
// size (what does not fit is dropped: its reader is that far behind).
class Staged {
 public:
  static constexpr std::uint32_t kSize = 4096;  // a power of two
  bool empty() const noexcept { return head_ == tail_; }
  bool push(mem::Packet* p) noexcept {
    if (tail_ - head_ == kSize) return false;
    buf_[tail_++ & (kSize - 1)] = p;
    return true;
  }
  // Moves up to n into b.
  void pop_into(graph::Batch& b, std::uint32_t n) noexcept {
    while (head_ != tail_ && b.size() < n) (void)b.push_back(buf_[head_++ & (kSize - 1)]);
  }

 private:
  std::vector<mem::Packet*> buf_ = std::vector<mem::Packet*>(kSize);
  std::uint32_t head_ = 0, tail_ = 0;
};

// What the tenant's elements see: the link, the pool view, the ports and, per port, what
// came in on it and no LinkFromDevice has taken yet.
class LinkContext final : public graph::HostContext {
 public:
  TenantLinkTenant* link = nullptr;
  mem::PacketPool* pool = nullptr;
  std::vector<std::string> ports;
  std::vector<Staged> staged;         // per port
  std::vector<bool> reading;          // a LinkFromDevice reads the port
  std::uint64_t bad_descriptors = 0;  // from the host: never expected

  int port_index(std::string_view name) const {
    for (std::size_t i = 0; i < ports.size(); ++i)
      if (ports[i] == name) return static_cast<int>(i);
    return -1;
  }
  std::string port_list() const {
    std::string s;
    for (const std::string& p : ports) s += (s.empty() ? "" : ", ") + p;
    return s;
  }
  // Takes what waits on the rx ring, staged per port. True when it took something.
  bool poll_rx() noexcept {
    LinkDesc d[graph::Batch::kMax];
    const std::uint32_t got = link->receive(d, graph::Batch::kMax);
    for (std::uint32_t i = 0; i < got; ++i) {
      if (d[i].index >= pool->frame_count()) {
        ++bad_descriptors;
        continue;
      }
      mem::Packet* p = pool->rebuild(d[i].index);
      if (d[i].port >= staged.size() || !reading[d[i].port] ||
          !p->set_window(d[i].offset, d[i].length)) {
        if (d[i].port >= staged.size()) ++bad_descriptors;
        pool->free(p);
        continue;
      }
      if (!staged[d[i].port].push(p)) pool->free(p);
    }
    return got != 0;
  }
};

LinkContext* link_context_of(graph::Element& e) {
  return dynamic_cast<LinkContext*>(e.router().host_context());
}

Status not_in_tenant_process(std::string_view cls, std::string_view plain) {
  return make_error(Errc::kInvalidArgument,
                    "{} exists only in an out-of-process tenant (uplane tenant); use {}", cls,
                    plain);
}

// LinkFromDevice and LinkToDevice: documented in tenant_process.h (docs/elements.md).
class LinkFromDevice final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "LinkFromDevice",
                                            .ports = "0/1",
                                            .processing = "h/h",
                                            .configure_phase = graph::kConfigurePhaseDefault - 1};

  Status configure(graph::Args& args) override {
    ctx_ = link_context_of(*this);
    if (ctx_ == nullptr) return not_in_tenant_process(kSpec.name, "FromDevice");
    std::string dev;
    args.required("DEVNAME", dev);
    if (!args.ok()) return args.done();
    bool sniffer = true, outbound = false, timestamp = true, promisc = false;
    std::uint32_t snaplen = 2046;
    std::string method;
    UPLANE_RETURN_IF_ERROR(args.optional("BURST", burst_, 1u, graph::Batch::kMax)
                               .optional("SNIFFER", sniffer)
                               .optional("SNAPLEN", snaplen)
                               .optional("OUTBOUND", outbound)
                               .optional("TIMESTAMP", timestamp)
                               .optional("PROMISC", promisc)
                               .optional("METHOD", method)
                               .done());
    (void)sniffer, (void)outbound, (void)timestamp, (void)promisc, (void)snaplen, (void)method;
    port_ = ctx_->port_index(dev);
    if (port_ < 0)
      return make_error(Errc::kInvalidArgument,
                        "no port '{}' on this tenant's link (its ports: {})", dev,
                        ctx_->port_list());
    if (ctx_->reading[static_cast<std::size_t>(port_)])
      return make_error(Errc::kInvalidArgument, "a second FromDevice({}): one per port", dev);
    ctx_->reading[static_cast<std::size_t>(port_)] = true;
    return {};
  }
  Status initialize() override {
    add_task(true);
    return {};
  }
  void add_handlers() override {
    add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
    add_write_handler("reset_counts", [this](std::string_view) {
      count_.reset();
      return Status();
    });
  }
  bool run_task(graph::Task&) noexcept override {
    auto& q = ctx_->staged[static_cast<std::size_t>(port_)];
    if (q.empty()) ctx_->poll_rx();
    if (q.empty()) return false;
    graph::Batch b;
    q.pop_into(b, burst_);
    count_.add(b.size());
    output_push(0, b);
    return true;
  }

 private:
  LinkContext* ctx_ = nullptr;
  int port_ = -1;
  std::uint32_t burst_ = graph::Batch::kMax;
  graph::Counter64 count_;
};

class LinkToDevice final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "LinkToDevice", .ports = "1/0", .processing = "a/a"};

  Status configure(graph::Args& args) override {
    ctx_ = link_context_of(*this);
    if (ctx_ == nullptr) return not_in_tenant_process(kSpec.name, "ToDevice");
    std::string dev, method;
    bool debug = false;
    args.required("DEVNAME", dev);
    if (!args.ok()) return args.done();
    UPLANE_RETURN_IF_ERROR(args.optional("BURST", burst_, 1u, graph::Batch::kMax)
                               .optional("DEBUG", debug)
                               .optional("METHOD", method)
                               .done());
    port_ = ctx_->port_index(dev);
    if (port_ < 0)
      return make_error(Errc::kInvalidArgument,
                        "no port '{}' on this tenant's link (its ports: {})", dev,
                        ctx_->port_list());
    return {};
  }
  Status initialize() override {
    if (input_is_pull(0)) add_task(true);
    return {};
  }
  void add_handlers() override {
    add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
    add_read_handler("drops", [this] { return fmt::format("{}\n", drops_.get()); });
    add_write_handler("reset_counts", [this](std::string_view) {
      count_.reset();
      drops_.reset();
      return Status();
    });
  }
  void push(int, graph::Batch& b) noexcept override { send(b); }
  bool run_task(graph::Task&) noexcept override {
    graph::Batch b;
    input_pull(0, b, burst_);
    if (b.empty()) return false;
    send(b);
    return true;
  }

 private:
  void send(graph::Batch& b) noexcept {
    LinkDesc d[graph::Batch::kMax];
    mem::Packet* sent_pkts[graph::Batch::kMax];
    std::uint32_t n = 0;
    mem::PacketPool& pool = *ctx_->pool;
    for (mem::Packet* p : b.packets()) {
      if (!pool.owns(p)) {  // cannot happen: every packet here comes from the link's pool
        mem::free_packet(p);
        drops_.add();
        continue;
      }
      d[n] =
          LinkDesc{pool.index_of(p), static_cast<std::uint16_t>(p->data_offset()),
                   static_cast<std::uint16_t>(p->length()), static_cast<std::uint16_t>(port_), 0};
      sent_pkts[n++] = p;
    }
    b.clear();
    std::uint32_t sent = 0;
    for (int tries = 0; tries < 64 && sent < n; ++tries) {
      sent += ctx_->link->send(d + sent, n - sent);
      if (sent < n) cpu_relax();
    }
    count_.add(sent);
    // The host has the sent frames now; what its ring refused is dropped here.
    for (std::uint32_t i = sent; i < n; ++i) pool.free(sent_pkts[i]);
    drops_.add(n - sent);
  }

  LinkContext* ctx_ = nullptr;
  int port_ = -1;
  std::uint32_t burst_ = graph::Batch::kMax;
  graph::Counter64 count_, drops_;
};

std::atomic<bool> g_leave{false};
extern "C" void on_leave_signal(int) { g_leave.store(true, std::memory_order_relaxed); }

struct Hello {
  std::string name, file;
  std::vector<std::string> ports;
  std::size_t ring_offset = 0;
  bool zero_copy = false;
  std::uint32_t line = 1;
};

Result<Hello> parse_hello(std::string_view m) {
  std::vector<std::string> lines = split(m, '\n');
  if (lines.empty() || lines[0] != kHello)
    return make_error(Errc::kInvalidArgument, "not an uplane host (first line '{}')",
                      lines.empty() ? "" : lines[0]);
  Hello h;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    const auto eq = l.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = l.substr(0, eq), v = l.substr(eq + 1);
    if (k == "name") h.name = v;
    if (k == "file") h.file = v;
    if (k == "ports") h.ports = split(v, ',');
    if (k == "ring_offset") h.ring_offset = std::strtoull(v.c_str(), nullptr, 10);
    if (k == "zero_copy") h.zero_copy = v == "1";
    if (k == "line") h.line = static_cast<std::uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
  }
  return h;
}

// The tenant's frames in its pool view: keeps kLowWater or more ready for its own packets
// (from the fill ring) and gives back what it holds beyond kHighWater (on the release ring).
constexpr std::uint32_t kLowWater = 32, kHighWater = 512;

void balance_frames(TenantLinkTenant& link, mem::PacketPool& pool) noexcept {
  const std::uint32_t free = pool.ring_free_estimate();
  if (free < kLowWater) {
    LinkDesc d[64];
    const std::uint32_t got = link.take_fill(d, 64);
    mem::Packet* p[64];
    std::uint32_t n = 0;
    for (std::uint32_t i = 0; i < got; ++i)
      if (d[i].index < pool.frame_count()) p[n++] = pool.rebuild(d[i].index);
    pool.put_bulk(p, n);
  } else if (free > kHighWater) {
    mem::Packet* p[64];
    const std::uint32_t n = std::min<std::uint32_t>(free - kHighWater, 64);
    if (!pool.get_bulk(p, n)) return;
    LinkDesc d[64];
    for (std::uint32_t i = 0; i < n; ++i) d[i] = LinkDesc{pool.index_of(p[i]), 0, 0, 0, 0};
    const std::uint32_t sent = link.release(d, n);
    if (sent < n) pool.put_bulk(p + sent, n - sent);
  }
}

}  // namespace

Status TenantSession::reply(std::string_view error) const {
  return send_msg(sock, error.empty() ? std::string("ok") : fmt::format("error {}", error));
}

namespace {
// Answers the host's handler requests between passes; true when it asked to leave or is
// gone.
bool serve_host(const TenantSession& ses, graph::Router& router) {
  for (int k = 0; k < 16; ++k) {
    pollfd p{ses.sock, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char buf[kMaxMessage];
    const ssize_t n = ::recv(ses.sock, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    if (n <= 0) return true;
    const std::string_view m(buf, static_cast<std::size_t>(n));
    if (m == "leave") return true;
    // VERB SEQ REST
    const auto sp1 = m.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : m.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) continue;
    const std::string_view verb = m.substr(0, sp1), seq = m.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view rest = m.substr(sp2 + 1);
    std::string answer;
    if (verb == "read") {
      auto r = router.read_handler(rest);
      answer = r.is_ok() ? fmt::format("ok {} {}", seq, *r)
                         : fmt::format("error {} {}", seq, r.status().message());
    } else if (verb == "write") {
      const auto nl = rest.find('\n');
      const Status st = router.write_handler(rest.substr(0, nl), nl == std::string_view::npos
                                                                     ? std::string_view()
                                                                     : rest.substr(nl + 1));
      answer =
          st.is_ok() ? fmt::format("ok {}", seq) : fmt::format("error {} {}", seq, st.message());
    } else if (verb == "info") {
      // "ok SEQ E H R W": the element exists, the handler exists, readable, writable.
      const auto dot = rest.rfind('.');
      const std::string_view el =
          dot == std::string_view::npos ? std::string_view() : rest.substr(0, dot);
      const std::string_view hn = dot == std::string_view::npos ? rest : rest.substr(dot + 1);
      const bool e = el.empty() || router.find(el) != nullptr;
      const graph::Handler* h = e ? router.find_handler(el, hn) : nullptr;
      answer = fmt::format("ok {} {} {} {} {}", seq, e ? 1 : 0, h != nullptr ? 1 : 0,
                           h != nullptr && h->read ? 1 : 0, h != nullptr && h->write ? 1 : 0);
    } else {
      answer = fmt::format("error {} unknown request '{}'", seq, verb);
    }
    (void)send_msg(ses.sock, answer.substr(0, kMaxMessage));
  }
  return false;
}
}  // namespace

bool TenantSession::host_says_leave() const {
  pollfd p{sock, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  char buf[64];
  const ssize_t n = ::recv(sock, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  return n <= 0 || std::string_view(buf, static_cast<std::size_t>(n)) == "leave";
}

Result<TenantSession> tenant_handshake(int sock) {
  auto fail = [sock](std::string why) -> Status {
    (void)send_msg(sock, fmt::format("error {}", why));
    return make_error(Errc::kInvalidArgument, "{}", why);
  };
  auto hello_msg = recv_msg(sock, 10'000);
  if (!hello_msg.is_ok()) return fail(hello_msg.status().message());
  auto hello = parse_hello(*hello_msg);
  if (!hello.is_ok()) return fail(hello.status().message());
  const std::string who = fmt::format("tenant '{}'", hello->name);
  auto pool_region = mem::Region::receive(sock);
  if (!pool_region.is_ok())
    return fail(fmt::format("{}: its pool: {}", who, pool_region.status().message()));
  std::shared_ptr<mem::Region> ring_region = *pool_region;
  if (hello->zero_copy) {
    auto r = mem::Region::receive(sock);
    if (!r.is_ok()) return fail(fmt::format("{}: its rings: {}", who, r.status().message()));
    ring_region = std::move(r).value();
  }
  TenantSession s;
  auto kick = recv_fd(sock);
  if (!kick.is_ok()) return fail(fmt::format("{}: its doorbell: {}", who, kick.status().message()));
  s.kick = std::move(kick->fd);
  for (;;) {
    auto chunk = recv_msg(sock, 10'000);
    if (!chunk.is_ok())
      return fail(fmt::format("{}: configuration: {}", who, chunk.status().message()));
    if (chunk->empty()) break;
    s.click += *chunk;
    if (s.click.size() > (64u << 20)) return fail(fmt::format("{}: configuration too large", who));
  }
  auto link = TenantLinkTenant::attach(*pool_region, ring_region, hello->ring_offset);
  if (!link.is_ok()) return fail(fmt::format("{}: {}", who, link.status().message()));
  auto pool = mem::PacketPool::attach_private(*pool_region);
  if (!pool.is_ok()) return fail(fmt::format("{}: its pool: {}", who, pool.status().message()));
  s.sock = sock;
  s.name = hello->name;
  s.file = hello->file;
  s.line = hello->line;
  s.ports = hello->ports;
  s.zero_copy = hello->zero_copy;
  s.link = std::move(link).value();
  s.pool = std::move(pool).value();
  return s;
}

int tenant_process_main(int sock) {
  auto session = tenant_handshake(sock);
  if (!session.is_ok()) {
    std::fprintf(stderr, "uplane tenant: %s\n", session.status().message().c_str());
    return 1;
  }
  TenantSession& ses = *session;
  auto fail = [&ses](std::string_view why) {
    (void)ses.reply(why);
    std::fprintf(stderr, "uplane tenant: %.*s\n", static_cast<int>(why.size()), why.data());
    return 1;
  };
  const std::string who = fmt::format("tenant '{}'", ses.name);
  LinkContext ctx;
  ctx.link = ses.link.get();
  ctx.pool = ses.pool.get();
  ctx.ports = ses.ports;
  ctx.staged.resize(ctx.ports.size());
  ctx.reading.assign(ctx.ports.size(), false);

  // Blank lines in front, so that line numbers in messages are the file's.
  std::string text(ses.line > 1 ? std::min<std::uint32_t>(ses.line - 1, 1u << 20) : 0, '\n');
  text += ses.click;
  const std::string file = ses.file.empty() ? fmt::format("<tenant {}>", ses.name) : ses.file;
  auto parsed = graph::parse_config(text, file);
  if (!parsed.is_ok()) return fail(fmt::format("{}: {}", who, parsed.status().message()));
  graph::FlatConfig cfg = std::move(parsed).value();
  for (graph::ElementDecl& d : cfg.elements) {
    if (d.class_name == "FromDevice") d.class_name = "LinkFromDevice";
    if (d.class_name == "ToDevice") d.class_name = "LinkToDevice";
  }
  graph::RouterOptions ro;
  ro.threads = 1;
  ro.pin_threads = false;
  ro.shared_pool = ctx.pool;
  ro.host = &ctx;
  auto router = graph::Router::create(cfg, ro);
  if (!router.is_ok()) return fail(fmt::format("{}: {}", who, router.status().message()));

  struct sigaction sa = {};
  sa.sa_handler = on_leave_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  if (!ses.reply().is_ok()) return 1;

  graph::Worker& w = (*router)->worker(0);
  std::uint64_t idle_since = 0;
  std::uint32_t passes = 0;
  std::uint64_t last_look = 0;
  bool leaving = false;
  std::uint64_t leave_deadline = 0;
  for (;;) {
    const bool worked = w.run_once(leaving);
    balance_frames(*ses.link, *ses.pool);
    // The host's word, about every millisecond: "leave", or its end closed (it is gone).
    // (A poll() on every idle pass would be most of an idle-spinning tenant's time.)
    if (++passes % 4096 == 0 || (!worked && now_ns() - last_look >= 1'000'000)) {
      last_look = now_ns();
      if (!leaving && serve_host(ses, **router)) leaving = true;
      if (g_leave.load(std::memory_order_relaxed)) leaving = true;
      if (leaving && leave_deadline == 0) leave_deadline = now_ns() + 200'000'000;
    }
    if (leaving) {
      // Finish what the host delivered before it switched over (bounded), then go.
      if ((!worked && !ctx.poll_rx() &&
           std::all_of(ctx.staged.begin(), ctx.staged.end(),
                       [](const auto& q) { return q.empty(); })) ||
          now_ns() > leave_deadline)
        break;
      continue;
    }
    if (worked) {
      idle_since = 0;
      continue;
    }
    // Idle: spin, then yield, then sleep on the doorbell (the host rings it when it posts
    // on rx and sees us asleep) and the socket, until the graph's next timer, 100 ms at most.
    const std::uint64_t now = now_ns();
    if (idle_since == 0) idle_since = now;
    const std::uint64_t idle = now - idle_since;
    if (idle < 100'000) {
      cpu_relax();
    } else if (idle < 400'000) {
      sched_yield();
    } else {
      ses.link->set_asleep(true);
      if (!ses.link->rx_pending()) {  // nothing slipped in before the flag was seen
        std::uint64_t ns = 100'000'000;
        if (const std::uint64_t t = w.next_timer_ns(); t != UINT64_MAX)
          ns = t > now ? std::min(ns, t - now) : 0;
        pollfd p[2] = {{ses.kick.get(), POLLIN, 0}, {ses.sock, POLLIN, 0}};
        const timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                          static_cast<long>(ns % 1'000'000'000)};
        if (ns != 0 && ::ppoll(p, 2, &ts, nullptr) > 0 && (p[0].revents & POLLIN) != 0) {
          std::uint64_t v = 0;
          (void)!::read(ses.kick.get(), &v, sizeof v);
        }
        last_look = 0;  // look at the socket at once
      }
      ses.link->set_asleep(false);
    }
  }
  (void)(*router)->cleanup_and_check_leaks();
  // What it holds unused goes back before it leaves (what it cannot give back, the host
  // reclaims when it sees the exit).
  ses.pool->flush_thread_cache();
  for (int rounds = 0; rounds < 4096; ++rounds) {
    mem::Packet* p[64];
    const std::uint32_t n = std::min<std::uint32_t>(ses.pool->ring_free_estimate(), 64);
    if (n == 0 || !ses.pool->get_bulk(p, n)) break;
    LinkDesc d[64];
    for (std::uint32_t i = 0; i < n; ++i) d[i] = LinkDesc{ses.pool->index_of(p[i]), 0, 0, 0, 0};
    if (ses.link->release(d, n) < n) break;  // the rest stay held: reclaimed at exit
  }
  return 0;
}

UPLANE_REGISTER_ELEMENT(LinkFromDevice);
UPLANE_REGISTER_ELEMENT(LinkToDevice);

}  // namespace uplane::tenant
