#include "graph/args.h"

// The text side of the argument parser: Click's lexical rules for configuration strings
// (cp_argvec, cp_spacevec, cp_unquote, cp_quote), the string-valued ArgParsers, and Args.
//
// Everything here walks the text with one set of "skip" helpers that know the three things
// that protect a comma or a space: a double-quoted string (backslash escapes inside, so \"
// does not end it), a single-quoted string (taken literally), and a \<hex> block (which may
// hold comments). Comments are // to the end of the line (the newline goes with it) and
// /* ... */. Every helper takes an index and returns the index just past what it skipped,
// never past the end: an unterminated quote, block or comment runs to the end of the text.
// Click's own skip_comment can step one past the end on "//" or "/*" at the very end; ours
// cannot, which is what lets the fuzzer feed any bytes.
//
// Args keeps the arguments as split, with the keyword of each keyword-shaped one cut off,
// a `used` flag per argument, and the index of the positional candidate. A positional read
// considers only that candidate (Click's rule: positional arguments come first), so the
// candidate advances by one for each positional read and never skips an argument.

#include <cstdint>
#include <utility>

namespace uplane::graph {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// isspace() in the "C" locale, without the locale and without the sign trap of plain char.
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool comment_at(std::string_view s, std::size_t i) noexcept {
  return s[i] == '/' && i + 1 < s.size() && (s[i + 1] == '/' || s[i + 1] == '*');
}

bool hex_block_at(std::string_view s, std::size_t i) noexcept {
  return s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '<';
}

// `i` is at a comment (comment_at).
std::size_t skip_comment(std::string_view s, std::size_t i) noexcept {
  if (s[i + 1] == '/') {
    i += 2;
    while (i < s.size() && s[i] != '\n' && s[i] != '\r') ++i;
    if (i < s.size()) {
      // The line end belongs to the comment; "\r\n" is one line end.
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      ++i;
    }
    return i;
  }
  const std::size_t close = s.find("*/", i + 2);
  return close == npos ? s.size() : close + 2;
}

std::size_t skip_comment_space(std::string_view s, std::size_t i) noexcept {
  while (i < s.size()) {
    if (is_space(s[i])) {
      ++i;
    } else if (comment_at(s, i)) {
      i = skip_comment(s, i);
    } else {
      break;
    }
  }
  return i;
}

// `i` is at "\<". The block ends at '>'; a comment inside may hold a '>'.
std::size_t skip_hex_block(std::string_view s, std::size_t i) noexcept {
  i += 2;
  while (i < s.size()) {
    if (s[i] == '>') return i + 1;
    i = comment_at(s, i) ? skip_comment(s, i) : i + 1;
  }
  return i;
}

// `i` is at a backslash inside double quotes.
std::size_t skip_backslash(std::string_view s, std::size_t i) noexcept {
  if (i + 1 >= s.size()) return s.size();
  if (s[i + 1] == '<') return skip_hex_block(s, i);
  if (s[i + 1] == '\r' && i + 2 < s.size() && s[i + 2] == '\n') return i + 3;
  return i + 2;
}

// `i` is at the opening '"'.
std::size_t skip_double_quote(std::string_view s, std::size_t i) noexcept {
  ++i;
  while (i < s.size()) {
    if (s[i] == '\\') {
      i = skip_backslash(s, i);
    } else if (s[i] == '"') {
      return i + 1;
    } else {
      ++i;
    }
  }
  return i;
}

// `i` is at the opening '\''.
std::size_t skip_single_quote(std::string_view s, std::size_t i) noexcept {
  const std::size_t close = s.find('\'', i + 1);
  return close == npos ? s.size() : close + 1;
}

// Skips one token that is not a space, comma or comment start: a quoted string, a \<hex>
// block, or one character.
std::size_t skip_token(std::string_view s, std::size_t i) noexcept {
  if (s[i] == '"') return skip_double_quote(s, i);
  if (s[i] == '\'') return skip_single_quote(s, i);
  if (hex_block_at(s, i)) return skip_hex_block(s, i);
  return i + 1;
}

// Click's partial_uncomment: from `i`, the text with comments replaced by one space and
// outer whitespace dropped, up to the end or (when `end` is given) the first comma outside
// quotes; *end is then the comma's index or s.size(). Whitespace between tokens is kept
// unless a comment touches it.
std::string uncomment(std::string_view s, std::size_t i, std::size_t* end) {
  i = skip_comment_space(s, i);
  std::string out;
  std::size_t left = i;
  std::size_t right = i;
  bool after_comment = false;
  while (i < s.size()) {
    if (is_space(s[i])) {
      ++i;
    } else if (comment_at(s, i)) {
      i = skip_comment(s, i);
      after_comment = true;
    } else if (s[i] == ',' && end != nullptr) {
      break;
    } else {
      if (after_comment) {
        out.append(s.substr(left, right - left));
        out += ' ';
        left = i;
        after_comment = false;
      }
      i = skip_token(s, i);
      right = i;
    }
  }
  if (end != nullptr) *end = i;
  out.append(s.substr(left, right - left));
  return out;
}

// `i` is at a backslash with at least one character after it. Appends what the escape
// stands for (Click's cp_process_backslash) and returns the index after it.
std::size_t expand_backslash(std::string_view s, std::size_t i, std::string& out) {
  const char c = s[i + 1];
  switch (c) {
    case '\r':
      return i + 2 < s.size() && s[i + 2] == '\n' ? i + 3 : i + 2;
    case '\n':
      return i + 2;
    case 'a':
      out += '\a';
      return i + 2;
    case 'b':
      out += '\b';
      return i + 2;
    case 'f':
      out += '\f';
      return i + 2;
    case 'n':
      out += '\n';
      return i + 2;
    case 'r':
      out += '\r';
      return i + 2;
    case 't':
      out += '\t';
      return i + 2;
    case 'v':
      out += '\v';
      return i + 2;
    case 'x': {
      // Any number of hex digits; only the low byte counts (Click lets an int overflow).
      unsigned v = 0;
      for (i += 2; i < s.size() && hex_value(s[i]) >= 0; ++i) {
        v = (v * 16 + static_cast<unsigned>(hex_value(s[i]))) & 0xff;
      }
      out += static_cast<char>(v);
      return i;
    }
    case '<': {
      // Hex digit pairs, each one byte; anything else (spaces, comments, junk) is skipped and
      // a lone last digit is dropped, as Click does.
      unsigned v = 0;
      int digits = 0;
      for (i += 2; i < s.size();) {
        if (s[i] == '>') return i + 1;
        if (comment_at(s, i)) {
          i = skip_comment(s, i);
          continue;
        }
        const int h = hex_value(s[i++]);
        if (h < 0) continue;
        v = v * 16 + static_cast<unsigned>(h);
        if (++digits == 2) {
          out += static_cast<char>(v);
          v = 0;
          digits = 0;
        }
      }
      return i;
    }
    default:
      if (c >= '0' && c <= '7') {
        // One to three octal digits; \777 keeps its low byte.
        unsigned v = 0;
        int n = 0;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '7' && n < 3; ++i, ++n) {
          v = v * 8 + static_cast<unsigned>(s[i] - '0');
        }
        out += static_cast<char>(v & 0xff);
        return i;
      }
      // \\ \" \' \$ \, and any other character stand for themselves.
      out += c;
      return i + 2;
  }
}

// Characters a word may hold and still come back unchanged from unquote() and mean the same
// inside a configuration: no space, quote, comma, backslash, '$' (variables), parentheses
// or brackets (the lexer balances them), '*' or '#'. "//" is checked apart.
bool is_plain_word_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || is_upper(c) || is_digit(c)) return true;
  switch (c) {
    case '_':
    case '.':
    case ':':
    case '/':
    case '@':
    case '+':
    case '=':
    case '%':
    case '!':
    case '?':
    case '~':
    case '^':
    case '-':
      return true;
    default:
      return false;
  }
}

// Click's cp_string without a rest: the index where the first unquoted whitespace is, or
// s.size().
std::size_t string_token_end(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size() && !is_space(s[i])) i = skip_token(s, i);
  return i;
}

// The text of a value for an error message: at most 64 bytes, control and non-ASCII bytes
// as \xHH, in single quotes.
std::string shown(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 32 || u >= 127) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += text[i];
    }
  }
  if (text.size() > kMax) out += "...";
  out += '\'';
  return out;
}

}  // namespace

std::vector<std::string> split_args(std::string_view config) {
  std::vector<std::string> args;
  std::size_t pos = 0;
  while (pos < config.size()) {
    std::size_t comma = 0;
    std::string arg = uncomment(config, pos, &comma);
    const bool last = comma >= config.size();
    // Click keeps an empty argument unless it is the last one: "a," is {"a"}.
    if (!last || !arg.empty()) args.push_back(std::move(arg));
    pos = comma + 1;
  }
  return args;
}

std::vector<std::string> split_words(std::string_view arg) {
  std::vector<std::string> words;
  std::size_t i = skip_comment_space(arg, 0);
  while (i < arg.size()) {
    const std::size_t start = i;
    while (i < arg.size() && !is_space(arg[i]) && !comment_at(arg, i)) i = skip_token(arg, i);
    words.emplace_back(arg.substr(start, i - start));
    i = skip_comment_space(arg, i);
  }
  return words;
}

std::string unquote(std::string_view s) {
  const std::string text = uncomment(s, 0, nullptr);
  const std::string_view x = text;
  std::string out;
  out.reserve(x.size());
  char quote_char = 0;  // the quote we are inside, or 0
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < x.size()) {
    const char c = x[i];
    if ((c == '"' || c == '\'') && (quote_char == 0 || quote_char == c)) {
      out.append(x.substr(start, i - start));
      quote_char = quote_char == 0 ? c : 0;
      start = ++i;
    } else if (c == '\\' && i + 1 < x.size() &&
               (quote_char == '"' || (quote_char == 0 && x[i + 1] == '<'))) {
      out.append(x.substr(start, i - start));
      i = expand_backslash(x, i, out);
      start = i;
    } else {
      ++i;
    }
  }
  out.append(x.substr(start));
  return out;
}

std::string quote(std::string_view s) {
  bool plain = !s.empty() && s.find("//") == npos;
  for (std::size_t i = 0; plain && i < s.size(); ++i) plain = is_plain_word_char(s[i]);
  if (plain) return std::string(s);

  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\':
      case '"':
      case '$':
        out += '\\';
        out += c;
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (u < 32 || u >= 127) {
          // Always three digits, so a digit after the escape is not read into it.
          out += '\\';
          out += static_cast<char>('0' + (u >> 6));
          out += static_cast<char>('0' + ((u >> 3) & 7));
          out += static_cast<char>('0' + (u & 7));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

bool is_keyword(std::string_view word) noexcept {
  if (word.empty() || !is_upper(word[0])) return false;
  for (const char c : word) {
    if (!is_upper(c) && !is_digit(c) && c != '_') return false;
  }
  return true;
}

// --- string-valued parsers (the others are in args_values.cc) ---

std::string ArgParser<std::string>::parse(std::string_view text, std::string& out) {
  if (text.empty() || string_token_end(text) != text.size()) {
    return "expected one word or one quoted string";
  }
  out = unquote(text);
  return {};
}

std::string ArgParser<RawArg>::parse(std::string_view text, RawArg& out) {
  out.text = std::string(text);
  return {};
}

std::string ArgParser<WordArg>::parse(std::string_view text, WordArg& out) {
  constexpr const char* kExpected = "expected one word";
  std::string word;
  if (!ArgParser<std::string>::parse(text, word).empty() || word.empty()) return kExpected;
  for (const char c : word) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127 || c == '"' || c == '\'' || c == '\\' || c == ',') return kExpected;
  }
  out.word = std::move(word);
  return {};
}

// --- Args ---

Args::Args(std::vector<std::string> args, std::string context) : context_(std::move(context)) {
  args_.reserve(args.size());
  for (std::string& s : args) {
    Arg a;
    std::size_t k = 0;
    if (!s.empty() && is_upper(s[0])) {
      k = 1;
      while (k < s.size() && (is_upper(s[k]) || is_digit(s[k]) || s[k] == '_')) ++k;
    }
    std::size_t v = k;
    while (v < s.size() && is_space(s[v])) ++v;
    // A keyword needs whitespace after it and a value after that (Click's rule).
    if (k > 0 && v > k && v < s.size()) {
      a.keyword = s.substr(0, k);
      a.value = s.substr(v);
    } else {
      a.value = s;
    }
    a.text = std::move(s);
    args_.push_back(std::move(a));
  }
}

Args& Args::fail(std::string message) {
  if (!error_) {
    error_ = Status(Errc::kInvalidArgument,
                    context_.empty() ? std::move(message) : context_ + ": " + message);
  }
  return *this;
}

Status Args::done() {
  if (error_) return *error_;
  for (const Arg& a : args_) {
    if (!a.used && !a.keyword.empty()) {
      fail(fmt::format("unknown keyword '{}'", a.keyword));
      return *error_;
    }
  }
  for (const Arg& a : args_) {
    if (!a.used) {
      fail("too many arguments");
      return *error_;
    }
  }
  return Status::ok();
}

std::optional<std::string_view> Args::take(std::string_view keyword, unsigned flags) {
  found_ = false;
  if (!ok()) return std::nullopt;

  std::size_t by_keyword = npos;
  if (!keyword.empty()) {
    for (std::size_t i = 0; i < args_.size(); ++i) {
      if (args_[i].used || args_[i].keyword != keyword) continue;
      if (by_keyword != npos) {
        fail(fmt::format("{}: keyword given more than once", keyword));
        return std::nullopt;
      }
      by_keyword = i;
    }
  }

  std::size_t by_position = npos;
  if ((flags & kPositional) != 0 && next_positional_ < args_.size() &&
      !args_[next_positional_].used) {
    const Arg& a = args_[next_positional_];
    // A keyword-shaped candidate goes to a mandatory read that would otherwise fail; this is
    // what lets "HELLO WORLD" be the label of an element whose LABEL is required.
    if (a.keyword.empty() || (by_keyword == npos && (flags & kMandatory) != 0)) {
      by_position = next_positional_;
    }
  }

  if (by_keyword != npos && by_position != npos) {
    fail(fmt::format("{}: given both by position and by keyword", keyword));
    return std::nullopt;
  }
  if (by_keyword != npos) {
    args_[by_keyword].used = true;
    found_ = true;
    return args_[by_keyword].value;
  }
  if (by_position != npos) {
    args_[by_position].used = true;
    ++next_positional_;
    found_ = true;
    return args_[by_position].text;
  }
  if ((flags & kMandatory) != 0) fail(fmt::format("{}: required argument missing", keyword));
  return std::nullopt;
}

std::vector<std::string_view> Args::take_all(std::string_view keyword) {
  std::vector<std::string_view> values;
  found_ = false;
  if (!ok() || keyword.empty()) return values;
  for (Arg& a : args_) {
    if (a.used || a.keyword != keyword) continue;
    a.used = true;
    values.push_back(a.value);
  }
  found_ = !values.empty();
  return values;
}

std::vector<std::string_view> Args::take_rest_positional() {
  std::vector<std::string_view> values;
  found_ = false;
  if (!ok()) return values;
  // Stops at the first keyword-shaped argument: keyword arguments come after the positional
  // ones, and an unknown keyword there is better reported as one than parsed as a value.
  while (next_positional_ < args_.size() && !args_[next_positional_].used &&
         args_[next_positional_].keyword.empty()) {
    args_[next_positional_].used = true;
    values.push_back(args_[next_positional_].text);
    ++next_positional_;
  }
  found_ = !values.empty();
  return values;
}

void Args::fail_parse(std::string_view keyword, std::string_view text, std::string_view why) {
  fail(fmt::format("{}: {}, got {}", keyword, why, shown(text)));
}

void Args::fail_range(std::string_view keyword, std::string_view text, long double lo,
                      long double hi) {
  // Integral bounds: long double holds every int64 and uint64 exactly on x86-64, and "{:.0f}"
  // prints them without an exponent.
  const std::string range =
      lo < 0 ? fmt::format("{:.0f} to {:.0f}", lo, hi) : fmt::format("{:.0f}-{:.0f}", lo, hi);
  fail(fmt::format("{}: expected {}, got {}", keyword, range, shown(text)));
}

}  // namespace uplane::graph
