#pragma once
// What the Ethernet elements' handlers share: Click's way of printing an Ethernet address,
// and a handler write read as the configuration argument it replaces would be.

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "base/status.h"
#include "graph/args.h"
#include "net/ether.h"

namespace uplane::elements::ethernet {

// Click's EtherAddress::unparse: upper-case hex groups joined by dashes
// ("00-1A-2B-3C-4D-5E"), no newline.
std::string click_ether(const net::EtherAddr& a);

// The one argument of a handler write ("<KEYWORD>: expected one value" when there are none
// or several).
Status one_value(std::string_view keyword, std::string_view text, std::string& out);

namespace detail {
// `word` (one argument) parsed as a T, else "<KEYWORD>: <what was expected>, got '<word>'".
template <class T>
Status parse_word(std::string_view keyword, const std::string& word, T& out) {
  std::string why = graph::ArgParser<T>::parse(word, out);
  if (!why.empty())
    return make_error(Errc::kInvalidArgument, "{}: {}, got '{}'", keyword, why, word);
  return {};
}
}  // namespace detail

// A handler write parsed as a T: "<KEYWORD>: <what was expected>, got '<text>'" when it does
// not parse. `out` changes only on success.
template <class T>
Status parse_write(std::string_view keyword, std::string_view text, T& out) {
  std::string word;
  UPLANE_RETURN_IF_ERROR(one_value(keyword, text, word));
  T v{};
  UPLANE_RETURN_IF_ERROR(detail::parse_word(keyword, word, v));
  out = v;
  return {};
}

// As parse_write, then within [lo, hi]: else "<KEYWORD>: expected <lo>-<hi>, got '<v>'", where
// v is the text as written or, with `show_number`, the number it parsed to ("4096" for
// "0x1000").
template <class T>
Status parse_ranged_write(std::string_view keyword, std::string_view text, T lo, T hi, T& out,
                          bool show_number = false) {
  std::string word;
  UPLANE_RETURN_IF_ERROR(one_value(keyword, text, word));
  T v{};
  UPLANE_RETURN_IF_ERROR(detail::parse_word(keyword, word, v));
  if (v < lo || v > hi)
    return make_error(Errc::kInvalidArgument, "{}: expected {}-{}, got '{}'", keyword, lo, hi,
                      show_number ? fmt::format("{}", v) : word);
  out = v;
  return {};
}

}  // namespace uplane::elements::ethernet
