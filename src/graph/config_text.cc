#include "graph/config_text.h"

// Variable expansion is Click's cp_expand (lib/variableenv.cc) minus comment handling (the
// lexer already removed comments): a scan that tracks the quote it is in, because single
// quotes protect '$' and double quotes change how a value is inserted. Argument binding is
// Click's cp_assign_arguments with CpVaHelper::assign_arguments (lib/confparse.cc), with
// messages that say what did not fit.

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "graph/args.h"

namespace uplane::graph::config_detail {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

bool is_var_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
// Characters of a keyword in Click's cp_keyword.
bool is_keyword_char(char c) noexcept {
  return is_var_char(c) || c == '.' || c == ':' || c == '?' || c == '!';
}

// A value inserted inside "...": escaped as by quote(), without the outer quotes.
std::string in_double_quotes(std::string_view value) {
  std::string q = quote(value);
  if (q.size() >= 2 && q.front() == '"') return q.substr(1, q.size() - 2);
  return q;
}

// The index after the ')' that closes the '(' at i, or kNpos. Quotes protect parentheses.
std::size_t skip_parens(std::string_view s, std::size_t i) {
  int depth = 0;
  char quote_char = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (quote_char != 0) {
      if (c == '\\' && quote_char == '"') {
        ++i;
      } else if (c == quote_char) {
        quote_char = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote_char = c;
    } else if (c == '\\') {
      ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0) {
      return i + 1;
    }
  }
  return kNpos;
}

// "KEYWORD value" -> KEYWORD and value; a keyword needs a non-empty value after it.
bool split_keyword(std::string_view arg, std::string_view* keyword, std::string_view* value) {
  std::size_t i = 0;
  while (i < arg.size() && is_keyword_char(arg[i])) ++i;
  if (i == 0 || (i < arg.size() && !is_space(arg[i]))) return false;
  std::size_t j = i;
  while (j < arg.size() && is_space(arg[j])) ++j;
  if (j == arg.size()) return false;
  *keyword = arg.substr(0, i);
  *value = arg.substr(j);
  return true;
}

}  // namespace

std::string expand_variables(std::string_view text, const VariableLookup& lookup) {
  if (text.find('$') == kNpos) return std::string(text);
  std::string out;
  std::size_t copied = 0;  // text before this index is in `out` or replaced
  char quote_char = 0;
  std::size_t s = 0;
  while (s < text.size()) {
    const char c = text[s];
    if (c == '\\') {
      s += quote_char == '"' ? 2 : 1;
      continue;
    }
    if (c == '"' || c == '\'') {
      if (quote_char == 0) {
        quote_char = c;
      } else if (quote_char == c) {
        quote_char = 0;
      }
      ++s;
      continue;
    }
    if (c != '$' || s + 1 >= text.size() || quote_char == '\'') {
      ++s;
      continue;
    }

    const std::size_t dollar = s;
    std::string_view name;
    std::string_view fallback;
    bool has_fallback = false;
    std::size_t end = 0;
    const char d = text[s + 1];
    if (d == '{') {
      const std::size_t close = text.find('}', s + 2);
      if (close == kNpos) break;  // Click stops expanding at an unclosed "${"
      name = text.substr(s + 2, close - s - 2);
      if (const std::size_t minus = name.find('-'); minus != kNpos) {
        fallback = name.substr(minus + 1);
        has_fallback = true;
        name = name.substr(0, minus);
      }
      end = close + 1;
    } else if (d == '(') {
      end = skip_parens(text, s + 1);
      if (end == kNpos) break;  // as Click: stop at an unbalanced "$("
      s = end;
      continue;
    } else if (is_var_char(d)) {
      end = s + 1;
      while (end < text.size() && is_var_char(text[end])) ++end;
      name = text.substr(s + 1, end - s - 1);
    } else {
      ++s;
      continue;
    }

    const std::string* value = lookup(name);
    if (value != nullptr || has_fallback) {
      out.append(text.substr(copied, dollar - copied));
      const std::string_view v = value != nullptr ? std::string_view(*value) : fallback;
      if (quote_char == '"') {
        out += in_double_quotes(v);
      } else {
        out.append(v);
      }
      copied = end;
    }
    s = end;
  }
  out.append(text.substr(copied));
  return out;
}

ArgumentBinding bind_arguments(const std::vector<Formal>& formals,
                               const std::vector<std::string>& args, bool explain) {
  ArgumentBinding r;
  if (formals.empty() || formals.back().keyword.empty()) {
    if (args.size() != formals.size()) {
      if (!explain) return r;
      r.error =
          fmt::format("{} ({} given, {} expected)",
                      args.size() > formals.size() ? "too many arguments" : "too few arguments",
                      args.size(), formals.size());
      return r;
    }
    r.ok = true;
    r.values = args;
    return r;
  }

  const bool rest = formals.back().keyword == "__REST__";
  const std::size_t nvalues = formals.size() - (rest ? 1 : 0);
  std::size_t npositional = 0;
  while (npositional < nvalues && formals[npositional].keyword.empty()) ++npositional;

  // Keyword formal -> its index, so that matching an argument does not scan the formals.
  std::unordered_map<std::string_view, std::size_t> by_keyword;
  for (std::size_t j = npositional; j < nvalues; ++j) by_keyword.emplace(formals[j].keyword, j);
  r.values.assign(formals.size(), {});
  std::vector<bool> given(formals.size(), false);
  std::vector<bool> used(args.size(), false);
  std::size_t positional_given = 0;
  bool any_keyword = false;
  std::string bad;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (positional_given >= npositional) {
      std::string_view kw;
      std::string_view value;
      const bool keyword_shaped = split_keyword(args[i], &kw, &value);
      if (auto f = keyword_shaped ? by_keyword.find(kw) : by_keyword.end(); f != by_keyword.end()) {
        r.values[f->second] = std::string(value);  // a repeated keyword: the last one wins
        given[f->second] = true;
        used[i] = true;
        any_keyword = true;
        continue;
      }
      // Until a keyword has matched, anything else is positional (maybe one too many).
      if (any_keyword) {
        if (!rest) {
          if (!bad.empty()) bad += ", ";
          bad += keyword_shaped ? std::string(kw) : fmt::format("<argument {}>", i + 1);
        }
        continue;
      }
    }
    if (positional_given < npositional) {
      used[i] = true;
      r.values[positional_given] = args[i];
    }
    ++positional_given;
  }

  if (!explain) {
    bool missing = false;
    for (std::size_t j = npositional; j < nvalues; ++j) missing = missing || !given[j];
    if (!bad.empty() || missing || positional_given < npositional ||
        (positional_given > npositional && !rest)) {
      return r;
    }
  }
  if (!bad.empty()) {
    std::string keywords;
    for (std::size_t j = npositional; j < nvalues; ++j) {
      if (!keywords.empty()) keywords += ", ";
      keywords += formals[j].keyword;
    }
    r.error = fmt::format("bad keyword(s) {} (valid keywords are {})", bad, keywords);
    return r;
  }
  std::string missing;
  for (std::size_t j = npositional; j < nvalues; ++j) {
    if (given[j]) continue;
    if (!missing.empty()) missing += ", ";
    missing += formals[j].keyword;
  }
  if (!missing.empty()) {
    r.error = fmt::format("missing mandatory keyword(s) {}", missing);
    return r;
  }
  if (positional_given < npositional || (positional_given > npositional && !rest)) {
    r.error = fmt::format("{} ({} given, {} expected)",
                          positional_given > npositional ? "too many positional arguments"
                                                         : "too few positional arguments",
                          positional_given, npositional);
    return r;
  }
  if (rest) {
    std::string joined;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (used[i]) continue;
      if (!joined.empty()) joined += ", ";
      joined += args[i];
    }
    r.values.back() = std::move(joined);
  }
  r.ok = true;
  return r;
}

std::string port_mismatch(std::string_view owner, std::uint32_t ninputs, std::uint32_t noutputs,
                          const std::vector<bool>& inputs_used,
                          const std::vector<bool>& outputs_used) {
  for (int input = 1; input >= 0; --input) {
    const std::uint32_t inside = input != 0 ? ninputs : noutputs;
    const std::vector<bool>& outside = input != 0 ? inputs_used : outputs_used;
    const std::size_t n = std::max<std::size_t>(inside, outside.size());
    for (std::size_t p = 0; p < n; ++p) {
      const bool in = p < inside;
      const bool out = p < outside.size() && outside[p];
      if (in == out) continue;
      if (input != 0) {
        return in ? fmt::format(
                        "'{}' input {} unused: it is used inside, but nothing outside "
                        "connects to it",
                        owner, p)
                  : fmt::format("'{}' has no input {}: nothing inside uses input {}", owner, p, p);
      }
      return in ? fmt::format(
                      "'{}' output {} unused: it is used inside, but nothing outside "
                      "connects from it",
                      owner, p)
                : fmt::format("'{}' has no output {}: nothing inside connects to output {}", owner,
                              p, p);
    }
  }
  return {};
}

std::string signature(const CompoundDef& def) {
  std::string s = def.name.empty() ? "<anonymous>" : def.name;
  s += '(';
  for (std::size_t i = 0; i < def.formals.size(); ++i) {
    if (i > 0) s += ", ";
    if (!def.formals[i].keyword.empty()) {
      s += def.formals[i].keyword;
      s += ' ';
    }
    s += '$';
    s += def.formals[i].name;
  }
  s += ')';
  return s;
}

}  // namespace uplane::graph::config_detail
