#include "control/control_socket.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "base/log.h"

namespace uplane::control {

// One connection. `in` holds what was read and not yet consumed; `out[out_pos..]` what
// waits to be sent.
struct ControlServer::Client {
  UniqueFd fd;
  int id = 0;
  std::string in;
  std::string out;
  std::size_t out_pos = 0;
  bool read_closed = false;  // EOF, QUIT, or an error that ends the conversation
  bool dead = false;         // the socket failed: drop without flushing
  bool blocked = false;      // a command waits for the backend (kWait)
  std::size_t pending() const noexcept { return out.size() - out_pos; }
};

namespace {

bool is_space(char c) noexcept { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// Splits at whitespace; each word is a view into `line`.
std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> w;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t b = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > b) w.push_back(line.substr(b, i - b));
  }
  return w;
}

// From the first byte of words[from] to the last byte of the last word ("" when none).
std::string_view rest_of(std::string_view line, const std::vector<std::string_view>& w,
                         std::size_t from) {
  if (w.size() <= from) return {};
  const char* b = w[from].data();
  const char* e = w.back().data() + w.back().size();
  return line.substr(static_cast<std::size_t>(b - line.data()), static_cast<std::size_t>(e - b));
}

// A byte count: decimal digits only, and not above `max` (else nullopt or max + 1).
std::optional<std::size_t> parse_count(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v > max ? max + 1 : static_cast<std::size_t>(v);
}

bool valid_command_name(std::string_view n) {
  if (n.empty() || n.size() > 32) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

constexpr std::string_view kBuiltins[] = {
    "READ",       "GET",       "READDATA",   "READUNTIL", "WRITE", "SET",   "WRITEDATA", "SETDATA",
    "WRITEUNTIL", "CHECKREAD", "CHECKWRITE", "LLRPC",     "QUIT",  "CLOSE", "HELP"};

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// Sends what it can without blocking or raising SIGPIPE; false when the peer is gone.
bool send_some(int fd, std::string_view bytes, std::size_t& sent) {
  sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string printable(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      o += ch;
    } else if (c < 0x20) {
      o += '^';
      o += static_cast<char>(c + 0x40);
    } else {
      o += fmt::format("\\{:03o}", c);
    }
  }
  return o;
}

ControlServer::ControlServer(ServerOptions options, ControlBackend& backend)
    : options_(std::move(options)), backend_(backend) {}

ControlServer::~ControlServer() { stop(); }

Status ControlServer::add_command(std::string_view name, CommandFn fn, CommandOptions options) {
  if (!valid_command_name(name))
    return make_error(Errc::kInvalidArgument,
                      "command name '{}': expected 1-32 letters, digits or '_'", name);
  if (!fn) return make_error(Errc::kInvalidArgument, "command '{}': no function", name);
  std::string key = upper(name);
  for (std::string_view b : kBuiltins)
    if (key == b) return make_error(Errc::kAlreadyExists, "command '{}' is built in", key);
  std::lock_guard<std::mutex> lock(commands_mu_);
  if (added_.count(key) != 0)
    return make_error(Errc::kAlreadyExists, "command '{}' was already added", key);
  added_.emplace(std::move(key), std::make_shared<const Added>(Added{std::move(fn), options}));
  return {};
}

Status ControlServer::start() {
  if (thread_.joinable() || listen_fd_.valid())
    return make_error(Errc::kFailedPrecondition, "control socket {}: already started",
                      options_.path);
  const std::string& path = options_.path;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty()) return make_error(Errc::kInvalidArgument, "control socket: empty path");
  if (path.size() >= sizeof(sa.sun_path))
    return make_error(Errc::kInvalidArgument,
                      "control socket {}: path too long ({} bytes, at most {})", path, path.size(),
                      sizeof(sa.sun_path) - 1);
  std::memcpy(sa.sun_path, path.data(), path.size());

  // A file already there: a live server (refuse), a stale socket (replace), anything else
  // (refuse: it is not ours to delete).
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return make_error(Errc::kAlreadyExists,
                        "control socket {}: the file exists and is not a socket", path);
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!probe.valid()) return errno_error(errno, "control socket: socket");
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) == 0 ||
        errno == EAGAIN || errno == EINPROGRESS)
      return make_error(Errc::kAlreadyExists,
                        "control socket {}: another server is listening on it", path);
    if (errno != ECONNREFUSED)
      return errno_error(errno,
                         fmt::format("control socket {}: probing the existing socket", path));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return errno_error(errno, fmt::format("control socket {}: removing the stale socket", path));
    UPLANE_LOG(kInfo, "{}: replaced stale socket {}", options_.log_name, path);
  }

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error(errno, "control socket: socket");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0) {
    if (errno == EADDRINUSE)
      return make_error(Errc::kAlreadyExists,
                        "control socket {}: another server is listening on it", path);
    return errno_error(errno, fmt::format("control socket {}: bind", path));
  }
  if (::stat(path.c_str(), &st) == 0) {
    socket_dev_ = st.st_dev;
    socket_ino_ = st.st_ino;
  }
  if (::listen(fd.get(), 16) != 0) {
    const int e = errno;
    ::unlink(path.c_str());
    return errno_error(e, fmt::format("control socket {}: listen", path));
  }
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) {
    const int e = errno;
    ::unlink(path.c_str());
    return errno_error(e, "control socket: eventfd");
  }
  listen_fd_ = std::move(fd);
  wake_fd_ = std::move(wake);
  stopping_.store(false, std::memory_order_relaxed);
  thread_ = std::thread([this] { loop(); });
  UPLANE_LOG(kInfo, "{}: listening on {}", options_.log_name, path);
  return {};
}

void ControlServer::stop() noexcept {
  if (thread_.joinable()) {
    // Partner: the loop's acquire load after it wakes on wake_fd_.
    stopping_.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_.get(), &one, sizeof(one));
    thread_.join();
  }
  if (listen_fd_.valid()) {
    listen_fd_.reset();
    struct stat st {};
    if (::stat(options_.path.c_str(), &st) == 0 && st.st_dev == socket_dev_ &&
        st.st_ino == socket_ino_)
      ::unlink(options_.path.c_str());
  }
  wake_fd_.reset();
}

void ControlServer::loop() noexcept {
  std::vector<pollfd> pfds;
  std::uint64_t accept_paused_until = 0;  // after EMFILE, so poll does not spin
  bool busy = false;  // a client has complete commands left over (the per-turn cap): no sleep
  for (;;) {
    const std::uint64_t now = now_ms();
    const bool accepting = now >= accept_paused_until;
    bool waiting = false;  // a command waits for the backend: look again soon
    pfds.clear();
    pfds.push_back({wake_fd_.get(), POLLIN, 0});
    pfds.push_back({accepting ? listen_fd_.get() : -1, POLLIN, 0});
    const std::size_t in_limit = options_.max_line + options_.max_data + 2;
    for (const auto& c : clients_) {
      short ev = 0;
      if (!c->read_closed && c->in.size() < in_limit && c->pending() < options_.max_output)
        ev |= POLLIN;
      if (c->pending() > 0) ev |= POLLOUT;
      // Nothing to wait for (input ended, nothing to send): leave it out, or a hung-up peer's
      // POLLHUP would wake us at once, again and again, while its last command waits.
      pfds.push_back({ev != 0 ? c->fd.get() : -1, ev, 0});
      waiting = waiting || c->blocked;
    }
    int timeout = -1;
    if (!accepting) timeout = static_cast<int>(accept_paused_until - now);
    if (waiting) timeout = timeout < 0 ? 10 : std::min(timeout, 10);
    if (busy) timeout = 0;
    busy = false;
    const int n = ::poll(pfds.data(), pfds.size(), timeout);
    if (n < 0 && errno != EINTR) {
      UPLANE_LOG(kError, "{}: poll: {}; control socket stops", options_.log_name,
                 std::strerror(errno));
      break;
    }
    if (stopping_.load(std::memory_order_acquire)) break;
    if (n < 0) continue;
    if ((pfds[0].revents & POLLIN) != 0) {
      std::uint64_t v = 0;
      [[maybe_unused]] const ssize_t r = ::read(wake_fd_.get(), &v, sizeof(v));
    }

    for (std::size_t i = 0; i < clients_.size(); ++i) {
      Client& c = *clients_[i];
      const short re = pfds[i + 2].revents;
      if ((re & (POLLIN | POLLHUP | POLLERR)) != 0 && !c.read_closed) {
        if (!read_client(c)) c.dead = true;
      }
      if (!c.dead && (re & POLLOUT) != 0 && !flush_client(c)) c.dead = true;
      if (!c.dead && process_client(c)) busy = true;
      if (!c.dead && !flush_client(c)) c.dead = true;
    }
    const auto gone = [&](const std::unique_ptr<Client>& c) {
      const bool done = c->dead || (c->read_closed && c->in.empty() && c->pending() == 0);
      if (done && options_.verbose)
        UPLANE_LOG(kInfo, "{}: closed connection {}", options_.log_name, c->id);
      return done;
    };
    clients_.erase(std::remove_if(clients_.begin(), clients_.end(), gone), clients_.end());
    nclients_.store(clients_.size(), std::memory_order_relaxed);

    if (accepting && (pfds[1].revents & POLLIN) != 0) {
      accept_clients();
    }
    // A transient accept failure pauses accepting for 100 ms (see accept_clients).
    if (accept_pause_) {
      accept_paused_until = now_ms() + 100;
      accept_pause_ = false;
    }
  }
  // Last words: try once to send what is queued, then close everything.
  for (auto& c : clients_) (void)flush_client(*c);
  clients_.clear();
  nclients_.store(0, std::memory_order_relaxed);
}

void ControlServer::accept_clients() {
  for (int k = 0; k < 16; ++k) {
    const int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
        return;
      UPLANE_LOG(kWarn, "{}: accept: {}", options_.log_name, std::strerror(errno));
      accept_pause_ = true;  // EMFILE, ENFILE, ENOBUFS: try again later
      return;
    }
    UniqueFd owned(fd);
    if (clients_.size() >= options_.max_clients) {
      std::size_t sent = 0;
      (void)send_some(fd, "590 Too many connections\r\n", sent);
      UPLANE_LOG(kWarn, "{}: refused a connection: {} clients already", options_.log_name,
                 clients_.size());
      continue;
    }
    auto c = std::make_unique<Client>();
    c->fd = std::move(owned);
    c->id = next_id_++;
    c->out = fmt::format("{}\r\n", kProtocolGreeting);
    if (options_.verbose) UPLANE_LOG(kInfo, "{}: opened connection {}", options_.log_name, c->id);
    if (!flush_client(*c)) continue;
    clients_.push_back(std::move(c));
  }
  nclients_.store(clients_.size(), std::memory_order_relaxed);
}

bool ControlServer::read_client(Client& c) {
  const std::size_t in_limit = options_.max_line + options_.max_data + 2;
  if (c.in.size() >= in_limit) return true;
  char buf[16384];
  const std::size_t want = std::min(sizeof(buf), in_limit - c.in.size());
  const ssize_t n = ::recv(c.fd.get(), buf, want, MSG_DONTWAIT);
  if (n > 0) {
    c.in.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  if (n == 0) {
    c.read_closed = true;
    return true;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
  return false;  // ECONNRESET and friends: nobody to answer
}

bool ControlServer::flush_client(Client& c) {
  if (c.pending() == 0) return true;
  std::size_t sent = 0;
  const bool alive = send_some(c.fd.get(), std::string_view(c.out).substr(c.out_pos), sent);
  c.out_pos += sent;
  if (c.out_pos == c.out.size()) {
    c.out.clear();
    c.out_pos = 0;
  } else if (c.out_pos > c.out.size() / 2) {
    c.out.erase(0, c.out_pos);
    c.out_pos = 0;
  }
  return alive;
}

// True when the client has complete commands left that the turn's cap kept back.
bool ControlServer::process_client(Client& c) {
  c.blocked = false;
  for (int k = 0; k < options_.commands_per_turn; ++k) {
    if (c.in.empty() || c.pending() >= options_.max_output) return false;
    const Step s = process_one(c);
    if (s == Step::kBlocked) {
      c.blocked = true;
      return false;
    }
    if (s == Step::kNeedMore) return false;
  }
  return !c.in.empty() && c.pending() < options_.max_output;
}

void ControlServer::send_reply(Client& c, const Reply& r) {
  std::vector<std::string_view> lines;
  for (const std::string& l : r.lines) {
    std::string_view v = l;
    for (;;) {
      const auto nl = v.find('\n');
      if (nl == std::string_view::npos) {
        lines.push_back(v);
        break;
      }
      lines.push_back(v.substr(0, nl));
      v.remove_prefix(nl + 1);
      if (v.empty()) break;  // a trailing newline ends the line, adds none
    }
  }
  if (lines.empty()) lines.push_back({});
  const int code = r.code >= 100 && r.code <= 999 ? r.code : kUnspecified;
  for (std::size_t i = 0; i < lines.size(); ++i)
    c.out += fmt::format("{}{}{}\r\n", code, i + 1 < lines.size() ? '-' : ' ', printable(lines[i]));
  if (r.data) {
    c.out += fmt::format("DATA {}\r\n", r.data->size());
    c.out += *r.data;
  }
}

ControlServer::Step ControlServer::process_one(Client& c) {
  // One line: up to the first CR or LF. At EOF, what is left is the last line.
  std::size_t end = 0;
  while (end < c.in.size() && c.in[end] != '\r' && c.in[end] != '\n') ++end;
  if (end > options_.max_line) {
    send_reply(c, Reply::error(kSyntaxError, fmt::format("Line too long (more than {} bytes); "
                                                         "closing the connection",
                                                         options_.max_line)));
    c.in.clear();
    c.read_closed = true;
    return Step::kDone;
  }
  std::size_t len;  // the line with its end
  if (end < c.in.size()) {
    len = end + 1;
    if (c.in[end] == '\r' && end + 1 < c.in.size() && c.in[end + 1] == '\n') len = end + 2;
  } else if (c.read_closed) {
    len = end;
  } else {
    return Step::kNeedMore;
  }
  const std::string line = c.in.substr(0, end);
  const Step s = run_command(c, line, len);
  return s;
}

// Runs one command line; consumes it (and its data) from c.in unless it needs more input
// or waits for the backend.
ControlServer::Step ControlServer::run_command(Client& c, std::string_view line,
                                               std::size_t line_len) {
  const std::vector<std::string_view> w = split_words(line);
  auto consume = [&](std::size_t extra = 0) { c.in.erase(0, line_len + extra); };
  auto reply = [&](const Reply& r, std::size_t extra = 0) {
    send_reply(c, r);
    consume(extra);
    return Step::kDone;
  };
  // Ends the conversation after `r` is sent (the input cannot be trusted to resync).
  auto fatal = [&](const Reply& r) {
    send_reply(c, r);
    c.in.clear();
    c.read_closed = true;
    return Step::kDone;
  };
  if (w.empty()) {
    consume();
    return Step::kDone;
  }
  const std::string cmd = upper(w[0]);

  // Data that follows the line: n bytes (kNeedMore until they are there). kError: reply
  // and go on with the next line; kFatal: reply and end the conversation (the input cannot
  // be resynchronized).
  enum class Take { kOk, kNeedMore, kError, kFatal };
  std::string_view data;
  std::size_t data_len = 0;
  auto take_count = [&](std::string_view word, std::optional<Reply>& err) -> Take {
    const auto n = parse_count(word, options_.max_data);
    if (!n) {
      err = Reply::error(kSyntaxError, fmt::format("Syntax error in '{}'", cmd));
      return Take::kError;
    }
    if (*n > options_.max_data) {
      err = Reply::error(kDataTooBig, fmt::format("Data too large ({} bytes at most); closing "
                                                  "the connection",
                                                  options_.max_data));
      return Take::kFatal;
    }
    if (c.in.size() - line_len < *n) {
      if (c.read_closed) {
        err = Reply::error(kSyntaxError, "Not enough data");
        return Take::kFatal;
      }
      return Take::kNeedMore;
    }
    data = std::string_view(c.in).substr(line_len, *n);
    data_len = *n;
    return Take::kOk;
  };
  // Lines after this one, up to one equal to `term` (trailing whitespace ignored on both).
  auto take_until = [&](std::string_view term, std::optional<Reply>& err) -> Take {
    while (!term.empty() && is_space(term.back())) term.remove_suffix(1);
    std::size_t pos = line_len;
    for (;;) {
      std::size_t e = pos;
      while (e < c.in.size() && c.in[e] != '\r' && c.in[e] != '\n') ++e;
      if (e >= c.in.size()) {
        if (c.in.size() - line_len >= options_.max_data) {
          err = Reply::error(kDataTooBig, fmt::format("Data too large ({} bytes at most); "
                                                      "closing the connection",
                                                      options_.max_data));
          return Take::kFatal;
        }
        if (c.read_closed) {
          err = Reply::error(kSyntaxError, "Connection closed");
          return Take::kFatal;
        }
        return Take::kNeedMore;
      }
      std::string_view l = std::string_view(c.in).substr(pos, e - pos);
      while (!l.empty() && is_space(l.back())) l.remove_suffix(1);
      std::size_t next = e + 1;
      if (c.in[e] == '\r' && next < c.in.size() && c.in[next] == '\n') ++next;
      if (l == term) {
        data = std::string_view(c.in).substr(line_len, pos - line_len);
        data_len = next - line_len;
        return Take::kOk;
      }
      pos = next;
    }
  };
  // Runs a take_* and turns its outcome into a Step for the caller; nullopt: go on.
  auto take = [&](Take t, std::optional<Reply>& err) -> std::optional<Step> {
    switch (t) {
      case Take::kOk:
        return std::nullopt;
      case Take::kNeedMore:
        return Step::kNeedMore;
      case Take::kError:
        return reply(*err);
      case Take::kFatal:
        return fatal(*err);
    }
    return std::nullopt;
  };
  const bool handler_cmd = cmd == "READ" || cmd == "GET" || cmd == "READDATA" ||
                           cmd == "READUNTIL" || cmd == "WRITE" || cmd == "SET" ||
                           cmd == "WRITEDATA" || cmd == "SETDATA" || cmd == "WRITEUNTIL" ||
                           cmd == "CHECKREAD" || cmd == "CHECKWRITE" || cmd == "LLRPC";

  if (cmd == "QUIT" || cmd == "CLOSE") {
    if (w.size() != 1) send_reply(c, Reply::error(kSyntaxError, "Bad command syntax"));
    send_reply(c, Reply::ok("Goodbye!"));
    c.in.clear();
    c.read_closed = true;
    return Step::kDone;
  }
  if (cmd == "HELP") {
    return reply(Reply{
        kOk,
        {"Commands supported:", "READ handler [arg...]    call a read handler, return DATA",
         "READDATA handler n       the same, with the n bytes after the line as "
         "arguments",
         "READUNTIL handler [term] the same, with the lines up to term",
         "WRITE handler [arg...]   call a write handler",
         "WRITEDATA handler n      call a write handler with the n bytes after "
         "the line",
         "WRITEUNTIL handler [term] call a write handler with the lines up to term",
         "CHECKREAD handler        is the handler there and readable?",
         "CHECKWRITE handler       is the handler there and writable?",
         "LLRPC element#n [n]      not supported", "QUIT                     close the connection"},
        {}});
  }

  if (handler_cmd) {
    // Syntax first (Click's messages), then whether there is a router to ask.
    std::optional<Reply> err;
    if (cmd == "READ" || cmd == "GET" || cmd == "WRITE" || cmd == "SET") {
      if (w.size() < 2) return reply(Reply::error(kSyntaxError, "Wrong number of arguments"));
    } else if (cmd == "READDATA" || cmd == "WRITEDATA" || cmd == "SETDATA") {
      if (w.size() != 3) return reply(Reply::error(kSyntaxError, "Wrong number of arguments"));
      if (auto s = take(take_count(w[2], err), err)) return *s;
    } else if (cmd == "READUNTIL" || cmd == "WRITEUNTIL") {
      if (w.size() < 2) return reply(Reply::error(kSyntaxError, "Wrong number of arguments"));
      if (auto s = take(take_until(rest_of(line, w, 2), err), err)) return *s;
    } else if (cmd == "CHECKREAD" || cmd == "CHECKWRITE") {
      if (w.size() != 2) return reply(Reply::error(kSyntaxError, "Wrong number of arguments"));
    } else {  // LLRPC
      if (w.size() != 2 && w.size() != 3)
        return reply(Reply::error(kSyntaxError, "Wrong number of arguments"));
      if (w.size() == 3) {
        if (auto s = take(take_count(w[2], err), err)) return *s;
      }
    }
    switch (backend_.availability()) {
      case ControlBackend::Availability::kWait:
        return Step::kBlocked;  // nothing consumed; asked again within 10 ms
      case ControlBackend::Availability::kGone:
        return reply(Reply::error(kNoRouter, "No router installed"), data_len);
      case ControlBackend::Availability::kReady:
        break;
    }
    Reply r;
    try {
      const std::string_view h = w[1];
      if (cmd == "READ" || cmd == "GET") {
        r = read_command(h, rest_of(line, w, 2));
      } else if (cmd == "READDATA" || cmd == "READUNTIL") {
        r = read_command(h, data);
      } else if (cmd == "WRITE" || cmd == "SET") {
        r = write_command(h, rest_of(line, w, 2));
      } else if (cmd == "WRITEDATA" || cmd == "SETDATA" || cmd == "WRITEUNTIL") {
        r = write_command(h, data);
      } else if (cmd == "CHECKREAD" || cmd == "CHECKWRITE") {
        r = check_command(h, cmd == "CHECKWRITE");
      } else {
        const auto hash = h.find('#');
        std::string_view num =
            hash == std::string_view::npos ? std::string_view() : h.substr(hash + 1);
        const bool hex =
            !num.empty() && num.size() <= 8 && std::all_of(num.begin(), num.end(), [](char ch) {
              return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
            });
        if (!hex) {
          r = Reply::error(kSyntaxError, fmt::format("Syntax error in LLRPC name '{}'", h));
        } else {
          std::string el, hn;
          ControlBackend::Lookup lk;
          const std::string probe = std::string(h.substr(0, hash)) + ".name";
          if (auto e = resolve(probe, el, hn, lk); e && e->code == kNoSuchElement)
            r = *e;
          else
            r = Reply::error(kUnimplemented,
                             fmt::format("LLRPC '{}' not supported: uplane has no LLRPCs", h));
        }
      }
    } catch (const std::exception& e) {
      r = Reply::error(kHandlerError, fmt::format("'{}' failed: {}", w[1], e.what()));
    } catch (...) {
      r = Reply::error(kHandlerError, fmt::format("'{}' failed", w[1]));
    }
    return reply(r, data_len);
  }

  // An added command.
  std::shared_ptr<const Added> added;
  {
    std::lock_guard<std::mutex> lock(commands_mu_);
    auto it = added_.find(cmd);
    if (it != added_.end()) added = it->second;
  }
  if (!added)
    return reply(Reply::error(kUnimplemented, fmt::format("Command '{}' unimplemented", cmd)));
  CommandRequest req;
  req.command = cmd;
  std::size_t nwords = w.size();
  if (added->options.with_data) {
    std::optional<Reply> err;
    if (w.size() < 2) return reply(Reply::error(kSyntaxError, "Wrong number of arguments"));
    if (auto s = take(take_count(w.back(), err), err)) return *s;
    --nwords;
    req.data.assign(data);
  }
  for (std::size_t i = 1; i < nwords; ++i) req.words.emplace_back(w[i]);
  if (nwords > 1) {
    const char* b = w[1].data();
    const char* e = w[nwords - 1].data() + w[nwords - 1].size();
    req.rest.assign(b, e);
  }
  if (added->options.writes && options_.read_only)
    return reply(Reply::error(kPermissionDenied, fmt::format("Permission denied for '{}'", cmd)),
                 data_len);
  Reply r;
  try {
    r = added->fn(req);
  } catch (const std::exception& e) {
    r = Reply::error(kHandlerError, fmt::format("Command '{}' failed: {}", cmd, e.what()));
  } catch (...) {
    r = Reply::error(kHandlerError, fmt::format("Command '{}' failed", cmd));
  }
  return reply(r, data_len);
}

// Splits a handler name and asks the backend about it; a Reply when it is not there.
std::optional<Reply> ControlServer::resolve(std::string_view name, std::string& element,
                                            std::string& handler, ControlBackend::Lookup& lookup) {
  // ".h" and "0.h" name router handlers, as in Click.
  std::string_view n = name;
  if (!n.empty() && n.front() == '.')
    n.remove_prefix(1);
  else if (n.size() > 1 && n[0] == '0' && n[1] == '.')
    n.remove_prefix(2);
  const auto dot = n.rfind('.');
  if (dot == std::string_view::npos) {
    element.clear();
    handler.assign(n);
  } else {
    element.assign(n.substr(0, dot));
    handler.assign(n.substr(dot + 1));
  }
  if (handler.empty())
    return Reply::error(kNoSuchHandler, fmt::format("No handler named '{}'", name));
  lookup = backend_.find(element, handler);
  switch (lookup.found) {
    case ControlBackend::Found::kNoElement:
      return Reply::error(kNoSuchElement, fmt::format("No element named '{}'", element));
    case ControlBackend::Found::kNoHandler:
      return Reply::error(kNoSuchHandler, fmt::format("No handler named '{}'", name));
    case ControlBackend::Found::kHandler:
      break;
  }
  return std::nullopt;
}

Reply ControlServer::read_command(std::string_view name, std::string_view args) {
  std::string el, hn;
  ControlBackend::Lookup lk;
  if (auto e = resolve(name, el, hn, lk)) return *e;
  if (!lk.readable)
    return Reply::error(kPermissionDenied, fmt::format("Handler '{}' write-only", name));
  Result<std::string> v = backend_.read(el, hn, args);
  if (!v.is_ok())
    return Reply{
        kHandlerError, {fmt::format("Read handler '{}' error:", name), v.status().message()}, {}};
  Reply r = Reply::ok(fmt::format("Read handler '{}' OK", name));
  r.data = std::move(*v);
  return r;
}

Reply ControlServer::write_command(std::string_view name, std::string_view value) {
  std::string el, hn;
  ControlBackend::Lookup lk;
  if (auto e = resolve(name, el, hn, lk)) return *e;
  if (!lk.writable)
    return Reply::error(kPermissionDenied, fmt::format("Handler '{}' read-only", name));
  if (options_.read_only)
    return Reply::error(kPermissionDenied, fmt::format("Permission denied for '{}'", name));
  Status st = backend_.write(el, hn, value);
  if (!st.is_ok())
    return Reply{kHandlerError, {fmt::format("Write handler '{}' error:", name), st.message()}, {}};
  return Reply::ok(fmt::format("Write handler '{}' OK", name));
}

Reply ControlServer::check_command(std::string_view name, bool write) {
  std::string el, hn;
  ControlBackend::Lookup lk;
  if (auto e = resolve(name, el, hn, lk)) return *e;
  const bool ok = write ? lk.writable : lk.readable;
  if (!ok)
    return Reply::error(kNoSuchHandler,
                        fmt::format("Handler '{}' not {}", name, write ? "writable" : "readable"));
  if (write && options_.read_only)
    return Reply::error(kPermissionDenied, fmt::format("Permission denied for '{}'", name));
  return Reply::ok(fmt::format("{} handler '{}' OK", write ? "Write" : "Read", name));
}

}  // namespace uplane::control
