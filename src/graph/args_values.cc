#include "graph/args.h"

// The value parsers: ArgParser<T> for numbers, addresses and quantities with units.
//
// Each follows the Click parser named in graph/args.h, re-derived from Click's documented
// behaviour and its regression tests, and each reads the whole text or fails; none throws,
// none reads past the text, and every arithmetic step on untrusted digits is checked.
//
// Numbers come in two grammars, both Click's:
//   - integers (IntArg): sign, base prefix (0x, 0b, leading 0 for octal), digits with single
//     underscores between them. scan_integer() reads one into a uint64 magnitude, noting
//     overflow, and each integer type range-checks that.
//   - reals with units (SecondsArg, BandwidthArg): '+', digits, one '.', single underscores
//     after digits, an exponent. scan_decimal() keeps them exact, as a digit string and a
//     power of ten, so that "0.1s" is exactly 100000000 ns and "1.99 hr" rounds once, half
//     up, at the end (decimal_to_integer), where floating point would round on every step.
// Units are matched as Click's UnitArg matches them: the first unit in table order that
// ends the text wins, then one prefix character right before it, then optional spaces
// before that. Table order matters: "ms" is the unit "s" with the prefix "m", "m" alone is
// minutes.

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

namespace uplane::graph {
namespace {

using u128 = unsigned __int128;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// 0-35 for 0-9, a-z, A-Z; -1 otherwise.
int digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return -1;
}

enum class Scan { kOk, kInvalid, kRange };

// Click's IntArg syntax over the whole text. `base` is 0 (prefix decides) or 10. On kOk or
// kRange the text is well-formed; `magnitude` is exact only on kOk.
Scan scan_integer(std::string_view t, bool allow_minus, int base, bool& negative,
                  std::uint64_t& magnitude) noexcept {
  std::size_t i = 0;
  negative = false;
  magnitude = 0;
  if (i < t.size() && ((allow_minus && t[i] == '-') || t[i] == '+')) {
    negative = t[i] == '-';
    ++i;
  }
  // A prefix counts only with something after it: "0x" alone is the octal 0 and a stray x.
  if ((base == 0 || base == 16) && i + 2 < t.size() && t[i] == '0' &&
      (t[i + 1] == 'x' || t[i + 1] == 'X')) {
    i += 2;
    base = 16;
  } else if (base == 0 && i + 2 < t.size() && t[i] == '0' && (t[i + 1] == 'b' || t[i + 1] == 'B')) {
    i += 2;
    base = 2;
  } else if (base == 0 && i < t.size() && t[i] == '0') {
    base = 8;
  } else if (base == 0) {
    base = 10;
  }
  const auto b = static_cast<std::uint64_t>(base);
  bool overflow = false;
  bool after_digit = false;
  for (; i < t.size(); ++i) {
    if (t[i] == '_' && after_digit) {
      after_digit = false;
      continue;
    }
    const int d = digit_value(t[i]);
    if (d < 0 || d >= base) return Scan::kInvalid;
    const auto ud = static_cast<std::uint64_t>(d);
    if (magnitude > (std::numeric_limits<std::uint64_t>::max() - ud) / b) {
      overflow = true;
    } else {
      magnitude = magnitude * b + ud;
    }
    after_digit = true;
  }
  // No digit at all, or a trailing '_'.
  if (!after_digit) return Scan::kInvalid;
  return overflow ? Scan::kRange : Scan::kOk;
}

template <class T>
std::string range_text(T lo, T hi) {
  return lo < 0 ? fmt::format("expected {} to {}", lo, hi) : fmt::format("expected {}-{}", lo, hi);
}

template <class T>
std::string parse_int(std::string_view text, T& out) {
  using L = std::numeric_limits<T>;
  bool negative = false;
  std::uint64_t m = 0;
  const Scan s = scan_integer(text, L::is_signed, 0, negative, m);
  if (s == Scan::kInvalid) return L::is_signed ? "expected integer" : "expected unsigned integer";
  if constexpr (L::is_signed) {
    // The magnitude of min() is max() + 1.
    const std::uint64_t limit = static_cast<std::uint64_t>(L::max()) + (negative ? 1 : 0);
    if (s == Scan::kRange || m > limit) return range_text(L::min(), L::max());
    if (!negative) {
      out = static_cast<T>(m);
    } else if (m == limit) {
      out = L::min();
    } else {
      out = static_cast<T>(-static_cast<std::int64_t>(m));
    }
  } else {
    if (s == Scan::kRange || m > L::max()) return range_text(L::min(), L::max());
    out = static_cast<T>(m);
  }
  return {};
}

// An unsigned real number: value = digits x 10^exp10 (digits may have leading zeros).
struct Decimal {
  std::string digits;
  std::int64_t exp10 = 0;
};

// Click's real-number syntax (preparse_fraction, unsigned) over the whole text: an optional
// '+', digits with '_' allowed right after a digit, one '.' at the start or right after a
// digit, at least one digit, then an optional exponent [eE][+-]digits. An 'e' not followed
// by digits is not an exponent (so the text fails).
bool scan_decimal(std::string_view t, Decimal& d) {
  // Exponents beyond this saturate: any nonzero value is already out of every range, and
  // zero stays zero.
  constexpr std::int64_t kMaxExponent = 1'000'000'000;
  std::size_t i = 0;
  if (i < t.size() && t[i] == '+') ++i;
  const std::size_t first = i;
  bool point = false;
  bool after_digit = false;
  std::int64_t fraction_digits = 0;
  d.digits.clear();
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '_' && after_digit) {
      after_digit = false;
    } else if (c == '.' && !point && (after_digit || i == first)) {
      point = true;
      after_digit = false;
    } else if (is_digit(c)) {
      d.digits += c;
      if (point) ++fraction_digits;
      after_digit = true;
    } else {
      break;
    }
  }
  if (d.digits.empty()) return false;
  std::int64_t exponent = 0;
  if (i + 1 < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    std::size_t j = i + 1;
    const bool minus = t[j] == '-';
    if (t[j] == '-' || t[j] == '+') ++j;
    if (j < t.size() && is_digit(t[j])) {
      for (; j < t.size() && is_digit(t[j]); ++j) {
        if (exponent < kMaxExponent) exponent = exponent * 10 + (t[j] - '0');
      }
      if (minus) exponent = -exponent;
      i = j;
    }
  }
  if (i != t.size()) return false;
  d.exp10 = exponent - fraction_digits;
  return true;
}

// round(d x 10^extra_pow x factor), half up, into `out`; kRange when above `limit`.
// `inexact` (if given) is set when rounding changed the value.
Scan decimal_to_integer(const Decimal& d, std::int64_t extra_pow, std::uint32_t factor,
                        std::uint64_t limit, std::uint64_t& out, bool* inexact = nullptr) {
  // 30 significant digits fit a u128 with room for the factor (10^30 x 86400 < 2^127); the
  // digits beyond can only matter to a tie at the rounding digit, and a nonzero one there
  // is remembered in `dropped_nonzero`.
  constexpr std::size_t kMaxDigits = 30;
  if (inexact != nullptr) *inexact = false;
  const std::size_t nz = d.digits.find_first_not_of('0');
  if (nz == std::string::npos) {
    out = 0;
    return Scan::kOk;
  }
  std::string_view sig = std::string_view(d.digits).substr(nz);
  std::int64_t p = d.exp10 + extra_pow;
  bool dropped_nonzero = false;
  if (sig.size() > kMaxDigits) {
    dropped_nonzero = sig.substr(kMaxDigits).find_first_not_of('0') != std::string_view::npos;
    p += static_cast<std::int64_t>(sig.size() - kMaxDigits);
    sig = sig.substr(0, kMaxDigits);
  }
  u128 v = 0;
  for (const char c : sig) v = v * 10 + static_cast<unsigned>(c - '0');
  v *= factor;
  if (p >= 0) {
    // v >= 1, so the loop leaves within 20 steps of exceeding any uint64 limit, and v <= limit
    // before each multiplication keeps it from overflowing.
    for (std::int64_t k = 0; k < p && v <= limit; ++k) v *= 10;
    if (v > limit) return Scan::kRange;
    if (inexact != nullptr) *inexact = dropped_nonzero;
    out = static_cast<std::uint64_t>(v);
    return Scan::kOk;
  }
  if (p < -38) {
    // v < 10^35, so v / 10^39 < 0.5: rounds to zero.
    if (inexact != nullptr) *inexact = true;
    out = 0;
    return Scan::kOk;
  }
  u128 scale = 1;
  for (std::int64_t k = 0; k < -p; ++k) scale *= 10;  // at most 10^38 < 2^127
  u128 q = v / scale;
  const u128 r = v % scale;
  if (r * 2 >= scale) ++q;  // r < 10^38, so r * 2 fits
  if (q > limit) return Scan::kRange;
  if (inexact != nullptr) *inexact = r != 0 || dropped_nonzero;
  out = static_cast<std::uint64_t>(q);
  return Scan::kOk;
}

struct Unit {
  std::string_view suffix;
  int power;             // of ten
  std::uint32_t factor;  // times this
};
struct Prefix {
  char c;
  int power;
};

// Click's UnitArg::parse: strips the unit (and its prefix, and spaces before them) from the
// end of `text`, returning what is left and setting power/factor; with no unit, returns the
// text unchanged with power 0 and factor 1.
std::string_view strip_unit(std::string_view text, std::span<const Unit> units,
                            std::span<const Prefix> prefixes, int& power, std::uint32_t& factor,
                            bool& has_unit) {
  power = 0;
  factor = 1;
  has_unit = false;
  for (const Unit& u : units) {
    if (!text.ends_with(u.suffix)) continue;
    has_unit = true;
    power = u.power;
    factor = u.factor;
    text.remove_suffix(u.suffix.size());
    if (!text.empty()) {
      for (const Prefix& p : prefixes) {
        if (text.back() == p.c) {
          power += p.power;
          text.remove_suffix(1);
          break;
        }
      }
    }
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
  }
  return text;
}

// Click's seconds_units, in Click's order.
constexpr Unit kSecondsUnits[] = {
    {"s", 0, 1},    {"sec", 0, 1},   {"m", 0, 60},    {"min", 0, 60},
    {"h", 0, 3600}, {"hr", 0, 3600}, {"d", 0, 86400}, {"day", 0, 86400},
};
constexpr Prefix kSecondsPrefixes[] = {{'m', -3}, {'u', -6}, {'n', -9}};

// Click's byte_bandwidth_units: a bit is 1/8 byte, kept exact by the caller.
constexpr Unit kBandwidthBits[] = {{"baud", 0, 1}, {"bps", 0, 1}, {"b/s", 0, 1}};
constexpr Unit kBandwidthBytes[] = {{"Bps", 0, 1}, {"B/s", 0, 1}};
constexpr Prefix kBandwidthPrefixes[] = {{'k', 3}, {'K', 3}, {'M', 6}, {'G', 9}};

std::uint8_t low_byte(unsigned v) noexcept { return static_cast<std::uint8_t>(v & 0xff); }

// Click's IPAddressArg::basic_parse: up to four '.'-separated decimal parts, each 0-255
// (any number of leading zeros, read as decimal). Returns the index after the last part
// read; `parts` says how many.
std::size_t scan_ipv4(std::string_view t, std::uint8_t value[4], int& parts) noexcept {
  for (int k = 0; k < 4; ++k) value[k] = 0;
  std::size_t s = 0;
  int d = 0;
  while (d < 4 && s < t.size() && (d == 0 || t[s] == '.')) {
    std::size_t x = s + (d == 0 ? 0 : 1);
    if (x == t.size() || !is_digit(t[x])) break;
    unsigned part = static_cast<unsigned>(t[x] - '0');
    for (++x; x < t.size() && is_digit(t[x]) && part <= 255; ++x) {
      part = part * 10 + static_cast<unsigned>(t[x] - '0');
    }
    if (part > 255) break;
    s = x;
    value[d++] = low_byte(part);
  }
  parts = d;
  return s;
}

net::Ipv4Addr addr_of(const std::uint8_t v[4]) noexcept {
  return net::Ipv4Addr::from_octets(v[0], v[1], v[2], v[3]);
}

std::uint32_t prefix_mask(int length) noexcept {
  return length == 0 ? 0 : 0xffffffffu << (32 - length);
}

}  // namespace

int Ipv4Prefix::prefix_length() const noexcept {
  const std::uint32_t m = mask.to_host();
  // Contiguous: the zero bits of the mask are all at the bottom, so ~m is 0...01...1.
  const std::uint32_t host_bits = ~m;
  if ((host_bits & (host_bits + 1)) != 0) return -1;
  return std::popcount(m);
}

std::string ArgParser<bool>::parse(std::string_view text, bool& out) {
  if (text == "true" || text == "yes" || text == "1" || text == "t" || text == "y") {
    out = true;
  } else if (text == "false" || text == "no" || text == "0" || text == "f" || text == "n") {
    out = false;
  } else {
    return "expected true or false";
  }
  return {};
}

std::string ArgParser<std::int8_t>::parse(std::string_view t, std::int8_t& o) {
  return parse_int(t, o);
}
std::string ArgParser<std::uint8_t>::parse(std::string_view t, std::uint8_t& o) {
  return parse_int(t, o);
}
std::string ArgParser<std::int16_t>::parse(std::string_view t, std::int16_t& o) {
  return parse_int(t, o);
}
std::string ArgParser<std::uint16_t>::parse(std::string_view t, std::uint16_t& o) {
  return parse_int(t, o);
}
std::string ArgParser<std::int32_t>::parse(std::string_view t, std::int32_t& o) {
  return parse_int(t, o);
}
std::string ArgParser<std::uint32_t>::parse(std::string_view t, std::uint32_t& o) {
  return parse_int(t, o);
}
std::string ArgParser<std::int64_t>::parse(std::string_view t, std::int64_t& o) {
  return parse_int(t, o);
}
std::string ArgParser<std::uint64_t>::parse(std::string_view t, std::uint64_t& o) {
  return parse_int(t, o);
}

std::string ArgParser<double>::parse(std::string_view text, double& out) {
  constexpr const char* kExpected = "expected real number";
  std::size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) ++i;
  // Only digits or '.' may start the number: this keeps out "inf", "nan", a second sign and
  // leading spaces, all of which from_chars or strtod would take.
  if (i == text.size() || !(is_digit(text[i]) || text[i] == '.')) return kExpected;
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data() + i, end, v, std::chars_format::general);
  if (ptr != end) return kExpected;
  if (ec == std::errc::result_out_of_range) return "out of range";
  if (ec != std::errc() || !std::isfinite(v)) return kExpected;
  out = negative ? -v : v;
  return {};
}

std::string ArgParser<net::Ipv4Addr>::parse(std::string_view text, net::Ipv4Addr& out) {
  std::uint8_t v[4];
  int parts = 0;
  if (scan_ipv4(text, v, parts) != text.size() || parts != 4) return "expected IP address";
  out = addr_of(v);
  return {};
}

std::string ArgParser<Ipv4Prefix>::parse(std::string_view text, Ipv4Prefix& out) {
  const std::size_t slash = text.rfind('/');
  if (slash != std::string_view::npos && slash != 0 && slash + 1 != text.size()) {
    std::uint8_t v[4];
    int parts = 0;
    if (scan_ipv4(text.substr(0, slash), v, parts) == slash) {
      const std::string_view m = text.substr(slash + 1);
      bool negative = false;
      std::uint64_t length = 0;
      std::uint32_t mask = 0;
      bool have_mask = false;
      // A prefix length (Click reads it as a base-10 int, so "-0" and "+8" pass), else a mask.
      if (scan_integer(m, true, 10, negative, length) == Scan::kOk &&
          (length == 0 || (!negative && length <= 32))) {
        mask = prefix_mask(static_cast<int>(length));
        have_mask = true;
      } else if (net::Ipv4Addr a; ArgParser<net::Ipv4Addr>::parse(m, a).empty()) {
        mask = a.to_host();
        have_mask = true;
      }
      // Parts left off the address are zero, and the mask may not reach into them: that
      // would claim bits the user did not write ("18.26/24").
      if (have_mask && (mask & prefix_mask(parts * 8)) == mask) {
        out = Ipv4Prefix{addr_of(v), net::Ipv4Addr::from_host(mask)};
        return {};
      }
    }
  }
  if (net::Ipv4Addr a; ArgParser<net::Ipv4Addr>::parse(text, a).empty()) {
    out = Ipv4Prefix{a, net::Ipv4Addr::broadcast()};
    return {};
  }
  return "expected IP prefix";
}

std::string ArgParser<net::EtherAddr>::parse(std::string_view text, net::EtherAddr& out) {
  // Click's EtherAddressArg: the first ':' or '-' fixes the separator; each group is one or
  // two hex digits.
  net::EtherAddr a{};
  int group = 0;
  int digits = 0;  // in the current group
  char sep = 0;
  for (const char c : text) {
    const int h = digit_value(c);
    if (h >= 0 && h < 16) {
      if (digits == 2) return "expected Ethernet address";
      a.bytes[group] = static_cast<std::uint8_t>(a.bytes[group] << 4 | h);
      ++digits;
      continue;
    }
    if (sep == 0 && (c == ':' || c == '-')) sep = c;
    if (sep == 0 || c != sep || digits == 0 || group == 5) return "expected Ethernet address";
    ++group;
    digits = 0;
  }
  if (group != 5 || digits == 0) return "expected Ethernet address";
  out = a;
  return {};
}

std::string ArgParser<Duration>::parse(std::string_view text, Duration& out) {
  constexpr const char* kExpected = "expected duration (seconds, or a number with unit)";
  int power = 0;
  std::uint32_t factor = 1;
  bool has_unit = false;
  const std::string_view number =
      strip_unit(text, kSecondsUnits, kSecondsPrefixes, power, factor, has_unit);
  Decimal d;
  if (!number.empty() && number[0] == '-') {
    return scan_decimal(number.substr(1), d) ? "expected non-negative duration" : kExpected;
  }
  if (!scan_decimal(number, d)) return kExpected;
  std::uint64_t ns = 0;
  if (decimal_to_integer(d, power + 9, factor, std::numeric_limits<std::int64_t>::max(), ns) !=
      Scan::kOk) {
    return "duration out of range";
  }
  out = Duration{static_cast<std::int64_t>(ns)};
  return {};
}

std::string ArgParser<Bandwidth>::parse(std::string_view text, Bandwidth& out) {
  constexpr const char* kExpected = "expected bandwidth (e.g. 10Mbps, 1MBps)";
  int power = 0;
  std::uint32_t factor = 1;
  bool bits = false;
  bool has_unit = false;
  std::string_view number =
      strip_unit(text, kBandwidthBits, kBandwidthPrefixes, power, factor, has_unit);
  if (has_unit) {
    bits = true;
  } else {
    number = strip_unit(text, kBandwidthBytes, kBandwidthPrefixes, power, factor, has_unit);
  }
  Decimal d;
  if (!scan_decimal(number, d)) return kExpected;
  // One correctly rounded conversion of digits x 10^(exp10 + power); dividing by 8 for bits
  // is exact in binary.
  const std::size_t nz = d.digits.find_first_not_of('0');
  double v = 0;
  if (nz != std::string::npos) {
    const std::string s =
        fmt::format("{}e{}", std::string_view(d.digits).substr(nz), d.exp10 + power);
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
      return "bandwidth out of range";
    }
  }
  if (bits) v /= 8;
  out = Bandwidth{v};
  return {};
}

std::string ArgParser<Rate>::parse(std::string_view text, Rate& out) {
  constexpr const char* kExpected = "expected packets per second (e.g. 1000, 2.5k, 1M)";
  static constexpr Unit kSuffixes[] = {{"k", 3, 1}, {"K", 3, 1}, {"M", 6, 1}, {"G", 9, 1}};
  int power = 0;
  std::uint32_t factor = 1;
  bool has_unit = false;
  const std::string_view number = strip_unit(text, kSuffixes, {}, power, factor, has_unit);
  std::uint64_t v = 0;
  if (!has_unit) {
    bool negative = false;
    const Scan s = scan_integer(text, false, 0, negative, v);
    if (s == Scan::kInvalid) return kExpected;
    if (s == Scan::kRange) return "rate out of range";
  } else {
    Decimal d;
    if (!scan_decimal(number, d)) return kExpected;
    bool inexact = false;
    if (decimal_to_integer(d, power, 1, std::numeric_limits<std::uint64_t>::max(), v, &inexact) !=
        Scan::kOk) {
      return "rate out of range";
    }
    if (inexact) return "expected a whole number of packets per second";
  }
  out = Rate{v};
  return {};
}

}  // namespace uplane::graph
