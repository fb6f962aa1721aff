#include "elements/standard/print.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>

#include "graph/registry.h"

namespace uplane::elements {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex(std::string& s, std::uint8_t b) {
  s += kHexDigits[b >> 4];
  s += kHexDigits[b & 15];
}

}  // namespace

std::atomic<std::FILE*> Print::output_{nullptr};

Status Print::configure(graph::Args& args) {
  graph::WordArg contents{"HEX"};
  UPLANE_RETURN_IF_ERROR(args.optional_positional("LABEL", label_)
                             .optional_positional("MAXLENGTH", max_length_)
                             .optional("LENGTH", max_length_)
                             .optional("NBYTES", max_length_)
                             .optional("CONTENTS", contents)
                             .optional("TIMESTAMP", timestamp_)
                             .optional("PRINTANNO", print_anno_)
                             .optional("ACTIVE", active_)
                             .optional("HEADROOM", headroom_)
                             .done());
  bool b = false;
  std::string word = contents.word;
  if (graph::ArgParser<bool>::parse(word, b).empty()) {
    contents_ = b ? Contents::kHex : Contents::kNone;
  } else {
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (word == "NONE") {
      contents_ = Contents::kNone;
    } else if (word == "HEX") {
      contents_ = Contents::kHex;
    } else if (word == "ASCII") {
      contents_ = Contents::kAscii;
    } else {
      return make_error(Errc::kInvalidArgument,
                        "CONTENTS: bad contents value '{}'; should be 'NONE', 'HEX', or 'ASCII'",
                        contents.word);
    }
  }
  // Room for a typical line up front, so printing does not allocate.
  line_.reserve(label_.size() + 160 +
                3 * static_cast<std::size_t>(max_length_ < 0 ? 2048 : max_length_));
  return {};
}

const std::string& Print::format(const graph::Packet& p) noexcept {
  line_.clear();
  const std::uint32_t len = p.length();
  std::uint32_t bytes = contents_ == Contents::kNone ? 0 : static_cast<std::uint32_t>(max_length_);
  if (max_length_ < 0 || len < bytes) bytes = len;
  const char* sep = "";
  if (!label_.empty()) {
    line_ += label_;
    sep = ": ";
  }
  auto out = std::back_inserter(line_);
  if (timestamp_) {
    const std::uint64_t ns = p.timestamp_ns();
    fmt::format_to(out, "{}{}.{:06}", sep, ns / 1'000'000'000, ns % 1'000'000'000 / 1000);
    sep = ": ";
  }
  fmt::format_to(out, "{}{:4}", sep, len);
  if (headroom_) fmt::format_to(out, " (h{} t{})", p.headroom(), p.tailroom());
  if (print_anno_) {
    line_ += " | ";
    for (std::size_t i = 0; i < graph::Packet::kUserAnnoBytes; ++i)
      append_hex(line_, p.user_anno()[i]);
  }
  if (bytes != 0) {
    line_ += " | ";
    const std::uint8_t* d = p.data();
    if (contents_ == Contents::kHex) {
      for (std::uint32_t i = 0; i < bytes; ++i) {
        if (i != 0 && i % 4 == 0) line_ += ' ';
        append_hex(line_, d[i]);
      }
    } else {
      for (std::uint32_t i = 0; i < bytes; ++i) {
        if (i % 8 == 0) line_ += ' ';
        line_ += d[i] < 32 || d[i] > 126 ? '.' : static_cast<char>(d[i]);
      }
    }
  }
  return line_;
}

graph::Verdict Print::process(graph::Packet& p) noexcept {
  if (!active_) return graph::Port{0};
  format(p);
  line_ += '\n';
  std::FILE* f = output_.load(std::memory_order_relaxed);
  (void)std::fwrite(line_.data(), 1, line_.size(), f != nullptr ? f : stderr);
  return graph::Port{0};
}

void Print::add_handlers() {
  add_read_handler(
      "active", [this] { return std::string(active_ ? "true\n" : "false\n"); }, true);
  add_write_handler("active", [this](std::string_view v) -> Status {
    const auto b = v.find_first_not_of(" \t\r\n");
    const auto e = v.find_last_not_of(" \t\r\n");
    const std::string_view t =
        b == std::string_view::npos ? std::string_view() : v.substr(b, e - b + 1);
    bool on = false;
    if (!graph::ArgParser<bool>::parse(t, on).empty())
      return make_error(Errc::kInvalidArgument, "active: expected boolean, got '{}'", t);
    active_ = on;
    return Status();
  });
}

UPLANE_REGISTER_ELEMENT(Print);

}  // namespace uplane::elements
