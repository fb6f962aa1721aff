// ports_xdp — the two native XDP programs bench/ports/run.sh needs, loaded without a BPF
// compiler (a handful of instructions, written out here) and attached through a bpf_link,
// so that they come off the device when this process ends, however it ends.
//
//   ports_xdp sink DEV       counts the IPv4 frames DEV receives and drops them; every other
//                            frame (ARP) goes on to the kernel, so the sink's host still
//                            answers ARP. On SIGUSR1 prints "count NS TOTAL" (CLOCK_MONOTONIC
//                            ns, IPv4 frames so far) — the benchmark's window is the
//                            difference of two such lines.
//   ports_xdp redirect IN OUT
//                            redirects every frame IN receives to OUT (bpf_redirect): the
//                            veth-to-veth forwarder with no user space, the ceiling.
//
// Both attach in native (driver) mode, print "ready" once attached, and run until SIGINT or
// SIGTERM (or --seconds). Exit status: 0, 1 on a system error, 2 on bad arguments.

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_report = 0;

extern "C" void on_stop(int) { g_stop = 1; }
extern "C" void on_report(int) { g_report = 1; }

constexpr bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off,
                        std::int32_t imm) {
  return bpf_insn{.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}
constexpr bpf_insn mov_imm(std::uint8_t dst, std::int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
constexpr bpf_insn mov_reg(std::uint8_t dst, std::uint8_t src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
constexpr bpf_insn add_imm(std::uint8_t dst, std::int32_t imm) {
  return insn(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm);
}
constexpr bpf_insn load(std::uint8_t size, std::uint8_t dst, std::uint8_t src, std::int16_t off) {
  return insn(BPF_LDX | size | BPF_MEM, dst, src, off, 0);
}
constexpr bpf_insn call(std::int32_t helper) { return insn(BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
constexpr bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int load_program(const std::vector<bpf_insn>& insns, const char* name) {
  static char log[4096];
  bpf_prog_load_opts opts{};
  opts.sz = sizeof(opts);
  opts.expected_attach_type = BPF_XDP;
  opts.log_buf = log;
  opts.log_size = sizeof(log);
  opts.log_level = 1;
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "Dual BSD/GPL", insns.data(),
                               insns.size(), &opts);
  if (fd < 0) std::fprintf(stderr, "ports_xdp: bpf(BPF_PROG_LOAD): %s\n%s\n", std::strerror(-fd), log);
  return fd;
}

// The sink: if the frame is at least an Ethernet header long and its EtherType is IPv4,
// add one to the per-CPU counter and drop it; otherwise pass it.
int load_sink(int map_fd) {
  constexpr std::int16_t kEtherType = 12;
  const std::vector<bpf_insn> p = {
      load(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(xdp_md, data)),
      load(BPF_W, BPF_REG_3, BPF_REG_1, offsetof(xdp_md, data_end)),
      mov_reg(BPF_REG_4, BPF_REG_2),
      add_imm(BPF_REG_4, 14),
      insn(BPF_JMP | BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, 14, 0),  // short: pass
      load(BPF_H, BPF_REG_5, BPF_REG_2, kEtherType),
      insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 12, 0x0008),  // not 08 00 (IPv4): pass
      insn(BPF_ST | BPF_W | BPF_MEM, BPF_REG_10, 0, -4, 0),        // key 0 on the stack
      mov_reg(BPF_REG_2, BPF_REG_10),
      add_imm(BPF_REG_2, -4),
      insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd),
      insn(0, 0, 0, 0, 0),
      call(BPF_FUNC_map_lookup_elem),
      insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 3, 0),  // no slot (cannot happen): drop
      load(BPF_DW, BPF_REG_1, BPF_REG_0, 0),
      add_imm(BPF_REG_1, 1),
      insn(BPF_STX | BPF_DW | BPF_MEM, BPF_REG_0, BPF_REG_1, 0, 0),  // per-CPU: no atomics
      mov_imm(BPF_REG_0, XDP_DROP),
      exit_insn(),
      mov_imm(BPF_REG_0, XDP_PASS),
      exit_insn(),
  };
  return load_program(p, "ports_sink");
}

int load_redirect(unsigned out_ifindex) {
  const std::vector<bpf_insn> p = {
      mov_imm(BPF_REG_1, static_cast<std::int32_t>(out_ifindex)),
      mov_imm(BPF_REG_2, 0),
      call(BPF_FUNC_redirect),
      exit_insn(),
  };
  return load_program(p, "ports_redirect");
}

// Attaches prog_fd to dev in native mode; returns the link's descriptor.
int attach(int prog_fd, const char* dev) {
  const unsigned ifindex = if_nametoindex(dev);
  if (ifindex == 0) {
    std::fprintf(stderr, "ports_xdp: no device '%s' in this namespace\n", dev);
    return -1;
  }
  bpf_link_create_opts lo{};
  lo.sz = sizeof(lo);
  lo.flags = XDP_FLAGS_DRV_MODE;
  const int link = bpf_link_create(prog_fd, static_cast<int>(ifindex), BPF_XDP, &lo);
  if (link < 0) {
    std::fprintf(stderr, "ports_xdp: attaching to %s in native mode: %s\n", dev,
                 std::strerror(-link));
  }
  return link;
}

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t read_count(int map_fd, int ncpus) {
  std::vector<std::uint64_t> v(static_cast<std::size_t>(ncpus), 0);
  const std::uint32_t key = 0;
  if (bpf_map_lookup_elem(map_fd, &key, v.data()) != 0) return 0;
  std::uint64_t sum = 0;
  for (std::uint64_t x : v) sum += x;
  return sum;
}

// Waits for a stop signal or the deadline; on SIGUSR1 prints the sink's count.
void serve(int map_fd, int ncpus, double seconds) {
  const std::uint64_t end =
      seconds > 0 ? now_ns() + static_cast<std::uint64_t>(seconds * 1e9) : UINT64_MAX;
  while (g_stop == 0 && now_ns() < end) {
    if (g_report != 0) {
      g_report = 0;
      const std::uint64_t t = now_ns();
      std::printf("count %" PRIu64 " %" PRIu64 "\n", t, map_fd >= 0 ? read_count(map_fd, ncpus) : 0);
      std::fflush(stdout);
    }
    timespec ts{0, 1'000'000};
    nanosleep(&ts, nullptr);
  }
  if (map_fd >= 0) {
    std::printf("final %" PRIu64 " %" PRIu64 "\n", now_ns(), read_count(map_fd, ncpus));
  }
  std::fflush(stdout);
}

int usage() {
  std::fprintf(stderr,
               "usage: ports_xdp sink DEV [--seconds S]\n"
               "       ports_xdp redirect IN OUT [--seconds S]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  double seconds = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--seconds" && i + 1 < args.size()) {
      char* end = nullptr;
      seconds = std::strtod(args[i + 1].c_str(), &end);
      if (end == args[i + 1].c_str() || *end != '\0' || seconds < 0) return usage();
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                 args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
      break;
    }
  }
  const bool sink = args.size() == 2 && args[0] == "sink";
  const bool redirect = args.size() == 3 && args[0] == "redirect";
  if (!sink && !redirect) return usage();

  struct sigaction sa = {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_report;
  sigaction(SIGUSR1, &sa, nullptr);

  int map_fd = -1, prog_fd = -1, link = -1;
  const int ncpus = libbpf_num_possible_cpus();
  if (sink) {
    map_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "ports_count", sizeof(std::uint32_t),
                            sizeof(std::uint64_t), 1, nullptr);
    if (map_fd < 0) {
      std::fprintf(stderr, "ports_xdp: bpf(BPF_MAP_CREATE): %s\n", std::strerror(-map_fd));
      return 1;
    }
    prog_fd = load_sink(map_fd);
    if (prog_fd < 0) return 1;
    link = attach(prog_fd, args[1].c_str());
  } else {
    const unsigned out = if_nametoindex(args[2].c_str());
    if (out == 0) {
      std::fprintf(stderr, "ports_xdp: no device '%s' in this namespace\n", args[2].c_str());
      return 1;
    }
    prog_fd = load_redirect(out);
    if (prog_fd < 0) return 1;
    link = attach(prog_fd, args[1].c_str());
  }
  if (link < 0) return 1;
  std::printf("ready\n");
  std::fflush(stdout);
  serve(map_fd, ncpus, seconds);
  close(link);
  close(prog_fd);
  if (map_fd >= 0) close(map_fd);
  return 0;
}
