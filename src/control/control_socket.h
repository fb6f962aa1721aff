#pragma once
// ControlServer: Click's ControlSocket line protocol (version 1.3) on a Unix stream socket,
// served by one thread of its own. docs/control.md describes the protocol as a user sees it.
//
// The conversation, after Click's ControlSocket:
//   - on connect the server sends the greeting "Click::ControlSocket/1.3" CRLF;
//   - a command is one line (ended by CR, LF or CRLF) of words separated by whitespace; the
//     command word is case-insensitive; an empty line is ignored;
//   - every reply is one or more message lines "CODE-text" CRLF ... "CODE text" CRLF (all
//     but the last with '-'); a successful read is followed by "DATA n" CRLF and n bytes.
//   Commands: READ h [args] (GET), READDATA h n, READUNTIL h [term], WRITE h [value] (SET),
//   WRITEDATA h n (SETDATA), WRITEUNTIL h [term], CHECKREAD h, CHECKWRITE h, LLRPC e#n [n]
//   (never supported: 501), HELP, QUIT (CLOSE), plus the commands added with add_command.
//   A handler is "element.handler" (split at the last '.', so element names may hold '/'),
//   "N.handler" (the N-th element, from 1), or a router handler "handler" (or ".handler").
//
// Bounds, so no client can hurt the server or the others: at most max_clients connections
// (more are told "590 Too many connections" and closed); a command line longer than
// max_line gets "500 Line too long" and the connection is closed once that is sent; a data
// block (READDATA, WRITEDATA, the *UNTIL forms, commands with_data) over max_data gets
// "521 Data too large" and the same; a client that does not read its replies stops being
// read once max_output bytes wait for it. Nothing blocks: sockets are non-blocking and one
// poll() loop serves everyone, a bounded number of commands per client per turn.
//
// Threads: the backend and every added command run on the server's thread, one call at a
// time. start() and stop() are for one controlling thread (never the server's own: stop()
// joins it); add_command() may be called from any thread, at any time.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace uplane::control {

// Click's reply codes.
enum ReplyCode : int {
  kOk = 200,
  kOkWithWarnings = 220,
  kSyntaxError = 500,
  kUnimplemented = 501,
  kNoSuchElement = 510,
  kNoSuchHandler = 511,
  kHandlerError = 520,
  kDataTooBig = 521,
  kPermissionDenied = 530,
  kNoRouter = 540,
  kUnspecified = 590,
};

inline constexpr std::string_view kProtocolGreeting = "Click::ControlSocket/1.3";

// One reply: message lines under one code, then optionally "DATA n" and the bytes.
struct Reply {
  int code = kOk;
  std::vector<std::string> lines;   // at least one; a line with '\n' in it becomes several
  std::optional<std::string> data;  // sent as "DATA n" CRLF + bytes after the lines

  static Reply ok(std::string message) { return Reply{kOk, {std::move(message)}, {}}; }
  static Reply error(int code, std::string message) {
    return Reply{code, {std::move(message)}, {}};
  }
};

// What the server asks of whoever owns the handlers (a Router, later the tenant host).
// Called on the server's thread only, one call at a time.
class ControlBackend {
 public:
  virtual ~ControlBackend() = default;

  enum class Found { kHandler, kNoElement, kNoHandler };
  struct Lookup {
    Found found = Found::kNoHandler;
    bool readable = false;
    bool writable = false;
  };
  // Whether handler commands can be served now: kReady; kWait (not yet: the server holds
  // the command and asks again shortly; the client's timeout bounds the wait); kGone
  // (answered "540 No router installed").
  enum class Availability { kReady, kWait, kGone };

  virtual Availability availability() { return Availability::kReady; }
  // `element` is empty for a router handler; otherwise a name or a 1-based index in decimal.
  virtual Lookup find(std::string_view element, std::string_view handler) = 0;
  // Only called for a handler find() said is readable (writable). The error's message is
  // what the client sees after "Read handler 'x' error:" (one line per '\n').
  virtual Result<std::string> read(std::string_view element, std::string_view handler,
                                   std::string_view args) = 0;
  virtual Status write(std::string_view element, std::string_view handler,
                       std::string_view value) = 0;
};

// An added command, as the client sent it.
struct CommandRequest {
  std::string command;             // upper-cased: "TENANT"
  std::vector<std::string> words;  // the words after the command (with_data: without n)
  std::string rest;                // the text from the first word after the command to the
                                   // end of the last one, as written
  std::string data;                // with_data: the n bytes that followed the line
};
using CommandFn = std::function<Reply(const CommandRequest&)>;
struct CommandOptions {
  // The line's last word is a byte count n, and n bytes follow it (as WRITEDATA).
  bool with_data = false;
  // Refused with 530 on a read-only server.
  bool writes = false;
};

struct ServerOptions {
  std::string path;                  // the Unix socket's file name
  bool read_only = false;            // Click's READONLY: writes get 530
  bool verbose = false;              // log connections opening and closing (info)
  std::string log_name = "control";  // prefixes log lines
  std::size_t max_clients = 64;
  std::size_t max_line = 64 * 1024;        // bytes in one command line, its end excluded
  std::size_t max_data = 4 * 1024 * 1024;  // bytes of one data block
  std::size_t max_output = 1024 * 1024;    // bytes waiting for a client before we stop reading it
  int commands_per_turn = 32;              // per client per poll round
};

class ControlServer {
 public:
  // `backend` must outlive the server.
  ControlServer(ServerOptions options, ControlBackend& backend);
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  ~ControlServer();  // stop()

  // Adds a command (name case-insensitive, letters, digits and '_'). Replies use the same
  // codes as the built-in commands. A name already taken (built-in or added) is an error.
  // Before start() or while running: a command added later is seen by the next line.
  Status add_command(std::string_view name, CommandFn fn, CommandOptions options = {});

  // Binds and listens on options.path, then serves from a new thread. A socket file that
  // nothing listens on is replaced; one that a server answers on, or a file that is not a
  // socket, is an error that names the path. Call once.
  Status start();
  // Closes every connection and the listening socket, removes the socket file (if it is
  // still the one this server bound), joins the thread. Idempotent.
  void stop() noexcept;

  const std::string& path() const noexcept { return options_.path; }
  // Open connections right now (for tests and stats).
  std::size_t client_count() const noexcept { return nclients_.load(std::memory_order_relaxed); }

 private:
  struct Client;
  struct Added {
    CommandFn fn;
    CommandOptions options;
  };
  enum class Step { kDone, kNeedMore, kBlocked };

  void loop() noexcept;
  void accept_clients();
  bool read_client(Client& c);
  bool flush_client(Client& c);
  bool process_client(Client& c);
  Step process_one(Client& c);
  void send_reply(Client& c, const Reply& r);
  Step run_command(Client& c, std::string_view line, std::size_t line_len);

  Reply read_command(std::string_view handler, std::string_view args);
  Reply write_command(std::string_view handler, std::string_view value);
  Reply check_command(std::string_view handler, bool write);
  std::optional<Reply> resolve(std::string_view name, std::string& element, std::string& handler,
                               ControlBackend::Lookup& lookup);

  ServerOptions options_;
  ControlBackend& backend_;
  UniqueFd listen_fd_;
  UniqueFd wake_fd_;  // eventfd: stop() writes, the loop wakes and ends
  std::uint64_t socket_dev_ = 0, socket_ino_ = 0;  // the file we bound, for a safe unlink
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> nclients_{0};
  std::vector<std::unique_ptr<Client>> clients_;  // server thread only
  int next_id_ = 1;                               // server thread only
  bool accept_pause_ = false;                     // server thread only
  std::mutex commands_mu_;                        // guards added_
  std::map<std::string, std::shared_ptr<const Added>, std::less<>> added_;
};

// Click's String::printable for message text: control bytes as ^X, bytes >= 0x7f as \ooo.
std::string printable(std::string_view s);

}  // namespace uplane::control
