#pragma once
// Decision programs: what Classifier, IPClassifier and IPFilter compile their patterns into.
//
// A pattern is first an expression (ExprBuilder): tests on packet bytes joined by and, or,
// not and if-then-else. A list of rules (expression, result), tried in order, is then
// compiled once, at configure time, into a Program: a DAG of instructions, each of which
// loads the 32-bit big-endian word at a fixed offset from one of a few bases (the packet
// data, the IP header, the transport header), ANDs it with a mask, compares it with a value
// and jumps to another instruction or ends with a result. Jumps only go forward, so a match
// runs at most one pass over the instructions, with no allocation and no recursion. This is
// Click's Classification::Wordwise program, built by different means.
//
// Short packets. A test whose masked bytes lie (partly) past the end of its window cannot
// read them; it then takes the branch given by its `short_yes` flag instead, which is false
// for a plain test. So `12/0800` is false on a 13-byte packet, and `!12/0800` (logical not)
// is true there. Click's IP expression language also has a second negation, the negated
// relation (`port != 80`, `host != 10.0.0.1`, `ttl <= 5`, `ip frag`): a relation on bytes
// that are not there is false whichever way round it is asked. negate_relation() builds it
// by flipping the short flags of every test inside before negating, as Click does.
//
// Compilation: each rule's expression becomes instructions with "success" and "failure"
// targets; rule i succeeds to its result and fails to rule i+1's first instruction, the
// last rule fails to kNoMatch. Then an optimizer removes tests whose outcome is already
// known on every path that reaches them (a dataflow pass over the facts that each branch
// establishes: "tcp and port 80 or tcp and port 443" tests the protocol once), merges
// consecutive tests of the same word that must both hold, and drops unreachable
// instructions. The optimizer never changes a result: tests compare it with the plain
// compilation on random packets.

#include <cstdint>
#include <string>
#include <vector>

namespace uplane::elements::classify {

// Where a test's offset counts from.
enum class Base : std::uint8_t {
  kData = 0,    // the start of the packet data (Classifier; the link header for the IP elements)
  kNet = 1,     // the IP header (the network header annotation)
  kTransp = 2,  // the transport header (IP header + IHL * 4)
};
inline constexpr int kBaseCount = 3;

// The bytes a base refers to in one packet: `length` readable bytes from `data`.
// A base that does not exist for the packet has length 0.
struct Window {
  const std::uint8_t* data = nullptr;
  std::uint32_t length = 0;
};

// The result of a packet that no rule matched.
inline constexpr std::int32_t kNoMatch = 0x7fffffff;
// The largest offset a test may have (the word at offset must start inside a 64 KiB frame).
inline constexpr std::uint32_t kMaxTestOffset = 0xfffc;

// Boolean expressions over word tests, built bottom-up; an Id names a node. Each Id may be
// passed to one combinator only, so no node has two parents and negate_relation() may
// rewrite a subtree in place.
class ExprBuilder {
 public:
  using Id = std::int32_t;

  // The constant true or false.
  Id constant(bool value);
  // (word at `offset` from `base`) & mask == value & mask; false when the masked bytes are
  // missing. A zero mask is the constant true. `offset` must be <= kMaxTestOffset.
  Id test(Base base, std::uint32_t offset, std::uint32_t mask, std::uint32_t value);
  // Logical negation: true when e is false, including because e's bytes are missing.
  Id negate(Id e);
  // The negated relation (Click's "!=", "<=" ...): the negation of e, except that tests
  // inside e whose bytes are missing keep counting as false.
  Id negate_relation(Id e);
  // Every one of `es` (true when empty); the first false stops.
  Id all(std::vector<Id> es);
  // Any of `es` (false when empty); the first true stops.
  Id any(std::vector<Id> es);
  // c ? t : e.
  Id choose(Id c, Id t, Id e);

  bool is_constant(Id e, bool value) const;
  std::size_t size() const noexcept { return nodes_.size(); }

  // Evaluates e on a packet directly, without compiling (the reference the tests compare
  // compiled programs against).
  bool evaluate(Id e, const Window* windows) const;

 private:
  friend class ProgramCompiler;
  enum class Kind : std::uint8_t { kConst, kTest, kNot, kAnd, kOr, kIf };
  struct Node {
    Kind kind = Kind::kConst;
    bool value = false;      // kConst
    bool short_yes = false;  // kTest: the outcome when the bytes are missing
    Base base = Base::kData;
    std::uint16_t offset = 0;
    std::uint32_t mask = 0;
    std::uint32_t test_value = 0;
    std::vector<Id> kids;  // kNot: 1; kAnd, kOr: 2 or more; kIf: condition, then, else
  };
  Id add(Node n);
  void flip_short(Id e);

  std::vector<Node> nodes_;
};

// One compiled instruction. A jump >= 0 is the index of the next instruction (always larger
// than this one's); a jump < 0 is the result -1 - jump.
struct Insn {
  Base base = Base::kData;
  bool short_yes = false;  // the branch taken when the masked bytes are not all there
  std::uint8_t need = 4;   // bytes from offset that must be present: 1..4
  std::uint16_t offset = 0;
  std::uint32_t mask = 0;
  std::uint32_t value = 0;  // always a subset of mask
  std::int32_t yes = 0;
  std::int32_t no = 0;
};

constexpr std::int32_t result_jump(std::int32_t result) noexcept { return -1 - result; }
constexpr bool is_result_jump(std::int32_t jump) noexcept { return jump < 0; }
constexpr std::int32_t jump_result(std::int32_t jump) noexcept { return -1 - jump; }

class Program {
 public:
  // The result for a packet whose bases are `windows` (kBaseCount of them): the result of
  // the first rule that matched, or kNoMatch. Reads only inside the windows.
  std::int32_t match(const Window* windows) const noexcept {
    if (insns_.empty()) return always_;
    std::uint32_t pc = 0;
    for (;;) {
      const Insn& in = insns_[pc];
      const Window& w = windows[static_cast<int>(in.base)];
      bool r;
      if (std::uint32_t{in.offset} + in.need <= w.length) [[likely]] {
        r = (load(w, in.offset, in.need) & in.mask) == in.value;
      } else {
        r = in.short_yes;
      }
      const std::int32_t j = r ? in.yes : in.no;
      if (is_result_jump(j)) return jump_result(j);
      pc = static_cast<std::uint32_t>(j);
    }
  }

  const std::vector<Insn>& insns() const noexcept { return insns_; }
  // The result of every packet when the program has no instructions.
  std::int32_t always() const noexcept { return always_; }
  // Whether some packet can end with `result` (as far as the program's shape tells).
  bool reaches(std::int32_t result) const;
  // The window length beyond which no instruction reads, per base.
  std::uint32_t safe_length(Base b) const;

  // A listing after Click's "program" handler:
  //    0  12/08060000%ffff0000  yes->step 1  no->step 3
  // one line per instruction, offsets prefixed by the base ("ip", "transp", "ether") unless
  // `data_only`; results print as [N], kNoMatch as [X]; then "safe length" and, as in Click,
  // "alignment offset 0".
  std::string unparse(bool data_only) const;

 private:
  friend class ProgramCompiler;
  static std::uint32_t load(const Window& w, std::uint32_t offset, std::uint32_t need) noexcept {
    const std::uint8_t* p = w.data + offset;
    if (offset + 4 <= w.length) {
      return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
             std::uint32_t{p[3]};
    }
    std::uint32_t word = 0;
    for (std::uint32_t i = 0; i < need; ++i) word |= std::uint32_t{p[i]} << (24 - 8 * i);
    return word;
  }

  std::vector<Insn> insns_;
  std::int32_t always_ = kNoMatch;
};

// A rule: when `expr` holds, the packet's result is `result` (>= 0: an output port; or
// kNoMatch for an explicit drop).
struct Rule {
  ExprBuilder::Id expr;
  std::int32_t result;
};

// Compiles `rules`, first match wins, unmatched packets give kNoMatch. `optimize` false
// gives the plain compilation (for tests).
Program compile_rules(const ExprBuilder& exprs, const std::vector<Rule>& rules,
                      bool optimize = true);

}  // namespace uplane::elements::classify
