#include "netns_bed.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace uplane::testing {
namespace {

int next_id() {
  static std::atomic<int> id{0};
  return ++id;
}

bool write_sysctl(const char* path) {
  FILE* f = std::fopen(path, "w");
  if (f == nullptr) return errno == ENOENT;  // no IPv6 in this kernel: nothing to silence
  const bool ok = std::fputs("1", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

}  // namespace

bool is_root() { return geteuid() == 0; }

bool sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

std::string sh_out(const std::string& cmd) {
  std::string out;
  if (FILE* f = popen((cmd + " 2>/dev/null").c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof(buf), f) != nullptr) out += buf;
    pclose(f);
  }
  return out;
}

void delete_stale_namespaces(const std::string& prefix) {
  DIR* d = opendir("/run/netns");
  if (d == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) stale.push_back(name);
  }
  closedir(d);
  for (const auto& n : stale) sh("ip netns del " + n);
}

InNetns::InNetns(const std::string& ns)
    : self_(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
  UniqueFd target(open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
  ok_ = self_.valid() && target.valid() && setns(target.get(), CLONE_NEWNET) == 0;
}

InNetns::~InNetns() {
  if (ok_) setns(self_.get(), CLONE_NEWNET);
}

Netns::Netns(std::string name) : name_(std::move(name)) {
  ok_ = sh("ip netns add " + name_);
  if (!ok_) return;
  InNetns in(name_);  // /proc/sys/net shows the namespace of whoever opens it
  ok_ = in.ok() && write_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6") &&
        write_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6");
}

Netns::~Netns() { sh("ip netns del " + name_); }

NetnsBed::NetnsBed(const std::string& prefix, int count) : prefix_(prefix) {
  delete_stale_namespaces(prefix);
  const std::string tag = std::to_string(getpid()) + "-" + std::to_string(next_id());
  ok_ = true;
  for (int i = 0; i < count; ++i) {
    ns_.push_back(std::make_unique<Netns>(prefix + tag + "-" + std::to_string(i)));
    ok_ = ok_ && ns_.back()->ok();
  }
}

std::pair<std::string, std::string> NetnsBed::veth(int i, int j) {
  // Interface names have at most 15 characters: two letters of the prefix, pid, counter.
  const std::string id = std::to_string(getpid() % 1000000) + "x" + std::to_string(next_id());
  const std::string stem = prefix_.substr(prefix_.size() >= 2 ? prefix_.size() - 2 : 0);
  std::string a = stem + "a" + id;
  std::string b = stem + "b" + id;
  ok_ = ok_ &&
        sh("ip link add " + a + " netns " + ns(i) + " type veth peer name " + b + " netns " +
           ns(j)) &&
        sh("ip -n " + ns(i) + " link set " + a + " up") &&
        sh("ip -n " + ns(j) + " link set " + b + " up");
  const auto up = [&](int n, const std::string& dev) {
    return sh_out("ip -n " + ns(n) + " link show dev " + dev).find("state UP") !=
           std::string::npos;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (ok_ && !(up(i, a) && up(j, b)) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ok_ = ok_ && up(i, a) && up(j, b);
  return {a, b};
}

std::uint64_t link_stat(const std::string& ns, const std::string& dev, const std::string& dir,
                        const std::string& what) {
  const std::string j = sh_out("ip -n " + ns + " -s -j link show dev " + dev);
  std::size_t at = j.find("\"" + dir + "\":{");
  if (at == std::string::npos) return 0;
  at = j.find("\"" + what + "\":", at);
  if (at == std::string::npos) return 0;
  return std::strtoull(j.c_str() + at + what.size() + 3, nullptr, 10);
}

Bytes test_frame(std::uint32_t len, std::uint32_t seq, std::uint16_t type) {
  Bytes f(std::max<std::uint32_t>(len, 18), 0);
  f[0] = f[5] = 0x02;  // to 02:00:00:00:00:02
  f[6] = 0x02;         // from 02:00:00:00:00:01
  f[11] = 0x01;
  f[12] = static_cast<std::uint8_t>(type >> 8);
  f[13] = static_cast<std::uint8_t>(type);
  for (std::uint32_t i = 14; i < len; ++i) f[i] = static_cast<std::uint8_t>(seq * 7 + i);
  if (len >= 18) std::memcpy(f.data() + 14, &seq, 4);
  f.resize(len);
  return f;
}

Result<std::unique_ptr<mem::PacketPool>> make_test_pool(const std::string& name,
                                                        std::uint32_t frames,
                                                        std::uint32_t frame_size,
                                                        std::uint32_t cache,
                                                        std::uint32_t headroom) {
  return mem::PacketPool::create({.name = name,
                                  .frame_count = frames,
                                  .frame_size = frame_size,
                                  .headroom = headroom,
                                  .cache_size = cache,
                                  .region = {.allow_hugepages = false}});
}

}  // namespace uplane::testing
