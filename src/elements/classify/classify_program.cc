#include "elements/classify/classify_program.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace uplane::elements::classify {

namespace {

// Bytes of the word, from its first, that a mask touches: the packet must hold them.
std::uint8_t bytes_needed(std::uint32_t mask) noexcept {
  return static_cast<std::uint8_t>(4 - __builtin_ctz(mask) / 8);  // mask != 0
}

}  // namespace

// --- ExprBuilder ---

ExprBuilder::Id ExprBuilder::add(Node n) {
  nodes_.push_back(std::move(n));
  return static_cast<Id>(nodes_.size() - 1);
}

ExprBuilder::Id ExprBuilder::constant(bool value) {
  Node n;
  n.kind = Kind::kConst;
  n.value = value;
  return add(std::move(n));
}

ExprBuilder::Id ExprBuilder::test(Base base, std::uint32_t offset, std::uint32_t mask,
                                  std::uint32_t value) {
  if (mask == 0) return constant(true);
  assert(offset <= kMaxTestOffset);
  Node n;
  n.kind = Kind::kTest;
  n.base = base;
  n.offset = static_cast<std::uint16_t>(offset);
  n.mask = mask;
  n.test_value = value & mask;
  return add(std::move(n));
}

bool ExprBuilder::is_constant(Id e, bool value) const {
  const Node& n = nodes_[static_cast<std::size_t>(e)];
  return n.kind == Kind::kConst && n.value == value;
}

ExprBuilder::Id ExprBuilder::negate(Id e) {
  const Node& n = nodes_[static_cast<std::size_t>(e)];
  if (n.kind == Kind::kConst) return constant(!n.value);
  if (n.kind == Kind::kNot) return n.kids[0];  // not not x == x, short packets included
  Node neg;
  neg.kind = Kind::kNot;
  neg.kids = {e};
  return add(std::move(neg));
}

void ExprBuilder::flip_short(Id e) {
  // Iterative: the expression may be deep.
  std::vector<Id> todo{e};
  while (!todo.empty()) {
    Node& n = nodes_[static_cast<std::size_t>(todo.back())];
    todo.pop_back();
    if (n.kind == Kind::kTest) n.short_yes = !n.short_yes;
    for (Id k : n.kids) todo.push_back(k);
  }
}

ExprBuilder::Id ExprBuilder::negate_relation(Id e) {
  // Flipping every short outcome inside e and then negating the whole leaves a test with
  // missing bytes false: not(short -> true) (Click's negate_subtree with flip_short).
  flip_short(e);
  return negate(e);
}

ExprBuilder::Id ExprBuilder::all(std::vector<Id> es) {
  std::vector<Id> kids;
  for (Id e : es) {
    const Node& n = nodes_[static_cast<std::size_t>(e)];
    if (n.kind == Kind::kConst) {
      if (!n.value) return constant(false);
      continue;
    }
    if (n.kind == Kind::kAnd) {
      kids.insert(kids.end(), n.kids.begin(), n.kids.end());
    } else {
      kids.push_back(e);
    }
  }
  if (kids.empty()) return constant(true);
  if (kids.size() == 1) return kids[0];
  Node n;
  n.kind = Kind::kAnd;
  n.kids = std::move(kids);
  return add(std::move(n));
}

ExprBuilder::Id ExprBuilder::any(std::vector<Id> es) {
  std::vector<Id> kids;
  for (Id e : es) {
    const Node& n = nodes_[static_cast<std::size_t>(e)];
    if (n.kind == Kind::kConst) {
      if (n.value) return constant(true);
      continue;
    }
    if (n.kind == Kind::kOr) {
      kids.insert(kids.end(), n.kids.begin(), n.kids.end());
    } else {
      kids.push_back(e);
    }
  }
  if (kids.empty()) return constant(false);
  if (kids.size() == 1) return kids[0];
  Node n;
  n.kind = Kind::kOr;
  n.kids = std::move(kids);
  return add(std::move(n));
}

ExprBuilder::Id ExprBuilder::choose(Id c, Id t, Id e) {
  const Node& cn = nodes_[static_cast<std::size_t>(c)];
  if (cn.kind == Kind::kConst) return cn.value ? t : e;
  Node n;
  n.kind = Kind::kIf;
  n.kids = {c, t, e};
  return add(std::move(n));
}

bool ExprBuilder::evaluate(Id e, const Window* windows) const {
  const Node& n = nodes_[static_cast<std::size_t>(e)];
  switch (n.kind) {
    case Kind::kConst:
      return n.value;
    case Kind::kTest: {
      const Window& w = windows[static_cast<int>(n.base)];
      const std::uint32_t need = bytes_needed(n.mask);
      if (std::uint32_t{n.offset} + need > w.length) return n.short_yes;
      std::uint32_t word = 0;
      for (std::uint32_t i = 0; i < need; ++i)
        word |= std::uint32_t{w.data[n.offset + i]} << (24 - 8 * i);
      return (word & n.mask) == n.test_value;
    }
    case Kind::kNot:
      return !evaluate(n.kids[0], windows);
    case Kind::kAnd:
      for (Id k : n.kids)
        if (!evaluate(k, windows)) return false;
      return true;
    case Kind::kOr:
      for (Id k : n.kids)
        if (evaluate(k, windows)) return true;
      return false;
    case Kind::kIf:
      return evaluate(n.kids[0], windows) ? evaluate(n.kids[1], windows)
                                          : evaluate(n.kids[2], windows);
  }
  return false;
}

// --- Program ---

bool Program::reaches(std::int32_t result) const {
  if (insns_.empty()) return always_ == result;
  const std::int32_t j = result_jump(result);
  return std::any_of(insns_.begin(), insns_.end(),
                     [j](const Insn& in) { return in.yes == j || in.no == j; });
}

std::uint32_t Program::safe_length(Base b) const {
  std::uint32_t n = 0;
  for (const Insn& in : insns_)
    if (in.base == b) n = std::max<std::uint32_t>(n, std::uint32_t{in.offset} + in.need);
  return n;
}

namespace {

std::string jump_text(std::int32_t j) {
  if (!is_result_jump(j)) return fmt::format("step {}", j);
  const std::int32_t r = jump_result(j);
  return r == kNoMatch ? std::string("[X]") : fmt::format("[{}]", r);
}

const char* base_name(Base b) {
  switch (b) {
    case Base::kData:
      return "ether";
    case Base::kNet:
      return "ip";
    case Base::kTransp:
      return "transp";
  }
  return "?";
}

}  // namespace

std::string Program::unparse(bool data_only) const {
  std::string s;
  for (std::size_t i = 0; i < insns_.size(); ++i) {
    const Insn& in = insns_[i];
    const std::string where =
        data_only ? fmt::format("{:>3}", in.offset)
                  : fmt::format("{:>9}", fmt::format("{}+{}", base_name(in.base), in.offset));
    s += fmt::format("{:>2} {}/{:08x}%{:08x}  yes->{}  no->{}{}\n", i, where, in.value, in.mask,
                     jump_text(in.yes), jump_text(in.no), in.short_yes ? "  short->yes" : "");
  }
  if (insns_.empty()) s += fmt::format("all->{}\n", jump_text(result_jump(always_)));
  if (data_only) {
    s += fmt::format("safe length {}\nalignment offset 0\n", safe_length(Base::kData));
  } else {
    s += "safe length";
    bool any = false;
    for (Base b : {Base::kNet, Base::kTransp, Base::kData}) {
      const std::uint32_t n = safe_length(b);
      if (n == 0) continue;
      s += fmt::format(" {} {}", base_name(b), n);
      any = true;
    }
    s += any ? "\n" : " 0\n";
  }
  return s;
}

// --- compilation ---

namespace {

// What taking one branch of an instruction tells about the packet.
struct Fact {
  Base base;
  bool short_yes;
  bool outcome;
  std::uint8_t need;
  std::uint16_t offset;
  std::uint32_t mask;
  std::uint32_t value;
  friend bool operator==(const Fact&, const Fact&) = default;

  // A branch that a packet missing the bytes cannot take: the bytes are there, and
  // (word & mask == value) == outcome. Otherwise only "this very test gave outcome" is known.
  bool strong() const noexcept { return outcome != short_yes; }
};

Fact fact_of(const Insn& in, bool outcome) {
  return Fact{in.base, in.short_yes, outcome, in.need, in.offset, in.mask, in.value};
}

// The facts known on a path, at most kMax of them (forgetting one is always safe).
class FactSet {
 public:
  static constexpr std::size_t kMax = 32;

  void add(const Fact& f) {
    if (std::find(facts_.begin(), facts_.end(), f) != facts_.end()) return;
    if (facts_.size() == kMax) {
      // Forget the oldest fact that only speaks for its own test, else the oldest: a long
      // chain of rules piles up failed tests, while "tcp" still matters at its end.
      auto weak =
          std::find_if(facts_.begin(), facts_.end(), [](const Fact& x) { return !x.strong(); });
      facts_.erase(weak != facts_.end() ? weak : facts_.begin());
    }
    facts_.push_back(f);
  }
  void intersect(const FactSet& o) {
    std::erase_if(facts_, [&o](const Fact& f) {
      return std::find(o.facts_.begin(), o.facts_.end(), f) == o.facts_.end();
    });
  }

  // The outcome of `in` on every packet consistent with these facts: 1, 0, or -1 unknown.
  int decide(const Insn& in) const {
    std::uint32_t known_length = 0;  // bytes of in.base known to be present
    for (const Fact& f : facts_)
      if (f.base == in.base && f.strong())
        known_length = std::max<std::uint32_t>(known_length, std::uint32_t{f.offset} + f.need);
    const bool present = std::uint32_t{in.offset} + in.need <= known_length;

    for (const Fact& f : facts_) {
      if (f.base != in.base || f.offset != in.offset) continue;
      // The same test, the same answer (whatever the packet's length).
      if (f.mask == in.mask && f.value == in.value && f.short_yes == in.short_yes) return f.outcome;
      if (!f.strong()) continue;
      int r = -1;  // what the data says, when in's bytes are there
      if (f.outcome) {
        // word & f.mask == f.value
        if (((f.value ^ in.value) & f.mask & in.mask) != 0) {
          r = 0;
        } else if ((in.mask & ~f.mask) == 0) {
          r = 1;
        }
      } else {
        // word & f.mask != f.value
        if ((f.mask & ~in.mask) == 0 && (in.value & f.mask) == f.value) {
          r = 0;  // in's condition includes f's
        } else if (f.mask == in.mask && (f.mask & (f.mask - 1)) == 0 && f.value != in.value) {
          r = 1;  // one bit, and it is not f's value
        }
      }
      if (r < 0) continue;
      if (in.need <= f.need || present || (r == 1) == in.short_yes) return r;
    }
    return -1;
  }

 private:
  std::vector<Fact> facts_;
};

}  // namespace

// Builds the instruction graph for a rule list, optimizes it and lays it out.
class ProgramCompiler {
 public:
  explicit ProgramCompiler(const ExprBuilder& exprs) : exprs_(exprs) {}

  Program compile(const std::vector<Rule>& rules, bool optimize) {
    std::int32_t entry = result_jump(kNoMatch);
    for (auto it = rules.rbegin(); it != rules.rend(); ++it)
      entry = emit(it->expr, result_jump(it->result), entry);
    if (optimize && !is_result_jump(entry)) {
      for (int round = 0; round < 4; ++round) {
        bool changed = thread_jumps(entry);
        changed |= merge_and_chains(entry);
        if (!changed) break;
      }
    }
    return layout(entry);
  }

 private:
  using Id = ExprBuilder::Id;
  using Node = ExprBuilder::Node;
  using Kind = ExprBuilder::Kind;

  // Emits code for `e` that continues at `yes` when e holds, else at `no`; returns its entry.
  std::int32_t emit(Id e, std::int32_t yes, std::int32_t no) {
    const Node& n = exprs_.nodes_[static_cast<std::size_t>(e)];
    switch (n.kind) {
      case Kind::kConst:
        return n.value ? yes : no;
      case Kind::kTest: {
        Insn in;
        in.base = n.base;
        in.short_yes = n.short_yes;
        in.need = bytes_needed(n.mask);
        in.offset = n.offset;
        in.mask = n.mask;
        in.value = n.test_value;
        in.yes = yes;
        in.no = no;
        graph_.push_back(in);
        return static_cast<std::int32_t>(graph_.size() - 1);
      }
      case Kind::kNot:
        return emit(n.kids[0], no, yes);
      case Kind::kAnd: {
        std::int32_t next = yes;
        for (auto it = n.kids.rbegin(); it != n.kids.rend(); ++it) next = emit(*it, next, no);
        return next;
      }
      case Kind::kOr: {
        std::int32_t next = no;
        for (auto it = n.kids.rbegin(); it != n.kids.rend(); ++it) next = emit(*it, yes, next);
        return next;
      }
      case Kind::kIf: {
        const std::int32_t t = emit(n.kids[1], yes, no);
        const std::int32_t f = emit(n.kids[2], yes, no);
        return emit(n.kids[0], t, f);
      }
    }
    return no;
  }

  // Follows instructions whose two branches meet.
  std::int32_t skip_trivial(std::int32_t j) const {
    while (!is_result_jump(j) &&
           graph_[static_cast<std::size_t>(j)].yes == graph_[static_cast<std::size_t>(j)].no)
      j = graph_[static_cast<std::size_t>(j)].yes;
    return j;
  }

  // The instructions reachable from `entry`, each before every instruction it jumps to
  // (reverse postorder; the yes branch's code right after its test).
  std::vector<std::int32_t> topo_order(std::int32_t entry) const {
    std::vector<std::int32_t> post;
    std::vector<std::uint8_t> state(graph_.size(), 0);  // 0 new, 1 open, 2 done
    std::vector<std::int32_t> stack{entry};
    while (!stack.empty()) {
      const std::int32_t v = stack.back();
      auto& st = state[static_cast<std::size_t>(v)];
      if (st == 2) {
        stack.pop_back();
        continue;
      }
      if (st == 1) {
        st = 2;
        post.push_back(v);
        stack.pop_back();
        continue;
      }
      st = 1;
      const Insn& in = graph_[static_cast<std::size_t>(v)];
      // Pushed last, visited first: the no branch finishes first, so after reversal the yes
      // branch comes right after v.
      for (std::int32_t j : {in.yes, in.no})
        if (!is_result_jump(j) && state[static_cast<std::size_t>(j)] == 0) stack.push_back(j);
    }
    std::reverse(post.begin(), post.end());
    return post;
  }

  // Redirects every branch past instructions whose outcome the facts along the branch
  // already decide. Instructions are visited in topological order, so the facts at an
  // instruction's entry (what every path to it establishes) are complete when it is
  // visited; redirection only moves branches forward, which keeps that true.
  bool thread_jumps(std::int32_t entry) {
    bool changed = false;
    std::vector<std::optional<FactSet>> at(graph_.size());
    at[static_cast<std::size_t>(entry)].emplace();
    for (const std::int32_t v : topo_order(entry)) {
      auto& slot = at[static_cast<std::size_t>(v)];
      if (!slot) continue;  // no longer reachable
      const FactSet facts = std::move(*slot);
      slot.reset();
      for (const bool branch : {true, false}) {
        Insn& in = graph_[static_cast<std::size_t>(v)];
        FactSet f = facts;
        f.add(fact_of(in, branch));
        std::int32_t j = branch ? in.yes : in.no;
        const std::int32_t old = j;
        while (!is_result_jump(j)) {
          const Insn& next = graph_[static_cast<std::size_t>(j)];
          if (next.yes == next.no) {
            j = next.yes;
            continue;
          }
          const int d = f.decide(next);
          if (d < 0) break;
          f.add(fact_of(next, d == 1));
          j = d == 1 ? next.yes : next.no;
        }
        if (j != old) {
          (branch ? graph_[static_cast<std::size_t>(v)].yes
                  : graph_[static_cast<std::size_t>(v)].no) = j;
          changed = true;
        }
        if (!is_result_jump(j)) {
          auto& target = at[static_cast<std::size_t>(j)];
          if (target) {
            target->intersect(f);
          } else {
            target = std::move(f);
          }
        }
      }
    }
    return changed;
  }

  // "a and b" where a and b test the same word and fail to the same place becomes one test.
  // Only for tests whose missing bytes count as false: then the merged test (which needs
  // the bytes of both) fails on exactly the packets where one of the two failed.
  bool merge_and_chains(std::int32_t entry) {
    bool changed = false;
    for (const std::int32_t v : topo_order(entry)) {
      Insn& a = graph_[static_cast<std::size_t>(v)];
      while (!is_result_jump(a.yes)) {
        const Insn& b = graph_[static_cast<std::size_t>(a.yes)];
        if (b.no != a.no || b.base != a.base || b.offset != a.offset || a.short_yes ||
            b.short_yes || ((a.value ^ b.value) & a.mask & b.mask) != 0)
          break;
        a.mask |= b.mask;
        a.value |= b.value;
        a.need = std::max(a.need, b.need);
        a.yes = b.yes;
        changed = true;
      }
    }
    return changed;
  }

  Program layout(std::int32_t entry) {
    Program p;
    entry = skip_trivial(entry);
    if (is_result_jump(entry)) {
      p.always_ = jump_result(entry);
      return p;
    }
    // Tests whose two branches meet decide nothing: jump past them, then lay out what is
    // still reachable.
    for (const std::int32_t v : topo_order(entry)) {
      Insn& in = graph_[static_cast<std::size_t>(v)];
      in.yes = skip_trivial(in.yes);
      in.no = skip_trivial(in.no);
    }
    const std::vector<std::int32_t> order = topo_order(entry);
    std::vector<std::int32_t> index(graph_.size(), -1);
    for (std::size_t i = 0; i < order.size(); ++i)
      index[static_cast<std::size_t>(order[i])] = static_cast<std::int32_t>(i);
    p.insns_.reserve(order.size());
    for (const std::int32_t v : order) {
      Insn in = graph_[static_cast<std::size_t>(v)];
      if (!is_result_jump(in.yes)) in.yes = index[static_cast<std::size_t>(in.yes)];
      if (!is_result_jump(in.no)) in.no = index[static_cast<std::size_t>(in.no)];
      p.insns_.push_back(in);
    }
    return p;
  }

  const ExprBuilder& exprs_;
  std::vector<Insn> graph_;
};

Program compile_rules(const ExprBuilder& exprs, const std::vector<Rule>& rules, bool optimize) {
  return ProgramCompiler(exprs).compile(rules, optimize);
}

}  // namespace uplane::elements::classify
