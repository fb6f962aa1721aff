#pragma once
// ControlClient: the client side of Click's ControlSocket protocol (control_socket.h), as
// uplanectl and the tests use it. Blocking, with one deadline per call: every wait (connect,
// greeting, reply) is bounded by the timeout given at connect.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace uplane::control {

struct ClientReply {
  int code = 0;
  std::vector<std::string> lines;   // message text of each line, without "CODE-" / "CODE "
  std::optional<std::string> data;  // the bytes after "DATA n", when there were any
  bool ok() const noexcept { return code >= 200 && code < 300; }
  std::string message() const;  // the lines joined with '\n'
};

class ControlClient {
 public:
  // Connects to the Unix socket `path` and reads the greeting (it must start with
  // "Click::ControlSocket/").
  static Result<ControlClient> connect(const std::string& path, int timeout_ms = 5000);

  const std::string& greeting() const noexcept { return greeting_; }

  // READ handler [args]: the data on success (2xx), else the reply as an error status
  // whose message is "CODE text" (lines joined with '\n').
  Result<ClientReply> read(std::string_view handler, std::string_view args = {});
  // WRITEDATA handler n + value: any bytes, newlines included.
  Result<ClientReply> write(std::string_view handler, std::string_view value);
  // Sends `line` (CRLF added) and `payload` right after it, reads one reply; when the reply
  // is 2xx and `expect_data`, then "DATA n" and n bytes.
  Result<ClientReply> command(std::string_view line, std::string_view payload = {},
                              bool expect_data = false);
  // For a command whose reply may or may not carry DATA (an added command): sends it and
  // QUIT, reads the reply, the DATA if the next line is one, and the QUIT's "200 Goodbye!".
  // The connection is finished afterwards.
  Result<ClientReply> command_then_quit(std::string_view line, std::string_view payload = {});

  // Raw access, for tests.
  Status send_raw(std::string_view bytes);
  Result<std::string> read_line();  // without its CRLF
  Result<ClientReply> read_reply(bool expect_data);
  // After a "DATA n" line (given): the n bytes that follow it.
  Result<std::string> read_data(std::string_view data_line);

 private:
  Status fill();  // reads more into in_, within the deadline
  std::uint64_t deadline() const;

  UniqueFd fd_;
  int timeout_ms_ = 5000;
  std::string greeting_;
  std::string in_;
};

}  // namespace uplane::control
