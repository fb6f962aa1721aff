#include "graph/config_parser.h"

// Parsing follows the grammar and the decisions of Click 2's lib/lexer.cc; its state machine
// is written here as recursive descent, each level of recursion bounded by kMaxNesting.
//
// Statements: connections, `elementclass`, `require(...)`, `define(...)` and ';' (always
// optional). A connection is a chain of element sets joined by '->' or '=>':
//
//   set  := item (',' item)*          a set may end with a stray ',' as in Click
//   item := ['[' ports ']'] ( NAME [':: CLASS'] ['(' config ')']     CLASS is NAME or {...}
//                           | '{' compound '}' ['(' config ')']      anonymous compound
//                           | '(' statements ')' )                   element group
//           ['[' ports ']']
//
// What a NAME means is decided as Click decides it: a NAME bound to an element class (an
// `elementclass` in scope) always makes an anonymous element of that class; otherwise a
// declared element name is a reference; otherwise `NAME :: CLASS` declares it. A NAME that
// is none of these is, in Click, an error ("undeclared element") unless it names a primitive
// class. Which primitive classes exist is the Router's business, not the parser's, so such a
// NAME becomes an anonymous element of class NAME and an unknown class is reported when the
// Router looks it up. One case is caught here: a NAME used before the same scope declares it
// ("a -> b; b :: Counter"), which Click rejects.
//
// Anonymous elements are named "Class@N", N being the element's position in its scope
// counted from 1, as in Click: a compound's 'input' and 'output' do not count (its first
// element is @1 too) and each group counts three (the group, its input and its output).
// If the name is taken, N grows until it is free. A scope's anonymous names are settled
// when the scope ends, so a later declaration of "Counter@2" pushes the anonymous one on.
//
// Ports: "[1]", lists "[0, 2]", and expandable lists "[]" = 0.. and "[3, ]" = 3.. . A
// connection between sets pairs their ports as Click's yconnection_connect_all: one side
// with a single port fans out to or in from the other side's ports; port lists on both
// sides pair up one to one, which needs '=>', and '=>' also spreads a bare single element
// over the other side ("a => b, c" is a[0] -> b, a[1] -> c).
//
// Inside a compound or a group, an item with no element stands for 'input' at the start of
// a chain and for 'output' at its end: "-> X ->", "[1] -> X -> [2]".
//
// Compounds: `{ [formals |] statements }`, alternatives separated by '||', a final '...'
// extending the class the name had before. Classes are lexically scoped and non-recursive:
// inside `elementclass Foo {...}`, "Foo" is whatever it was outside (Click's rule; the one
// way around it, through '||' alternatives, is caught by the elaborator's depth limit).
// Elementclasses declared in a body vanish when it ends. Formals are "$a", "KEYWORD $b"
// and "__REST__ $c", in that order.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "graph/args.h"
#include "graph/config_lexer.h"
#include "graph/config_text.h"

namespace uplane::graph::config_detail {
namespace {

constexpr std::uint32_t kNoSlot = UINT32_MAX;

bool is_var_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Click's cp_is_word: printable ASCII without quotes, backslash or comma.
bool is_click_word(std::string_view s) noexcept {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\'' || c == '\\' || c == ',' || u <= 32 || u >= 127) return false;
  }
  return !s.empty();
}

// Click rejects element names with a component made only of digits ("1", "a/2").
bool has_all_digit_component(std::string_view name) noexcept {
  std::size_t i = 0;
  while (i <= name.size()) {
    const std::size_t slash = std::min(name.find('/', i), name.size());
    bool digits = true;
    for (std::size_t j = i; j < slash; ++j) digits = digits && name[j] >= '0' && name[j] <= '9';
    if (digits) return true;
    i = slash + 1;
  }
  return false;
}

// Element class bindings: a map plus an undo log, so that a compound body can drop the
// classes it declared by rolling back to a mark.
class ClassScope {
 public:
  std::size_t mark() const noexcept { return undo_.size(); }

  void bind(const std::string& name, ClassRef ref) {
    auto it = map_.find(name);
    undo_.emplace_back(name, it == map_.end() ? std::nullopt : std::optional<ClassRef>(it->second));
    map_[name] = std::move(ref);
  }

  void restore(std::size_t mark) {
    while (undo_.size() > mark) {
      auto& [name, prev] = undo_.back();
      if (prev) {
        map_[name] = std::move(*prev);
      } else {
        map_.erase(name);
      }
      undo_.pop_back();
    }
  }

  const ClassRef* find(const std::string& name) const {
    auto it = map_.find(name);
    return it == map_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<std::string, ClassRef> map_;
  std::vector<std::pair<std::string, std::optional<ClassRef>>> undo_;
};

// The body being parsed: the file, a compound body, or (sharing its enclosing body) a group.
struct Scope {
  Body* body = nullptr;
  CompoundDef* def = nullptr;  // nullptr at file level
  std::uint32_t anon_offset = 0;
  std::unordered_map<std::string, std::uint32_t> names;  // element names -> slots
  std::vector<std::uint32_t> implicit;                   // slots made from undeclared names
  // Pseudo-element slot -> the first connection using it the wrong way round ('input' as
  // a destination, 'output' as a source).
  std::unordered_map<std::uint32_t, Pos> misused;
  std::unordered_set<std::string> variables;  // formals and defines, without '$'
  int groups = 0;                             // groups open in this scope
};

// One element of a set while its statement is being parsed.
struct Item {
  enum class What : std::uint8_t { kName, kCompound, kGroup, kImplicit };
  What what = What::kName;
  std::string name;
  Pos where;
  bool bare = false;      // a plain NAME: no '::', no configuration
  bool is_class = false;  // NAME is bound to an element class
  ClassRef cls;           // the class of an anonymous element
  std::optional<ClassRef> decl;
  std::string config;
  std::uint32_t slot = kNoSlot;
  // Port lists; a last entry of -1 marks an expandable list ("[2, ]").
  std::vector<std::int32_t> in_ports;
  std::vector<std::int32_t> out_ports;
};

enum class Until : std::uint8_t { kFile, kCompound, kGroup };

class Parser {
 public:
  Parser(std::string_view text, FileTable* files, Diagnostics* diag)
      : lex_(text, files, diag), diag_(diag) {}

  bool parse(Program* out) {
    program_ = out;
    Scope top;
    top.body = &out->top;
    scope_ = &top;
    return statements(Until::kFile, Pos{}) && finish_scope(top);
  }

 private:
  bool fail(Pos where, std::string message) { return diag_->fail(where, std::move(message)); }
  bool syntax_error(const Token& t) {
    if (t.kind == Tok::kError) return false;
    return fail(t.pos, fmt::format("syntax error near {}", describe(t)));
  }
  bool nested() const noexcept { return scope_->def != nullptr || scope_->groups > 0; }

  ClassRef resolve_class(const std::string& name) const {
    if (const ClassRef* c = classes_.find(name)) return *c;
    return ClassRef{nullptr, name};
  }

  bool statements(Until until, Pos open);
  bool connection();
  bool item(bool first_set, std::size_t index, Item* it, bool* got);
  bool ports(std::vector<std::int32_t>* out);
  bool commit(std::vector<Item>& set);
  bool connect_sets(const std::vector<Item>& outs, const std::vector<Item>& ins, Tok connector,
                    Pos where);
  bool connect(std::uint32_t from, std::int64_t from_port, std::uint32_t to, std::int64_t to_port,
               Pos where);
  bool group(const Token& open, Item* it);
  const CompoundDef* compound(const std::string& name, Pos open);
  bool formals(CompoundDef* def);
  bool elementclass();
  bool require();
  bool define();
  bool check_pseudo(std::uint32_t slot, bool is_input, const std::string& owner, Pos where,
                    std::uint32_t* nports);
  bool finish_scope(Scope& sc);

  std::uint32_t add_slot(Slot s) {
    scope_->body->slots.push_back(std::move(s));
    return static_cast<std::uint32_t>(scope_->body->slots.size() - 1);
  }
  std::uint32_t add_anonymous(std::string base, ClassRef cls, std::string config, Pos where) {
    Slot s;
    s.anonymous = true;
    s.anon_base = std::move(base);
    s.anon_number =
        static_cast<std::uint32_t>(scope_->body->slots.size()) - scope_->anon_offset + 1;
    s.cls = std::move(cls);
    s.config = std::move(config);
    s.where = where;
    return add_slot(std::move(s));
  }

  Lexer lex_;
  Diagnostics* diag_;
  Program* program_ = nullptr;
  Scope* scope_ = nullptr;
  ClassScope classes_;
  int nesting_ = 0;
};

bool Parser::statements(Until until, Pos open) {
  for (;;) {
    const Token t = lex_.peek();
    switch (t.kind) {
      case Tok::kError:
        return false;
      case Tok::kIdent:
      case Tok::kArrow:
      case Tok::kDoubleArrow:
        if (!connection()) return false;
        break;
      case Tok::kElementclass:
        if (!elementclass()) return false;
        break;
      case Tok::kRequire:
        if (!require()) return false;
        break;
      case Tok::kDefine:
        if (!define()) return false;
        break;
      case Tok::kBar2:
        if (until == Until::kCompound) return true;
        return syntax_error(t);
      case Tok::kEnd:
        if (until == Until::kFile) return true;
        if (until == Until::kCompound) {
          return fail(t.pos, fmt::format("expected '}}' to close the compound element opened at "
                                         "{}, found end of file",
                                         diag_->where(open)));
        }
        return fail(t.pos, fmt::format("expected ')' to close the element group opened at {}, "
                                       "found end of file",
                                       diag_->where(open)));
      case Tok::kChar:
        if (t.is('[') || t.is('{') || t.is('(')) {
          if (!connection()) return false;
        } else if (t.is(';')) {
          lex_.next();
        } else if ((t.is('}') && until == Until::kCompound) ||
                   (t.is(')') && until == Until::kGroup)) {
          return true;  // the caller consumes it
        } else {
          return syntax_error(t);
        }
        break;
      default:  // variables, '::', '...', 'provide'
        return syntax_error(t);
    }
  }
}

bool Parser::connection() {
  std::vector<Item> prev;
  bool have_prev = false;
  Tok connector = Tok::kArrow;
  Pos connector_pos;
  for (;;) {
    std::vector<Item> set;
    bool any_implicit = false;
    bool any_ports = false;
    for (;;) {
      Item it;
      bool got = false;
      if (!item(!have_prev, set.size(), &it, &got)) return false;
      if (!got) break;
      any_implicit = any_implicit || it.what == Item::What::kImplicit;
      any_ports = any_ports || !it.in_ports.empty() || !it.out_ports.empty();
      set.push_back(std::move(it));
      if (!lex_.peek().is(',')) break;
      lex_.next();
    }

    const Token t = lex_.peek();
    const bool arrow_next = t.kind == Tok::kArrow || t.kind == Tok::kDoubleArrow;
    if (any_implicit && have_prev && arrow_next) {
      return fail(t.pos, "implicit 'input' or 'output' used in the middle of a chain");
    }
    // "a, b, c :: Counter" declares all three: the last item's class and configuration
    // spread over the bare names before it.
    if (set.size() > 1 && !have_prev && !arrow_next && !any_ports && !any_implicit) {
      std::size_t last = 0;
      while (last + 1 < set.size() && set[last].bare) ++last;
      if (last + 1 == set.size() && set.back().decl) {
        for (std::size_t i = 0; i < last; ++i) {
          set[i].decl = set.back().decl;
          set[i].config = set.back().config;
        }
      }
    }
    if (!commit(set)) return false;

    if (!have_prev) {
      for (const Item& it : set) {
        if (!it.in_ports.empty()) {
          return fail(it.where, "input port ignored at start of chain: nothing connects to it");
        }
      }
    } else if (!connect_sets(prev, set, connector, connector_pos)) {
      return false;
    }
    prev = std::move(set);
    have_prev = true;

    const Token c = lex_.peek();
    if (c.kind == Tok::kArrow || c.kind == Tok::kDoubleArrow) {
      connector = c.kind;
      connector_pos = c.pos;
      lex_.next();
      continue;
    }
    if (c.kind == Tok::kError) return false;
    const bool ends = c.kind == Tok::kEnd || c.kind == Tok::kIdent || c.kind == Tok::kBar2 ||
                      c.kind == Tok::kElementclass || c.kind == Tok::kRequire ||
                      c.kind == Tok::kDefine || c.is(';') || c.is('{') || c.is('}') || c.is('[') ||
                      c.is(')');
    if (!ends) {
      return fail(c.pos,
                  fmt::format("syntax error near {}: expected '->', '=>' or ';'", describe(c)));
    }
    if (c.is(';')) lex_.next();
    for (const Item& it : prev) {
      if (!it.out_ports.empty()) {
        return fail(it.where, "output port ignored at end of chain: it connects to nothing");
      }
    }
    return true;
  }
}

bool Parser::item(bool first_set, std::size_t index, Item* it, bool* got) {
  *got = false;
  const Pos start = lex_.peek().pos;
  if (lex_.peek().is('[') && !ports(&it->in_ports)) return false;

  const Token t = lex_.next();
  if (t.kind == Tok::kIdent) {
    it->what = Item::What::kName;
    it->name = std::string(t.text);
    it->where = t.pos;
    it->bare = true;
    if (const ClassRef* c = classes_.find(it->name)) {
      it->is_class = true;
      it->cls = *c;
    }
    if (lex_.peek().kind == Tok::kColon2) {
      lex_.next();
      it->bare = false;
      const Token c = lex_.next();
      if (c.kind == Tok::kIdent) {
        it->decl = resolve_class(std::string(c.text));
      } else if (c.is('{')) {
        const CompoundDef* def = compound("", c.pos);
        if (def == nullptr) return false;
        it->decl = ClassRef{def, {}};
      } else if (c.kind == Tok::kError) {
        return false;
      } else {
        return fail(c.pos, fmt::format("expected element class after '::', found {}", describe(c)));
      }
    }
  } else if (t.is('{')) {
    it->what = Item::What::kCompound;
    it->where = t.pos;
    const CompoundDef* def = compound("", t.pos);
    if (def == nullptr) return false;
    it->cls = ClassRef{def, {}};
  } else if (t.is('(')) {
    it->what = Item::What::kGroup;
    it->where = t.pos;
    if (!group(t, it)) return false;
    *got = true;
    return !lex_.peek().is('[') || ports(&it->out_ports);
  } else {
    bool implicit = false;
    const bool arrow = t.kind == Tok::kArrow || t.kind == Tok::kDoubleArrow;
    const bool has_ports = !it->in_ports.empty();
    if (nested() && arrow) {
      implicit = first_set && (has_ports || index == 0);
    } else if (nested() && t.is(',')) {
      implicit = has_ports;
    } else if (nested() && t.kind != Tok::kColon2) {
      implicit = !first_set && (has_ports || index == 0);
    }
    if (implicit) {
      it->what = Item::What::kImplicit;
      it->where = has_ports ? start : t.pos;
      // nested() means a compound body or a group, and both bind these names.
      const auto pseudo = scope_->names.find(first_set ? "input" : "output");
      if (pseudo == scope_->names.end()) return syntax_error(t);
      it->slot = pseudo->second;
      // "[1] -> x" starts at input port 1: ports written before it are its outputs.
      if (first_set) std::swap(it->in_ports, it->out_ports);
      *got = true;
      lex_.unread(t);  // the arrow, ',' or end belongs to the connection
      return true;
    }
    if (t.kind == Tok::kError) return false;
    if (has_ports) {
      return fail(start, fmt::format("port list not attached to an element: expected an element "
                                     "name or class, found {}",
                                     describe(t)));
    }
    if (index > 0) {  // "a, b, -> c": Click ignores the stray ','
      lex_.unread(t);
      return true;
    }
    return fail(t.pos, fmt::format("syntax error near {}: expected an element", describe(t)));
  }

  // Configuration string, then output ports.
  if (lex_.peek().is('(')) {
    const Token open = lex_.next();
    if (it->what == Item::What::kName && !it->decl && !it->is_class) {
      auto found = scope_->names.find(it->name);
      if (found != scope_->names.end()) {
        const Slot& s = scope_->body->slots[found->second];
        return fail(
            open.pos,
            s.kind == SlotKind::kElement
                ? fmt::format("configuration string ignored on element reference '{}' "
                              "(declared at {})",
                              it->name, diag_->where(s.where))
                : fmt::format("configuration string ignored on pseudo-element '{}'", it->name));
      }
    }
    if (!lex_.config_string(open, &it->config)) return false;
    it->bare = false;
  }
  *got = true;
  return !lex_.peek().is('[') || ports(&it->out_ports);
}

bool Parser::ports(std::vector<std::int32_t>* out) {
  out->clear();
  lex_.next();  // '['
  for (;;) {
    const Token t = lex_.next();
    if (t.kind == Tok::kIdent) {
      std::uint64_t v = 0;
      bool digits = true;
      for (const char c : t.text) {
        if (c < '0' || c > '9') {
          digits = false;
          break;
        }
        v = std::min<std::uint64_t>(v * 10 + static_cast<std::uint64_t>(c - '0'), kMaxPorts);
      }
      if (!digits) {
        return fail(t.pos, fmt::format("port number should be an integer, found {}", describe(t)));
      }
      if (v >= kMaxPorts) {
        return fail(t.pos, fmt::format("port number {} is too large (the largest is {})", t.text,
                                       kMaxPorts - 1));
      }
      out->push_back(static_cast<std::int32_t>(v));
    } else if (t.is(']')) {
      if (out->empty()) out->push_back(0);
      out->push_back(-1);
      return true;
    } else if (t.kind == Tok::kError) {
      return false;
    } else {
      return fail(t.pos, fmt::format("expected port number, found {}", describe(t)));
    }
    const Token sep = lex_.next();
    if (sep.is(']')) return true;
    if (sep.kind == Tok::kError) return false;
    if (!sep.is(',')) {
      return fail(sep.pos,
                  fmt::format("expected ',' or ']' in port list, found {}", describe(sep)));
    }
  }
}

bool Parser::commit(std::vector<Item>& set) {
  Scope& sc = *scope_;
  for (Item& it : set) {
    switch (it.what) {
      case Item::What::kGroup:
      case Item::What::kImplicit:
        break;
      case Item::What::kCompound:
        it.slot = add_anonymous("", it.cls, std::move(it.config), it.where);
        break;
      case Item::What::kName: {
        auto found = sc.names.find(it.name);
        if (it.is_class || found == sc.names.end()) {
          if (it.decl && it.is_class) {
            return fail(it.where, fmt::format("class '{}' used as element name", it.name));
          }
          if (!it.decl) {
            if (!it.is_class && (it.name == "input" || it.name == "output")) {
              return fail(it.where, fmt::format("undeclared element '{}' ('input' and 'output' "
                                                "exist only inside compound elements and groups)",
                                                it.name));
            }
            const bool implicit = !it.is_class;
            ClassRef cls = it.is_class ? it.cls : ClassRef{nullptr, it.name};
            it.slot = add_anonymous(it.name, std::move(cls), std::move(it.config), it.where);
            if (implicit) sc.implicit.push_back(it.slot);
          } else {
            if (has_all_digit_component(it.name)) {
              return fail(it.where,
                          fmt::format("element name '{}' has all-digit component", it.name));
            }
            Slot s;
            s.name = it.name;
            s.cls = *it.decl;
            s.config = std::move(it.config);
            s.where = it.where;
            it.slot = add_slot(std::move(s));
            sc.names.emplace(it.name, it.slot);
          }
        } else if (it.decl) {
          const Slot& prev = sc.body->slots[found->second];
          if (prev.kind != SlotKind::kElement) {
            return fail(it.where, fmt::format("redeclaration of pseudo-element '{}'", it.name));
          }
          return fail(it.where, fmt::format("redeclaration of element '{}' (previously declared "
                                            "at {})",
                                            it.name, diag_->where(prev.where)));
        } else {
          it.slot = found->second;
        }
        break;
      }
    }
  }
  return true;
}

bool Parser::connect(std::uint32_t from, std::int64_t from_port, std::uint32_t to,
                     std::int64_t to_port, Pos where) {
  const std::int64_t big = std::max(from_port, to_port);
  if (big >= static_cast<std::int64_t>(kMaxPorts)) {
    return fail(where,
                fmt::format("port number {} is too large (the largest is {})", big, kMaxPorts - 1));
  }
  Body& b = *scope_->body;
  const auto fp = static_cast<std::uint32_t>(from_port);
  const auto tp = static_cast<std::uint32_t>(to_port);
  b.conns.push_back(Conn{from, fp, to, tp, where});
  auto use = [](std::vector<bool>& ports, std::uint32_t port) {
    if (ports.size() <= port) ports.resize(port + 1, false);
    ports[port] = true;
  };
  use(b.slots[from].outputs_used, fp);
  use(b.slots[to].inputs_used, tp);

  const SlotKind fk = b.slots[from].kind;
  const SlotKind tk = b.slots[to].kind;
  if (fk == SlotKind::kOutput || fk == SlotKind::kGroupOutput) scope_->misused.emplace(from, where);
  if (tk == SlotKind::kInput || tk == SlotKind::kGroupInput) scope_->misused.emplace(to, where);
  return true;
}

bool Parser::connect_sets(const std::vector<Item>& outs, const std::vector<Item>& ins,
                          Tok connector, Pos where) {
  // Side 0 is the inputs (the set after the arrow), side 1 the outputs, as in Click.
  const std::vector<Item>* sides[2] = {&ins, &outs};
  auto ports_of = [&](int k, std::size_t i) -> const std::vector<std::int32_t>& {
    return k == 1 ? (*sides[1])[i].out_ports : (*sides[0])[i].in_ports;
  };
  std::int64_t minp[2] = {0, 0};
  std::int64_t expandable[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    for (std::size_t i = 0; i < sides[k]->size(); ++i) {
      const auto& p = ports_of(k, i);
      const auto n = static_cast<std::int64_t>(p.size());
      if (n <= 1) {
        minp[k] += 1;
      } else if (p.back() == -1) {
        minp[k] += n - 1;
        ++expandable[k];
      } else {
        minp[k] += n;
      }
    }
  }
  if (expandable[0] + expandable[1] > 1) {
    return fail(where, "at most one expandable port allowed per connection");
  }
  if (connector == Tok::kDoubleArrow) {
    // '=>' reads a lone element without ports as an expandable list.
    for (int k = 0; k < 2; ++k) {
      if (minp[k] == 1 && minp[1 - k] > 1 && ports_of(k, 0).empty()) expandable[k] = 1;
    }
  }
  bool step[2];
  std::int64_t extra[2];
  for (int k = 0; k < 2; ++k) {
    step[k] = minp[k] > 1 || expandable[k] != 0;
    extra[k] = expandable[k] != 0 ? minp[1 - k] - minp[k] : 0;
  }
  if (step[0] && step[1]) {
    if (connector != Tok::kDoubleArrow) {
      return fail(where, "syntax error: many-to-many connections require '=>'");
    }
    if (expandable[0] == 0 && expandable[1] == 0 && minp[0] != minp[1]) {
      return fail(where, fmt::format("connection mismatch: {} outputs connected to {} inputs",
                                     minp[1], minp[0]));
    }
    if (expandable[0] == 0 && minp[0] < minp[1]) {
      return fail(where, fmt::format("connection mismatch: {} or more outputs connected to {} "
                                     "inputs",
                                     minp[1], minp[0]));
    }
    if (expandable[1] == 0 && minp[1] < minp[0]) {
      return fail(where, fmt::format("connection mismatch: {} outputs connected to {} or more "
                                     "inputs",
                                     minp[1], minp[0]));
    }
  } else if (!step[0] && !step[1]) {
    step[0] = true;
  }

  std::size_t it[2] = {0, 0};
  std::int64_t ppos[2] = {0, 0};
  std::int64_t port[2] = {-1, -1};
  while (it[0] < ins.size() && it[1] < outs.size()) {
    for (int k = 0; k < 2; ++k) {
      if (port[k] < 0) {
        const auto& p = ports_of(k, it[k]);
        port[k] = p.empty() ? 0 : p[0];
      }
    }
    if (!connect(outs[it[1]].slot, port[1], ins[it[0]].slot, port[0], where)) return false;
    for (int k = 0; k < 2; ++k) {
      if (!step[k]) continue;
      const auto& p = ports_of(k, it[k]);
      const auto np = static_cast<std::int64_t>(p.size());
      ++ppos[k];
      if (ppos[k] < np && p[ppos[k]] >= 0) {
        port[k] = p[ppos[k]];  // the next port in the list
      } else if (np > 0 && p[np - 1] == -1 && extra[k] > 0) {
        port[k] = p[np - 2] + ppos[k] - (np - 2);  // an expandable list goes on counting
        --extra[k];
      } else if (np == 0 && minp[k] == 1 && extra[k] > 0) {
        port[k] = ppos[k];  // '=>' spreading a bare element
        --extra[k];
      } else {
        port[k] = -1;  // the next element of the set
        ppos[k] = 0;
        ++it[k];
      }
    }
  }
  return true;
}

bool Parser::check_pseudo(std::uint32_t slot, bool is_input, const std::string& owner, Pos where,
                          std::uint32_t* nports) {
  const char* self = is_input ? "input" : "output";
  const char* other = is_input ? "output" : "input";
  if (auto m = scope_->misused.find(slot); m != scope_->misused.end()) {
    return fail(m->second,
                fmt::format("'{}' pseudo-element '{}' may only be used as {}", owner, self, other));
  }
  // 'input' is used as a source, so its ports are its outputs, and the other way round.
  const Slot& s = scope_->body->slots[slot];
  const std::vector<bool>& used = is_input ? s.outputs_used : s.inputs_used;
  for (std::size_t p = 0; p < used.size(); ++p) {
    if (!used[p]) {
      return fail(where, fmt::format("'{}' {} {} missing: {} {} is used, so every lower port must "
                                     "be used too",
                                     owner, self, p, self, used.size() - 1));
    }
  }
  *nports = static_cast<std::uint32_t>(used.size());
  return true;
}

bool Parser::group(const Token& open, Item* it) {
  if (nesting_ >= kMaxNesting) {
    return fail(open.pos, fmt::format("element groups and compound elements nested more than {} "
                                      "deep",
                                      kMaxNesting));
  }
  ++nesting_;
  Scope& sc = *scope_;
  const std::uint32_t g = add_anonymous("", ClassRef{}, "", open.pos);
  sc.body->slots[g].kind = SlotKind::kGroup;
  Slot in;
  in.kind = SlotKind::kGroupInput;
  in.where = open.pos;
  Slot out = in;
  out.kind = SlotKind::kGroupOutput;
  add_slot(std::move(in));
  add_slot(std::move(out));

  // Inside the group, 'input' and 'output' are the group's own.
  auto rebind = [&](const char* name, std::uint32_t slot) {
    std::optional<std::uint32_t> old;
    if (auto f = sc.names.find(name); f != sc.names.end()) old = f->second;
    sc.names[name] = slot;
    return old;
  };
  auto restore = [&](const char* name, std::optional<std::uint32_t> old) {
    if (old) {
      sc.names[name] = *old;
    } else {
      sc.names.erase(name);
    }
  };
  const auto old_in = rebind("input", g + 1);
  const auto old_out = rebind("output", g + 2);
  ++sc.groups;
  const bool ok = statements(Until::kGroup, open.pos);
  --sc.groups;
  restore("input", old_in);
  restore("output", old_out);
  if (!ok) return false;
  lex_.next();  // ')'

  std::uint32_t nin = 0;
  std::uint32_t nout = 0;
  if (!check_pseudo(g + 1, true, "<anonymous group>", open.pos, &nin) ||
      !check_pseudo(g + 2, false, "<anonymous group>", open.pos, &nout)) {
    return false;
  }
  --nesting_;
  sc.body->slots[g].group_inputs = nin;
  sc.body->slots[g].group_outputs = nout;
  it->slot = g;
  // A group is written without ports: it offers all of its inputs and outputs, in order.
  if (it->in_ports.empty()) {
    for (std::uint32_t p = 0; p < nin; ++p) it->in_ports.push_back(static_cast<std::int32_t>(p));
  }
  for (std::uint32_t p = 0; p < nout; ++p) it->out_ports.push_back(static_cast<std::int32_t>(p));
  return true;
}

const CompoundDef* Parser::compound(const std::string& name, Pos open) {
  if (nesting_ >= kMaxNesting) {
    fail(open,
         fmt::format("element groups and compound elements nested more than {} deep", kMaxNesting));
    return nullptr;
  }
  ++nesting_;
  const std::size_t mark = classes_.mark();
  CompoundDef* first = nullptr;
  CompoundDef* last = nullptr;
  std::optional<ClassRef> extension;
  Pos alt_pos = open;
  int alternatives = 0;
  for (;;) {
    if (lex_.peek().kind == Tok::kDots) {
      const Token dots = lex_.next();
      if (first == nullptr || !lex_.peek().is('}')) {
        fail(dots.pos, "'...' should occur last, after one or more compounds");
        return nullptr;
      }
      if (name.empty()) {
        fail(dots.pos, "'...' cannot extend an anonymous compound element");
        return nullptr;
      }
      // '...' extends what the name meant before this elementclass.
      classes_.restore(mark);
      extension = resolve_class(name);
      lex_.next();  // '}'
      break;
    }

    auto owned = std::make_unique<CompoundDef>();
    CompoundDef* def = owned.get();
    program_->compounds.push_back(std::move(owned));
    def->name = name;
    def->where = alt_pos;
    def->body.depth = scope_->body->depth + 1;

    Scope inner;
    inner.body = &def->body;
    inner.def = def;
    inner.anon_offset = 2;
    Slot in;
    in.kind = SlotKind::kInput;
    in.name = "input";
    in.where = alt_pos;
    Slot out = in;
    out.kind = SlotKind::kOutput;
    out.name = "output";
    def->body.slots.push_back(std::move(in));
    def->body.slots.push_back(std::move(out));
    inner.names.emplace("input", 0);
    inner.names.emplace("output", 1);

    Scope* outer = scope_;
    scope_ = &inner;
    const bool ok = formals(def) && statements(Until::kCompound, alt_pos) && finish_scope(inner);
    scope_ = outer;
    if (!ok) return nullptr;
    program_->finished.push_back(def);

    classes_.restore(mark);
    if (last != nullptr) {
      last->overload = ClassRef{def, {}};
    } else {
      first = def;
    }
    last = def;
    ++alternatives;

    const Token t = lex_.next();  // '}' or '||'
    if (t.kind != Tok::kBar2) break;
    alt_pos = t.pos;
    // Click binds the name to each alternative from the second on while the next one is
    // parsed; keep that, since it decides what the name means inside later alternatives.
    if (alternatives >= 2 && !name.empty()) classes_.bind(name, ClassRef{def, {}});
  }
  if (extension) last->overload = std::move(extension);
  classes_.restore(mark);
  --nesting_;
  return first;
}

bool Parser::formals(CompoundDef* def) {
  std::unordered_set<std::string> keywords;
  for (;;) {
    const Token t1 = lex_.peek(0);
    Formal f;
    if (t1.kind == Tok::kIdent) {
      const Token t2 = lex_.peek(1);
      if (t2.kind != Tok::kVariable) {
        if (def->formals.empty()) return true;  // no formals: the body starts here
        return fail(t2.pos,
                    fmt::format("expected variable after '{}', found {}", t1.text, describe(t2)));
      }
      f.keyword = std::string(t1.text);
      f.name = std::string(t2.text);
      lex_.next();
      lex_.next();
    } else if (t1.kind == Tok::kVariable) {
      f.name = std::string(t1.text);
      lex_.next();
    } else if (t1.is('|')) {
      lex_.next();
      return true;
    } else {
      if (def->formals.empty() || t1.kind == Tok::kError) return !diag_->failed();
      return fail(t1.pos, fmt::format("expected variable, found {}", describe(t1)));
    }

    if (!scope_->variables.insert(f.name).second) {
      return fail(t1.pos, fmt::format("parameter '${}' multiply defined", f.name));
    }
    if (!f.keyword.empty() && !keywords.insert(f.keyword).second) {
      return fail(t1.pos,
                  fmt::format("repeated keyword parameter '{}' in compound element", f.keyword));
    }
    if (!def->formals.empty()) {
      const Formal& prev = def->formals.back();
      if ((f.keyword.empty() && !prev.keyword.empty()) || prev.keyword == "__REST__") {
        return fail(t1.pos,
                    "compound element parameters out of order: the correct order is "
                    "'[positional], [keywords], [__REST__]'");
      }
    }
    def->formals.push_back(std::move(f));

    const Token sep = lex_.next();
    if (sep.is('|')) return true;
    if (sep.kind == Tok::kError) return false;
    if (!sep.is(',')) {
      return fail(sep.pos, fmt::format("expected ',' or '|' after compound element parameter, "
                                       "found {}",
                                       describe(sep)));
    }
  }
}

bool Parser::elementclass() {
  lex_.next();  // 'elementclass'
  const Token name = lex_.next();
  if (name.kind == Tok::kError) return false;
  if (name.kind != Tok::kIdent) {
    return fail(name.pos, fmt::format("expected element class name after 'elementclass', found {}",
                                      describe(name)));
  }
  const std::string n(name.text);
  const Token body = lex_.next();
  if (body.is('{')) {
    const CompoundDef* def = compound(n, body.pos);
    if (def == nullptr) return false;
    classes_.bind(n, ClassRef{def, {}});
    return true;
  }
  if (body.kind == Tok::kIdent) {
    classes_.bind(n, resolve_class(std::string(body.text)));  // a synonym
    return true;
  }
  if (body.kind == Tok::kError) return false;
  return fail(body.pos, fmt::format("expected '{{' or a class name after 'elementclass {}', "
                                    "found {}",
                                    n, describe(body)));
}

bool Parser::require() {
  const Token kw = lex_.next();
  const Token open = lex_.next();
  if (!open.is('(')) {
    if (open.kind == Tok::kError) return false;
    return fail(open.pos, fmt::format("expected '(' after 'require', found {}", describe(open)));
  }
  std::string text;
  if (!lex_.config_string(open, &text)) return false;
  if (lex_.peek().is(';')) lex_.next();

  for (const std::string& arg : split_args(text)) {
    std::vector<std::string> words = split_words(arg);
    if (words.empty()) continue;
    std::string type = unquote(words[0]);
    if (!is_click_word(type)) type.clear();
    // "require(x)" means "require(package x)".
    if (!type.empty() && type != "compact_config" && type != "package" && type != "library" &&
        words.size() == 1) {
      words.push_back(type);
      type = "package";
    }
    if (type == "compact_config" && words.size() == 1) {
      continue;  // Click's memory-saving switch for configuration strings; nothing to do here
    }
    if (type == "package" && words.size() == 2) {
      program_->requirements.push_back(unquote(words[1]));
    } else if (type == "library" && words.size() == 2) {
      return fail(kw.pos,
                  "require(library ...) is not supported: a configuration cannot read "
                  "other files");
    } else {
      return fail(kw.pos, fmt::format("syntax error at requirement '{}': expected 'NAME' or "
                                      "'package NAME'",
                                      arg));
    }
  }
  return true;
}

bool Parser::define() {
  const Token kw = lex_.next();
  const Token open = lex_.next();
  if (!open.is('(')) {
    if (open.kind == Tok::kError) return false;
    return fail(open.pos, fmt::format("expected '(' after 'define', found {}", describe(open)));
  }
  std::string text;
  if (!lex_.config_string(open, &text)) return false;
  for (const std::string& arg : split_args(text)) {
    if (arg.empty()) continue;
    std::size_t e = 0;
    if (arg[0] == '$') {
      e = 1;
      while (e < arg.size() && is_var_char(arg[e])) ++e;
    }
    const bool separated = e == arg.size() || arg[e] == ' ' || arg[e] == '\t' || arg[e] == '\n' ||
                           arg[e] == '\r' || arg[e] == '\v' || arg[e] == '\f';
    if (e < 2 || !separated) {
      return fail(kw.pos, fmt::format("bad 'define' declaration: expected '$name value', found "
                                      "'{}'",
                                      arg));
    }
    std::string name = arg.substr(1, e - 1);
    if (!scope_->variables.insert(name).second) {
      return fail(kw.pos, fmt::format("parameter '${}' multiply defined", name));
    }
    std::size_t v = e;
    while (v < arg.size() && (arg[v] == ' ' || arg[v] == '\t' || arg[v] == '\n' || arg[v] == '\r' ||
                              arg[v] == '\v' || arg[v] == '\f')) {
      ++v;
    }
    scope_->body->defines.push_back(Define{std::move(name), arg.substr(v)});
  }
  return true;
}

bool Parser::finish_scope(Scope& sc) {
  Body& b = *sc.body;
  // "a -> b; b :: Counter": b was not declared when it was used.
  for (const std::uint32_t s : sc.implicit) {
    auto found = sc.names.find(b.slots[s].anon_base);
    if (found != sc.names.end() && found->second > s &&
        b.slots[found->second].kind == SlotKind::kElement) {
      return fail(b.slots[s].where,
                  fmt::format("undeclared element '{}' (it is declared later, at {}; declare "
                              "elements before using them)",
                              b.slots[s].anon_base, diag_->where(b.slots[found->second].where)));
    }
  }
  // Numbers only grow with the slot, and every number a base skipped was taken, so each
  // base can start from one past the last number it got: Click's result, in linear time.
  std::unordered_map<std::string, std::uint32_t> next_free;
  for (std::uint32_t i = 0; i < b.slots.size(); ++i) {
    Slot& s = b.slots[i];
    if (!s.anonymous) continue;
    std::uint32_t& hint = next_free[s.anon_base];
    std::uint32_t n = std::max(s.anon_number, hint);
    std::string name = fmt::format("{}@{}", s.anon_base, n);
    while (sc.names.contains(name)) name = fmt::format("{}@{}", s.anon_base, ++n);
    hint = n + 1;
    sc.names.emplace(name, i);
    s.name = std::move(name);
  }
  // A group is used only in its own statement, so its ports can be checked now; a
  // compound's wait for the elaborator, which knows which alternative is used.
  for (const Slot& s : b.slots) {
    if (s.kind != SlotKind::kGroup) continue;
    std::string m = port_mismatch("<anonymous group>", s.group_inputs, s.group_outputs,
                                  s.inputs_used, s.outputs_used);
    if (!m.empty()) return fail(s.where, std::move(m));
  }
  if (sc.def != nullptr) {
    const std::string owner = sc.def->name.empty() ? "<anonymous>" : sc.def->name;
    if (!check_pseudo(0, true, owner, sc.def->where, &sc.def->ninputs) ||
        !check_pseudo(1, false, owner, sc.def->where, &sc.def->noutputs)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool parse_program(std::string_view text, FileTable* files, Diagnostics* diag, Program* out) {
  Parser p(text, files, diag);
  return p.parse(out) && !diag->failed();
}

}  // namespace uplane::graph::config_detail
