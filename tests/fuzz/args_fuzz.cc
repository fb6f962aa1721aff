// Fuzz target: the argument parser of graph/args.h. The input is an element's configuration
// string. It is split into arguments; every value parser runs on each argument and on the
// whole input, and what a parser accepts must print back to text that parses to the same
// value. Quoting must round-trip, a quoted argument must stay one argument, and an Args
// chain over the input must end in ok or in a message carrying its context.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "graph/args.h"

namespace {

using namespace uplane;
using namespace uplane::graph;

void check(bool ok) {
  if (!ok) std::abort();
}

template <class T>
bool parses(std::string_view text, T& out) {
  return ArgParser<T>::parse(text, out).empty();
}

// Integers print in decimal, which every integer parser reads back.
template <class T>
void integer(std::string_view text) {
  T v{};
  if (!parses(text, v)) return;
  T again{};
  check(parses(fmt::format("{}", v), again) && again == v);
}

void values(std::string_view text) {
  bool b = false;
  parses(text, b);
  integer<std::int8_t>(text);
  integer<std::uint8_t>(text);
  integer<std::int16_t>(text);
  integer<std::uint16_t>(text);
  integer<std::int32_t>(text);
  integer<std::uint32_t>(text);
  integer<std::int64_t>(text);
  integer<std::uint64_t>(text);

  if (double d = 0; parses(text, d)) {
    check(std::isfinite(d));
    double again = 0;
    check(parses(fmt::format("{}", d), again) && again == d);
  }
  if (std::string s; parses(text, s)) {
    std::string again;
    check(parses(quote(s), again) && again == s);
  }
  if (RawArg r; parses(text, r)) check(r.text == text);
  if (WordArg w; parses(text, w)) {
    check(!w.word.empty());
    // A word may hold "//" that only quotes kept from being a comment.
    WordArg again;
    check(parses(quote(w.word), again) && again.word == w.word);
  }
  if (net::Ipv4Addr a{}; parses(text, a)) {
    net::Ipv4Addr again{};
    check(parses(a.to_string(), again) && again == a);
  }
  if (Ipv4Prefix p{}; parses(text, p)) {
    const int len = p.prefix_length();
    check(len >= -1 && len <= 32);
    Ipv4Prefix again{};
    check(parses(p.addr.to_string() + "/" + p.mask.to_string(), again) && again == p);
    if (len >= 0) check(parses(fmt::format("{}/{}", p.addr.to_string(), len), again) && again == p);
  }
  if (net::EtherAddr e{}; parses(text, e)) {
    net::EtherAddr again{};
    check(parses(e.to_string(), again) && again == e);
  }
  if (Duration d{}; parses(text, d)) {
    check(d.ns >= 0);
    Duration again{};
    check(parses(fmt::format("{}ns", d.ns), again) && again == d);
  }
  if (Bandwidth bw{}; parses(text, bw))
    check(std::isfinite(bw.bytes_per_sec) && bw.bytes_per_sec >= 0);
  if (Rate r{}; parses(text, r)) {
    Rate again{};
    check(parses(fmt::format("{}", r.per_sec), again) && again.per_sec == r.per_sec);
  }
}

void quoting(std::string_view text) {
  const std::string q = quote(text);
  check(!q.empty() && unquote(q) == text);
  check(split_args(q) == std::vector<std::string>{q});
  check(split_words(q) == std::vector<std::string>{q});
  for (const std::string& w : split_words(text)) check(!w.empty());
  unquote(text);
}

void chain(std::string_view text) {
  RawArg a;
  std::uint32_t b = 0;
  Duration c;
  std::vector<Ipv4Prefix> d;
  Bandwidth e;
  std::vector<std::string> rest;
  Args args = Args::from_config(text, "fuzz");
  args.required("A", a)
      .optional_positional("B", b, 1u, 1000u)
      .rest("R", rest)
      .optional("C", c)
      .all("D", d)
      .required_keyword("E", e);
  const Status st = args.done();
  check(st.is_ok() == args.ok());
  if (!st.is_ok()) check(st.message().starts_with("fuzz: ") && st.message().size() > 6);
  check(args.done().message() == st.message());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  values(text);
  quoting(text);
  for (const std::string& arg : split_args(text)) {
    values(arg);
    quoting(arg);
  }
  chain(text);
  return 0;
}
