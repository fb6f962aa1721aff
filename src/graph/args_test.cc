#include "graph/args.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace uplane::graph {
namespace {

using namespace std::literals;
using Strings = std::vector<std::string>;

// --- splitting and quoting ---

TEST(SplitArgs, FollowsClickArgvec) {
  struct Case {
    std::string in;
    Strings out;
  };
  const Case cases[] = {
      {"", {}},
      {"   ", {}},
      {" \t\n ", {}},
      {"a, b, c", {"a", "b", "c"}},
      // Click's own examples for cp_argvec.
      {"  a /*?*/ b,  c, ", {"a b", "c"}},
      {"\"x, y\" // ?", {"\"x, y\""}},
      // Only the last empty argument is dropped.
      {"a,", {"a"}},
      {"a, ", {"a"}},
      {"a,,", {"a", ""}},
      {",", {""}},
      {",a", {"", "a"}},
      {"a,,b", {"a", "", "b"}},
      {"a, /* c */", {"a"}},
      // Inner whitespace stays; a comment becomes one space.
      {"a   b", {"a   b"}},
      {"a/*c*/b", {"a b"}},
      {"a /* c */ /* d */   b", {"a b"}},
      {"/* lead */ a", {"a"}},
      {"a // comment, x\n, b", {"a", "b"}},
      {"x // c\r\ny", {"x y"}},
      {"a /* , */ b", {"a b"}},
      {"a\r\n,b", {"a", "b"}},
      // Brackets do not group (Click's cp_argvec knows only quotes).
      {"f(a, b)", {"f(a", "b)"}},
      {"[1, 2]", {"[1", "2]"}},
      // Quotes and \<hex> blocks protect commas and comments.
      {"'a,b', c", {"'a,b'", "c"}},
      {"\"a // b\", c", {"\"a // b\"", "c"}},
      {"\"a\\\", b\", c", {"\"a\\\", b\"", "c"}},
      {"\\<41,42>, c", {"\\<41,42>", "c"}},
      {"\\<41 /* > , */ 42>, c", {"\\<41 /* > , */ 42>", "c"}},
      // A backslash outside quotes protects nothing.
      {"a \\, b", {"a \\", "b"}},
      // Unterminated quote, comment or block: runs to the end.
      {"\"open, x", {"\"open, x"}},
      {"'open, x", {"'open, x"}},
      {"a, /* open, x", {"a"}},
      {"\\<41, 42", {"\\<41, 42"}},
      {"//", {}},
      {"/*", {}},
      {"a //", {"a"}},
      {"\"", {"\""}},
      {"\"a\\", {"\"a\\"}},
      {"a\0b, c"s, {"a\0b"s, "c"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(split_args(c.in), c.out);
  }
}

TEST(SplitWords, FollowsClickSpacevec) {
  struct Case {
    std::string in;
    Strings out;
  };
  const Case cases[] = {
      {"", {}},
      {"  ", {}},
      // Click's own examples for cp_spacevec.
      {"a  b, c", {"a", "b,", "c"}},
      {"  'a /*?*/ b'c", {"'a /*?*/ b'c"}},
      {"a/*x*/b", {"a", "b"}},
      {"a // x\nb", {"a", "b"}},
      {"\"a b\" c", {"\"a b\"", "c"}},
      {"x\"a b\"y z", {"x\"a b\"y", "z"}},
      {"(a b)", {"(a", "b)"}},
      {"\\<41 42> x", {"\\<41 42>", "x"}},
      {"a\tb\nc\rd\ve\ff", {"a", "b", "c", "d", "e", "f"}},
      {"/* only a comment */", {}},
      {"a/", {"a/"}},
      {"\"open b", {"\"open b"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(split_words(c.in), c.out);
  }
}

TEST(Unquote, FollowsClickUnquote) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      // Click's own example.
      {"\"\\n\" abc /* 123 */ '/* def */'", "\n abc /* def */"},
      {"", ""},
      {"abc", "abc"},
      {"  a  b  ", "a  b"},
      {"\"a b\"", "a b"},
      {"'a\\nb'", "a\\nb"},
      {"\"a\"'b'c", "abc"},
      {"\"'\"", "'"},
      {"'\"'", "\""},
      {"\"\"", ""},
      // Escapes inside double quotes.
      {"\"\\a\\b\\f\\n\\r\\t\\v\"", "\a\b\f\n\r\t\v"},
      {"\"\\x41\\x4a\"", "AJ"},
      {"\"\\x141\"", "A"},  // only the low byte of a long \x
      {"\"\\x\"", "\0"s},
      {"\"\\101\"", "A"},
      {"\"\\1012\"", "A2"},  // at most three octal digits
      {"\"\\0\"", "\0"s},
      {"\"\\777\"", "\xff"},
      {"\"\\<48 65 6c6C 6f>\"", "Hello"},
      {"\"\\<4>\"", ""},  // a lone digit is dropped
      {"\"\\<41\"", "A"},
      {"\"a\\\nb\"", "ab"},
      {"\"a\\\r\nb\"", "ab"},
      {"\"a\\\rb\"", "ab"},
      {"\"\\$\\,\\q\\\\\\\"\\'\"", "$,q\\\"'"},
      {"\"a\\", "a\\"},
      // \<...> also outside quotes (Click's example, comment inside).
      {"\\<48656c6C 6f 2 /* And finally */ 1>", "Hello!"},
      // Other backslashes outside quotes are literal.
      {"a\\nb", "a\\nb"},
      {"a\\", "a\\"},
      // Unterminated quotes run to the end.
      {"\"abc", "abc"},
      {"'abc", "abc"},
      {"x 'a \"b' c", "x a \"b c"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(unquote(c.in), c.out);
  }
}

TEST(Quote, LeavesSimpleWordsAndEscapesTheRest) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"abc", "abc"},
      {"10.0.0.1/8", "10.0.0.1/8"},
      {"a-b_c:d@e+f=g%h!i?j~k^l", "a-b_c:d@e+f=g%h!i?j~k^l"},
      {"", "\"\""},
      {"a b", "\"a b\""},
      {"a,b", "\"a,b\""},
      {"a//b", "\"a//b\""},
      {"a/*b", "\"a/*b\""},
      {"a\"b", "\"a\\\"b\""},
      {"a\\b", "\"a\\\\b\""},
      {"$x", "\"\\$x\""},
      {"'", "\"'\""},
      {"(", "\"(\""},
      {"\t\r\n", "\"\\t\\r\\n\""},
      {"\x01"
       "7",
       "\"\\0017\""},
      {"\0"s, "\"\\000\""},
      {"\xff", "\"\\377\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(quote(c.in), c.out);
    EXPECT_EQ(unquote(quote(c.in)), c.in);
  }
}

TEST(Quote, RoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    EXPECT_EQ(unquote(quote(one)), one) << b;
    all += one;
    all += "0";  // a digit after each byte catches short octal escapes
  }
  EXPECT_EQ(unquote(quote(all)), all);
  // A quoted argument is one argument and one word.
  EXPECT_EQ(split_args(quote(all)), Strings{quote(all)});
  EXPECT_EQ(split_words(quote(all)), Strings{quote(all)});
}

TEST(IsKeyword, UpperCaseLetterThenUpperDigitsUnderscore) {
  for (std::string_view w : {"A", "BURST", "MAX_ROUTES", "A1", "X_"}) {
    EXPECT_TRUE(is_keyword(w)) << w;
  }
  for (std::string_view w : {"", "a", "Burst", "_A", "1A", "A-B", "A B", "A.B", "BURST "}) {
    EXPECT_FALSE(is_keyword(w)) << w;
  }
}

// --- value parsers ---

// Parses `text` as T; the error text, or "" with the value in `out`.
template <class T>
std::string parse(std::string_view text, T& out) {
  return ArgParser<T>::parse(text, out);
}

TEST(BoolArg, ClickWordsOnly) {
  for (std::string_view t : {"true", "yes", "1", "t", "y"}) {
    bool b = false;
    EXPECT_EQ(parse(t, b), "") << t;
    EXPECT_TRUE(b) << t;
  }
  for (std::string_view t : {"false", "no", "0", "f", "n"}) {
    bool b = true;
    EXPECT_EQ(parse(t, b), "") << t;
    EXPECT_FALSE(b) << t;
  }
  for (std::string_view t : {"", "TRUE", "True", "on", "off", " true", "true ", "2", "yes!"}) {
    bool b = true;
    EXPECT_EQ(parse(t, b), "expected true or false") << t;
    EXPECT_TRUE(b) << "unchanged on failure: " << t;
  }
}

template <class T>
struct IntCase {
  std::string_view in;
  std::string why;  // "" when it parses
  T value{};
};

template <class T>
void check_ints(const std::vector<IntCase<T>>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    T v = 42;
    EXPECT_EQ(parse(c.in, v), c.why);
    EXPECT_EQ(v, c.why.empty() ? c.value : T{42});
  }
}

TEST(IntArg, Int32) {
  const std::string bad = "expected integer";
  const std::string range = "expected -2147483648 to 2147483647";
  check_ints<std::int32_t>({
      {"0", "", 0},
      {"-0", "", 0},
      {"-5", "", -5},
      {"+5", "", 5},
      {"2147483647", "", 2147483647},
      {"-2147483648", "", std::numeric_limits<std::int32_t>::min()},
      {"0x1F", "", 31},
      {"0X1f", "", 31},
      {"-0x10", "", -16},
      {"0b101", "", 5},
      {"0B11", "", 3},
      {"017", "", 15},
      {"0", "", 0},
      {"1_000", "", 1000},
      {"0x7fff_ffff", "", 2147483647},
      {"0_7", "", 7},
      {"2147483648", range},
      {"-2147483649", range},
      {"4294967296", range},
      {"99999999999999999999999999", range},
      {"", bad},
      {"-", bad},
      {"+", bad},
      {"0x", bad},
      {"0x!", bad},
      {"+0x", bad},
      {"0b", bad},
      {"0b2", bad},
      {"08", bad},
      {"09", bad},
      {"1_", bad},
      {"_1", bad},
      {"1__0", bad},
      {"0x_1", bad},
      {"1.0", bad},
      {"1e3", bad},
      {" 1", bad},
      {"1 ", bad},
      {"abc", bad},
      {"--1", bad},
      {"+-1", bad},
      {"-+1", bad},
      {"1\0"sv, bad},
      {"99999999999999999999999x", bad},  // a bad character wins over overflow
  });
}

TEST(IntArg, Unsigned32) {
  const std::string bad = "expected unsigned integer";
  const std::string range = "expected 0-4294967295";
  check_ints<std::uint32_t>({
      {"0", "", 0},
      {"4294967295", "", 4294967295u},
      {"0xFFFFFFFE", "", 4294967294u},
      {"+7", "", 7},
      {"4294967296", range},
      {"42949672961939", range},
      {"0xFFFFFFFFF", range},
      {"-0", bad},  // Click: no sign but '+' for unsigned types
      {"-1", bad},
      {"", bad},
  });
}

TEST(IntArg, SmallAndWideTypes) {
  check_ints<std::int8_t>({{"97", "", 97},
                           {"-128", "", -128},
                           {"127", "", 127},
                           {"128", "expected -128 to 127"},
                           {"-129", "expected -128 to 127"}});
  check_ints<std::uint8_t>({{"255", "", 255},
                            {"0xff", "", 255},
                            {"256", "expected 0-255"},
                            {"-1", "expected unsigned integer"}});
  check_ints<std::int16_t>({{"-32768", "", -32768}, {"32768", "expected -32768 to 32767"}});
  check_ints<std::uint16_t>({{"65535", "", 65535}, {"65536", "expected 0-65535"}});
  check_ints<std::int64_t>({
      {"9223372036854775807", "", std::numeric_limits<std::int64_t>::max()},
      {"-9223372036854775808", "", std::numeric_limits<std::int64_t>::min()},
      {"-5", "", -5},
      {"9223372036854775808", "expected -9223372036854775808 to 9223372036854775807"},
      {"-9223372036854775809", "expected -9223372036854775808 to 9223372036854775807"},
  });
  check_ints<std::uint64_t>({
      {"18446744073709551615", "", std::numeric_limits<std::uint64_t>::max()},
      {"0xffffffffffffffff", "", std::numeric_limits<std::uint64_t>::max()},
      {"01777777777777777777777", "", std::numeric_limits<std::uint64_t>::max()},
      {"18446744073709551616", "expected 0-18446744073709551615"},
      {"0x10000000000000000", "expected 0-18446744073709551615"},
  });
}

TEST(DoubleArg, DecimalRealsOnly) {
  struct Case {
    std::string_view in;
    std::string why;
    double value = 0;
  };
  const std::string bad = "expected real number";
  const Case cases[] = {
      {"1.5", "", 1.5},
      {"-2", "", -2},
      {"+3", "", 3},
      {".5", "", 0.5},
      {"5.", "", 5},
      {"1e3", "", 1000},
      {"1E-3", "", 0.001},
      {"-0", "", -0.0},
      {"0.1", "", 0.1},
      {"1e999", "out of range"},
      {"-1e999", "out of range"},
      {"1e-999", "out of range"},
      {"1e-310", "", 1e-310},
      {"", bad},
      {"inf", bad},
      {"-inf", bad},
      {"nan", bad},
      {"NAN", bad},
      {"infinity", bad},
      {"1e", bad},
      {"0x1p3", bad},
      {" 1", bad},
      {"1 ", bad},
      {"--1", bad},
      {"+-1", bad},
      {".", bad},
      {"-", bad},
      {"1,5", bad},
      {"1_000", bad},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    double v = 42;
    EXPECT_EQ(parse(c.in, v), c.why);
    EXPECT_EQ(v, c.why.empty() ? c.value : 42.0);
  }
}

TEST(StringArg, OneWordOrOneQuotedString) {
  struct Case {
    std::string_view in;
    std::string why;
    std::string value = "";
  };
  const std::string bad = "expected one word or one quoted string";
  const Case cases[] = {
      {"abc", "", "abc"},
      {"\"a b\"", "", "a b"},
      {"'x'\"y\"z", "", "xyz"},
      {"\"\"", "", ""},
      {"\"a\\tb\"", "", "a\tb"},
      {"\\<41>", "", "A"},
      {"\"a, b\"", "", "a, b"},
      {"\"open", "", "open"},
      {"", bad},
      {"a b", bad},
      {"\"a\" b", bad},
      {" a", bad},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    std::string v = "unchanged";
    EXPECT_EQ(parse(c.in, v), c.why);
    EXPECT_EQ(v, c.why.empty() ? c.value : "unchanged");
  }
}

TEST(WordArg, UnquotedWordWithoutSpecials) {
  struct Case {
    std::string_view in;
    bool ok;
    std::string value;
  };
  const Case cases[] = {
      {"abc", true, "abc"},     {"\"abc\"", true, "abc"}, {"a-b.c/d", true, "a-b.c/d"},
      {"\"a b\"", false, ""},   {"a,b", false, ""},       {"\"\"", false, ""},
      {"a\\b", false, ""},      {"\"a'\"", false, ""},    {"", false, ""},
      {"\"\\xff\"", false, ""}, {"a b", false, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    WordArg w{"unchanged"};
    EXPECT_EQ(parse(c.in, w), c.ok ? "" : "expected one word");
    EXPECT_EQ(w.word, c.ok ? c.value : "unchanged");
  }
}

TEST(AnyArg, TextAsWritten) {
  for (std::string_view t : {""sv, "a b, c"sv, "\"q\""sv, "x\0y"sv}) {
    RawArg r{"unchanged"};
    EXPECT_EQ(parse(t, r), "");
    EXPECT_EQ(r.text, t);
  }
}

TEST(IPAddressArg, FourDecimalParts) {
  struct Case {
    std::string_view in;
    std::uint32_t host = 0;
  };
  const Case good[] = {
      {"1.2.3.4", 0x01020304},         {"255.255.255.255", 0xffffffff}, {"0.0.0.0", 0},
      {"001.002.003.010", 0x0102030a},  // leading zeros are decimal, as in Click
      {"10.0.0.1", 0x0a000001},
  };
  for (const Case& c : good) {
    SCOPED_TRACE(c.in);
    net::Ipv4Addr a{};
    EXPECT_EQ(parse(c.in, a), "");
    EXPECT_EQ(a.to_host(), c.host);
  }
  for (std::string_view t :
       {"", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.2.3.4 ", " 1.2.3.4",
        "a.b.c.d", "1..2.3", "1.2.3.-4", "1.2.3.4/8", "10", "1.2.3.0x4", "99999999999.1.1.1"}) {
    net::Ipv4Addr a = net::Ipv4Addr::from_host(7);
    EXPECT_EQ(parse(t, a), "expected IP address") << t;
    EXPECT_EQ(a.to_host(), 7u) << t;
  }
}

TEST(IPPrefixArg, ClickForms) {
  struct Case {
    std::string_view in;
    std::uint32_t addr;
    std::uint32_t mask;
  };
  const Case good[] = {
      {"10.0.0.0/8", 0x0a000000, 0xff000000},
      {"18.26.4/24", 0x121a0400, 0xffffff00},  // Click's example
      {"10/8", 0x0a000000, 0xff000000},
      {"0/0", 0, 0},
      {"0.0.0.0/0", 0, 0},
      {"1.2.3.4", 0x01020304, 0xffffffff},  // bare address: /32
      {"1.2.3.4/32", 0x01020304, 0xffffffff},
      {"10.0.0.1/8", 0x0a000001, 0xff000000},  // host bits kept
      {"10.0.0.0/255.255.0.0", 0x0a000000, 0xffff0000},
      {"10.0.0.0/255.0.255.0", 0x0a000000, 0xff00ff00},  // non-contiguous, as in Click
      {"1.2.3.4/-0", 0x01020304, 0},
      {"1.2.3.4/+8", 0x01020304, 0xff000000},
      {"1.2.3.4/0_8", 0x01020304, 0xff000000},
      {"1.2.3/24", 0x01020300, 0xffffff00},
      {"1.2.3/255.255.255.0", 0x01020300, 0xffffff00},
  };
  for (const Case& c : good) {
    SCOPED_TRACE(c.in);
    Ipv4Prefix p{};
    EXPECT_EQ(parse(c.in, p), "");
    EXPECT_EQ(p.addr.to_host(), c.addr);
    EXPECT_EQ(p.mask.to_host(), c.mask);
  }
  for (std::string_view t :
       {"", "18.26.4/28", "18.26/24", "1/9", "1.2.3/255.255.255.128", "1.2.3.4/33", "1.2.3.4/-1",
        "1.2.3.4/", "/8", "/", "a/8", "1.2.3.4/8/8", "1.2.3.4/0x8", "1.2.3.4/255.255", "1.2.3.4 /8",
        "1.2.3.4/ 8", "1.2.3.4/99999999999999999999"}) {
    Ipv4Prefix p{net::Ipv4Addr::from_host(7), net::Ipv4Addr::from_host(7)};
    EXPECT_EQ(parse(t, p), "expected IP prefix") << t;
    EXPECT_EQ(p.addr.to_host(), 7u) << t;
  }
}

TEST(Ipv4Prefix, PrefixLength) {
  struct Case {
    std::uint32_t mask;
    int length;
  };
  const Case cases[] = {{0, 0},           {0xffffffff, 32}, {0xffffff00, 24},
                        {0x80000000, 1},  {0xfffffffe, 31}, {0xff00ff00, -1},
                        {0x00000001, -1}, {0x7fffffff, -1}, {0xfffffeff, -1}};
  for (const Case& c : cases) {
    const Ipv4Prefix p{net::Ipv4Addr::any(), net::Ipv4Addr::from_host(c.mask)};
    EXPECT_EQ(p.prefix_length(), c.length) << std::hex << c.mask;
  }
}

TEST(EtherAddressArg, ColonOrDashGroups) {
  struct Case {
    std::string_view in;
    net::EtherAddr addr;
  };
  const Case good[] = {
      {"00:11:22:33:44:55", {{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}}},
      {"00-15-58-2D-FB-8F", {{0x00, 0x15, 0x58, 0x2d, 0xfb, 0x8f}}},
      {"0:1:2:3:4:5", {{0, 1, 2, 3, 4, 5}}},
      {"AA:bb:Cc:dd:EE:ff", {{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}}},
      {"a-b-c-d-e-f", {{0xa, 0xb, 0xc, 0xd, 0xe, 0xf}}},
  };
  for (const Case& c : good) {
    SCOPED_TRACE(c.in);
    net::EtherAddr a{};
    EXPECT_EQ(parse(c.in, a), "");
    EXPECT_EQ(a, c.addr);
  }
  for (std::string_view t : std::initializer_list<std::string_view>{
           "", "00:11:22:33:44", "00:11:22:33:44:55:66", "00:11-22:33:44:55", "001:1:2:3:4:5",
           "00:11:22:33:44:", ":11:22:33:44:55", "001122334455", "00:11:22:33:44:5g",
           "00 11 22 33 44 55", "00::11:22:33:44", "00.11.22.33.44.55", " 00:11:22:33:44:55",
           "00:11:22:33:44:55 ", "00\0:11:22:33:44:55"sv, "\0\0\0\0\0\0\0\0\0\0\0"sv}) {
    net::EtherAddr a = net::EtherAddr::broadcast();
    EXPECT_EQ(parse(t, a), "expected Ethernet address") << t;
    EXPECT_TRUE(a.is_broadcast()) << t;
  }
}

TEST(SecondsArg, DurationsToTheNanosecond) {
  struct Case {
    std::string_view in;
    std::int64_t ns;
  };
  constexpr std::int64_t kS = 1'000'000'000;
  const Case good[] = {
      {"2", 2 * kS},
      {"0", 0},
      {"0.5", kS / 2},
      {".5s", kS / 2},
      {"+1s", kS},
      {"1.5s", 3 * kS / 2},
      {"1.5sec", 3 * kS / 2},
      {"10ms", 10'000'000},
      {"10msec", 10'000'000},
      {"100us", 100'000},
      {"100 usec", 100'000},
      {"5ns", 5},
      {"5nsec", 5},
      {"1min", 60 * kS},
      {"1m", 60 * kS},
      {"2h", 7200 * kS},
      {"2hr", 7200 * kS},
      {"1d", 86400 * kS},
      {"1day", 86400 * kS},
      {"1 day", 86400 * kS},
      // Click's examples: all 3600 s.
      {"3600", 3600 * kS},
      {"3600s", 3600 * kS},
      {"3.6e6 msec", 3600 * kS},
      {"60m", 3600 * kS},
      {"1 hr", 3600 * kS},
      {"1.99 hr", 7164 * kS},
      {"1_000ms", kS},
      {"0.1s", 100'000'000},
      {"1e-9", 1},
      {"1E3ms", kS},
      {"1mm", 60'000'000},        // milli-minutes, as Click reads it
      {"1.9999999999s", 2 * kS},  // rounded half up
      {"0.5ns", 1},
      {"0.4999ns", 0},
      {"0.000000000000000000000000000000000000000000001", 0},
      {"0e999999999999", 0},
      {"000000000000000000000000000000000000000001ns", 1},
      {"9223372036.854775807", std::numeric_limits<std::int64_t>::max()},
      {"9223372036854775807ns", std::numeric_limits<std::int64_t>::max()},
      {"106751d", kS * 86400 * 106751},
  };
  for (const Case& c : good) {
    SCOPED_TRACE(c.in);
    Duration d{-1};
    EXPECT_EQ(parse(c.in, d), "");
    EXPECT_EQ(d.ns, c.ns);
  }
  struct Bad {
    std::string_view in;
    std::string why;
  };
  const std::string bad = "expected duration (seconds, or a number with unit)";
  const Bad errors[] = {
      {"", bad},
      {"s", bad},
      {"ms", bad},
      {" ms", bad},
      {"1x", bad},
      {"1e", bad},
      {"1e+", bad},
      {"1.2.3", bad},
      {"1m s", bad},
      {"1 s s", bad},
      {"1 ", bad},
      {" 1", bad},
      {"inf", bad},
      {"nan", bad},
      {"1ks", bad},
      {"1S", bad},
      {"0x10", bad},
      {"--1", bad},
      {"-", bad},
      {"-1", "expected non-negative duration"},
      {"-1s", "expected non-negative duration"},
      {"-0", "expected non-negative duration"},
      {"9223372036.854775808", "duration out of range"},
      {"9223372036854775808ns", "duration out of range"},
      {"106752d", "duration out of range"},
      {"1e999", "duration out of range"},
      {"1e999999999999999999999999", "duration out of range"},
      {"99999999999999999999999999999999999999999999ns", "duration out of range"},
  };
  for (const Bad& c : errors) {
    SCOPED_TRACE(c.in);
    Duration d{-1};
    EXPECT_EQ(parse(c.in, d), c.why);
    EXPECT_EQ(d.ns, -1);
  }
}

TEST(BandwidthArg, ClickUnits) {
  struct Case {
    std::string_view in;
    double bytes_per_sec;
  };
  const Case good[] = {
      {"10Mbps", 1.25e6}, {"1MBps", 1e6},     {"1000", 1000},      {"8", 8},
      {"8 baud", 1},      {"8Kbps", 1000},    {"8kbps", 1000},     {"8KBps", 8000},
      {"1Gb/s", 1.25e8},  {"1B/s", 1},        {"1.5 GBps", 1.5e9}, {"100Gbps", 1.25e10},
      {"0", 0},           {"0.5Mbps", 62500}, {"1e3kbps", 125000}, {"1_000Bps", 1000},
  };
  for (const Case& c : good) {
    SCOPED_TRACE(c.in);
    Bandwidth b{-1};
    EXPECT_EQ(parse(c.in, b), "");
    EXPECT_EQ(b.bytes_per_sec, c.bytes_per_sec);
  }
  const std::string bad = "expected bandwidth (e.g. 10Mbps, 1MBps)";
  struct Bad {
    std::string_view in;
    std::string why;
  };
  const Bad errors[] = {
      {"10k", bad},
      {"-1Mbps", bad},
      {"Mbps", bad},
      {"1Tbps", bad},
      {"1 mbps", bad},
      {"", bad},
      {"1 ", bad},
      {"1Mbps ", bad},
      {"inf", bad},
      {"1MBPS", bad},
      {"1e999Bps", "bandwidth out of range"},
      {"1e-999Bps", "bandwidth out of range"},
  };
  for (const Bad& c : errors) {
    SCOPED_TRACE(c.in);
    Bandwidth b{-1};
    EXPECT_EQ(parse(c.in, b), c.why);
    EXPECT_EQ(b.bytes_per_sec, -1);
  }
}

TEST(RateArg, UnsignedOrSuffixed) {
  struct Case {
    std::string_view in;
    std::uint64_t per_sec;
  };
  const Case good[] = {
      {"1000", 1000},
      {"0", 0},
      {"0x100", 256},
      {"1_000", 1000},
      {"2.5k", 2500},
      {"2.5K", 2500},
      {"1M", 1'000'000},
      {"1G", 1'000'000'000},
      {"1 k", 1000},
      {"1e3k", 1'000'000},
      {"0.001k", 1},
      {"18446744073709551615", std::numeric_limits<std::uint64_t>::max()},
      {"18446744073.709551615G", std::numeric_limits<std::uint64_t>::max()},
  };
  for (const Case& c : good) {
    SCOPED_TRACE(c.in);
    Rate r{7};
    EXPECT_EQ(parse(c.in, r), "");
    EXPECT_EQ(r.per_sec, c.per_sec);
  }
  const std::string bad = "expected packets per second (e.g. 1000, 2.5k, 1M)";
  struct Bad {
    std::string_view in;
    std::string why;
  };
  const Bad errors[] = {
      {"", bad},
      {"k", bad},
      {"1.5", bad},
      {"-1", bad},
      {"1m", bad},
      {"1kk", bad},
      {"0x10k", bad},
      {"1e3", bad},
      {"1.0005k", "expected a whole number of packets per second"},
      {"0.0001k", "expected a whole number of packets per second"},
      {"18446744073709551616", "rate out of range"},
      {"18446744073.709551616G", "rate out of range"},
      {"20000000000G", "rate out of range"},
  };
  for (const Bad& c : errors) {
    SCOPED_TRACE(c.in);
    Rate r{7};
    EXPECT_EQ(parse(c.in, r), c.why);
    EXPECT_EQ(r.per_sec, 7u);
  }
}

TEST(ValueParsers, HugeInputsFailCleanly) {
  const std::string digits(1 << 20, '9');
  std::uint64_t u = 7;
  EXPECT_EQ(parse(digits, u), "expected 0-18446744073709551615");
  Duration d{7};
  EXPECT_EQ(parse(digits, d), "duration out of range");
  EXPECT_EQ(parse("0." + digits + "ns", d), "");
  EXPECT_EQ(d.ns, 1);
  EXPECT_EQ(parse("0." + std::string(1 << 20, '0') + "1", d), "");
  EXPECT_EQ(d.ns, 0);
  Bandwidth b{7};
  EXPECT_EQ(parse(digits, b), "bandwidth out of range");
  EXPECT_EQ(parse("0." + digits + "Bps", b), "");
  EXPECT_EQ(b.bytes_per_sec, 1.0);
  Rate r{7};
  EXPECT_EQ(parse(digits + "k", r), "rate out of range");
  double x = 7;
  EXPECT_EQ(parse(digits, x), "out of range");
  net::Ipv4Addr a{};
  EXPECT_EQ(parse(digits, a), "expected IP address");
  Ipv4Prefix p{};
  EXPECT_EQ(parse("1.2.3.4/" + digits, p), "expected IP prefix");
  const std::string quotes(1 << 16, '"');
  EXPECT_EQ(unquote(quotes), "");
  EXPECT_EQ(split_args(quotes), Strings{quotes});
  const std::string commas(1 << 16, ',');
  EXPECT_EQ(split_args(commas).size(), commas.size());
}

// --- Args ---

TEST(Args, PositionalThenKeywordsThenDone) {
  net::Ipv4Addr addr{};
  Ipv4Prefix net{};
  std::uint32_t burst = 1;
  bool active = false;
  Args args = Args::from_config("1.2.3.4, 10/8, BURST 32, ACTIVE true", "ctx");
  EXPECT_EQ(args.size(), 4u);
  EXPECT_EQ(args.context(), "ctx");
  args.required("ADDR", addr);
  EXPECT_TRUE(args.found());
  args.optional_positional("NET", net);
  EXPECT_TRUE(args.found());
  args.optional("BURST", burst, 1u, 256u);
  EXPECT_TRUE(args.found());
  args.optional("ACTIVE", active);
  EXPECT_TRUE(args.found());
  EXPECT_TRUE(args.ok());
  EXPECT_TRUE(args.done().is_ok());
  EXPECT_EQ(addr.to_host(), 0x01020304u);
  EXPECT_EQ(net.mask.to_host(), 0xff000000u);
  EXPECT_EQ(burst, 32u);
  EXPECT_TRUE(active);
}

TEST(Args, PositionalReadsAcceptTheKeywordForm) {
  net::Ipv4Addr addr{};
  std::uint16_t port = 0;
  Args args = Args::from_config("PORT 80, ADDR 1.2.3.4", "");
  EXPECT_TRUE(args.required("ADDR", addr).optional_positional("PORT", port).done().is_ok());
  EXPECT_EQ(addr.to_host(), 0x01020304u);
  EXPECT_EQ(port, 80);
}

TEST(Args, OptionalReadsLeaveOutUnchangedAndReportNotFound) {
  std::uint32_t a = 7;
  std::uint32_t b = 8;
  Args args = Args::from_config("", "ctx");
  EXPECT_EQ(args.size(), 0u);
  args.optional_positional("A", a);
  EXPECT_FALSE(args.found());
  args.optional("B", b);
  EXPECT_FALSE(args.found());
  EXPECT_TRUE(args.done().is_ok());
  EXPECT_EQ(a, 7u);
  EXPECT_EQ(b, 8u);
}

TEST(Args, KeywordOnlyReadsDoNotTakePositionals) {
  std::uint32_t n = 0;
  Args args = Args::from_config("5", "ctx");
  args.optional("N", n);
  EXPECT_FALSE(args.found());
  const Status st = args.done();
  EXPECT_EQ(st.code(), Errc::kInvalidArgument);
  EXPECT_EQ(st.message(), "ctx: too many arguments");
  EXPECT_EQ(n, 0u);
}

// One read's outcome: the message done() returns, "" when ok.
struct ArgsCase {
  std::string config;
  std::string error;
};

void check_error(Args& args, const std::string& expected) {
  const Status st = args.done();
  if (expected.empty()) {
    EXPECT_TRUE(st.is_ok()) << st.message();
  } else {
    EXPECT_EQ(st.code(), Errc::kInvalidArgument);
    EXPECT_EQ(st.message(), expected);
  }
}

TEST(Args, ErrorMessages) {
  // Each config read as: required ADDR (IPv4), optional_positional COUNT (uint32 1-100),
  // optional BURST (uint8), required_keyword MODE (word).
  const ArgsCase cases[] = {
      {"1.2.3.4, 5, BURST 3, MODE fast", ""},
      {"1.2.3.4, MODE fast", ""},
      {"MODE fast, ADDR 1.2.3.4", ""},
      {"", "e :: E: ADDR: required argument missing"},
      // A mandatory positional read takes a keyword-shaped argument when its own keyword
      // is absent (Click's rule), so this is a parse error, not a missing argument.
      {"MODE fast", "e :: E: ADDR: expected IP address, got 'MODE fast'"},
      {"1.2.3.4", "e :: E: MODE: required argument missing"},
      {"1.2.3, MODE x", "e :: E: ADDR: expected IP address, got '1.2.3'"},
      {"1.2.3.4, 0, MODE x", "e :: E: COUNT: expected 1-100, got '0'"},
      {"1.2.3.4, 101, MODE x", "e :: E: COUNT: expected 1-100, got '101'"},
      {"1.2.3.4, 4294967296, MODE x", "e :: E: COUNT: expected 0-4294967295, got '4294967296'"},
      {"1.2.3.4, -1, MODE x", "e :: E: COUNT: expected unsigned integer, got '-1'"},
      {"1.2.3.4, BURST 256, MODE x", "e :: E: BURST: expected 0-255, got '256'"},
      {"1.2.3.4, MODE \"a b\"", "e :: E: MODE: expected one word, got '\"a b\"'"},
      {"1.2.3.4, BURST 1, BURST 2, MODE x", "e :: E: BURST: keyword given more than once"},
      {"1.2.3.4, ADDR 1.2.3.4, MODE x", "e :: E: ADDR: given both by position and by keyword"},
      {"1.2.3.4, MODE x, BURTS 3", "e :: E: unknown keyword 'BURTS'"},
      {"1.2.3.4, 5, 6, MODE x", "e :: E: too many arguments"},
      // The unknown keyword is reported even when it comes after an extra positional.
      {"1.2.3.4, 5, 6, MODE x, BURTS 3", "e :: E: unknown keyword 'BURTS'"},
      // Positional arguments after a keyword argument are not positional any more.
      {"MODE x, 1.2.3.4", "e :: E: ADDR: expected IP address, got 'MODE x'"},
      {"MODE x, ADDR 1.2.3.4, 5", "e :: E: too many arguments"},
      {"1.2.3.4, MODE x, 5", "e :: E: too many arguments"},
      // A keyword alone is a positional argument (Click: a keyword needs a value).
      {"1.2.3.4, MODE", "e :: E: COUNT: expected unsigned integer, got 'MODE'"},
      // Lower-case words are not keywords.
      {"1.2.3.4, mode x", "e :: E: COUNT: expected unsigned integer, got 'mode x'"},
      // Long and binary values are shortened and escaped in messages.
      {"\"\x01\xff\", MODE x", "e :: E: ADDR: expected IP address, got '\"\\x01\\xff\"'"},
      {"1.2.3.4." + std::string(80, '9') + ", MODE x",
       "e :: E: ADDR: expected IP address, got '1.2.3.4." + std::string(56, '9') + "...'"},
  };
  for (const ArgsCase& c : cases) {
    SCOPED_TRACE(c.config);
    net::Ipv4Addr addr{};
    std::uint32_t count = 0;
    std::uint8_t burst = 0;
    WordArg mode;
    Args args = Args::from_config(c.config, "e :: E");
    args.required("ADDR", addr)
        .optional_positional("COUNT", count, 1u, 100u)
        .optional("BURST", burst)
        .required_keyword("MODE", mode);
    check_error(args, c.error);
  }
}

TEST(Args, RangedReadsOnEveryReadKind) {
  {
    std::int32_t v = 0;
    Args args = Args::from_config("-6", "");
    args.required("OFFSET", v, -5, 5);
    check_error(args, "OFFSET: expected -5 to 5, got '-6'");
    EXPECT_EQ(v, 0);
  }
  {
    std::int32_t v = 0;
    Args args = Args::from_config("OFFSET -5", "");
    args.required("OFFSET", v, -5, 5);
    check_error(args, "");
    EXPECT_EQ(v, -5);
  }
  {
    std::uint64_t v = 0;
    Args args = Args::from_config("N 18446744073709551615", "");
    args.optional("N", v, std::uint64_t{1}, std::numeric_limits<std::uint64_t>::max());
    check_error(args, "");
    EXPECT_EQ(v, std::numeric_limits<std::uint64_t>::max());
  }
  {
    std::uint64_t v = 9;
    Args args = Args::from_config("N 0", "");
    args.optional("N", v, std::uint64_t{1}, std::numeric_limits<std::uint64_t>::max());
    check_error(args, "N: expected 1-18446744073709551615, got '0'");
    EXPECT_EQ(v, 9u);
  }
  {
    std::int64_t v = 0;
    Args args = Args::from_config("N 1", "");
    args.optional("N", v, std::numeric_limits<std::int64_t>::min(), std::int64_t{0});
    check_error(args, "N: expected -9223372036854775808 to 0, got '1'");
  }
  {
    std::uint16_t v = 3;
    Args args = Args::from_config("", "");
    args.optional_positional("N", v, std::uint16_t{1}, std::uint16_t{9});
    EXPECT_FALSE(args.found());
    check_error(args, "");
    EXPECT_EQ(v, 3);
  }
  {
    std::uint16_t v = 3;
    Args args = Args::from_config("", "");
    args.required("N", v, std::uint16_t{1}, std::uint16_t{9});
    check_error(args, "N: required argument missing");
  }
}

TEST(Args, MandatoryPositionalTakesAKeywordShapedArgumentWhole) {
  RawArg label;
  Args args = Args::from_config("HELLO  WORLD", "");
  args.required("LABEL", label);
  EXPECT_TRUE(args.found());
  check_error(args, "");
  EXPECT_EQ(label.text, "HELLO  WORLD");
}

TEST(Args, OptionalPositionalLeavesAKeywordShapedArgument) {
  RawArg label{"none"};
  Args args = Args::from_config("HELLO WORLD", "");
  args.optional_positional("LABEL", label);
  EXPECT_FALSE(args.found());
  check_error(args, "unknown keyword 'HELLO'");
  EXPECT_EQ(label.text, "none");
}

TEST(Args, KeywordValuesStartAfterTheirWhitespace) {
  RawArg label;
  std::vector<std::string> raw = {"FOO", "FOO   ", "Foo bar", "LABEL\t a  b", "X_1 y"};
  Args args(raw, "");
  args.optional("LABEL", label);
  EXPECT_EQ(label.text, "a  b");
  RawArg x;
  args.optional("X_1", x);
  EXPECT_EQ(x.text, "y");
  // "FOO", "FOO   " and "Foo bar" are positional.
  std::vector<RawArg> rest;
  args.rest("REST", rest);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].text, "FOO");
  EXPECT_EQ(rest[1].text, "FOO   ");
  EXPECT_EQ(rest[2].text, "Foo bar");
  check_error(args, "");
}

TEST(Args, AllCollectsEveryOccurrenceInOrder) {
  // Click's regression test: "A 1, B 2, A 3, A 4   , A 5".
  std::vector<std::string> as;
  std::int32_t b = 0;
  Args args = Args::from_config("A 1, B 2, A 3, A 4   , A 5", "");
  args.all("A", as);
  EXPECT_TRUE(args.found());
  args.optional("B", b);
  check_error(args, "");
  EXPECT_EQ(as, (Strings{"1", "3", "4", "5"}));
  EXPECT_EQ(b, 2);

  std::vector<std::uint32_t> none = {9};
  Args empty = Args::from_config("B 3", "");
  empty.all("A", none);
  EXPECT_FALSE(empty.found());
  EXPECT_EQ(none, std::vector<std::uint32_t>{9});  // appended to, never cleared
  EXPECT_EQ(empty.done().message(), "unknown keyword 'B'");
}

TEST(Args, AllStopsAtTheFirstBadValue) {
  std::vector<std::uint8_t> v;
  Args args = Args::from_config("A 1, A 300, A 3", "ctx");
  args.all("A", v);
  EXPECT_EQ(v, std::vector<std::uint8_t>{1});
  check_error(args, "ctx: A: expected 0-255, got '300'");
}

TEST(Args, RestTakesPositionalsUpToTheFirstKeyword) {
  std::string name;
  std::vector<Ipv4Prefix> routes;
  std::uint32_t max = 0;
  Args args = Args::from_config("rt, 10.0.0.0/8, 0/0, MAX 16", "");
  args.required("NAME", name).rest("ROUTE", routes).optional("MAX", max);
  EXPECT_TRUE(args.found());  // MAX
  check_error(args, "");
  EXPECT_EQ(name, "rt");
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].mask.to_host(), 0xff000000u);
  EXPECT_EQ(routes[1].mask.to_host(), 0u);
  EXPECT_EQ(max, 16u);

  std::vector<Ipv4Prefix> more;
  Args none = Args::from_config("MAX 1", "");
  none.rest("ROUTE", more);
  EXPECT_FALSE(none.found());
  EXPECT_TRUE(more.empty());
  EXPECT_EQ(none.done().message(), "unknown keyword 'MAX'");

  std::vector<Ipv4Prefix> bad;
  Args broken = Args::from_config("10/8, 10/33, 1/8", "");
  broken.rest("ROUTE", bad);
  EXPECT_EQ(bad.size(), 1u);
  check_error(broken, "ROUTE: expected IP prefix, got '10/33'");
}

TEST(Args, FirstErrorSticks) {
  net::Ipv4Addr addr = net::Ipv4Addr::from_host(7);
  std::uint32_t n = 5;
  std::vector<std::uint32_t> all;
  std::vector<std::uint32_t> rest;
  Args args = Args::from_config("x, N 6, A 1, 2", "ctx");
  args.required("ADDR", addr);
  EXPECT_FALSE(args.ok());
  // Later reads, a later failure, all() and rest() change nothing.
  args.optional("N", n).required_keyword("MISSING", n).all("A", all).rest("R", rest);
  args.fail("something else");
  EXPECT_FALSE(args.found());
  EXPECT_EQ(n, 5u);
  EXPECT_TRUE(all.empty());
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(addr.to_host(), 7u);
  check_error(args, "ctx: ADDR: expected IP address, got 'x'");
  // done() keeps answering the same.
  check_error(args, "ctx: ADDR: expected IP address, got 'x'");
}

TEST(Args, FailIsPrefixedAndFirst) {
  Args args = Args::from_config("", "ctx");
  EXPECT_FALSE(args.fail("PORT and ADDR conflict").ok());
  args.fail("second");
  check_error(args, "ctx: PORT and ADDR conflict");

  Args bare = Args::from_config("", "");
  bare.fail("no context");
  check_error(bare, "no context");
}

TEST(Args, RepeatedKeywordIsAnErrorEvenForAPositionalRead) {
  std::uint32_t n = 0;
  Args args = Args::from_config("N 1, N 2", "");
  args.optional_positional("N", n);
  check_error(args, "N: keyword given more than once");
  EXPECT_EQ(n, 0u);
}

TEST(Args, ParseFailureLeavesOutUnchanged) {
  Duration d{5};
  Args args = Args::from_config("INTERVAL -1s", "");
  args.optional("INTERVAL", d);
  EXPECT_TRUE(args.found());
  EXPECT_EQ(d.ns, 5);
  check_error(args, "INTERVAL: expected non-negative duration, got '-1s'");
}

TEST(Args, QuotedArgumentsAndComments) {
  std::string label;
  std::string other;
  Args args = Args::from_config("/* a */ \"x, y\" // label\n, OTHER 'p q'", "");
  args.required("LABEL", label).optional("OTHER", other);
  check_error(args, "");
  EXPECT_EQ(label, "x, y");
  EXPECT_EQ(other, "p q");
}

TEST(Args, EmptyMiddleArgumentIsAPositional) {
  RawArg a;
  RawArg b{"unchanged"};
  RawArg c;
  Args args = Args::from_config("x,,z", "");
  args.required("A", a).required("B", b).required("C", c);
  check_error(args, "");
  EXPECT_EQ(a.text, "x");
  EXPECT_EQ(b.text, "");
  EXPECT_EQ(c.text, "z");

  // std::string refuses an empty argument (Click's StringArg: no unquoted empty string).
  std::vector<std::string> words;
  Args again = Args::from_config("x,,z", "");
  again.rest("S", words);
  EXPECT_EQ(words, Strings{"x"});
  check_error(again, "S: expected one word or one quoted string, got ''");
}

}  // namespace
}  // namespace uplane::graph
