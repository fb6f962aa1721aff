#include "control/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace uplane::control {
namespace {

constexpr std::size_t kMaxLine = 1 << 20;               // a reply line longer than this is garbage
constexpr std::size_t kMaxData = std::size_t{1} << 30;  // "DATA n" above this is refused

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Waits until fd is ready for `events`, at most until `until` (ms, steady clock).
Status wait_for(int fd, short events, std::int64_t until, std::string_view what) {
  for (;;) {
    const std::int64_t left = until - now_ms();
    if (left <= 0) return make_error(Errc::kIo, "timed out {}", what);
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return {};
    if (n < 0 && errno != EINTR) return errno_error(errno, "poll");
  }
}

}  // namespace

std::string ClientReply::message() const {
  std::string s;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i != 0) s += '\n';
    s += lines[i];
  }
  return s;
}

Result<ControlClient> ControlClient::connect(const std::string& path, int timeout_ms) {
  ControlClient c;
  c.timeout_ms_ = timeout_ms;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(sa.sun_path))
    return make_error(Errc::kInvalidArgument, "socket path '{}': empty or too long", path);
  std::memcpy(sa.sun_path, path.data(), path.size());
  c.fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!c.fd_.valid()) return errno_error(errno, "socket");
  const std::int64_t until = now_ms() + timeout_ms;
  // A Unix socket whose backlog is full answers EAGAIN: retry until the deadline.
  for (;;) {
    if (::connect(c.fd_.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) == 0) break;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return errno_error(errno, fmt::format("connect to {}", path));
    if (now_ms() >= until) return make_error(Errc::kIo, "timed out connecting to {}", path);
    ::poll(nullptr, 0, 10);
  }
  auto g = c.read_line();
  if (!g.is_ok())
    return make_error(g.status().code(), "{}: no greeting: {}", path, g.status().message());
  if (g->rfind("Click::ControlSocket/", 0) != 0)
    return make_error(Errc::kIo, "{}: not a control socket (it said '{}')", path, *g);
  c.greeting_ = std::move(*g);
  return c;
}

std::uint64_t ControlClient::deadline() const {
  return static_cast<std::uint64_t>(now_ms() + timeout_ms_);
}

Status ControlClient::send_raw(std::string_view bytes) {
  const auto until = static_cast<std::int64_t>(deadline());
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      UPLANE_RETURN_IF_ERROR(wait_for(fd_.get(), POLLOUT, until, "sending to the server"));
      continue;
    }
    return errno_error(errno, "send");
  }
  return {};
}

Status ControlClient::fill() {
  const auto until = static_cast<std::int64_t>(deadline());
  for (;;) {
    char buf[65536];
    const ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      return {};
    }
    if (n == 0) return make_error(Errc::kIo, "the server closed the connection");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errno_error(errno, "recv");
    UPLANE_RETURN_IF_ERROR(wait_for(fd_.get(), POLLIN, until, "waiting for the server"));
  }
}

Result<std::string> ControlClient::read_line() {
  std::size_t scanned = 0;
  for (;;) {
    const auto nl = in_.find('\n', scanned);
    if (nl != std::string::npos) {
      std::size_t end = nl;
      if (end > 0 && in_[end - 1] == '\r') --end;
      std::string line = in_.substr(0, end);
      in_.erase(0, nl + 1);
      return line;
    }
    scanned = in_.size();
    if (in_.size() > kMaxLine) return make_error(Errc::kIo, "reply line too long");
    UPLANE_RETURN_IF_ERROR(fill());
  }
}

Result<ClientReply> ControlClient::read_reply(bool expect_data) {
  ClientReply r;
  for (int n = 0;; ++n) {
    if (n > 10000) return make_error(Errc::kIo, "reply has too many lines");
    auto line = read_line();
    if (!line.is_ok()) return line.status();
    const std::string& l = *line;
    int code = 0;
    auto [p, ec] = std::from_chars(l.data(), l.data() + std::min<std::size_t>(l.size(), 3), code);
    if (l.size() < 4 || ec != std::errc() || p != l.data() + 3 || (l[3] != ' ' && l[3] != '-'))
      return make_error(Errc::kIo, "malformed reply line '{}'", l);
    if (r.code != 0 && code != r.code)
      return make_error(Errc::kIo, "reply code changed from {} to {}", r.code, code);
    r.code = code;
    r.lines.push_back(l.substr(4));
    if (l[3] == ' ') break;
  }
  if (expect_data && r.ok()) {
    auto line = read_line();
    if (!line.is_ok()) return line.status();
    if (line->rfind("DATA ", 0) != 0)
      return make_error(Errc::kIo, "expected 'DATA n', got '{}'", *line);
    auto data = read_data(*line);
    if (!data.is_ok()) return data.status();
    r.data = std::move(*data);
  }
  return r;
}

Result<std::string> ControlClient::read_data(std::string_view data_line) {
  std::size_t n = 0;
  const std::string_view num = data_line.substr(5);  // after "DATA "
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
  if (ec != std::errc() || p != num.data() + num.size() || n > kMaxData)
    return make_error(Errc::kIo, "bad data length in '{}'", data_line);
  while (in_.size() < n) UPLANE_RETURN_IF_ERROR(fill());
  std::string data = in_.substr(0, n);
  in_.erase(0, n);
  return data;
}

Result<ClientReply> ControlClient::command(std::string_view line, std::string_view payload,
                                           bool expect_data) {
  std::string out(line);
  out += "\r\n";
  out += payload;
  UPLANE_RETURN_IF_ERROR(send_raw(out));
  return read_reply(expect_data);
}

Result<ClientReply> ControlClient::read(std::string_view handler, std::string_view args) {
  if (args.find_first_of("\r\n") != std::string_view::npos)
    return command(fmt::format("READDATA {} {}", handler, args.size()), args, true);
  if (args.empty()) return command(fmt::format("READ {}", handler), {}, true);
  return command(fmt::format("READ {} {}", handler, args), {}, true);
}

Result<ClientReply> ControlClient::write(std::string_view handler, std::string_view value) {
  return command(fmt::format("WRITEDATA {} {}", handler, value.size()), value, false);
}

Result<ClientReply> ControlClient::command_then_quit(std::string_view line,
                                                     std::string_view payload) {
  std::string out(line);
  out += "\r\n";
  out += payload;
  out += "QUIT\r\n";
  UPLANE_RETURN_IF_ERROR(send_raw(out));
  auto r = read_reply(false);
  if (!r.is_ok()) return r;
  auto next = read_line();
  if (!next.is_ok()) return next.status();
  if (next->rfind("DATA ", 0) == 0) {
    auto data = read_data(*next);
    if (!data.is_ok()) return data.status();
    r->data = std::move(*data);
    next = read_line();
    if (!next.is_ok()) return next.status();
  }
  // What is left is QUIT's reply (possibly a continuation of a 500 for extra words first).
  if (next->rfind("200 ", 0) != 0)
    return make_error(Errc::kIo, "unexpected line after the reply: '{}'", *next);
  return r;
}

}  // namespace uplane::control
