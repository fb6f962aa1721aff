#include "elements/classify/classifier.h"

#include <cctype>

#include <fmt/format.h>

#include "graph/registry.h"

namespace uplane::elements {

using classify::Base;
using classify::ExprBuilder;

namespace {

bool is_pattern_digit(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == '?';
}

// A hex digit's value and which of its bits count ('?' counts none).
void nibble(char c, std::uint32_t& value, std::uint32_t& mask) {
  if (c == '?') {
    value = mask = 0;
    return;
  }
  mask = 0xf;
  if (c >= '0' && c <= '9') {
    value = static_cast<std::uint32_t>(c - '0');
  } else if (c >= 'a' && c <= 'f') {
    value = static_cast<std::uint32_t>(c - 'a' + 10);
  } else {
    value = static_cast<std::uint32_t>(c - 'A' + 10);
  }
}

// One pattern: clauses joined by "and"; "-" or nothing matches every packet.
Result<ExprBuilder::Id> parse_pattern(std::string_view s, std::size_t slot, ExprBuilder& b) {
  auto error = [&](std::size_t at, std::string_view what) -> Status {
    if (at < s.size())
      return make_error(Errc::kInvalidArgument, "pattern {}: {} (column {})", slot, what, at + 1);
    return make_error(Errc::kInvalidArgument, "pattern {}: {} (at end)", slot, what);
  };
  std::vector<ExprBuilder::Id> clauses;
  std::size_t i = s == "-" ? s.size() : 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    bool negated = false;
    if (s[i] == '!') {
      negated = true;
      ++i;
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    }
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i])))
      return error(i, "expected a digit");
    const std::size_t offset_at = i;
    std::uint64_t offset = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      offset = offset * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (offset > classify::kMaxTestOffset + 3) return error(offset_at, "offset too large");
      ++i;
    }
    if (i >= s.size() || s[i] != '/') return error(i, "expected '/'");
    ++i;
    const std::size_t value_at = i;
    while (i < s.size() && is_pattern_digit(s[i])) ++i;
    const std::size_t value_len = i - value_at;
    std::size_t mask_at = 0;
    std::size_t mask_len = 0;
    bool has_mask = false;
    if (i < s.size() && s[i] == '%') {
      has_mask = true;
      mask_at = ++i;
      while (i < s.size() && is_pattern_digit(s[i])) ++i;
      mask_len = i - mask_at;
    }
    if (value_len < 2) return error(value_at, "value has less than 2 hex digits");
    if (value_len % 2 != 0) return error(value_at, "value has odd number of hex digits");
    if (has_mask && mask_len != value_len)
      return error(mask_at, fmt::format("mask has too {} hex digits",
                                        mask_len > value_len ? "many" : "few"));
    if (offset + value_len / 2 - 1 > classify::kMaxTestOffset + 3)
      return error(offset_at, "offset too large");

    // Bytes into aligned 32-bit words, one test per word.
    std::vector<ExprBuilder::Id> tests;
    std::uint32_t word_mask = 0;
    std::uint32_t word_value = 0;
    std::uint64_t word_at = offset & ~std::uint64_t{3};
    auto flush = [&] {
      tests.push_back(
          b.test(Base::kData, static_cast<std::uint32_t>(word_at), word_mask, word_value));
      word_mask = word_value = 0;
    };
    for (std::size_t k = 0; k < value_len / 2; ++k) {
      const std::uint64_t at = offset + k;
      if ((at & ~std::uint64_t{3}) != word_at) {
        flush();
        word_at = at & ~std::uint64_t{3};
      }
      std::uint32_t hv = 0, hm = 0, lv = 0, lm = 0;
      nibble(s[value_at + 2 * k], hv, hm);
      nibble(s[value_at + 2 * k + 1], lv, lm);
      std::uint32_t v = hv << 4 | lv;
      std::uint32_t m = hm << 4 | lm;
      if (has_mask) {
        std::uint32_t mhv = 0, mhm = 0, mlv = 0, mlm = 0;
        nibble(s[mask_at + 2 * k], mhv, mhm);
        nibble(s[mask_at + 2 * k + 1], mlv, mlm);
        m &= (mhv << 4 | mlv) & (mhm << 4 | mlm);
      }
      const int shift = 24 - 8 * static_cast<int>(at & 3);
      word_mask |= m << shift;
      word_value |= (v & m) << shift;
    }
    flush();
    ExprBuilder::Id clause = b.all(std::move(tests));
    if (negated) clause = b.negate(clause);
    clauses.push_back(clause);
  }
  return b.all(std::move(clauses));
}

}  // namespace

Result<classify::Program> Classifier::compile(const std::vector<std::string>& patterns,
                                              std::vector<std::string>* warnings) {
  ExprBuilder b;
  std::vector<classify::Rule> rules;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    Result<ExprBuilder::Id> e = parse_pattern(patterns[i], i, b);
    if (!e.is_ok()) return e.status();
    rules.push_back(classify::Rule{*e, static_cast<std::int32_t>(i)});
  }
  classify::Program p = classify::compile_rules(b, rules);
  if (warnings != nullptr) {
    for (std::size_t i = 0; i < patterns.size(); ++i)
      if (!p.reaches(static_cast<std::int32_t>(i)))
        warnings->push_back(fmt::format("output {} matches no packets", i));
  }
  return p;
}

Status Classifier::configure(graph::Args& args) {
  Result<std::vector<std::string>> patterns = patterns_per_output(args);
  if (!patterns.is_ok()) return patterns.status();
  std::vector<std::string> warnings;
  Result<classify::Program> p = compile(*patterns, &warnings);
  if (!p.is_ok())
    return make_error(Errc::kInvalidArgument, "{}: {}", args.context(), p.status().message());
  log_warnings(args, warnings);
  set_program(std::move(*p));
  return {};
}

UPLANE_REGISTER_ELEMENT(Classifier);

}  // namespace uplane::elements
