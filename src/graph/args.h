#pragma once
// Args: the typed argument parser every element's configure() uses, after Click's Args.
//
// An element's configuration string is split at commas into arguments as Click's cp_argvec
// does: only quotes ("..." and '...') and \<hex> blocks protect a comma; parentheses,
// brackets and braces do not group. Each argument loses its comments (a comment between two
// tokens becomes one space) and its leading and trailing whitespace; whitespace inside is
// kept. An empty last argument is dropped, any other empty argument is kept: "" and "  "
// give no arguments, "a," gives {"a"}, "a,,b" gives {"a", "", "b"}, "," gives {""}.
//
// An argument is a keyword argument when it starts with a KEYWORD (an upper-case letter,
// then upper-case letters, digits and '_') followed by whitespace and a non-empty value:
// "BURST 8". A keyword with nothing after it ("ACTIVE") is a positional argument, as in
// Click. (Click also counts lower-case words as keywords; uplane does not, so positional
// text such as "hello world" stays positional.)
//
// Reads are chained and the first error sticks; done() returns it, or rejects what no read
// consumed:
//
//   return args.required("ADDR", addr_)               // positional, or ADDR keyword; mandatory
//              .optional_positional("MASK", mask_)    // positional, or MASK keyword; optional
//              .optional("BURST", burst_, 1u, 256u)   // keyword only, with a range
//              .done();                              // "unknown keyword 'BURTS'"
//
// Positional reads take positional arguments in order, and only from the front: the
// candidate is the first argument no positional read has taken, and there is none once that
// argument was used by a keyword read. So positional arguments come before keyword
// arguments, as in Click. A keyword-shaped candidate is taken positionally (whole, keyword
// included) only by a mandatory read whose keyword is absent, as in Click.
// Where uplane is stricter than Click (which lets the later argument win silently):
//   - a keyword given twice is an error ("BURST: keyword given more than once"), unless it
//     is read with all();
//   - a positional argument and the keyword for the same read is an error ("ADDR: given both
//     by position and by keyword").
// Messages are "KEYWORD: what was wrong", after Click, prefixed by the context:
//   "ADDR: required argument missing"          mandatory read found nothing (Click's wording)
//   "ADDR: expected IP address, got '10.0.0'"  the value did not parse (Click: "parse error")
//   "BURST: expected 1-256, got '300'"         outside a range (Click: "out of range, bound 256")
//   "unknown keyword 'BURTS'"                  an unused keyword argument (Click: "BURTS:
//                                              unknown argument"); wins over the next one
//   "too many arguments"                       an unused positional argument (Click's wording)
// The context is joined with ": "; the Router passes "file:line:col: name :: Class".
//
// Value types (ArgParser<T> below; add a specialization for a new one). Values are not
// unquoted unless the type says so, as in Click.
//   bool          Click's BoolArg, case-sensitive: true/false, yes/no, t/f, y/n, 1/0
//   integers      Click's IntArg: decimal, 0x hex, 0b binary, leading-0 octal ("08" is an
//                 error), single '_' between digits, '+' always and '-' for signed types;
//                 range-checked against the type ("expected 0-255"), and against [lo, hi]
//                 when given
//   double        a decimal real ("-1.5e3", ".5"); inf, nan and hex floats are rejected
//   std::string   one word or one quoted string, unquoted (Click's StringArg): "abc",
//                 "\"a b\"", "'x'\"y\"" (joined); not "a b" and not an empty argument
//   RawArg        the argument text as written (Click's AnyArg)
//   WordArg       as std::string, then printable ASCII without quotes, '\\' or ','
//                 (Click's WordArg)
//   net::Ipv4Addr four decimal parts 0-255 ("10.0.0.1"; leading zeros are decimal, as in
//                 Click). Not "10.0.0" (Click accepts a short address only in a prefix), not
//                 AddressInfo names
//   Ipv4Prefix    Click's IPPrefixArg with allow_bare_address: "10.0.0.0/8", "10.0.0.0/
//                 255.0.0.0" (any mask, contiguous or not), "10/8" and "18.26.4/24" (parts
//                 left off are zero, but the mask may not cover them: "18.26/24" is an
//                 error), or an address alone (mask /32). The address is kept as written,
//                 host bits included ("10.0.0.1/8" keeps 10.0.0.1)
//   net::EtherAddr six groups of one or two hex digits, all separated by ':' or all by '-'
//                 ("0:1:2:3:4:5", "00-11-22-33-44-55"), as Click's EtherAddressArg; no other
//                 form (no bare hex)
//   Duration      Click's SecondsArg syntax, to the nanosecond (rounded half up): an unsigned
//                 real number (Click's syntax: '_' between digits, exponent) then optional
//                 space and a unit: s/sec (the default), m/min, h/hr, d/day, each with an
//                 optional prefix m, u or n ("10ms", "100 usec", "5ns", "1.5e3ms"). Negative
//                 values and values above int64 nanoseconds (~292 years) are errors
//   Bandwidth     Click's BandwidthArg: an unsigned real then a unit: bps, b/s or baud
//                 (bits/s) or Bps, B/s (bytes/s), with an optional prefix k or K (10^3), M
//                 (10^6), G (10^9): "10Mbps", "1.5 GBps", "8Kbps" = 1000 bytes/s. A bare
//                 number is bytes/s (Click accepts it with a warning; there is no warning
//                 here). A prefix needs a unit ("10k" is an error). Unlike Click (uint32
//                 bytes/s, at most ~34 Gbps) the value is a double, so 100Gbps works
//   Rate          packets per second: a Click unsigned integer ("1000", "0x100"; Click's
//                 RATE arguments are unsigned integers), or, as an extension, an unsigned
//                 real with a suffix k/K (10^3), M (10^6) or G (10^9) that comes to a whole
//                 number ("2.5k", "1M")

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/ether.h"
#include "net/ipv4.h"

namespace uplane::graph {

// --- argument splitting and quoting (Click's cp_argvec, cp_spacevec, cp_unquote) ---

// Splits a configuration string at commas outside quotes and \<hex> blocks, as Click's
// cp_argvec (see the top of this file): every part loses comments and outer whitespace;
// an empty last part is dropped, so "" and whitespace alone give no arguments.
std::vector<std::string> split_args(std::string_view config);
// Splits an argument into words at whitespace and comments outside quotes and \<hex>
// blocks, as Click's cp_spacevec: "a  b, c" gives {"a", "b,", "c"}. Words keep their
// quotes; brackets do not group.
std::vector<std::string> split_words(std::string_view arg);
// Removes comments and one level of quoting, as Click's cp_unquote: "..." with backslash
// escapes (\a \b \f \n \r \t \v, \ooo octal, \xHH, \<hex pairs>, backslash-newline removed,
// any other \c gives c) and '...' taken literally; \<hex pairs> also outside quotes; other
// unquoted text passes through. Quoted and unquoted parts join: "a"'b'c gives abc. An
// unterminated quote runs to the end.
std::string unquote(std::string_view s);
// Quotes s so that unquote(quote(s)) == s for any bytes. A simple word (letters, digits
// and _ . : / @ + = % ! ? ~ ^ -, without "//") is returned as it is; anything else, the
// empty string included, is double-quoted with \\ \" \$ \t \r \n and \ooo escapes.
std::string quote(std::string_view s);
// True when `word` is exactly a keyword: [A-Z][A-Z0-9_]*.
bool is_keyword(std::string_view word) noexcept;

// --- value types that are not plain C++ types ---

struct RawArg {
  std::string text;
};
struct WordArg {
  std::string word;
};
struct Ipv4Prefix {
  net::Ipv4Addr addr;
  net::Ipv4Addr mask;
  // The prefix length when the mask is contiguous, else -1.
  int prefix_length() const noexcept;
  friend bool operator==(const Ipv4Prefix&, const Ipv4Prefix&) = default;
};
struct Duration {
  std::int64_t ns = 0;
  friend auto operator<=>(const Duration&, const Duration&) = default;
};
struct Bandwidth {
  double bytes_per_sec = 0;
};
struct Rate {
  std::uint64_t per_sec = 0;
};

// ArgParser<T>::parse(text, out) -> an empty string when the text parsed (out set), else a
// short description of what was expected ("expected IP address"). `out` is unchanged on
// failure.
template <class T>
struct ArgParser;

#define UPLANE_DECLARE_ARG_PARSER(T)                         \
  template <>                                                \
  struct ArgParser<T> {                                      \
    static std::string parse(std::string_view text, T& out); \
  }
UPLANE_DECLARE_ARG_PARSER(bool);
UPLANE_DECLARE_ARG_PARSER(std::int8_t);
UPLANE_DECLARE_ARG_PARSER(std::uint8_t);
UPLANE_DECLARE_ARG_PARSER(std::int16_t);
UPLANE_DECLARE_ARG_PARSER(std::uint16_t);
UPLANE_DECLARE_ARG_PARSER(std::int32_t);
UPLANE_DECLARE_ARG_PARSER(std::uint32_t);
UPLANE_DECLARE_ARG_PARSER(std::int64_t);
UPLANE_DECLARE_ARG_PARSER(std::uint64_t);
UPLANE_DECLARE_ARG_PARSER(double);
UPLANE_DECLARE_ARG_PARSER(std::string);
UPLANE_DECLARE_ARG_PARSER(RawArg);
UPLANE_DECLARE_ARG_PARSER(WordArg);
UPLANE_DECLARE_ARG_PARSER(net::Ipv4Addr);
UPLANE_DECLARE_ARG_PARSER(Ipv4Prefix);
UPLANE_DECLARE_ARG_PARSER(net::EtherAddr);
UPLANE_DECLARE_ARG_PARSER(Duration);
UPLANE_DECLARE_ARG_PARSER(Bandwidth);
UPLANE_DECLARE_ARG_PARSER(Rate);
#undef UPLANE_DECLARE_ARG_PARSER

class Args {
 public:
  // `args` are already split (split_args). `context` prefixes every error message
  // (the Router passes "file:line:col: name :: Class").
  Args(std::vector<std::string> args, std::string context);
  static Args from_config(std::string_view config, std::string context) {
    return Args(split_args(config), std::move(context));
  }

  // The next positional argument, or the keyword; an error when neither is there.
  template <class T>
  Args& required(std::string_view keyword, T& out) {
    return read(keyword, out, kPositional | kMandatory);
  }
  // The next positional argument, or the keyword; out unchanged when neither is there.
  template <class T>
  Args& optional_positional(std::string_view keyword, T& out) {
    return read(keyword, out, kPositional);
  }
  // The keyword only; out unchanged when it is absent.
  template <class T>
  Args& optional(std::string_view keyword, T& out) {
    return read(keyword, out, 0);
  }
  // The keyword only; an error when it is absent.
  template <class T>
  Args& required_keyword(std::string_view keyword, T& out) {
    return read(keyword, out, kMandatory);
  }
  // Integer reads with a range: values outside [lo, hi] are an error naming the range.
  template <std::integral T>
  Args& required(std::string_view keyword, T& out, T lo, T hi) {
    return read_ranged(keyword, out, lo, hi, kPositional | kMandatory);
  }
  template <std::integral T>
  Args& optional_positional(std::string_view keyword, T& out, T lo, T hi) {
    return read_ranged(keyword, out, lo, hi, kPositional);
  }
  template <std::integral T>
  Args& optional(std::string_view keyword, T& out, T lo, T hi) {
    return read_ranged(keyword, out, lo, hi, 0);
  }
  // Every occurrence of the keyword, in order (appended to out).
  template <class T>
  Args& all(std::string_view keyword, std::vector<T>& out) {
    for (std::string_view text : take_all(keyword)) {
      T v{};
      if (!parse_into(keyword, text, v)) break;
      out.push_back(std::move(v));
    }
    return *this;
  }
  // Every remaining positional argument, parsed as T (appended to out).
  template <class T>
  Args& rest(std::string_view what, std::vector<T>& out) {
    for (std::string_view text : take_rest_positional()) {
      T v{};
      if (!parse_into(what, text, v)) break;
      out.push_back(std::move(v));
    }
    return *this;
  }

  // Whether the most recent read found its argument.
  bool found() const noexcept { return found_; }
  // Records an error (only the first sticks).
  Args& fail(std::string message);
  bool ok() const noexcept { return !error_; }
  // The first error; otherwise an error for the arguments no read consumed: "unknown
  // keyword 'X'" for the first unused keyword argument, else "too many arguments";
  // otherwise ok. Every error is Errc::kInvalidArgument, its message prefixed by the context.
  Status done();
  // Number of arguments as split.
  std::size_t size() const noexcept { return args_.size(); }
  const std::string& context() const noexcept { return context_; }

 private:
  enum : unsigned { kPositional = 1, kMandatory = 2 };

  // Finds the argument for a read: the keyword if given (once), else the next positional
  // argument when kPositional. Sets found_; records errors for a missing mandatory
  // argument or a repeated keyword.
  std::optional<std::string_view> take(std::string_view keyword, unsigned flags);
  std::vector<std::string_view> take_all(std::string_view keyword);
  std::vector<std::string_view> take_rest_positional();

  template <class T>
  bool parse_into(std::string_view keyword, std::string_view text, T& out) {
    std::string why = ArgParser<T>::parse(text, out);
    if (why.empty()) return true;
    fail_parse(keyword, text, why);
    return false;
  }
  void fail_parse(std::string_view keyword, std::string_view text, std::string_view why);
  void fail_range(std::string_view keyword, std::string_view text, long double lo, long double hi);

  template <class T>
  Args& read(std::string_view keyword, T& out, unsigned flags) {
    if (!ok()) return *this;
    if (auto text = take(keyword, flags)) {
      T v{};
      if (parse_into(keyword, *text, v)) out = std::move(v);
    }
    return *this;
  }
  template <std::integral T>
  Args& read_ranged(std::string_view keyword, T& out, T lo, T hi, unsigned flags) {
    if (!ok()) return *this;
    if (auto text = take(keyword, flags)) {
      T v{};
      if (!parse_into(keyword, *text, v)) return *this;
      if (v < lo || v > hi) {
        fail_range(keyword, *text, static_cast<long double>(lo), static_cast<long double>(hi));
        return *this;
      }
      out = v;
    }
    return *this;
  }

  struct Arg {
    std::string keyword;  // empty for a positional argument
    std::string value;    // after the keyword and its whitespace, or the whole argument
    std::string text;     // the whole argument, for a keyword-shaped one read positionally
    bool used = false;
  };
  std::vector<Arg> args_;
  std::string context_;
  std::size_t next_positional_ = 0;  // index into args_ of the next positional candidate
  bool found_ = false;
  std::optional<Status> error_;
};

}  // namespace uplane::graph
