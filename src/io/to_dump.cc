#include "io/to_dump.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/log.h"
#include "graph/registry.h"
#include "graph/router.h"
#include "graph/task.h"
#include "io/from_dump.h"

namespace uplane::io {

ToDump::ToDump() = default;

ToDump::~ToDump() { cleanup(); }

Status ToDump::configure(graph::Args& args) {
  graph::WordArg encap;
  graph::RawArg use_encap_from;
  UPLANE_RETURN_IF_ERROR(args.required("FILENAME", filename_)
                             .optional_positional("SNAPLEN", snaplen_)
                             .optional_positional("ENCAP", encap)
                             .optional("USE_ENCAP_FROM", use_encap_from)
                             .optional("EXTRA_LENGTH", extra_length_)
                             .optional("UNBUFFERED", unbuffered_)
                             .optional("NANO", nano_)
                             .optional("BURST", burst_, 1u, graph::Batch::kMax)
                             .done());
  if (!use_encap_from.text.empty() && !encap.word.empty())
    return make_error(Errc::kInvalidArgument,
                      "specify at most one of 'ENCAP' and 'USE_ENCAP_FROM'");
  if (!use_encap_from.text.empty()) {
    for (std::string& w : graph::split_words(use_encap_from.text)) {
      if (router().find(w) == nullptr)
        return make_error(Errc::kInvalidArgument, "USE_ENCAP_FROM: no element named '{}'", w);
      use_encap_from_.push_back(std::move(w));
    }
    if (use_encap_from_.empty())
      return make_error(Errc::kInvalidArgument, "element names missing after 'USE_ENCAP_FROM'");
  } else if (encap.word.empty()) {
    linktype_ = DLT_EN10MB;
  } else if ((linktype_ = encap_from_name(encap.word)) < 0) {
    return make_error(Errc::kInvalidArgument,
                      "ENCAP: bad encapsulation type '{}' (expected ETHER, IP, FDDI, ATM, "
                      "802.11 or AIRONET)",
                      encap.word);
  }
  return {};
}

Status ToDump::initialize() {
  if (!use_encap_from_.empty()) {
    // The sources are initialized already (configure phase): their link types are known.
    linktype_ = -1;
    std::string list;
    for (const std::string& name : use_encap_from_) {
      const auto* src = dynamic_cast<const FromDump*>(router().find(name));
      if (src == nullptr)
        return make_error(Errc::kInvalidArgument, "'{}' has no 'encap' read handler",
                          router().find(name)->declaration());
      const int lt = encap_from_name(encap_name(src->linktype()));
      if (lt < 0)
        return make_error(Errc::kInvalidArgument,
                          "'{}.encap' did not return a valid encapsulation type", name);
      list += fmt::format("; {} has {}", name, encap_name(src->linktype()));
      if (linktype_ >= 0 && lt != linktype_)
        return make_error(Errc::kInvalidArgument, "source encapsulation types disagree{}", list);
      linktype_ = lt;
    }
  }

  to_stdout_ = filename_ == "-";
  std::FILE* f = to_stdout_ ? stdout : std::fopen(filename_.c_str(), "wb");
  if (f == nullptr) return make_error(Errc::kIo, "{}: {}", filename_, std::strerror(errno));
  if (unbuffered_) std::setvbuf(f, nullptr, _IONBF, 0);
  // libpcap writes no snapshot length above its maximum; 0 (no limit) becomes that maximum.
  const int snap = snaplen_ == 0 || snaplen_ > INT_MAX ? 0 : static_cast<int>(snaplen_);
  dead_ = pcap_open_dead_with_tstamp_precision(
      linktype_, snap, nano_ ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
  if (dead_ == nullptr) {
    if (!to_stdout_) std::fclose(f);
    return make_error(Errc::kResourceExhausted, "{}: cannot set up a pcap writer", filename_);
  }
  dumper_ = pcap_dump_fopen(dead_, f);  // on failure, libpcap has closed f (not stdout)
  if (dumper_ == nullptr)
    return make_error(Errc::kIo, "{}: unable to write file header: {}", filename_,
                      pcap_geterr(dead_));
  if (input_is_pull(0) && noutputs() == 0) add_task(true);
  return {};
}

void ToDump::cleanup() noexcept {
  if (dumper_ != nullptr) {
    if (pcap_dump_flush(dumper_) != 0 && !failed_) {
      failed_ = true;
      UPLANE_LOG(kError, "{}: {}: {}", declaration(), filename_, std::strerror(errno));
    }
    if (to_stdout_) {
      // The dumper is the FILE itself; closing it would close stdout.
    } else {
      pcap_dump_close(dumper_);
    }
  }
  dumper_ = nullptr;
  if (dead_ != nullptr) pcap_close(dead_);
  dead_ = nullptr;
}

void ToDump::write_batch(const graph::Batch& batch) noexcept {
  if (batch.empty()) return;
  if (failed_ || dumper_ == nullptr) {
    write_errors_.add(batch.size());
    return;
  }
  std::FILE* f = pcap_dump_file(dumper_);
  timespec now{};
  bool have_now = false;
  const std::uint64_t div = nano_ ? 1 : 1000;
  std::uint64_t written = 0;
  for (const mem::Packet* p : batch) {
    std::uint64_t ts = p->timestamp_ns();
    if (ts == 0) {
      if (!have_now) {
        clock_gettime(CLOCK_REALTIME, &now);  // vDSO; once per batch
        have_now = true;
      }
      ts = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000 +
           static_cast<std::uint64_t>(now.tv_nsec);
    }
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(ts / 1'000'000'000);
    h.ts.tv_usec = static_cast<suseconds_t>((ts % 1'000'000'000) / div);
    const std::uint32_t length = p->length();
    h.len = length + (extra_length_ ? extra_length_anno(*p) : 0);
    h.caplen = snaplen_ != 0 ? std::min(length, snaplen_) : length;
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, p->data());
    if (std::ferror(f) != 0) [[unlikely]] {
      const int err = errno;
      failed_ = true;
      write_errors_.add(batch.size() - written);
      UPLANE_LOG(kError, "{}: {}: {}; writing no more packets", declaration(), filename_,
                 std::strerror(err));
      break;
    }
    ++written;
  }
  count_.add(written);
}

void ToDump::push(int, graph::Batch& batch) noexcept {
  write_batch(batch);
  if (noutputs() > 0) {
    output_push(0, batch);
  } else {
    graph::free_batch(batch);
  }
}

void ToDump::pull(int, graph::Batch& out, std::uint32_t max) noexcept {
  graph::Batch got;
  input_pull(0, got, std::min(max, out.room()));
  write_batch(got);
  for (mem::Packet* p : got.packets()) (void)out.push_back(p);
}

bool ToDump::run_task(graph::Task&) noexcept {
  graph::Batch got;
  input_pull(0, got, burst_);
  if (got.empty()) return false;
  write_batch(got);
  graph::free_batch(got);
  return true;
}

void ToDump::add_handlers() {
  add_read_handler("filename",
                   [this] { return (to_stdout_ ? std::string("<stdout>") : filename_) + "\n"; });
  add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
  add_write_handler("reset_counts", [this](std::string_view) {
    count_.reset();
    return Status();
  });
  add_read_handler("write_errors", [this] { return fmt::format("{}\n", write_errors_.get()); });
}

UPLANE_REGISTER_ELEMENT(ToDump);

}  // namespace uplane::io
