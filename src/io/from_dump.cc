#include "io/from_dump.h"

#include <fmt/format.h>
#include <pcap/pcap.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "base/cpu.h"
#include "base/log.h"
#include "graph/registry.h"
#include "graph/router.h"
#include "graph/task.h"

namespace uplane::io {

std::uint32_t extra_length_anno(const mem::Packet& p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p.user_anno() + kExtraLengthAnnoOffset, sizeof(v));
  return v;
}

void set_extra_length_anno(mem::Packet& p, std::uint32_t extra) noexcept {
  std::memcpy(p.user_anno() + kExtraLengthAnnoOffset, &extra, sizeof(extra));
}

namespace {

constexpr std::int64_t kNsPerSec = 1'000'000'000;

bool is_ip_linktype(int dlt) noexcept {
  return dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6;
}

// The first bytes of the compressed formats Click would pipe through a decompressor.
std::string_view compression_of(const unsigned char* b, std::size_t n) noexcept {
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return "gzip";
  if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') return "bzip2";
  if (n >= 4 && b[0] == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X') return "xz";
  if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) return "zstd";
  return {};
}

// A fixed-point value with `frac_bits` fraction bits as the shortest decimal that reads
// back to the same value: Knuth's print_scaled (TeX, section 103), with the rounding
// constant widened from 2^16 to any fraction width (5 * 10^k, the first at least half of
// one unit), as Click's cp_unparse_real2 does.
std::string unparse_fixed(std::uint32_t value, int frac_bits) {
  std::string s = std::to_string(value >> frac_bits);
  const std::int64_t one = std::int64_t{1} << frac_bits;
  std::int64_t f = value & (one - 1);
  if (f == 0) return s;
  s += '.';
  f = 10 * f + 5;
  std::int64_t delta = 10;
  std::int64_t rounder = 5;
  while (rounder < one / 2) rounder *= 10;
  do {
    if (delta > one) f += one / 2 - rounder;  // round the last digit
    s += static_cast<char>('0' + f / one);
    f = 10 * (f % one);
    delta *= 10;
  } while (f > delta);
  return s;
}

}  // namespace

std::string_view encap_name(int dlt) noexcept {
  if (is_ip_linktype(dlt)) return "IP";
  switch (dlt) {
    case DLT_EN10MB:
      return "ETHER";
    case DLT_FDDI:
      return "FDDI";
    case DLT_ATM_RFC1483:
      return "ATM";
    case DLT_IEEE802_11:
      return "802.11";
    case DLT_AIRONET_HEADER:
      return "AIRONET";
    default:
      return "??";
  }
}

int encap_from_name(std::string_view name) noexcept {
  if (name == "IP") return DLT_RAW;
  if (name == "ETHER") return DLT_EN10MB;
  if (name == "FDDI") return DLT_FDDI;
  if (name == "ATM" || name == "RFC1483" || name == "ATM-RFC1483") return DLT_ATM_RFC1483;
  if (name == "802.11") return DLT_IEEE802_11;
  if (name == "AIRONET") return DLT_AIRONET_HEADER;
  return -1;
}

FromDump::FromDump() = default;

FromDump::~FromDump() { cleanup(); }

Status FromDump::configure(graph::Args& args) {
  bool active = true;
  bool mmap = false;
  double sample = 1.0;
  constexpr std::int64_t kAbsent = -1;  // Duration never parses negative
  graph::Duration start{kAbsent}, start_after{kAbsent}, end{kAbsent}, end_after{kAbsent},
      interval{kAbsent};
  graph::RawArg end_call;
  UPLANE_RETURN_IF_ERROR(args.required("FILENAME", filename_)
                             .optional_positional("TIMING", timing_)
                             .optional("STOP", stop_)
                             .optional("ACTIVE", active)
                             .optional("SAMPLE", sample)
                             .optional("FORCE_IP", force_ip_)
                             .optional("START", start)
                             .optional("START_AFTER", start_after)
                             .optional("END", end)
                             .optional("END_AFTER", end_after)
                             .optional("INTERVAL", interval)
                             .optional("END_CALL", end_call)
                             .optional("FILEPOS", start_filepos_)
                             .optional("MMAP", mmap)
                             .optional("BURST", burst_, 1u, graph::Batch::kMax)
                             .done());
  (void)mmap;  // a performance hint in Click; reads here go through libpcap's stdio buffer
  if (!end_call.text.empty())
    return make_error(Errc::kInvalidArgument,
                      "END_CALL is not supported: uplane cannot call a handler from the data "
                      "path; use STOP true, or leave it out to turn inactive at the end");

  if (!(sample >= 0.0))
    return make_error(Errc::kInvalidArgument, "SAMPLE: expected a probability between 0 and 1");
  if (sample > 1.0) {
    UPLANE_LOG(kWarn, "{}: SAMPLE probability reduced to 1", declaration());
    sample = 1.0;
  }
  sampling_prob_ = static_cast<std::uint32_t>(std::llround(sample * kSamplingOne));
  if (sampling_prob_ == 0)
    UPLANE_LOG(kWarn, "{}: SAMPLE probability is 0; emitting no packets", declaration());

  if (start.ns != kAbsent && start_after.ns != kAbsent)
    return make_error(Errc::kInvalidArgument, "START and START_AFTER are mutually exclusive");
  const int ends = (end.ns != kAbsent) + (end_after.ns != kAbsent) + (interval.ns != kAbsent);
  if (ends > 1)
    return make_error(Errc::kInvalidArgument,
                      "END, END_AFTER, and INTERVAL are mutually exclusive");

  have_first_time_ = true;
  first_time_relative_ = false;
  if (start.ns != kAbsent) {
    first_time_ = start.ns;
  } else if (start_after.ns != kAbsent) {
    first_time_ = start_after.ns;
    first_time_relative_ = true;
  } else {
    // Relative to the first packet, at offset zero: INTERVAL counts from there.
    first_time_ = 0;
    have_first_time_ = false;
    first_time_relative_ = true;
  }
  have_last_time_ = true;
  last_time_relative_ = last_time_interval_ = false;
  if (end.ns != kAbsent) {
    last_time_ = end.ns;
  } else if (end_after.ns != kAbsent) {
    last_time_ = end_after.ns;
    last_time_relative_ = true;
  } else if (interval.ns != kAbsent) {
    last_time_ = interval.ns;
    last_time_interval_ = true;
  } else {
    have_last_time_ = false;
  }
  have_end_action_ = stop_ || have_last_time_;
  active_.store(active, std::memory_order_relaxed);
  return {};
}

Status FromDump::initialize() {
  if (output_is_push(0)) task_ = add_task(active_.load(std::memory_order_relaxed));
  timer_ = add_timer();

  is_stdin_ = filename_ == "-";
  std::FILE* f = is_stdin_ ? stdin : std::fopen(filename_.c_str(), "rb");
  if (f == nullptr) return make_error(Errc::kIo, "{}: {}", filename_, std::strerror(errno));
  if (!is_stdin_) {
    unsigned char magic[4];
    const std::size_t n = std::fread(magic, 1, sizeof(magic), f);
    std::rewind(f);
    if (std::string_view kind = compression_of(magic, n); !kind.empty()) {
      std::fclose(f);
      return make_error(Errc::kInvalidArgument,
                        "{}: {}-compressed dump files are not supported; decompress it first",
                        filename_, kind);
    }
  }
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_ = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (pcap_ == nullptr) {
    if (!is_stdin_) std::fclose(f);
    return make_error(Errc::kInvalidArgument, "{}: not a pcap or pcapng file: {}",
                      is_stdin_ ? "<stdin>" : filename_, errbuf);
  }
  linktype_ = pcap_datalink(pcap_);
  if (force_ip_ && linktype_ != DLT_EN10MB && !is_ip_linktype(linktype_))
    return make_error(Errc::kInvalidArgument, "{}: unknown linktype {}; can't force IP packets",
                      filename_, linktype_);
  if (is_ip_linktype(linktype_)) force_ip_ = true;  // raw IP: FORCE_IP always, as in Click

  if (start_filepos_ != 0) return seek(start_filepos_);
  const off_t pos = ftello(pcap_file(pcap_));
  filepos_.store(pos >= 0 ? static_cast<std::uint64_t>(pos) : 0, std::memory_order_relaxed);
  return {};
}

Status FromDump::seek(std::uint64_t offset) {
  if (pcap_ == nullptr) return make_error(Errc::kFailedPrecondition, "the file is closed");
  std::FILE* f = pcap_file(pcap_);
  struct stat st {};
  if (is_stdin_ || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
    return make_error(Errc::kInvalidArgument, "{}: cannot seek in a file that is not regular",
                      filename_);
  if (offset > static_cast<std::uint64_t>(st.st_size))
    return make_error(Errc::kOutOfRange, "FILEPOS out of range ({} > file size {})", offset,
                      st.st_size);
  if (fseeko(f, static_cast<off_t>(offset), SEEK_SET) != 0)
    return errno_error(errno, fmt::format("{}: seek", filename_));
  if (held_ != nullptr) mem::free_packet(held_);
  held_ = nullptr;
  pending_hdr_ = nullptr;
  pending_data_ = nullptr;
  at_end_ = false;
  filepos_.store(offset, std::memory_order_relaxed);
  return {};
}

void FromDump::cleanup() noexcept {
  if (held_ != nullptr) mem::free_packet(held_);
  held_ = nullptr;
  pending_hdr_ = nullptr;
  pending_data_ = nullptr;
  if (pcap_ != nullptr) pcap_close(pcap_);  // closes the file too, except stdin
  pcap_ = nullptr;
}

void FromDump::prepare_times(std::int64_t ts) noexcept {
  if (first_time_relative_) first_time_ += ts;
  if (last_time_relative_) {
    last_time_ += ts;
  } else if (last_time_interval_) {
    last_time_ += first_time_;
  }
  if (timing_) timing_offset_ = static_cast<std::int64_t>(now_ns()) - ts;
  have_any_times_ = true;
}

void FromDump::set_active(bool active) noexcept {
  active_.store(active, std::memory_order_relaxed);
  if (active && task_ != nullptr) task_->reschedule();
}

void FromDump::reach_end() noexcept {
  if (stop_) {
    set_active(false);
    router().please_stop();
  } else if (have_end_action_) {
    set_active(false);
  }
}

FromDump::Read FromDump::read_one(mem::Packet*& out) noexcept {
  mem::Packet* p = held_;
  held_ = nullptr;
  if (p == nullptr) {
    const pcap_pkthdr* hdr = pending_hdr_;
    const std::uint8_t* data = pending_data_;
    pending_hdr_ = nullptr;
    pending_data_ = nullptr;
    const bool fresh = hdr == nullptr;
    if (fresh) {
      if (at_end_ || pcap_ == nullptr) return Read::kEnd;
      std::FILE* f = pcap_file(pcap_);
      const std::uint64_t record_pos = filepos_.load(std::memory_order_relaxed);
      const int r = pcap_next_ex(pcap_, const_cast<pcap_pkthdr**>(&hdr), &data);
      if (r != 1) {
        at_end_ = true;
        if (r != PCAP_ERROR_BREAK) {
          // A cut or corrupt record: what came before it was the whole trace. Rare, once
          // per trace, so a log line on the data path is acceptable here.
          errors_.add();
          UPLANE_LOG(kWarn, "{}: {}: trace ends at offset {}: {}", declaration(), filename_,
                     record_pos, pcap_geterr(pcap_));
        }
        return Read::kEnd;
      }
      const off_t pos = ftello(f);
      if (pos >= 0) filepos_.store(static_cast<std::uint64_t>(pos), std::memory_order_relaxed);
      packet_filepos_.store(record_pos, std::memory_order_relaxed);
    }
    const std::int64_t ts =
        static_cast<std::int64_t>(hdr->ts.tv_sec) * kNsPerSec + hdr->ts.tv_usec;  // ns precision
    if (fresh) {
      if (!have_any_times_) prepare_times(ts);
      if (have_first_time_) {
        if (ts < first_time_) return Read::kSkip;
        have_first_time_ = false;
      }
      if (have_last_time_ && ts >= last_time_) {
        have_last_time_ = false;
        reach_end();
        if (!active_.load(std::memory_order_relaxed)) return Read::kEnd;
      }
      if (sampling_prob_ < kSamplingOne) {
        // xorshift64: a fixed seed, so a file and a SAMPLE always pick the same packets.
        rng_ ^= rng_ << 13;
        rng_ ^= rng_ >> 7;
        rng_ ^= rng_ << 17;
        if ((rng_ >> (64 - kSamplingShift)) >= sampling_prob_) return Read::kSkip;
      }
    }
    // A record longer than its packet is a writer's mistake (tcptrace): keep the packet.
    const std::uint32_t len = hdr->len;
    const std::uint32_t caplen = std::min(hdr->caplen, len);
    p = pool().alloc();
    if (p == nullptr) {
      pending_hdr_ = hdr;  // libpcap keeps both valid until the next pcap_next_ex
      pending_data_ = data;
      return Read::kNoMemory;
    }
    const std::uint32_t room = p->frame_size() - static_cast<std::uint32_t>(sizeof(mem::Packet));
    if (caplen > room) {
      if (!warned_oversize_) {
        warned_oversize_ = true;
        UPLANE_LOG(kWarn, "{}: {}: dropping packets of more than {} bytes (pool frame size {})",
                   declaration(), filename_, room, p->frame_size());
      }
      drop(p, graph::DropReason::kNoRoom);
      return Read::kSkip;
    }
    (void)p->assign(data, caplen, std::min(pool().headroom(), room - caplen));
    p->set_timestamp_ns(static_cast<std::uint64_t>(ts));
    set_extra_length_anno(*p, len - caplen);
  }
  if (timing_) {
    const std::int64_t due = static_cast<std::int64_t>(p->timestamp_ns()) + timing_offset_;
    if (due > static_cast<std::int64_t>(now_ns())) {
      held_ = p;
      return Read::kWait;
    }
  }
  out = p;
  return Read::kPacket;
}

bool FromDump::force_ip(mem::Packet& p) const noexcept {
  const std::uint8_t* d = p.data();
  const std::uint32_t n = p.length();
  std::uint32_t off = 0;
  if (linktype_ == DLT_EN10MB) {
    if (n < 14) return false;
    const unsigned type = unsigned{d[12]} << 8 | d[13];
    if (type != 0x0800 && type != 0x86dd) return false;
    off = 14;
  }
  if (n <= off) return false;
  const unsigned version = d[off] >> 4;
  if (version == 4) {
    const std::uint32_t hlen = (d[off] & 0x0fu) * 4;
    if (hlen < 20 || n - off < hlen) return false;
    p.set_network_header(d + off);
    p.set_transport_header(d + off + hlen);
    std::uint32_t dst;
    std::memcpy(&dst, d + off + 16, sizeof(dst));
    p.set_dst_ip_anno_raw(dst);
    return true;
  }
  if (version == 6) {
    if (n - off < 40) return false;
    p.set_network_header(d + off);
    p.set_transport_header(d + off + 40);
    return true;
  }
  return false;
}

FromDump::Read FromDump::fill(graph::Batch& out0, graph::Batch& out1, std::uint32_t max) noexcept {
  Read last = Read::kPacket;
  // Bounded, so a long run of skipped records does not hold the worker.
  for (std::uint32_t tries = 4 * max; out0.size() < max && tries > 0; --tries) {
    mem::Packet* p = nullptr;
    last = read_one(p);
    if (last == Read::kSkip) continue;
    if (last != Read::kPacket) break;
    if (force_ip_ && !force_ip(*p)) {
      (void)out1.push_back(p);
      if (out1.full()) {
        if (noutputs() > 1) {
          output_push(1, out1);
        } else {
          drop_batch(out1, graph::DropReason::kFiltered);
        }
        out1.clear();
      }
      continue;
    }
    (void)out0.push_back(p);
  }
  return last;
}

void FromDump::finish_fill(graph::Batch& out1, Read last) noexcept {
  if (!out1.empty()) {
    if (noutputs() > 1) {
      output_push(1, out1);
    } else {
      drop_batch(out1, graph::DropReason::kFiltered);
    }
  }
  if (last == Read::kEnd) {
    if (task_ != nullptr) task_->unschedule();
    reach_end();
  } else if (last == Read::kWait && task_ != nullptr && held_ != nullptr) {
    // Push: sleep until the held packet is due; run_timer wakes the task. Pull: the
    // puller asks again.
    task_->unschedule();
    const std::int64_t due = static_cast<std::int64_t>(held_->timestamp_ns()) + timing_offset_;
    timer_->schedule_at_ns(static_cast<std::uint64_t>(std::max<std::int64_t>(due, 0)));
  }
}

bool FromDump::run_task(graph::Task& task) noexcept {
  if (!active_.load(std::memory_order_relaxed)) {
    task.unschedule();
    return false;
  }
  graph::Batch out0, out1;
  const Read last = fill(out0, out1, burst_);
  const bool worked = !out0.empty() || !out1.empty();
  if (!out0.empty()) {
    count_.add(out0.size());
    output_push(0, out0);
  }
  finish_fill(out1, last);
  return worked;
}

void FromDump::pull(int, graph::Batch& out, std::uint32_t max) noexcept {
  if (!active_.load(std::memory_order_relaxed)) return;
  graph::Batch got, out1;
  const Read last = fill(got, out1, std::min({max, burst_, out.room()}));
  count_.add(got.size());
  for (mem::Packet* p : got.packets()) (void)out.push_back(p);
  finish_fill(out1, last);
}

void FromDump::run_timer(graph::Timer&) noexcept {
  if (active_.load(std::memory_order_relaxed) && task_ != nullptr) task_->reschedule();
}

void FromDump::add_handlers() {
  add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
  add_write_handler("reset_counts", [this](std::string_view) {
    count_.reset();
    return Status();
  });
  add_read_handler("active", [this] {
    return std::string(active_.load(std::memory_order_relaxed) ? "true\n" : "false\n");
  });
  add_write_handler("active", [this](std::string_view text) {
    bool active = false;
    const auto words = graph::split_args(text);
    if (words.size() != 1 || !graph::ArgParser<bool>::parse(words[0], active).empty())
      return make_error(Errc::kInvalidArgument, "active: expected boolean");
    set_active(active);
    return Status();
  });
  add_write_handler("stop", [this](std::string_view) {
    set_active(false);
    router().please_stop();
    return Status();
  });
  add_read_handler("encap", [this] { return fmt::format("{}\n", encap_name(linktype_)); });
  add_read_handler("filename",
                   [this] { return (is_stdin_ ? std::string("<stdin>") : filename_) + "\n"; });
  add_read_handler("filesize", [this] {
    struct stat st {};
    if (!is_stdin_ && stat(filename_.c_str(), &st) == 0 && S_ISREG(st.st_mode))
      return fmt::format("{}\n", st.st_size);
    return std::string("-\n");
  });
  add_read_handler(
      "filepos", [this] { return fmt::format("{}\n", filepos_.load(std::memory_order_relaxed)); });
  add_write_handler("filepos", [this](std::string_view text) {
    std::uint64_t offset = 0;
    const auto words = graph::split_args(text);
    if (words.size() != 1 || !graph::ArgParser<std::uint64_t>::parse(words[0], offset).empty())
      return make_error(Errc::kInvalidArgument, "filepos: argument must be a file offset");
    Status st = seek(offset);
    if (st.is_ok() && task_ != nullptr && active_.load(std::memory_order_relaxed))
      task_->reschedule();
    return st;
  });
  add_read_handler("packet_filepos", [this] {
    return fmt::format("{}\n", packet_filepos_.load(std::memory_order_relaxed));
  });
  add_read_handler("sampling_prob",
                   [this] { return unparse_fixed(sampling_prob_, kSamplingShift) + "\n"; });
  add_write_handler("extend_interval", [this](std::string_view text) {
    graph::Duration d;
    const auto words = graph::split_args(text);
    if (words.size() != 1 || !graph::ArgParser<graph::Duration>::parse(words[0], d).empty())
      return make_error(Errc::kInvalidArgument, "'extend_interval' takes a time interval");
    last_time_ += d.ns;
    if (have_end_action_) {
      have_last_time_ = true;
      set_active(true);
    }
    return Status();
  });
  add_write_handler("reset_timing", [this](std::string_view) {
    first_time_relative_ = false;
    last_time_relative_ = last_time_interval_ = false;
    have_any_times_ = false;
    return Status();
  });
  add_read_handler("errors", [this] { return fmt::format("{}\n", errors_.get()); });
}

UPLANE_REGISTER_ELEMENT(FromDump);

}  // namespace uplane::io
