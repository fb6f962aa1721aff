#pragma once
// Positions and the first error, shared by the configuration lexer, parser and elaborator.
//
// A Pos is three integers; the file is an index into a FileTable because `#line` directives
// can switch the file name in the middle of a text and every token carries a position.
// Diagnostics keeps only the first error: parsing stops there (Click goes on and reports
// more, but a caller of parse_config() gets one Status).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "graph/config.h"

namespace uplane::graph::config_detail {

struct Pos {
  std::uint32_t file = 0;
  std::uint32_t line = 0;
  std::uint32_t col = 0;
};

class FileTable {
 public:
  explicit FileTable(std::string_view first) { intern(first); }

  std::uint32_t intern(std::string_view name) {
    auto [it, fresh] = index_.emplace(name, static_cast<std::uint32_t>(names_.size()));
    if (fresh) names_.emplace_back(name);
    return it->second;
  }
  const std::string& name(std::uint32_t i) const { return names_[i]; }
  Landmark landmark(Pos p) const { return Landmark{names_[p.file], p.line, p.col}; }
  std::string str(Pos p) const { return landmark(p).str(); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> index_;
};

class Diagnostics {
 public:
  explicit Diagnostics(const FileTable* files) : files_(files) {}

  // Records "file:line:col: message" unless an error is already recorded. Returns false so
  // that callers can write `return diag.fail(...)`.
  bool fail(Pos where, std::string message) {
    if (!first_) {
      first_ = Status(Errc::kInvalidArgument,
                      fmt::format("{}: {}", files_->str(where), std::move(message)));
    }
    return false;
  }
  // An error that is about the configuration as a whole (its size), not one place in it.
  bool fail_resource(std::string message) {
    if (!first_) {
      first_ = Status(Errc::kResourceExhausted,
                      fmt::format("{}: {}", files_->name(0), std::move(message)));
    }
    return false;
  }
  bool failed() const noexcept { return first_.has_value(); }
  const Status& status() const { return *first_; }
  std::string where(Pos p) const { return files_->str(p); }

 private:
  const FileTable* files_;
  std::optional<Status> first_;
};

}  // namespace uplane::graph::config_detail
