#pragma once
// The Click configuration lexer (after Click's lib/lexer.cc; see config_lexer.cc).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "graph/config_source.h"

namespace uplane::graph::config_detail {

enum class Tok : std::uint8_t {
  kEnd,           // end of the text
  kError,         // a lexical error, already in Diagnostics
  kIdent,         // [A-Za-z0-9_@]+ with inner '/' (a/b/c)
  kVariable,      // $name; text excludes the '$'
  kArrow,         // ->
  kDoubleArrow,   // =>
  kColon2,        // ::
  kBar2,          // ||
  kDots,          // ...
  kElementclass,  // the keywords
  kRequire,
  kProvide,
  kDefine,
  kChar,  // any other single byte: ; , ( ) [ ] { } | and junk
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view text;
  std::size_t offset = 0;  // in the whole text
  Pos pos;

  bool is(char c) const noexcept { return kind == Tok::kChar && text.size() == 1 && text[0] == c; }
};

// How a token is named in messages: 'x', '->', end of file, '\x00'.
std::string describe(const Token& t);

class Lexer {
 public:
  // `text` and `files` must outlive the lexer. Positions are reported against file 0 of
  // `files` until a line directive says otherwise.
  Lexer(std::string_view text, FileTable* files, Diagnostics* diag);

  const Token& peek(std::size_t k = 0);
  Token next();
  // Gives back `t`, the token next() just returned.
  void unread(const Token& t) { ahead_.push_front(t); }

  // Reads a configuration string: the text after `open` (a '(' just returned by next())
  // up to the matching ')', which is consumed. Parentheses inside quotes and comments do
  // not count. Comments become single spaces and line directives are dropped, so the
  // result holds no comments. Returns false on an unterminated string (error recorded).
  bool config_string(const Token& open, std::string* out);

 private:
  Token scan();
  Token make(Tok kind, std::size_t begin, std::size_t end, Pos pos) const;
  Pos pos_at(std::size_t offset) const;
  bool at_line_start(std::size_t i) const noexcept;
  // Consumes a newline (\n, \r\n or \r) at i; returns the index after it.
  std::size_t newline(std::size_t i);
  // Skips whitespace, comments and line directives; false on an error.
  bool skip_blank();
  // A '#' directive at the start of a line: `# 12 "file"` or `#line 12 "file"`. Returns the
  // index of the end of its line (the newline is left for the caller), or npos on error.
  std::size_t directive(std::size_t i);
  // Index after the comment starting at i ("//" or "/*"), or npos (error recorded).
  std::size_t skip_comment(std::size_t i);

  std::string_view text_;
  FileTable* files_;
  Diagnostics* diag_;
  std::size_t i_ = 0;           // next unread byte
  std::uint32_t line_ = 1;      // logical line of i_ (line directives change it)
  std::size_t line_start_ = 0;  // offset of the physical line holding i_
  std::uint32_t file_ = 0;
  std::deque<Token> ahead_;
};

}  // namespace uplane::graph::config_detail
