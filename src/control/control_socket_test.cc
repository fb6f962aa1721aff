// The control socket over a real Unix socket: Click's ControlSocket protocol byte for byte
// (greeting, replies, codes, DATA), its bounds (long lines, big data, many clients, clients
// that do not read), RouterBackend on a running router, and the ControlSocket element.

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "control/control_client.h"
#include "control/control_socket.h"
#include "control/control_socket_element.h"
#include "control/router_backend.h"
#include "graph/config.h"
#include "graph/router.h"

namespace uplane::control {
namespace {

using namespace std::chrono_literals;

// A temporary directory for sockets, removed at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/uplane-ctl-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    path_ = d != nullptr ? d : "/tmp";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::unique_ptr<graph::Router> make_router(const std::string& text) {
  auto flat = graph::parse_config(text, "test.click");
  EXPECT_TRUE(flat.is_ok()) << flat.status().message();
  if (!flat.is_ok()) return nullptr;
  graph::RouterOptions opts;
  opts.pin_threads = false;
  opts.pool.frame_count = 2048;
  auto r = graph::Router::create(*flat, opts);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? std::move(r).value() : nullptr;
}

// A raw connection: bytes in, bytes out, with a deadline on every read.
class Raw {
 public:
  explicit Raw(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
  }
  ~Raw() { ::close(fd_); }
  bool connected() const { return connected_; }
  void send(std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Reads until `n` bytes arrived, EOF, or 5 s passed.
  std::string read_n(std::size_t n) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (out.size() < n && std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t r = ::recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (r <= 0) {
        eof_ = true;
        break;
      }
      out.append(buf, static_cast<std::size_t>(r));
    }
    return out;
  }
  // Reads exactly what `expected` is as long (so a mismatch shows the real bytes).
  std::string expect(std::string_view expected) { return read_n(expected.size()); }
  // True when the server closed the connection within 5 s.
  bool closed() {
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
      if (r <= 0) return true;
    }
    return false;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
};

constexpr std::string_view kGreeting = "Click::ControlSocket/1.3\r\n";

// A server on a stopped router with a source, a counter, a queue and a compound element.
class ControlSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_ = make_router(
        "elementclass Box { input -> c :: Counter -> output }\n"
        "src :: InfiniteSource(LIMIT 10, ACTIVE false) -> c :: Counter -> b :: Box\n"
        "  -> q :: Queue(100) -> u :: Unqueue -> Discard;\n");
    ASSERT_NE(router_, nullptr);
    backend_ = std::make_unique<RouterBackend>(*router_);
    start({});
  }
  void start(ServerOptions o) {
    if (server_) server_->stop();
    o.path = path_ = dir_.file("ctl.sock");
    server_ = std::make_unique<ControlServer>(o, *backend_);
    Status st = server_->start();
    ASSERT_TRUE(st.is_ok()) << st.message();
  }
  // Sends `cmd` on a fresh connection and returns what came back (after the greeting) until
  // `n` bytes.
  std::string ask(std::string_view cmd, std::size_t n) {
    Raw r(path_);
    EXPECT_EQ(r.expect(kGreeting), kGreeting);
    r.send(cmd);
    return r.read_n(n);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<graph::Router> router_;
  std::unique_ptr<RouterBackend> backend_;
  std::unique_ptr<ControlServer> server_;
};

TEST_F(ControlSocketTest, GreetsAndReadsWithClicksReplyFormat) {
  Raw r(path_);
  ASSERT_TRUE(r.connected());
  EXPECT_EQ(r.expect(kGreeting), kGreeting);
  r.send("READ c.count\r\n");
  const std::string want = "200 Read handler 'c.count' OK\r\nDATA 2\r\n0\n";
  EXPECT_EQ(r.expect(want), want);
  // LF alone, CR alone, lower case, extra blanks: all the same command.
  r.send("  read   src.limit  \n");
  const std::string want2 = "200 Read handler 'src.limit' OK\r\nDATA 3\r\n10\n";
  EXPECT_EQ(r.expect(want2), want2);
  r.send("Get src.limit\r");
  EXPECT_EQ(r.expect(want2), want2);
  r.send("\r\n\n");  // empty lines: no reply
  r.send("QUIT\r\n");
  EXPECT_EQ(r.expect("200 Goodbye!\r\n"), "200 Goodbye!\r\n");
  EXPECT_TRUE(r.closed());
}

TEST_F(ControlSocketTest, RouterHandlersAndElementNumbersAndSlashes) {
  auto c = ControlClient::connect(path_);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->greeting(), "Click::ControlSocket/1.3");
  auto list = c->read("list");
  ASSERT_TRUE(list.is_ok()) << list.status().message();
  EXPECT_EQ(list->code, 200);
  EXPECT_EQ(list->lines.at(0), "Read handler 'list' OK");
  ASSERT_TRUE(list->data);
  EXPECT_EQ(list->data->substr(0, 2), "6\n");  // src c b/c q u Discard@6
  EXPECT_NE(list->data->find("\nb/c\n"), std::string::npos) << *list->data;
  for (const char* h : {"version", ".version", "0.version"}) {
    auto v = c->read(h);
    ASSERT_TRUE(v.is_ok());
    EXPECT_EQ(v->code, 200) << h;
    EXPECT_EQ(v->lines.at(0), fmt::format("Read handler '{}' OK", h));
    EXPECT_FALSE(v->data->empty());
  }
  auto first = c->read("1.name");  // elements by number, from 1
  ASSERT_TRUE(first.is_ok());
  EXPECT_EQ(first->data, "src\n");
  auto inner = c->read("b/c.count");  // the handler is after the last '.'
  ASSERT_TRUE(inner.is_ok());
  EXPECT_EQ(inner->code, 200);
  EXPECT_EQ(inner->data, "0\n");
  auto cls = c->read("b/c.class");
  EXPECT_EQ(cls->data, "Counter\n");
}

TEST_F(ControlSocketTest, WritesAndWriteDataAndUntil) {
  std::string want = "200 Write handler 'src.limit' OK\r\n";
  EXPECT_EQ(ask("WRITE src.limit 25\r\n", want.size()), want);
  EXPECT_EQ(router_->read_handler("src.limit").value(), "25\n");
  // WRITEDATA: exactly n bytes after the line, then the next command.
  Raw r(path_);
  r.expect(kGreeting);
  r.send("WRITEDATA src.limit 2\r\n33READ src.limit\r\n");
  const std::string w2 =
      "200 Write handler 'src.limit' OK\r\n"
      "200 Read handler 'src.limit' OK\r\nDATA 3\r\n33\n";
  EXPECT_EQ(r.expect(w2), w2);
  // The data may arrive in pieces.
  r.send("SETDATA src.limit 3\r\n4");
  std::this_thread::sleep_for(50ms);
  r.send("42");
  const std::string w3 = "200 Write handler 'src.limit' OK\r\n";
  EXPECT_EQ(r.expect(w3), w3);
  EXPECT_EQ(router_->read_handler("src.limit").value(), "442\n");
  // WRITEUNTIL: the lines up to the terminator.
  r.send("WRITEUNTIL src.limit END\r\n17\r\nEND  \r\nREADDATA src.limit 0\r\n");
  const std::string w4 =
      "200 Write handler 'src.limit' OK\r\n"
      "200 Read handler 'src.limit' OK\r\nDATA 3\r\n17\n";
  EXPECT_EQ(r.expect(w4), w4);
  // A write handler with no value.
  r.send("WRITE c.reset\r\n");
  EXPECT_EQ(r.expect("200 Write handler 'c.reset' OK\r\n"), "200 Write handler 'c.reset' OK\r\n");
}

TEST_F(ControlSocketTest, ErrorCodesAreClicks) {
  struct Case {
    const char* cmd;
    const char* reply;
  } cases[] = {
      {"READ nosuch.count", "510 No element named 'nosuch'\r\n"},
      {"READ c.nosuch", "511 No handler named 'c.nosuch'\r\n"},
      {"READ nosuch", "511 No handler named 'nosuch'\r\n"},
      {"READ 99.count", "510 No element named '99'\r\n"},
      {"READ c.reset", "530 Handler 'c.reset' write-only\r\n"},
      {"WRITE c.count 3", "530 Handler 'c.count' read-only\r\n"},
      {"WRITE src.limit abc",
       "520-Write handler 'src.limit' error:\r\n520 limit parameter must be integer\r\n"},
      {"READ c.count 5",
       "520-Read handler 'c.count' error:\r\n520 read handler 'count' takes no arguments\r\n"},
      {"CHECKREAD c.count", "200 Read handler 'c.count' OK\r\n"},
      {"CHECKWRITE c.reset", "200 Write handler 'c.reset' OK\r\n"},
      {"CHECKWRITE c.count", "511 Handler 'c.count' not writable\r\n"},
      {"CHECKREAD c.reset", "511 Handler 'c.reset' not readable\r\n"},
      {"CHECKREAD nosuch.x", "510 No element named 'nosuch'\r\n"},
      {"CHECKREAD", "500 Wrong number of arguments\r\n"},
      {"CHECKREAD a b", "500 Wrong number of arguments\r\n"},
      {"READ", "500 Wrong number of arguments\r\n"},
      {"WRITEDATA c.reset", "500 Wrong number of arguments\r\n"},
      {"READDATA c.count x1", "500 Syntax error in 'READDATA'\r\n"},
      {"READDATA c.count -1", "500 Syntax error in 'READDATA'\r\n"},
      {"FROB c.count", "501 Command 'FROB' unimplemented\r\n"},
      {"LLRPC c#0x1", "500 Syntax error in LLRPC name 'c#0x1'\r\n"},
      {"LLRPC c#1", "501 LLRPC 'c#1' not supported: uplane has no LLRPCs\r\n"},
      {"LLRPC nosuch#1", "510 No element named 'nosuch'\r\n"},
      {"READ c.count\x01\x7f\xff", "511 No handler named 'c.count^A\\177\\377'\r\n"},
  };
  Raw r(path_);
  r.expect(kGreeting);
  for (const Case& k : cases) {
    r.send(std::string(k.cmd) + "\r\n");
    EXPECT_EQ(r.expect(k.reply), k.reply) << k.cmd;
  }
  // Still talking after all that.
  r.send("READ c.count\r\n");
  const std::string ok = "200 Read handler 'c.count' OK\r\nDATA 2\r\n0\n";
  EXPECT_EQ(r.expect(ok), ok);
}

TEST_F(ControlSocketTest, HelpAndQuitWithExtraWords) {
  Raw r(path_);
  r.expect(kGreeting);
  r.send("HELP\r\n");
  const std::string first = "200-Commands supported:\r\n";
  EXPECT_EQ(r.expect(first), first);
  r.send("quit now\r\n");
  std::string rest;
  while (rest.find("200 Goodbye!\r\n") == std::string::npos) {
    std::string more = r.read_n(1);
    if (more.empty()) break;
    rest += more;
  }
  EXPECT_NE(rest.find("200 QUIT "), std::string::npos) << rest;  // HELP's last line
  EXPECT_NE(rest.find("500 Bad command syntax\r\n200 Goodbye!\r\n"), std::string::npos) << rest;
  EXPECT_TRUE(r.closed());
}

TEST_F(ControlSocketTest, LastLineWithoutNewlineAtEofIsACommand) {
  Raw r(path_);
  r.expect(kGreeting);
  r.send("READ c.count");
  ::shutdown(r.fd(), SHUT_WR);
  const std::string ok = "200 Read handler 'c.count' OK\r\nDATA 2\r\n0\n";
  EXPECT_EQ(r.expect(ok), ok);
  EXPECT_TRUE(r.closed());
  // Data promised and never sent.
  Raw r2(path_);
  r2.expect(kGreeting);
  r2.send("WRITEDATA src.limit 10\r\n12");
  ::shutdown(r2.fd(), SHUT_WR);
  EXPECT_EQ(r2.expect("500 Not enough data\r\n"), "500 Not enough data\r\n");
  EXPECT_TRUE(r2.closed());
}

TEST_F(ControlSocketTest, LongLineIsRefusedAndTheServerLivesOn) {
  Raw bad(path_);
  bad.expect(kGreeting);
  const std::string huge(1 << 20, 'A');
  std::thread sender([&] { bad.send(huge); });
  const std::string want = "500 Line too long (more than 65536 bytes); closing the connection\r\n";
  EXPECT_EQ(bad.expect(want), want);
  EXPECT_TRUE(bad.closed());
  ::shutdown(bad.fd(), SHUT_RDWR);
  sender.join();
  const std::string ok = "200 Read handler 'c.count' OK\r\nDATA 2\r\n0\n";
  EXPECT_EQ(ask("READ c.count\n", ok.size()), ok);
}

TEST_F(ControlSocketTest, TooMuchDataIsRefused) {
  ServerOptions o;
  o.max_data = 1024;
  start(o);
  Raw r(path_);
  r.expect(kGreeting);
  r.send("WRITEDATA src.limit 1025\r\n");
  const std::string want = "521 Data too large (1024 bytes at most); closing the connection\r\n";
  EXPECT_EQ(r.expect(want), want);
  EXPECT_TRUE(r.closed());
  Raw u(path_);
  u.expect(kGreeting);
  u.send("WRITEUNTIL src.limit\r\n" + std::string(2000, 'x'));
  EXPECT_EQ(u.expect(want), want);
  EXPECT_TRUE(u.closed());
}

TEST_F(ControlSocketTest, GarbageGetsRepliesNotACrash) {
  Raw r(path_);
  r.expect(kGreeting);
  std::string junk;
  std::uint32_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245u + 12345u;
    junk += static_cast<char>((x >> 16) & 0xff);
  }
  r.send(junk);
  r.send("\r\nQUIT\r\n");
  std::string got;
  for (;;) {
    std::string more = r.read_n(4096);
    if (more.empty()) break;
    got += more;
    if (got.find("200 Goodbye!\r\n") != std::string::npos) break;
  }
  EXPECT_NE(got.find("200 Goodbye!\r\n"), std::string::npos)
      << got.size() << " bytes, ending "
      << got.substr(got.size() - std::min<std::size_t>(got.size(), 300));
  EXPECT_NE(got.find("501 Command '"), std::string::npos);
  const std::string ok = "200 Read handler 'c.count' OK\r\nDATA 2\r\n0\n";
  EXPECT_EQ(ask("READ c.count\n", ok.size()), ok);
}

TEST_F(ControlSocketTest, TwoClientsAtOnce) {
  Raw a(path_), b(path_);
  ASSERT_EQ(a.expect(kGreeting), kGreeting);
  ASSERT_EQ(b.expect(kGreeting), kGreeting);
  a.send("READ src.li");  // half a command: must not hold b up
  b.send("READ c.count\r\n");
  const std::string okc = "200 Read handler 'c.count' OK\r\nDATA 2\r\n0\n";
  EXPECT_EQ(b.expect(okc), okc);
  a.send("mit\r\n");
  const std::string okl = "200 Read handler 'src.limit' OK\r\nDATA 3\r\n10\n";
  EXPECT_EQ(a.expect(okl), okl);
  EXPECT_EQ(server_->client_count(), 2u);
}

TEST_F(ControlSocketTest, AClientThatDoesNotReadDoesNotStopOthers) {
  Raw hog(path_);
  hog.expect(kGreeting);
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "READ flatconfig\n";
  std::thread sender([&] { hog.send(many); });  // blocks once the server stops reading
  std::this_thread::sleep_for(200ms);
  const std::string ok = "200 Read handler 'c.count' OK\r\nDATA 2\r\n0\n";
  EXPECT_EQ(ask("READ c.count\n", ok.size()), ok);
  ::shutdown(hog.fd(), SHUT_RDWR);
  sender.join();
}

TEST_F(ControlSocketTest, TooManyClients) {
  ServerOptions o;
  o.max_clients = 2;
  start(o);
  Raw a(path_), b(path_);
  a.expect(kGreeting);
  b.expect(kGreeting);
  Raw c(path_);
  const std::string no = "590 Too many connections\r\n";
  EXPECT_EQ(c.expect(no), no);
  EXPECT_TRUE(c.closed());
}

TEST_F(ControlSocketTest, ReadOnly) {
  ServerOptions o;
  o.read_only = true;
  start(o);
  Raw r(path_);
  r.expect(kGreeting);
  r.send("WRITE src.limit 3\r\nCHECKWRITE src.limit\r\nCHECKREAD src.limit\r\n");
  const std::string want =
      "530 Permission denied for 'src.limit'\r\n"
      "530 Permission denied for 'src.limit'\r\n"
      "200 Read handler 'src.limit' OK\r\n";
  EXPECT_EQ(r.expect(want), want);
  EXPECT_EQ(router_->read_handler("src.limit").value(), "10\n");
}

TEST_F(ControlSocketTest, AddedCommands) {
  ASSERT_TRUE(server_
                  ->add_command("echo",
                                [](const CommandRequest& q) {
                                  Reply r = Reply::ok(fmt::format("{} {} words: {}", q.command,
                                                                  q.words.size(), q.rest));
                                  r.data = q.data;
                                  return r;
                                },
                                {.with_data = true})
                  .is_ok());
  ASSERT_TRUE(server_
                  ->add_command("TENANT",
                                [](const CommandRequest& q) {
                                  if (q.words.empty() || q.words[0] != "LIST")
                                    return Reply::error(kSyntaxError, "usage: TENANT LIST");
                                  return Reply{kOkWithWarnings, {"two tenants", "one idle"}, {}};
                                },
                                {.writes = true})
                  .is_ok());
  EXPECT_EQ(
      server_->add_command("Echo", [](const CommandRequest&) { return Reply::ok(""); }).code(),
      Errc::kAlreadyExists);
  EXPECT_EQ(
      server_->add_command("READ", [](const CommandRequest&) { return Reply::ok(""); }).code(),
      Errc::kAlreadyExists);
  EXPECT_FALSE(server_->add_command("bad name", [](const CommandRequest&) { return Reply::ok(""); })
                   .is_ok());
  Raw r(path_);
  r.expect(kGreeting);
  r.send("ECHO a  b 3\r\nxyzTENANT LIST\r\nTENANT\r\n");
  const std::string want =
      "200 ECHO 2 words: a  b\r\nDATA 3\r\nxyz"
      "220-two tenants\r\n220 one idle\r\n"
      "500 usage: TENANT LIST\r\n";
  EXPECT_EQ(r.expect(want), want);
  auto c = ControlClient::connect(path_);
  ASSERT_TRUE(c.is_ok());
  auto e = c->command_then_quit("echo x 2", "hi");
  ASSERT_TRUE(e.is_ok()) << e.status().message();
  EXPECT_EQ(e->code, 200);
  EXPECT_EQ(e->data, "hi");
  auto c2 = ControlClient::connect(path_);
  auto t = c2->command_then_quit("tenant LIST");
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  EXPECT_EQ(t->code, 220);
  EXPECT_EQ(t->message(), "two tenants\none idle");
  EXPECT_FALSE(t->data);
}

TEST_F(ControlSocketTest, SocketFileRules) {
  // A live server: refused, and the live socket is left alone.
  ControlServer second({.path = path_}, *backend_);
  Status st = second.start();
  EXPECT_EQ(st.code(), Errc::kAlreadyExists);
  EXPECT_NE(st.message().find("another server is listening"), std::string::npos) << st.message();
  EXPECT_TRUE(ControlClient::connect(path_).is_ok());
  // Stopping removes the file; a stale socket file is replaced.
  server_->stop();
  struct stat sb {};
  EXPECT_NE(::lstat(path_.c_str(), &sb), 0);
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path_.c_str(), sizeof(sa.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
    ::close(fd);  // the file stays, nobody listens
  }
  ControlServer third({.path = path_}, *backend_);
  st = third.start();
  ASSERT_TRUE(st.is_ok()) << st.message();
  EXPECT_TRUE(ControlClient::connect(path_).is_ok());
  third.stop();
  // Not a socket: refused, file kept.
  const std::string plain = dir_.file("plain");
  std::ofstream(plain) << "keep me";
  ControlServer fourth({.path = plain}, *backend_);
  st = fourth.start();
  EXPECT_NE(st.message().find("exists and is not a socket"), std::string::npos) << st.message();
  EXPECT_TRUE(std::filesystem::exists(plain));
  // No directory.
  ControlServer fifth({.path = dir_.file("no/such/dir.sock")}, *backend_);
  EXPECT_FALSE(fifth.start().is_ok());
}

// Reads while workers move packets; an element write is refused while running, "stop" is not.
TEST(ControlSocketRunning, ReadsWhileTheRouterRuns) {
  TempDir dir;
  auto router = make_router("src :: InfiniteSource(LIMIT -1, BURST 8) -> c :: Counter -> Discard;");
  ASSERT_NE(router, nullptr);
  RouterBackend backend(*router);
  ControlServer server({.path = dir.file("run.sock")}, backend);
  ASSERT_TRUE(server.start().is_ok());
  std::thread runner([&] { EXPECT_TRUE(router->run().is_ok()); });
  auto c = ControlClient::connect(dir.file("run.sock"));
  ASSERT_TRUE(c.is_ok());
  std::uint64_t last = 0;
  bool grew = false;
  for (int i = 0; i < 200 && !grew; ++i) {
    auto v = c->read("c.count");
    ASSERT_TRUE(v.is_ok());
    ASSERT_EQ(v->code, 200);
    const std::uint64_t n = std::strtoull(v->data->c_str(), nullptr, 10);
    EXPECT_GE(n, last);
    grew = last != 0 && n > last;
    last = n;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(grew) << "c.count stayed at " << last;
  auto w = c->write("c.reset", "");
  ASSERT_TRUE(w.is_ok());
  EXPECT_EQ(w->code, 520);
  EXPECT_NE(w->message().find("only while the router is stopped"), std::string::npos)
      << w->message();
  auto s = c->write("stop", "");
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->code, 200);
  runner.join();
  server.stop();
  EXPECT_TRUE(router->cleanup_and_check_leaks().is_ok());
}

// The element: a socket while the router runs, commands held until it does, 540 after.
TEST(ControlSocketElement, ServesWhileTheRouterRuns) {
  TempDir dir;
  const std::string path = dir.file("el.sock");
  auto router = make_router("ControlSocket(unix, " + path +
                            ");\nsrc :: InfiniteSource(LIMIT -1) -> c :: Counter -> Discard;");
  ASSERT_NE(router, nullptr);
  struct stat sb {};
  ASSERT_EQ(::lstat(path.c_str(), &sb), 0);
  EXPECT_TRUE(S_ISSOCK(sb.st_mode));
  Raw early(path);
  early.expect(kGreeting);
  early.send("READ c.count\r\n");
  std::this_thread::sleep_for(50ms);
  std::thread runner([&] { EXPECT_TRUE(router->run().is_ok()); });
  const std::string head = "200 Read handler 'c.count' OK\r\nDATA ";
  EXPECT_EQ(early.expect(head), head);  // answered once the router runs
  auto c = ControlClient::connect(path);
  ASSERT_TRUE(c.is_ok());
  auto s = c->write("stop", "");
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->code, 200);
  runner.join();
  auto after = c->read("c.count");
  ASSERT_TRUE(after.is_ok());
  EXPECT_EQ(after->code, 540);
  EXPECT_EQ(after->message(), "No router installed");
  EXPECT_TRUE(router->cleanup_and_check_leaks().is_ok());
  EXPECT_NE(::lstat(path.c_str(), &sb), 0) << "socket file left behind";
}

TEST(ControlSocketElement, ConfigurationErrors) {
  TempDir dir;
  struct Case {
    std::string config;
    const char* error;
  } cases[] = {
      {"ControlSocket(TCP, 7777)", "TCP control sockets are not supported"},
      {"ControlSocket(tcp, 7777)", "TCP control sockets are not supported"},
      {"ControlSocket(udp, x)", "unknown socket type 'UDP'"},
      {"ControlSocket(unix)", "FILENAME: required argument missing"},
      {"ControlSocket(unix, " + dir.file("a") + ", PROXY x)", "PROXY: not supported"},
      {"ControlSocket(unix, " + dir.file("a") + ", RETRIES 3)", "RETRIES: not supported"},
      {"ControlSocket(unix, " + dir.file("a") + ", LOCALHOST true)", "LOCALHOST: not supported"},
      {"ControlSocket(unix, " + dir.file("a") + ", READONLY maybe)", "READONLY"},
      {"ControlSocket(unix, " + dir.file("a") + ", FOO 1)", "unknown keyword 'FOO'"},
      {"ControlSocket(unix, /" + std::string(120, 'x') + ")", "FILENAME: too long"},
      {"ControlSocket(unix, " + dir.file("nodir/x.sock") + ")", "bind"},
  };
  graph::RouterOptions small;
  small.pool.frame_count = 256;
  for (const Case& k : cases) {
    auto flat = graph::parse_config(k.config + ";", "bad.click");
    ASSERT_TRUE(flat.is_ok()) << flat.status().message();
    auto r = graph::Router::create(*flat, small);
    ASSERT_FALSE(r.is_ok()) << k.config;
    EXPECT_NE(r.status().message().find(k.error), std::string::npos)
        << k.config << " -> " << r.status().message();
  }
  // A second router on the same path is refused while the first holds it.
  const std::string path = dir.file("one.sock");
  auto first = make_router("ControlSocket(UNIX, " + path + ", READONLY true, VERBOSE true);");
  ASSERT_NE(first, nullptr);
  auto flat = graph::parse_config("ControlSocket(unix, " + path + ");", "two.click");
  auto second = graph::Router::create(*flat, small);
  ASSERT_FALSE(second.is_ok());
  EXPECT_NE(second.status().message().find("another server is listening"), std::string::npos)
      << second.status().message();
}

}  // namespace
}  // namespace uplane::control
