#include "graph/config_lexer.h"

// The lexer follows Click's lib/lexer.cc (FileState::next_lexeme and lex_config):
//   - whitespace is C's isspace(); "\n", "\r\n" and "\r" each end a line;
//   - comments are "//" to the end of the line and "/* ... */" (Click lets an unterminated
//     "/*" swallow the rest of the file; that is an error here);
//   - '#' is not a comment: at the very start of a line it begins a preprocessor line
//     directive, `# 12 "file.click"` or `#line 12 "file.click"`, which renumbers the lines
//     that follow (cpp output can be fed in); any other '#' line is an error, and a '#'
//     elsewhere is a stray character. One extension: a "#!" first line is skipped, so a
//     configuration can be an executable script;
//   - identifiers are [A-Za-z0-9_@]+ and may hold single '/' between such runs ("a/b",
//     never "a//b", which is "a" and a comment); "elementclass", "require", "define" and
//     "provide" are keywords ('provide' begins no statement: it is a syntax error, as in
//     Click);
//   - "->", "=>", "::", "||" and "..." are tokens, and so is every other single byte.
// A configuration string is not tokenized: it runs from '(' to the matching ')', where
// parentheses inside "..." (with backslash escapes), '...', \<hex> blocks and comments do
// not count. Click passes comments through and leaves them to the argument parser; we
// replace each by one space here, so nothing downstream (define values, compound
// arguments, elements) ever sees a comment, and a '$' inside a comment is never expanded.
//
// Columns count bytes from 1. Every loop moves forward by at least one byte and nothing
// recurses, so any input ends in linear time.

#include <fmt/format.h>

namespace uplane::graph::config_detail {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_word_char(char c) noexcept { return is_alnum(c) || c == '_' || c == '@'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// A line number above this in a directive is an error rather than a wrap-around.
constexpr std::uint32_t kMaxDirectiveLine = 1'000'000'000;

}  // namespace

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd:
      return "end of file";
    case Tok::kError:
      return "error";
    case Tok::kVariable:
      return fmt::format("'${}'", t.text);
    case Tok::kChar: {
      const auto u = static_cast<unsigned char>(t.text[0]);
      if (u < 32 || u >= 127) return fmt::format("'\\x{:02x}'", u);
      return fmt::format("'{}'", t.text);
    }
    default:
      return fmt::format("'{}'", t.text);
  }
}

Lexer::Lexer(std::string_view text, FileTable* files, Diagnostics* diag)
    : text_(text), files_(files), diag_(diag) {
  if (text_.size() >= 2 && text_[0] == '#' && text_[1] == '!') {
    while (i_ < text_.size() && text_[i_] != '\n' && text_[i_] != '\r') ++i_;
  }
}

Pos Lexer::pos_at(std::size_t offset) const {
  return Pos{file_, line_, static_cast<std::uint32_t>(offset - line_start_ + 1)};
}

bool Lexer::at_line_start(std::size_t i) const noexcept {
  return i == 0 || text_[i - 1] == '\n' || text_[i - 1] == '\r';
}

std::size_t Lexer::newline(std::size_t i) {
  if (text_[i] == '\r' && i + 1 < text_.size() && text_[i + 1] == '\n') ++i;
  ++i;
  ++line_;
  line_start_ = i;
  return i;
}

std::size_t Lexer::skip_comment(std::size_t i) {
  if (text_[i + 1] == '/') {
    i += 2;
    while (i < text_.size() && text_[i] != '\n' && text_[i] != '\r') ++i;
    return i;  // the newline is left to the caller, which counts it
  }
  const Pos open = pos_at(i);
  i += 2;
  while (i < text_.size()) {
    if (text_[i] == '*' && i + 1 < text_.size() && text_[i + 1] == '/') return i + 2;
    if (text_[i] == '\n' || text_[i] == '\r') {
      i = newline(i);
    } else {
      ++i;
    }
  }
  diag_->fail(open, "unterminated comment: expected '*/' to close '/*'");
  return kNpos;
}

std::size_t Lexer::directive(std::size_t i) {
  const Pos hash = pos_at(i);
  auto blank = [&](std::size_t j) {
    return j < text_.size() && (text_[j] == ' ' || text_[j] == '\t');
  };
  std::size_t j = i + 1;
  while (blank(j)) ++j;
  if (text_.substr(j, 4) == "line" && blank(j + 4)) {
    j += 4;
    while (blank(j)) ++j;
  }
  if (j >= text_.size() || !is_digit(text_[j])) {
    diag_->fail(hash,
                "unknown preprocessor directive ('#' is not a comment in Click; use '//' or "
                "'# LINE \"FILE\"')");
    return kNpos;
  }
  std::uint64_t line = 0;
  while (j < text_.size() && is_digit(text_[j])) {
    line = line * 10 + static_cast<std::uint64_t>(text_[j] - '0');
    if (line > kMaxDirectiveLine) {
      diag_->fail(hash,
                  fmt::format("line number in directive is larger than {}", kMaxDirectiveLine));
      return kNpos;
    }
    ++j;
  }
  while (blank(j)) ++j;
  if (j < text_.size() && text_[j] == '"') {
    std::string name;
    for (++j; j < text_.size() && text_[j] != '"' && text_[j] != '\n' && text_[j] != '\r'; ++j) {
      if (text_[j] == '\\' && j + 1 < text_.size() && text_[j + 1] != '\n' &&
          text_[j + 1] != '\r') {
        ++j;
      }
      name += text_[j];
    }
    // An empty name returns to the name the text was given under, as in Click.
    file_ = name.empty() ? 0 : files_->intern(name);
  }
  while (j < text_.size() && text_[j] != '\n' && text_[j] != '\r') ++j;
  // The newline that ends the directive moves to `line`.
  line_ = line == 0 ? 0 : static_cast<std::uint32_t>(line - 1);
  return j;
}

bool Lexer::skip_blank() {
  while (i_ < text_.size()) {
    const char c = text_[i_];
    if (c == '\n' || c == '\r') {
      i_ = newline(i_);
    } else if (is_space(c)) {
      ++i_;
    } else if (c == '/' && i_ + 1 < text_.size() &&
               (text_[i_ + 1] == '/' || text_[i_ + 1] == '*')) {
      i_ = skip_comment(i_);
      if (i_ == kNpos) return false;
    } else if (c == '#' && at_line_start(i_)) {
      i_ = directive(i_);
      if (i_ == kNpos) return false;
    } else {
      break;
    }
  }
  return true;
}

Token Lexer::make(Tok kind, std::size_t begin, std::size_t end, Pos pos) const {
  return Token{kind, text_.substr(begin, end - begin), begin, pos};
}

Token Lexer::scan() {
  if (diag_->failed()) return Token{Tok::kError, {}, i_, pos_at(i_)};
  if (!skip_blank()) {
    i_ = text_.size();
    return Token{Tok::kError, {}, i_, {}};
  }
  const std::size_t b = i_;
  const Pos pos = pos_at(b);
  if (b >= text_.size()) return Token{Tok::kEnd, {}, b, pos};

  const char c = text_[b];
  if (is_word_char(c)) {
    std::size_t e = b + 1;
    for (;;) {
      while (e < text_.size() && is_word_char(text_[e])) ++e;
      if (e + 1 < text_.size() && text_[e] == '/' && is_word_char(text_[e + 1])) {
        e += 2;
        continue;
      }
      break;
    }
    i_ = e;
    const std::string_view w = text_.substr(b, e - b);
    Tok kind = Tok::kIdent;
    if (w == "elementclass") {
      kind = Tok::kElementclass;
    } else if (w == "require") {
      kind = Tok::kRequire;
    } else if (w == "provide") {
      kind = Tok::kProvide;
    } else if (w == "define") {
      kind = Tok::kDefine;
    }
    return make(kind, b, e, pos);
  }
  if (c == '$' && b + 1 < text_.size() && (is_alnum(text_[b + 1]) || text_[b + 1] == '_')) {
    std::size_t e = b + 1;
    while (e < text_.size() && (is_alnum(text_[e]) || text_[e] == '_')) ++e;
    i_ = e;
    return make(Tok::kVariable, b + 1, e, pos);
  }
  if (b + 1 < text_.size()) {
    const char d = text_[b + 1];
    Tok kind = Tok::kEnd;
    if (c == '-' && d == '>') {
      kind = Tok::kArrow;
    } else if (c == '=' && d == '>') {
      kind = Tok::kDoubleArrow;
    } else if (c == ':' && d == ':') {
      kind = Tok::kColon2;
    } else if (c == '|' && d == '|') {
      kind = Tok::kBar2;
    }
    if (kind != Tok::kEnd) {
      i_ = b + 2;
      return make(kind, b, b + 2, pos);
    }
  }
  if (text_.substr(b, 3) == "...") {
    i_ = b + 3;
    return make(Tok::kDots, b, b + 3, pos);
  }
  i_ = b + 1;
  return make(Tok::kChar, b, b + 1, pos);
}

const Token& Lexer::peek(std::size_t k) {
  while (ahead_.size() <= k) ahead_.push_back(scan());
  return ahead_[k];
}

Token Lexer::next() {
  if (ahead_.empty()) return scan();
  Token t = ahead_.front();
  ahead_.pop_front();
  return t;
}

bool Lexer::config_string(const Token& open, std::string* out) {
  // Tokens peeked past the '(' were scanned as Click words, not as configuration text:
  // forget them and rescan from just after the '('.
  ahead_.clear();
  i_ = open.offset + 1;
  line_ = open.pos.line;
  file_ = open.pos.file;
  line_start_ = open.offset + 1 - open.pos.col;

  out->clear();
  std::size_t chunk = i_;  // start of text not yet copied to *out
  std::size_t s = i_;
  unsigned depth = 1;
  auto comment_at = [&](std::size_t j) {
    return text_[j] == '/' && j + 1 < text_.size() && (text_[j + 1] == '/' || text_[j + 1] == '*');
  };
  // Replaces the comment at j by a space; returns the index after it, or kNpos.
  auto drop_comment = [&](std::size_t j) {
    out->append(text_.substr(chunk, j - chunk));
    *out += ' ';
    const std::size_t e = skip_comment(j);
    chunk = e;
    return e;
  };
  // Skips a \<hex> block whose '\' is at j; comments inside it are dropped as well.
  auto skip_hex_block = [&](std::size_t j) {
    const Pos where = pos_at(j);
    j += 2;
    while (j < text_.size()) {
      if (text_[j] == '>') return j + 1;
      if (text_[j] == '\n' || text_[j] == '\r') {
        j = newline(j);
      } else if (comment_at(j)) {
        j = drop_comment(j);
        if (j == kNpos) return kNpos;
      } else {
        ++j;
      }
    }
    diag_->fail(where, "unterminated '\\<' hex block in configuration string: expected '>'");
    return kNpos;
  };

  while (s < text_.size()) {
    const char c = text_[s];
    if (c == '(') {
      ++depth;
      ++s;
    } else if (c == ')') {
      if (--depth == 0) {
        out->append(text_.substr(chunk, s - chunk));
        i_ = s + 1;
        return true;
      }
      ++s;
    } else if (c == '\n' || c == '\r') {
      s = newline(s);
      if (s < text_.size() && text_[s] == '#') {
        out->append(text_.substr(chunk, s - chunk));
        s = directive(s);
        if (s == kNpos) break;
        chunk = s;
      }
    } else if (comment_at(s)) {
      s = drop_comment(s);
      if (s == kNpos) break;
    } else if (c == '"' || c == '\'') {
      const Pos where = pos_at(s);
      ++s;
      bool closed = false;
      while (s < text_.size()) {
        const char q = text_[s];
        if (q == c) {
          ++s;
          closed = true;
          break;
        }
        if (q == '\n' || q == '\r') {
          s = newline(s);
        } else if (q == '\\' && c == '"' && s + 1 < text_.size()) {
          if (text_[s + 1] == '<') {
            s = skip_hex_block(s);
            if (s == kNpos) break;
          } else if (text_[s + 1] == '\n' || text_[s + 1] == '\r') {
            s = newline(s + 1);
          } else {
            s += 2;
          }
        } else {
          ++s;
        }
      }
      if (s == kNpos) break;
      if (!closed) {
        diag_->fail(where, fmt::format("unterminated {} string in configuration: expected {}",
                                       c == '"' ? "double-quoted" : "single-quoted",
                                       c == '"' ? "'\"'" : "\"'\""));
        break;
      }
    } else if (c == '\\' && s + 1 < text_.size() && text_[s + 1] == '<') {
      s = skip_hex_block(s);
      if (s == kNpos) break;
    } else {
      ++s;
    }
  }
  if (!diag_->failed()) {
    diag_->fail(open.pos, "unterminated configuration string: expected ')' to match this '('");
  }
  i_ = text_.size();
  return false;
}

}  // namespace uplane::graph::config_detail
