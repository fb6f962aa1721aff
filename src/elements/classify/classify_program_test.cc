// The decision-program core: expressions, short-packet semantics, compilation, and the
// optimizer checked against the plain compilation and direct evaluation on random input.

#include "elements/classify/classify_program.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace uplane::elements::classify {
namespace {

Window data_window(const std::vector<std::uint8_t>& b) {
  return Window{b.data(), static_cast<std::uint32_t>(b.size())};
}

std::int32_t run(const Program& p, const std::vector<std::uint8_t>& b) {
  Window w[kBaseCount] = {data_window(b), {}, {}};
  return p.match(w);
}

TEST(ClassifyProgram, EmptyRuleListMatchesNothing) {
  ExprBuilder b;
  const Program p = compile_rules(b, {});
  EXPECT_TRUE(p.insns().empty());
  EXPECT_EQ(run(p, {1, 2, 3}), kNoMatch);
  EXPECT_EQ(p.unparse(true), "all->[X]\nsafe length 0\nalignment offset 0\n");
}

TEST(ClassifyProgram, ConstantRuleNeedsNoInstructions) {
  ExprBuilder b;
  const Program p = compile_rules(b, {{b.constant(false), 0}, {b.constant(true), 1}});
  EXPECT_TRUE(p.insns().empty());
  EXPECT_EQ(p.always(), 1);
  EXPECT_EQ(run(p, {}), 1);
  EXPECT_FALSE(p.reaches(0));
  EXPECT_TRUE(p.reaches(1));
}

TEST(ClassifyProgram, WordTestIsBigEndianAndMasked) {
  ExprBuilder b;
  // Bytes 4..5 == 0x0800.
  const Program p = compile_rules(b, {{b.test(Base::kData, 4, 0xffff0000, 0x08000000), 3}});
  EXPECT_EQ(run(p, {0, 0, 0, 0, 0x08, 0x00, 0xaa, 0xbb}), 3);
  EXPECT_EQ(run(p, {0, 0, 0, 0, 0x08, 0x01, 0xaa, 0xbb}), kNoMatch);
  // Only the masked bytes must be present: 6 bytes are enough.
  EXPECT_EQ(run(p, {0, 0, 0, 0, 0x08, 0x00}), 3);
  // One byte short: no match, and nothing read past the end (ASan would see it).
  EXPECT_EQ(run(p, {0, 0, 0, 0, 0x08}), kNoMatch);
  EXPECT_EQ(run(p, {}), kNoMatch);
}

TEST(ClassifyProgram, ShortPacketsAndTheTwoNegations) {
  // test: byte 2 == 0x11; packets of 2 bytes are too short for it.
  const std::vector<std::uint8_t> shortp{0, 0};
  const std::vector<std::uint8_t> yes{0, 0, 0x11};
  const std::vector<std::uint8_t> no{0, 0, 0x22};
  {
    ExprBuilder b;
    const Program p = compile_rules(b, {{b.test(Base::kData, 0, 0x0000ff00, 0x1100), 0}});
    EXPECT_EQ(run(p, yes), 0);
    EXPECT_EQ(run(p, no), kNoMatch);
    EXPECT_EQ(run(p, shortp), kNoMatch);
  }
  {  // logical not: true when the bytes are missing
    ExprBuilder b;
    const Program p = compile_rules(b, {{b.negate(b.test(Base::kData, 0, 0x0000ff00, 0x1100)), 0}});
    EXPECT_EQ(run(p, yes), kNoMatch);
    EXPECT_EQ(run(p, no), 0);
    EXPECT_EQ(run(p, shortp), 0);
  }
  {  // negated relation: still false when the bytes are missing
    ExprBuilder b;
    const Program p =
        compile_rules(b, {{b.negate_relation(b.test(Base::kData, 0, 0x0000ff00, 0x1100)), 0}});
    EXPECT_EQ(run(p, yes), kNoMatch);
    EXPECT_EQ(run(p, no), 0);
    EXPECT_EQ(run(p, shortp), kNoMatch);
    EXPECT_NE(p.unparse(true).find("short->yes"), std::string::npos);
  }
  {  // not of a negated relation: true on short packets again
    ExprBuilder b;
    const Program p = compile_rules(
        b, {{b.negate(b.negate_relation(b.test(Base::kData, 0, 0x0000ff00, 0x1100))), 0}});
    EXPECT_EQ(run(p, yes), 0);
    EXPECT_EQ(run(p, shortp), 0);
  }
}

TEST(ClassifyProgram, FirstMatchingRuleWins) {
  ExprBuilder b;
  const auto t0 = b.test(Base::kData, 0, 0xff000000, 0x01000000);
  const auto t1 = b.test(Base::kData, 0, 0x00ff0000, 0x00020000);
  const Program p = compile_rules(b, {{t0, 5}, {t1, 6}, {b.constant(true), 7}});
  EXPECT_EQ(run(p, {1, 2}), 5);
  EXPECT_EQ(run(p, {9, 2}), 6);
  EXPECT_EQ(run(p, {9, 9}), 7);
  EXPECT_EQ(run(p, {}), 7);
}

TEST(ClassifyProgram, ChooseIsIfThenElse) {
  ExprBuilder b;
  const auto c = b.test(Base::kData, 0, 0xff000000, 0x01000000);
  const auto t = b.test(Base::kData, 0, 0x00ff0000, 0x00020000);
  const auto e = b.test(Base::kData, 0, 0x0000ff00, 0x00000300);
  const Program p = compile_rules(b, {{b.choose(c, t, e), 0}});
  EXPECT_EQ(run(p, {1, 2, 0}), 0);
  EXPECT_EQ(run(p, {1, 9, 3}), kNoMatch);
  EXPECT_EQ(run(p, {0, 2, 9}), kNoMatch);
  EXPECT_EQ(run(p, {0, 9, 3}), 0);
}

TEST(ClassifyProgram, OptimizerRemovesRepeatedTests) {
  // (A and B) or (A and C) or (A and D): A tested once on every path.
  ExprBuilder b;
  auto a = [&] { return b.test(Base::kData, 8, 0x00ff0000, 0x00060000); };
  auto port = [&](std::uint32_t v) { return b.test(Base::kData, 20, 0x0000ffff, v); };
  const Program p = compile_rules(
      b, {{b.all({a(), port(80)}), 0}, {b.all({a(), port(443)}), 0}, {b.all({a(), port(22)}), 1}});
  int offset8 = 0;
  for (const Insn& in : p.insns()) offset8 += in.offset == 8;
  EXPECT_EQ(offset8, 1) << p.unparse(true);
  EXPECT_EQ(p.insns().size(), 4u) << p.unparse(true);
}

TEST(ClassifyProgram, OptimizerMergesTestsOfOneWord) {
  ExprBuilder b;
  const Program p = compile_rules(b, {{b.all({b.test(Base::kData, 12, 0xffff0000, 0x08000000),
                                              b.test(Base::kData, 12, 0x0000ff00, 0x00004500)}),
                                       0}});
  ASSERT_EQ(p.insns().size(), 1u) << p.unparse(true);
  EXPECT_EQ(p.insns()[0].mask, 0xffffff00u);
  EXPECT_EQ(p.insns()[0].value, 0x08004500u);
  EXPECT_EQ(p.insns()[0].need, 3);
}

TEST(ClassifyProgram, ContradictionLeavesNoPath) {
  ExprBuilder b;
  const Program p = compile_rules(b, {{b.all({b.test(Base::kData, 12, 0xffff0000, 0x08000000),
                                              b.test(Base::kData, 12, 0xffff0000, 0x08060000)}),
                                       0},
                                      {b.constant(true), 1}});
  EXPECT_FALSE(p.reaches(0)) << p.unparse(true);
  EXPECT_TRUE(p.reaches(1));
}

TEST(ClassifyProgram, UnparseNamesBases) {
  ExprBuilder b;
  const Program p = compile_rules(b, {{b.test(Base::kNet, 8, 0x00ff0000, 0x00060000), 0},
                                      {b.test(Base::kTransp, 0, 0x0000ffff, 80), 1}});
  EXPECT_EQ(p.unparse(false),
            " 0      ip+8/00060000%00ff0000  yes->[0]  no->step 1\n"
            " 1  transp+0/00000050%0000ffff  yes->[1]  no->[X]\n"
            "safe length ip 10 transp 4\n");
}

// --- random differential testing of the optimizer ---

struct RandomExpr {
  std::mt19937 rng;
  ExprBuilder b;

  explicit RandomExpr(unsigned seed) : rng(seed) {}
  std::uint32_t pick(std::uint32_t n) {
    return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng);
  }

  ExprBuilder::Id test() {
    // A few offsets and byte masks, so that tests overlap and repeat often.
    static constexpr std::uint32_t kMasks[] = {0xff000000, 0x00ff0000, 0x0000ff00, 0x000000ff,
                                               0xffff0000, 0x0000ffff, 0xffffffff, 0x00000001,
                                               0x80000000, 0x0f000000};
    const std::uint32_t mask = kMasks[pick(std::size(kMasks))];
    const std::uint32_t value = (pick(4) == 0 ? 0 : (pick(3) * 0x01010101u)) & mask;
    const Base base = static_cast<Base>(pick(2));
    return b.test(base, 4 * pick(3), mask, value);
  }
  ExprBuilder::Id expr(int depth) {
    if (depth == 0) return test();
    switch (pick(8)) {
      case 0:
        return b.negate(expr(depth - 1));
      case 1:
        return b.negate_relation(expr(depth - 1));
      case 2:
        return b.all({expr(depth - 1), expr(depth - 1), expr(depth - 1)});
      case 3:
        return b.any({expr(depth - 1), expr(depth - 1)});
      case 4:
        return b.choose(expr(depth - 1), expr(depth - 1), expr(depth - 1));
      case 5:
        return b.constant(pick(2) == 0);
      default:
        return b.all({expr(depth - 1), expr(depth - 1)});
    }
  }
};

TEST(ClassifyProgram, OptimizedEqualsPlainEqualsEvaluation) {
  std::mt19937 prng(7);
  for (unsigned seed = 0; seed < 300; ++seed) {
    RandomExpr r(seed);
    std::vector<Rule> rules;
    const int nrules = 1 + static_cast<int>(r.pick(5));
    for (int i = 0; i < nrules; ++i)
      rules.push_back(Rule{r.expr(1 + static_cast<int>(r.pick(3))),
                           r.pick(4) == 0 ? kNoMatch : static_cast<std::int32_t>(i)});
    const Program opt = compile_rules(r.b, rules, true);
    const Program plain = compile_rules(r.b, rules, false);
    EXPECT_LE(opt.insns().size(), plain.insns().size());
    for (int k = 0; k < 200; ++k) {
      // Lengths around the tested words, bytes from a small alphabet so tests hit.
      std::vector<std::uint8_t> d(std::uniform_int_distribution<int>(0, 13)(prng));
      std::vector<std::uint8_t> n(std::uniform_int_distribution<int>(0, 13)(prng));
      for (auto& x : d)
        x = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 2)(prng));
      for (auto& x : n)
        x = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 2)(prng));
      const Window w[kBaseCount] = {data_window(d), data_window(n), {}};
      std::int32_t expect = kNoMatch;
      for (const Rule& rule : rules) {
        if (r.b.evaluate(rule.expr, w)) {
          expect = rule.result;
          break;
        }
      }
      ASSERT_EQ(plain.match(w), expect) << "seed " << seed << "\n" << plain.unparse(false);
      ASSERT_EQ(opt.match(w), expect) << "seed " << seed << "\n"
                                      << opt.unparse(false) << "plain:\n"
                                      << plain.unparse(false);
    }
    // Every jump goes forward.
    for (std::size_t i = 0; i < opt.insns().size(); ++i) {
      for (std::int32_t j : {opt.insns()[i].yes, opt.insns()[i].no}) {
        if (!is_result_jump(j)) {
          EXPECT_GT(j, static_cast<std::int32_t>(i));
        }
      }
    }
  }
}

}  // namespace
}  // namespace uplane::elements::classify
