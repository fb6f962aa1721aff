#include "graph/config.h"

// Tests of the Click configuration language: each construct with the exact flat graph it
// gives, each error with its exact "file:line:col: message", real configurations, and
// hostile inputs. Expected graphs are written as text ("a [1] -> [0] b") so a failure shows
// the whole difference. Where a case comes from Click's own test suite
// (test/tools/lexer-0N.testie in kohler/click), the test says so.

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace uplane::graph {
namespace {

using V = std::vector<std::string>;

V sorted(V v) {
  std::sort(v.begin(), v.end());
  return v;
}
bool contains(const V& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
bool starts_with(std::string_view s, std::string_view prefix) { return s.starts_with(prefix); }

FlatConfig ok(std::string_view text) {
  auto r = parse_config(text, "t.click");
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? std::move(r).value() : FlatConfig{};
}

std::string error(std::string_view text) {
  auto r = parse_config(text, "t.click");
  EXPECT_FALSE(r.is_ok()) << "parsed: " << text;
  if (r.is_ok()) return "";
  EXPECT_EQ(r.status().code(), Errc::kInvalidArgument) << r.status().to_string();
  return r.status().message();
}

// "name :: Class(config)"
std::vector<std::string> elements(const FlatConfig& c) {
  std::vector<std::string> v;
  for (const auto& e : c.elements)
    v.push_back(e.name + " :: " + e.class_name + "(" + e.config + ")");
  return v;
}

// "a [0] -> [1] b"
std::vector<std::string> connections(const FlatConfig& c) {
  std::vector<std::string> v;
  for (const auto& k : c.connections) {
    v.push_back(c.elements[k.from].name + " [" + std::to_string(k.from_port) + "] -> [" +
                std::to_string(k.to_port) + "] " + c.elements[k.to].name);
  }
  return v;
}

// --- Landmark -------------------------------------------------------------------------

TEST(Landmark, Str) {
  EXPECT_EQ((Landmark{"f.click", 3, 7}.str()), "f.click:3:7");
  EXPECT_EQ((Landmark{"f.click", 3, 0}.str()), "f.click:3");
  EXPECT_EQ((Landmark{"f.click", 0, 0}.str()), "f.click");
}

TEST(Config, EmptyInputs) {
  for (std::string_view text : {"", " \n\t", ";;;", "// only a comment", "/* */"}) {
    FlatConfig c = ok(text);
    EXPECT_TRUE(c.elements.empty()) << text;
    EXPECT_TRUE(c.connections.empty()) << text;
    EXPECT_EQ(c.source_file, "t.click");
  }
}

TEST(Config, UnnamedSourceIsConfig) {
  auto r = parse_config("a :: X; a :: Y;", "");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(),
            "config:1:9: redeclaration of element 'a' (previously declared "
            "at config:1:1)");
}

// --- Declarations ---------------------------------------------------------------------

TEST(Declarations, WithAndWithoutConfig) {
  FlatConfig c = ok("src :: InfiniteSource(LIMIT 5);\nc :: Counter;\nd :: Discard()");
  EXPECT_EQ(elements(c), (V{"src :: InfiniteSource(LIMIT 5)", "c :: Counter()", "d :: Discard()"}));
  EXPECT_EQ(c.elements[0].where.str(), "t.click:1:1");
  EXPECT_EQ(c.elements[1].where.str(), "t.click:2:1");
  EXPECT_EQ(c.elements[2].where.str(), "t.click:3:1");
  EXPECT_TRUE(c.connections.empty());
}

TEST(Declarations, SeveralNamesShareClassAndConfig) {
  FlatConfig c = ok("a, b,\n  c :: Queue(10);");
  EXPECT_EQ(elements(c), (V{"a :: Queue(10)", "b :: Queue(10)", "c :: Queue(10)"}));
  EXPECT_EQ(c.elements[1].where.str(), "t.click:1:4");
  EXPECT_EQ(c.elements[2].where.str(), "t.click:2:3");
}

TEST(Declarations, InsideChains) {
  FlatConfig c = ok("src :: Idle;\nsrc -> c :: Counter -> Discard;\nc2 :: Counter(x) -> c;");
  EXPECT_EQ(elements(c),
            (V{"src :: Idle()", "c :: Counter()", "Discard@3 :: Discard()", "c2 :: Counter(x)"}));
  EXPECT_EQ(connections(c), (V{"src [0] -> [0] c", "c [0] -> [0] Discard@3", "c2 [0] -> [0] c"}));
  EXPECT_EQ(c.connections[0].where.str(), "t.click:2:5");
  EXPECT_EQ(c.connections[1].where.str(), "t.click:2:21");
}

TEST(Declarations, IdentifierCharacters) {
  FlatConfig c = ok("a/b/c_1@x :: X; 2fast :: Y; @z :: Z; a/b//comment\n:: W;");
  EXPECT_EQ(elements(c), (V{"a/b/c_1@x :: X()", "2fast :: Y()", "@z :: Z()", "a/b :: W()"}));
}

TEST(Declarations, Redeclaration) {
  EXPECT_EQ(error("a :: Counter;\n\n  a :: Queue;"),
            "t.click:3:3: redeclaration of element 'a' (previously declared at t.click:1:1)");
  EXPECT_EQ(error("a :: Counter; b -> a :: Queue;"),
            "t.click:1:20: redeclaration of element 'a' (previously declared at t.click:1:1)");
  EXPECT_EQ(error("elementclass F { input :: X }"),
            "t.click:1:18: redeclaration of pseudo-element 'input'");
}

TEST(Declarations, BadNames) {
  EXPECT_EQ(error("1 :: Counter;"), "t.click:1:1: element name '1' has all-digit component");
  EXPECT_EQ(error("a/22 :: Counter;"), "t.click:1:1: element name 'a/22' has all-digit component");
  EXPECT_EQ(error("x :: ;"), "t.click:1:6: expected element class after '::', found ';'");
  EXPECT_EQ(error("elementclass Foo { input -> output }\nFoo :: Bar;"),
            "t.click:2:1: class 'Foo' used as element name");
}

// --- Anonymous elements and Click's names for them ------------------------------------

TEST(Anonymous, NamedByPositionInScope) {
  FlatConfig c = ok("FromDevice(eth0) -> Counter -> Discard;");
  EXPECT_EQ(elements(c), (V{"FromDevice@1 :: FromDevice(eth0)", "Counter@2 :: Counter()",
                            "Discard@3 :: Discard()"}));
  EXPECT_EQ(connections(c),
            (V{"FromDevice@1 [0] -> [0] Counter@2", "Counter@2 [0] -> [0] Discard@3"}));
  EXPECT_EQ(c.elements[1].where.str(), "t.click:1:21");
}

TEST(Anonymous, NumbersCountNamedElements) {
  FlatConfig c = ok("c :: Counter; Idle -> c -> Discard;");
  EXPECT_EQ(elements(c), (V{"c :: Counter()", "Idle@2 :: Idle()", "Discard@3 :: Discard()"}));
}

TEST(Anonymous, TakenNameMovesToNextNumber) {
  // The anonymous Counter would be Counter@2, which is declared later in the file.
  FlatConfig c = ok("Idle -> Counter -> Discard; Counter@2 :: Idle;");
  EXPECT_EQ(elements(c), (V{"Idle@1 :: Idle()", "Counter@3 :: Counter()", "Discard@3 :: Discard()",
                            "Counter@2 :: Idle()"}));
}

TEST(Anonymous, UndeclaredNameIsAClass) {
  // Click reports "undeclared element" unless the name is a known class; which classes
  // exist is the Router's business, so an unknown name is taken as a class here.
  FlatConfig c = ok("src -> Discard;");
  EXPECT_EQ(elements(c), (V{"src@1 :: src()", "Discard@2 :: Discard()"}));
}

TEST(Anonymous, UseBeforeDeclarationIsAnError) {
  EXPECT_EQ(error("Idle -> b;\nb :: Counter;"),
            "t.click:1:9: undeclared element 'b' (it is declared later, at t.click:2:1; declare "
            "elements before using them)");
}

TEST(Anonymous, InputAndOutputOutsideCompounds) {
  EXPECT_EQ(error("input -> Discard;"),
            "t.click:1:1: undeclared element 'input' ('input' and 'output' exist only inside "
            "compound elements and groups)");
}

TEST(Anonymous, ConfigurationOnAReference) {
  EXPECT_EQ(error("a :: Counter;\nIdle -> a(5);"),
            "t.click:2:10: configuration string ignored on element reference 'a' (declared at "
            "t.click:1:1)");
}

// --- Connections ----------------------------------------------------------------------

TEST(Connections, PortsAndChains) {
  FlatConfig c = ok("a, b, c :: X;\na [1] -> [2] b [3] -> c;\na->b");
  EXPECT_EQ(connections(c), (V{"a [1] -> [2] b", "b [3] -> [0] c", "a [0] -> [0] b"}));
  EXPECT_EQ(c.connections[0].where.str(), "t.click:2:7");
  EXPECT_EQ(c.connections[1].where.str(), "t.click:2:20");
  EXPECT_EQ(c.connections[2].where.str(), "t.click:3:2");
}

TEST(Connections, SemicolonsAreOptional) {
  FlatConfig c = ok("a :: X b :: Y a -> b b -> a");
  EXPECT_EQ(connections(c), (V{"a [0] -> [0] b", "b [0] -> [0] a"}));
}

TEST(Connections, DuplicatesAreDropped) {
  FlatConfig c = ok("a, b :: X; a -> b; a -> [1] b; a -> b; a [0] -> [0] b;");
  EXPECT_EQ(connections(c), (V{"a [0] -> [0] b", "a [0] -> [1] b"}));
  EXPECT_EQ(c.connections[0].where.str(), "t.click:1:14");
}

TEST(Connections, CommasFanOutAndIn) {
  // Click's test/tools/lexer-04 A.
  FlatConfig c =
      ok("a, b, c :: Idle;\np, q :: PullNull;\na, a[1] -> b -> p, q;\np -> [0]c, [1]c; q -> [2]c;");
  EXPECT_EQ(connections(c),
            (V{"a [0] -> [0] b", "a [1] -> [0] b", "b [0] -> [0] p", "b [0] -> [0] q",
               "p [0] -> [0] c", "p [0] -> [1] c", "q [0] -> [2] c"}));
}

TEST(Connections, DoubleArrowSpreadsPorts) {
  // Click's test/tools/lexer-04 B.
  FlatConfig c = ok("a, b, c :: Idle;\na => b, c, [0,1] a;");
  EXPECT_EQ(connections(c),
            (V{"a [0] -> [0] b", "a [1] -> [0] c", "a [2] -> [0] a", "a [3] -> [1] a"}));
}

TEST(Connections, PortListsPairUp) {
  FlatConfig c = ok("a, b :: X;\na [0, 2] => [1, 0] b;\na [3] -> [0, 1] b;");
  EXPECT_EQ(connections(c),
            (V{"a [0] -> [1] b", "a [2] -> [0] b", "a [3] -> [0] b", "a [3] -> [1] b"}));
}

TEST(Connections, ExpandablePorts) {
  FlatConfig c = ok("a, b, c, d :: X;\na [1, ] => b, c, d;\nb, c => [] d;");
  EXPECT_EQ(connections(c), (V{"a [1] -> [0] b", "a [2] -> [0] c", "a [3] -> [0] d",
                               "b [0] -> [0] d", "c [0] -> [1] d"}));
}

TEST(Connections, PortErrors) {
  // Click's test/tools/lexer-04 C and C2.
  EXPECT_EQ(error("a, b :: Idle;\na [0,1] => [0,1,2] b;"),
            "t.click:2:9: connection mismatch: 2 outputs connected to 3 inputs");
  EXPECT_EQ(error("c, d :: Idle;\nc [] => [] d;"),
            "t.click:2:6: at most one expandable port allowed per connection");
  EXPECT_EQ(error("a, b :: Idle;\na [0,1,2] -> [0,1,2] b;"),
            "t.click:2:11: syntax error: many-to-many connections require '=>'");
  EXPECT_EQ(error("a, b, c :: X; a, b => [0, 1, 2, ] c;"),
            "t.click:1:20: connection mismatch: 2 outputs connected to 3 or more inputs");
}

TEST(Connections, PortNumbers) {
  FlatConfig c = ok("a, b :: X; a [65535] -> [ 007 ] b;");
  EXPECT_EQ(connections(c), (V{"a [65535] -> [7] b"}));
  EXPECT_EQ(error("a, b :: X; a [65536] -> b;"),
            "t.click:1:15: port number 65536 is too large (the largest is 65535)");
  EXPECT_EQ(error("a, b :: X; a [99999999999999999999999] -> b;"),
            "t.click:1:15: port number 99999999999999999999999 is too large (the largest is "
            "65535)");
  EXPECT_EQ(error("a, b :: X; a [65535, ] => b, b;"),
            "t.click:1:24: port number 65536 is too large (the largest is 65535)");
  EXPECT_EQ(error("a, b :: X; a [x] -> b;"),
            "t.click:1:15: port number should be an integer, found 'x'");
  EXPECT_EQ(error("a, b :: X; a [-1] -> b;"), "t.click:1:15: expected port number, found '-'");
  EXPECT_EQ(error("a, b :: X; a [1 2] -> b;"),
            "t.click:1:17: expected ',' or ']' in port list, found '2'");
  EXPECT_EQ(error("a, b :: X; a [1"),
            "t.click:1:16: expected ',' or ']' in port list, found end "
            "of file");
}

TEST(Connections, UselessPorts) {
  EXPECT_EQ(error("a, b :: X; [1] a -> b;"),
            "t.click:1:16: input port ignored at start of chain: nothing connects to it");
  EXPECT_EQ(error("a, b :: X; a -> b [2];"),
            "t.click:1:17: output port ignored at end of chain: it connects to nothing");
  EXPECT_EQ(error("a :: X; a -> [1] ;"),
            "t.click:1:14: port list not attached to an element: expected an element name or "
            "class, found ';'");
}

TEST(Connections, SyntaxErrors) {
  EXPECT_EQ(error("->Null;"), "t.click:1:1: syntax error near '->': expected an element");
  EXPECT_EQ(error("a :: X; a -> ;"), "t.click:1:14: syntax error near ';': expected an element");
  EXPECT_EQ(error("a, b :: X; a -> b %"),
            "t.click:1:19: syntax error near '%': expected '->', '=>' or ';'");
  EXPECT_EQ(error("a, b :: X;\na -> c :: Y :: Z;"),
            "t.click:2:13: syntax error near '::': expected '->', '=>' or ';'");
  EXPECT_EQ(error("}"), "t.click:1:1: syntax error near '}'");
  EXPECT_EQ(error(")"), "t.click:1:1: syntax error near ')'");
  EXPECT_EQ(error("::"), "t.click:1:1: syntax error near '::'");
  EXPECT_EQ(error("$x"), "t.click:1:1: syntax error near '$x'");
  EXPECT_EQ(error("provide(x)"), "t.click:1:1: syntax error near 'provide'");
}

TEST(Connections, StrayCommaBeforeArrow) {
  // Click drops a ',' that ends an element list.
  FlatConfig c = ok("a, b, c :: X; a, b, -> c;");
  EXPECT_EQ(connections(c), (V{"a [0] -> [0] c", "b [0] -> [0] c"}));
}

// --- Lexical details ------------------------------------------------------------------

TEST(Lexer, CommentsAnywhere) {
  FlatConfig c =
      ok("// header\na /* x */ :: /* y */ X // z\n; a [ /* p */ 1 /* q */ ] -> /* r */ b :: Y;");
  EXPECT_EQ(elements(c), (V{"a :: X()", "b :: Y()"}));
  EXPECT_EQ(connections(c), (V{"a [1] -> [0] b"}));
}

TEST(Lexer, ConfigurationStringsAreRaw) {
  FlatConfig c =
      ok("a :: X(a (b) c, \"q ) \\\" (\", ')', \\<29 28>);\n"
         "b :: Y(  spaced  out  );\n"
         "c :: Z(x, // comment )\n  y /* ) */ z);");
  EXPECT_EQ(c.elements[0].config, "a (b) c, \"q ) \\\" (\", ')', \\<29 28>");
  EXPECT_EQ(c.elements[1].config, "  spaced  out  ");
  // Each comment becomes one space; the rest is kept as written.
  EXPECT_EQ(c.elements[2].config, "x,  \n  y   z");
}

TEST(Lexer, CommentMarkersInsideQuotesAreText) {
  FlatConfig c = ok("a :: X(\"http://x/*y*/\", 'a//b');");
  EXPECT_EQ(c.elements[0].config, "\"http://x/*y*/\", 'a//b'");
}

TEST(Lexer, CommentsInsideHexBlocks) {
  FlatConfig c = ok("a :: X(DATA \\<00 01 // two bytes )\n 02 /* ) */>, LIMIT 1);");
  EXPECT_EQ(c.elements[0].config, "DATA \\<00 01  \n 02  >, LIMIT 1");
}

TEST(Lexer, UnterminatedThings) {
  EXPECT_EQ(error("a :: X; /* never closed\n\n"),
            "t.click:1:9: unterminated comment: expected '*/' to close '/*'");
  EXPECT_EQ(error("a :: X(1, (2)"),
            "t.click:1:7: unterminated configuration string: expected ')' to match this '('");
  EXPECT_EQ(error("a :: X(\"abc)"),
            "t.click:1:8: unterminated double-quoted string in configuration: expected '\"'");
  EXPECT_EQ(error("a :: X(it's)"),
            "t.click:1:10: unterminated single-quoted string in configuration: expected \"'\"");
  EXPECT_EQ(error("a :: X(\\<00 11)"),
            "t.click:1:8: unterminated '\\<' hex block in configuration string: expected '>'");
  EXPECT_EQ(error("a :: X(/* )"), "t.click:1:8: unterminated comment: expected '*/' to close '/*'");
  EXPECT_EQ(error("a :: X(\"\\<00 /*\")"),
            "t.click:1:14: unterminated comment: expected '*/' to close '/*'");
}

TEST(Lexer, HashIsNotAComment) {
  EXPECT_EQ(error("a :: X;\n# a comment?\n"),
            "t.click:2:1: unknown preprocessor directive ('#' is not a comment in Click; use '//' "
            "or '# LINE \"FILE\"')");
  EXPECT_EQ(error("a :: X; # no"), "t.click:1:9: syntax error near '#'");
}

TEST(Lexer, LineDirectives) {
  FlatConfig c = ok("a :: X;\n# 10 \"lib.click\"\nb :: Y;\n#line 20\nc :: Z;\n# 7 \"\"\nd :: W;");
  EXPECT_EQ(c.elements[0].where.str(), "t.click:1:1");
  EXPECT_EQ(c.elements[1].where.str(), "lib.click:10:1");
  EXPECT_EQ(c.elements[2].where.str(), "lib.click:20:1");
  EXPECT_EQ(c.elements[3].where.str(), "t.click:7:1");  // an empty name goes back
  EXPECT_EQ(error("a :: X;\n# 5 \"other.click\"\n\na :: Y;"),
            "other.click:6:1: redeclaration of element 'a' (previously declared at t.click:1:1)");
}

TEST(Lexer, LineDirectivesInsideConfigurationStrings) {
  FlatConfig c = ok("m :: Message(\n# 100 \"foobar.click\"\n\"test\");\nm2 :: Message(\"test2\");");
  EXPECT_EQ(c.elements[0].config, "\n\n\"test\"");
  EXPECT_EQ(c.elements[0].where.str(), "t.click:1:1");
  EXPECT_EQ(c.elements[1].where.str(), "foobar.click:101:1");  // Click's test/tools/lexer-08
}

TEST(Lexer, ShebangLine) {
  FlatConfig c = ok("#!/usr/bin/env uplane\na :: X;");
  EXPECT_EQ(c.elements[0].where.str(), "t.click:2:1");
}

TEST(Lexer, LineEndings) {
  FlatConfig c = ok("a :: X;\r\nb :: Y;\rc :: Z;\n\td :: W;");
  EXPECT_EQ(c.elements[1].where.str(), "t.click:2:1");
  EXPECT_EQ(c.elements[2].where.str(), "t.click:3:1");
  EXPECT_EQ(c.elements[3].where.str(), "t.click:4:2");
}

TEST(Lexer, BinaryBytes) {
  EXPECT_EQ(error(std::string_view("a :: B\0;", 8)),
            "t.click:1:7: syntax error near '\\x00': expected '->', '=>' or ';'");
  EXPECT_EQ(error(std::string_view("\0", 1)), "t.click:1:1: syntax error near '\\x00'");
  EXPECT_EQ(error("\xef\xbb\xbf"
                  "a :: X;"),
            "t.click:1:1: syntax error near '\\xef'");
  // Inside a configuration string any byte is text.
  FlatConfig c = ok(std::string_view("a :: X(\0\xff);", 11));
  EXPECT_EQ(c.elements[0].config, std::string("\0\xff", 2));
}

// --- Variables ------------------------------------------------------------------------

TEST(Variables, DefineAndSubstitute) {
  FlatConfig c =
      ok("define($dev eth0, $n 5, $s \"a b\");\n"
         "FromDevice($dev, BURST ${n}) -> Print(\"$s on $dev\", '$dev', \\$n, ${none-dflt}, $none)"
         " -> Discard;");
  EXPECT_EQ(c.elements[0].config, "eth0, BURST 5");
  // In "...": the value is escaped so it stays one string; in '...': nothing is expanded;
  // an undefined variable stays as written (Click's cp_expand).
  EXPECT_EQ(c.elements[1].config, "\"\\\"a b\\\" on eth0\", '$dev', \\5, dflt, $none");
}

TEST(Variables, DefinesApplyEverywhereAndAreNotExpandedAgain) {
  FlatConfig c = ok("X($a, $b); define($a 1, $b $a)");
  EXPECT_EQ(c.elements[0].config, "1, $a");
}

TEST(Variables, Errors) {
  EXPECT_EQ(error("define($a 1, $a 2)"), "t.click:1:1: parameter '$a' multiply defined");
  EXPECT_EQ(error("define($a 1)\ndefine($a 2)"), "t.click:2:1: parameter '$a' multiply defined");
  EXPECT_EQ(error("define(a 1)"),
            "t.click:1:1: bad 'define' declaration: expected '$name value', found 'a 1'");
  EXPECT_EQ(error("define($a-b 1)"),
            "t.click:1:1: bad 'define' declaration: expected '$name value', found '$a-b 1'");
  EXPECT_EQ(error("define $a 1"), "t.click:1:8: expected '(' after 'define', found '$a'");
}

TEST(Variables, EmptyAndDollarEdgeCases) {
  // "${" runs to the first '}' as in Click, so "${|${e}" names the variable "|${e".
  FlatConfig c = ok("define($e)\nX($e|$|$$|${e}|${|${e}|$(e)|${)");
  EXPECT_EQ(c.elements[0].config, "|$|$$||${|${e}|$(e)|${");
}

// --- require --------------------------------------------------------------------------

TEST(Require, PackagesAreRecordedUnquoted) {
  FlatConfig c =
      ok("require(package \"uplane-ip\", fastclassifier, package 'x y');\n"
         "require(compact_config)");
  EXPECT_EQ(c.requirements, (V{"uplane-ip", "fastclassifier", "x y"}));
}

TEST(Require, Errors) {
  EXPECT_EQ(error("\n  require(library other.click)"),
            "t.click:2:3: require(library ...) is not supported: a configuration cannot read "
            "other files");
  EXPECT_EQ(error("require(package a b)"),
            "t.click:1:1: syntax error at requirement 'package a b': expected 'NAME' or 'package "
            "NAME'");
  EXPECT_EQ(error("require x"), "t.click:1:9: expected '(' after 'require', found 'x'");
}

// --- Compound elements ----------------------------------------------------------------

TEST(Compound, ExpandsWithSlashNames) {
  FlatConfig c =
      ok("elementclass MyQueue {\n"
         "  input -> q :: Queue(10) -> Shaper(1000) -> output;\n"
         "}\n"
         "src :: Idle; mq :: MyQueue;\n"
         "src -> mq -> Discard;");
  EXPECT_EQ(elements(c), (V{"src :: Idle()", "Discard@3 :: Discard()", "mq/q :: Queue(10)",
                            "mq/Shaper@2 :: Shaper(1000)"}));
  EXPECT_EQ(connections(c), (V{"src [0] -> [0] mq/q", "mq/q [0] -> [0] mq/Shaper@2",
                               "mq/Shaper@2 [0] -> [0] Discard@3"}));
  // Connections are in the order of the connection leaving their source; a rewired one
  // keeps the landmark of that first hop. Inner elements keep their own landmarks.
  EXPECT_EQ(c.connections[0].where.str(), "t.click:5:5");
  EXPECT_EQ(c.connections[1].where.str(), "t.click:2:27");
  EXPECT_EQ(c.connections[2].where.str(), "t.click:2:43");
  EXPECT_EQ(c.elements[2].where.str(), "t.click:2:12");
}

TEST(Compound, AnonymousInstancesAndInlineCompounds) {
  FlatConfig c =
      ok("elementclass Foo { input -> Counter -> output }\n"
         "Idle -> Foo -> { input -> X -> output } -> Discard;");
  EXPECT_EQ(elements(c), (V{"Idle@1 :: Idle()", "Discard@4 :: Discard()",
                            "Foo@2/Counter@1 :: Counter()", "@3/X@1 :: X()"}));
  EXPECT_EQ(connections(c),
            (V{"Idle@1 [0] -> [0] Foo@2/Counter@1", "Foo@2/Counter@1 [0] -> [0] @3/X@1",
               "@3/X@1 [0] -> [0] Discard@4"}));
}

TEST(Compound, SeveralPorts) {
  // click(5)'s example: a -> X -> b; c -> Y -> d.
  FlatConfig c =
      ok("a, b, c, d :: Idle;\n"
         "compound :: { input -> X -> output; input [1] -> Y -> [1] output; };\n"
         "a -> compound -> b;\n"
         "c -> [1] compound [1] -> d;");
  EXPECT_EQ(connections(c), (V{"a [0] -> [0] compound/X@1", "c [0] -> [0] compound/Y@2",
                               "compound/X@1 [0] -> [0] b", "compound/Y@2 [0] -> [0] d"}));
}

TEST(Compound, PassThrough) {
  FlatConfig c =
      ok("elementclass Wire { input -> output }\n"
         "elementclass Cross { input [0] -> [1] output; input [1] -> [0] output }\n"
         "a, b :: X;\n"
         "a -> Wire -> Wire -> b;\n"
         "a [1] -> [1] x :: Cross -> [2] b; x [1] -> [3] b; a [2] -> x");
  EXPECT_EQ(elements(c), (V{"a :: X()", "b :: X()"}));
  EXPECT_EQ(connections(c), (V{"a [0] -> [0] b", "a [1] -> [2] b", "a [2] -> [3] b"}));
}

TEST(Compound, FanOutThroughPorts) {
  FlatConfig c =
      ok("elementclass T { input -> a :: A; input -> b :: B; a, b -> output }\n"
         "s, d :: X; s -> t :: T -> d; s [1] -> t;");
  EXPECT_EQ(connections(c), (V{"s [0] -> [0] t/a", "s [0] -> [0] t/b", "s [1] -> [0] t/a",
                               "s [1] -> [0] t/b", "t/a [0] -> [0] d", "t/b [0] -> [0] d"}));
}

TEST(Compound, Nested) {
  FlatConfig c =
      ok("elementclass Inner { input -> c :: Counter -> output }\n"
         "elementclass Outer { input -> i :: Inner -> q :: Queue -> output }\n"
         "Idle -> o :: Outer -> Discard;");
  EXPECT_EQ(elements(c), (V{"Idle@1 :: Idle()", "Discard@3 :: Discard()", "o/q :: Queue()",
                            "o/i/c :: Counter()"}));
  EXPECT_EQ(connections(c),
            (V{"Idle@1 [0] -> [0] o/i/c", "o/q [0] -> [0] Discard@3", "o/i/c [0] -> [0] o/q"}));
}

TEST(Compound, ClassesAreScoped) {
  FlatConfig c =
      ok("elementclass Outer {\n"
         "  elementclass Helper { input -> Counter -> output }\n"
         "  input -> Helper -> output\n"
         "}\n"
         "Idle -> Outer -> Helper -> Discard;");
  // Outside Outer, Helper is not a compound: it is left for the Router as a class name.
  EXPECT_EQ(elements(c), (V{"Idle@1 :: Idle()", "Helper@3 :: Helper()", "Discard@4 :: Discard()",
                            "Outer@2/Helper@1/Counter@1 :: Counter()"}));
}

TEST(Compound, ClassesAreNotRecursive) {
  // click(5): inside its own elementclass, a name means what it meant before.
  FlatConfig c =
      ok("elementclass Queue { input -> Queue(5) -> Shaper(1000) -> output }\n"
         "Idle -> Queue -> Discard;\n"
         "elementclass A { input -> B -> output }\n"
         "elementclass B { input -> C -> output }\n"
         "Idle -> A -> Discard;");
  EXPECT_EQ(elements(c), (V{"Idle@1 :: Idle()", "Discard@3 :: Discard()", "Idle@4 :: Idle()",
                            "Discard@6 :: Discard()", "Queue@2/Queue@1 :: Queue(5)",
                            "Queue@2/Shaper@2 :: Shaper(1000)", "A@5/B@1 :: B()"}));
}

TEST(Compound, Synonyms) {
  FlatConfig c =
      ok("elementclass Q Queue;\n"
         "elementclass W { input -> Counter -> output }\n"
         "elementclass V W;\n"
         "Idle -> q :: Q(5) -> v :: V -> Discard;");
  EXPECT_EQ(elements(c), (V{"Idle@1 :: Idle()", "q :: Queue(5)", "Discard@4 :: Discard()",
                            "v/Counter@1 :: Counter()"}));
}

TEST(Compound, Formals) {
  FlatConfig c =
      ok("elementclass Dev { $name, BURST $b |\n"
         "  from :: FromDevice($name, BURST $b) -> output;\n"
         "  input -> to :: ToDevice($name);\n"
         "}\n"
         "d :: Dev(eth0, BURST 8);\n"
         "d -> d;");
  EXPECT_EQ(elements(c), (V{"d/from :: FromDevice(eth0, BURST 8)", "d/to :: ToDevice(eth0)"}));
  EXPECT_EQ(connections(c), (V{"d/from [0] -> [0] d/to"}));
}

TEST(Compound, KeywordsInAnyOrderAndRest) {
  FlatConfig c =
      ok("elementclass F { $a, X $x, Y $y, __REST__ $r | input -> E($a; $x; $y; $r) -> output }\n"
         "Idle -> F(1, Y 3, X 2) -> F(1, X 2, Y 3, more, Z 4) -> Discard;");
  EXPECT_EQ(c.elements[2].config, "1; 2; 3; ");
  EXPECT_EQ(c.elements[3].config, "1; 2; 3; more, Z 4");
}

TEST(Compound, FormalsShadowDefines) {
  FlatConfig c =
      ok("define($a top, $b top)\n"
         "elementclass F { $a | define($c $a-$b); input -> E($a, $b, $c) -> output }\n"
         "Idle -> F(arg) -> Discard;");
  EXPECT_EQ(c.elements[2].config, "arg, top, arg-top");
}

TEST(Compound, FormalsAreLexicallyScoped) {
  // Click's test/tools/lexer-02 A and B.
  FlatConfig a =
      ok("elementclass Foo {\n$a |\n   DriverManager($a);\n}\n"
         "elementclass Far {\n$a, $b |\n   Foo($b);\n}\n"
         "Far(wait_stop stop, stop);");
  EXPECT_EQ(elements(a), (V{"Far@1/Foo@1/DriverManager@1 :: DriverManager(stop)"}));
  FlatConfig b =
      ok("elementclass Foo {\n$a |\n"
         "   elementclass Bar {\n   $b |\n      DriverManager($a);\n   }\n"
         "   elementclass Baz {\n   $a |\n      Idle; Bar($a);\n   }\n"
         "   Baz(other);\n}\n"
         "Foo(stop);");
  EXPECT_EQ(elements(b), (V{"Foo@1/Baz@1/Idle@1 :: Idle()",
                            "Foo@1/Baz@1/Bar@2/DriverManager@1 :: DriverManager(stop)"}));
}

TEST(Compound, ArgumentsAreExpandedInTheCaller) {
  FlatConfig c =
      ok("define($q 64)\n"
         "elementclass Q { $n | input -> Queue($n) -> output }\n"
         "Idle -> Q($q) -> Q(\"$q\") -> Discard;");
  EXPECT_EQ(c.elements[2].config, "64");
  EXPECT_EQ(c.elements[3].config, "\"64\"");
}

TEST(Compound, ArgumentErrors) {
  const char* cls = "elementclass F { $a, $b | input -> E($a, $b) -> output }\n";
  EXPECT_EQ(error(std::string(cls) + "Idle -> f :: F(1, 2, 3) -> Discard;"),
            "t.click:2:9: 'f' :: F: too many arguments (3 given, 2 expected); the class takes "
            "F($a, $b) (declared at t.click:1:16)");
  EXPECT_EQ(error(std::string(cls) + "Idle -> F(1) -> Discard;"),
            "t.click:2:9: 'F@2' :: F: too few arguments (1 given, 2 expected); the class takes "
            "F($a, $b) (declared at t.click:1:16)");
  const char* kw = "elementclass G { $a, KEY $k | input -> E($a, $k) -> output }\n";
  EXPECT_EQ(error(std::string(kw) + "Idle -> G(1, BOGUS 2) -> Discard;"),
            "t.click:2:9: 'G@2' :: G: missing mandatory keyword(s) KEY; the class takes G($a, KEY "
            "$k) (declared at t.click:1:16)");
  EXPECT_EQ(error(std::string(kw) + "Idle -> G(1, KEY 2, BOGUS 3) -> Discard;"),
            "t.click:2:9: 'G@2' :: G: bad keyword(s) BOGUS (valid keywords are KEY); the class "
            "takes G($a, KEY $k) (declared at t.click:1:16)");
  EXPECT_EQ(error(std::string(kw) + "Idle -> G(KEY 2) -> Discard;"),
            "t.click:2:9: 'G@2' :: G: missing mandatory keyword(s) KEY; the class takes G($a, KEY "
            "$k) (declared at t.click:1:16)");
  EXPECT_EQ(error(std::string(kw) + "Idle -> G(1, 2, KEY 2) -> Discard;"),
            "t.click:2:9: 'G@2' :: G: too many positional arguments (2 given, 1 expected); the "
            "class takes G($a, KEY $k) (declared at t.click:1:16)");
}

TEST(Compound, FormalErrors) {
  EXPECT_EQ(error("elementclass F { $a, $a | }"), "t.click:1:22: parameter '$a' multiply defined");
  EXPECT_EQ(error("elementclass F { $a | define($a 1) }"),
            "t.click:1:23: parameter '$a' multiply defined");
  EXPECT_EQ(error("elementclass F { K $a, K $b | }"),
            "t.click:1:24: repeated keyword parameter 'K' in compound element");
  EXPECT_EQ(error("elementclass F { K $a, $b | }"),
            "t.click:1:24: compound element parameters out of order: the correct order is "
            "'[positional], [keywords], [__REST__]'");
  EXPECT_EQ(error("elementclass F { $a $b | }"),
            "t.click:1:21: expected ',' or '|' after compound element parameter, found '$b'");
  EXPECT_EQ(error("elementclass F { $a, input -> output }"),
            "t.click:1:28: expected variable after 'input', found '->'");
}

TEST(Compound, UnconnectedPorts) {
  const char* cls = "elementclass F { input -> c :: Counter -> output }\n";
  EXPECT_EQ(error(std::string(cls) + "f :: F; f -> Discard;"),
            "t.click:2:1: 'f' input 0 unused: it is used inside, but nothing outside connects to "
            "it");
  EXPECT_EQ(error(std::string(cls) + "Idle -> f :: F;"),
            "t.click:2:9: 'f' output 0 unused: it is used inside, but nothing outside connects "
            "from it");
  EXPECT_EQ(error(std::string(cls) + "Idle -> f :: F -> Discard; Idle -> [1] f;"),
            "t.click:2:9: 'f' has no input 1: nothing inside uses input 1");
  EXPECT_EQ(error(std::string(cls) + "Idle -> f :: F -> Discard; f [1] -> Discard;"),
            "t.click:2:9: 'f' has no output 1: nothing inside connects to output 1");
}

TEST(Compound, PseudoElementErrors) {
  EXPECT_EQ(error("elementclass F {\n  output -> input\n}"),
            "t.click:2:10: 'F' pseudo-element 'input' may only be used as output");
  EXPECT_EQ(error("elementclass F { input -> X -> [1] output }"),
            "t.click:1:16: 'F' output 0 missing: output 1 is used, so every lower port must be "
            "used too");
  EXPECT_EQ(error("Idle -> { input [2] -> X -> output } -> Discard"),
            "t.click:1:9: '<anonymous>' input 0 missing: input 2 is used, so every lower port "
            "must be used too");
}

TEST(Compound, ImplicitInputAndOutput) {
  // Inside a compound, "-> X ->" means "input -> X -> output" (Click's lexer-04 D).
  FlatConfig c =
      ok("a, b :: Idle;\n"
         "a -> { -> } -> b;\n"
         "a [1] -> { [0] -> [0] } -> [1] b;\n"
         "elementclass F { -> X -> ; [1] -> Y -> [1] }\n"
         "a [2] -> f :: F -> [2] b; a [3] -> [1] f [1] -> [3] b;");
  EXPECT_EQ(connections(c), (V{"a [0] -> [0] b", "a [1] -> [1] b", "a [2] -> [0] f/X@1",
                               "a [3] -> [0] f/Y@2", "f/X@1 [0] -> [2] b", "f/Y@2 [0] -> [3] b"}));
  EXPECT_EQ(error("elementclass F { -> [1], X -> Y }"),
            "t.click:1:28: implicit 'input' or 'output' used in the middle of a chain");
}

TEST(Compound, OverloadsChooseByArgumentsAndPorts) {
  FlatConfig c =
      ok("elementclass F {\n"
         "  $a | input -> One($a) -> output\n"
         "  || $a, $b | input -> Two($a, $b) -> output\n"
         "  || $a | input -> Out2($a) -> output; input -> Out2b -> [1] output\n"
         "}\n"
         "a :: Idle;\n"
         "a -> F(1) -> a; a -> F(1, 2) -> a; a -> f :: F(x) -> a; f [1] -> a;");
  EXPECT_EQ(elements(c), (V{"a :: Idle()", "F@2/One@1 :: One(1)", "F@3/Two@1 :: Two(1, 2)",
                            "f/Out2@1 :: Out2(x)", "f/Out2b@2 :: Out2b()"}));
}

TEST(Compound, OverloadExtendsAnExistingClass) {
  FlatConfig c =
      ok("elementclass Queue { $cap, $x | input -> Queue($cap) -> Tag($x) -> output || ... }\n"
         "Idle -> Queue(10, t) -> Queue(20) -> Discard;");
  EXPECT_EQ(elements(c), (V{"Idle@1 :: Idle()", "Queue@3 :: Queue(20)", "Discard@4 :: Discard()",
                            "Queue@2/Queue@1 :: Queue(10)", "Queue@2/Tag@2 :: Tag(t)"}));
  EXPECT_EQ(error("elementclass F { ... }"),
            "t.click:1:18: '...' should occur last, after one or more compounds");
  EXPECT_EQ(error("elementclass F { input -> output || ... || input -> output }"),
            "t.click:1:37: '...' should occur last, after one or more compounds");
}

TEST(Compound, OverloadNoMatch) {
  EXPECT_EQ(error("elementclass F { $a | input -> X -> output || $a, $b | input -> Y -> output }\n"
                  "Idle -> F -> Discard;"),
            "t.click:2:9: 'F@2' :: F: no match for 0 arguments, 1 input, 1 output; candidates "
            "are:\n  F($a) [1 input, 1 output] at t.click:1:16\n"
            "  F($a, $b) [1 input, 1 output] at t.click:1:44");
}

TEST(Compound, RecursionThroughOverloadsIsBounded) {
  // The one way Click's scoping lets a compound reach itself: later alternatives see the
  // name bound to the chain from the previous alternative on.
  EXPECT_EQ(error("elementclass F { $a, $b | input -> X -> output\n"
                  "  || $a, $b, $c | input -> X -> output\n"
                  "  || $x | input -> F($x) -> output }\n"
                  "Idle -> F(1) -> Discard;"),
            "t.click:3:20: compound elements nested more than 1000 deep when expanded; is "
            "elementclass 'F' recursive?");
}

TEST(Compound, TunnelCyclesAreIgnored) {
  // A pass-through compound whose output is fed back into its own input: Click drops the
  // circular path silently.
  FlatConfig c = ok("elementclass P { input -> output }\na, b :: X; p :: P; a -> p; p -> p;");
  EXPECT_EQ(elements(c), (V{"a :: X()", "b :: X()"}));
  EXPECT_TRUE(c.connections.empty());
}

TEST(Compound, NameCollisionsAcrossLevels) {
  EXPECT_EQ(error("elementclass F { input -> x :: X -> output }\n"
                  "f/x :: Y; Idle -> f :: F -> Discard;"),
            "t.click:1:27: redeclaration of element 'f/x' (previously declared at t.click:2:1)");
}

TEST(Compound, Unterminated) {
  EXPECT_EQ(error("elementclass F {\n  input -> output\n"),
            "t.click:3:1: expected '}' to close the compound element opened at t.click:1:16, "
            "found end of file");
  EXPECT_EQ(error("elementclass"),
            "t.click:1:13: expected element class name after 'elementclass', found end of file");
  EXPECT_EQ(error("elementclass F ;"),
            "t.click:1:16: expected '{' or a class name after 'elementclass F', found ';'");
}

// --- Element groups -------------------------------------------------------------------

TEST(Groups, SpreadOverOutputs) {
  // Click's test/tools/lexer-05 A, AX and AY.
  const std::vector<std::string> want = {"a [0] -> [0] c", "a [1] -> [0] b", "a [2] -> [0] d"};
  FlatConfig ax = ok("a, b, c, d :: Idle;\na [0,1,2] => c, b, d;");
  FlatConfig a = ok("a, b, c, d :: Idle;\na [0,1,2] => ( -> c ), ( -> b ), d;");
  FlatConfig ay = ok("a, d :: Idle;\na => (-> c :: Idle), (-> b :: Idle), d;");
  EXPECT_EQ(connections(ax), want);
  EXPECT_EQ(sorted(connections(a)), sorted(want));
  EXPECT_EQ(sorted(connections(ay)), sorted(want));
  EXPECT_EQ(elements(ay), (V{"a :: Idle()", "d :: Idle()", "c :: Idle()", "b :: Idle()"}));
}

TEST(Groups, NestedGroupsAndCompounds) {
  // Click's test/tools/lexer-05 B and lexer-06 B.
  const char* head =
      "analyzer, x1, x2 :: Idle;\n"
      "x1 -> analyzer -> x2;\n"
      "c :: Idle =>\n"
      "         [1] analyzer [1],\n";
  FlatConfig g = ok(std::string(head) +
                    "         (-> c2 :: Idle => (->), Paint(1) ->)\n"
                    "-> post_classification :: Idle;");
  EXPECT_EQ(sorted(connections(g)),
            sorted(V{"x1 [0] -> [0] analyzer", "analyzer [0] -> [0] x2", "c [0] -> [1] analyzer",
                     "analyzer [1] -> [0] post_classification", "c [1] -> [0] c2",
                     "c2 [0] -> [0] post_classification", "c2 [1] -> [0] Paint@12",
                     "Paint@12 [0] -> [0] post_classification"}));
  FlatConfig k = ok(std::string(head) +
                    "         foo :: { -> c2 :: Idle => (->), Paint(1) -> }\n"
                    "-> post_classification :: Idle;");
  EXPECT_EQ(sorted(connections(k)),
            sorted(V{"x1 [0] -> [0] analyzer", "analyzer [0] -> [0] x2", "c [0] -> [1] analyzer",
                     "analyzer [1] -> [0] post_classification", "c [1] -> [0] foo/c2",
                     "foo/c2 [0] -> [0] post_classification", "foo/c2 [1] -> [0] foo/Paint@5",
                     "foo/Paint@5 [0] -> [0] post_classification"}));
}

TEST(Groups, Errors) {
  EXPECT_EQ(error("a :: X; a -> (-> b :: Y"),
            "t.click:1:24: expected ')' to close the element group opened at t.click:1:14, found "
            "end of file");
  EXPECT_EQ(error("a :: X; a -> ([1] -> b :: Y)"),
            "t.click:1:14: '<anonymous group>' input 0 missing: input 1 is used, so every lower "
            "port must be used too");
  EXPECT_EQ(error("a, b :: X; a -> (-> b) -> a;"),
            "t.click:1:17: '<anonymous group>' has no output 0: nothing inside connects to output "
            "0");
  EXPECT_EQ(error("a :: X; a -> (-> b :: Y }"), "t.click:1:25: syntax error near '}'");
}

// --- Real configurations --------------------------------------------------------------

TEST(RealConfigs, TestClickStyle) {
  // In the style of Click's conf/test.click: a source, a counter, a sink.
  FlatConfig c = ok(R"(// test.click -- a tiny configuration
// Generates packets, counts them, throws them away.
src :: InfiniteSource(DATA \<00 00 c0 ae 67 ef 00 00 00 00 00 00 08 00>,
                      LIMIT 10, STOP true);
src -> c :: Counter
    -> Print(ok, 14)
    -> Discard;
)");
  EXPECT_EQ(elements(c),
            (V{"src :: InfiniteSource(DATA \\<00 00 c0 ae 67 ef 00 00 00 00 00 00 08 "
               "00>,\n                      LIMIT 10, STOP true)",
               "c :: Counter()", "Print@3 :: Print(ok, 14)", "Discard@4 :: Discard()"}));
  EXPECT_EQ(connections(c),
            (V{"src [0] -> [0] c", "c [0] -> [0] Print@3", "Print@3 [0] -> [0] Discard@4"}));
}

TEST(RealConfigs, IpRouterFragment) {
  // Two interfaces in the shape of Click's IP router: per-interface input and output
  // compounds, ARP handling, a routing table with several outputs.
  FlatConfig c = ok(R"(// router.click
define($eth0_ip 10.0.0.1, $eth0_mac 00:00:c0:ae:67:ef,
       $eth1_ip 10.0.1.1, $eth1_mac 00:00:c0:4f:71:ef)

elementclass Input { $dev |
  FromDevice($dev) -> cl :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
  cl [0] -> [0] output;     // ARP queries
  cl [1] -> [1] output;     // ARP replies
  cl [2] -> Strip(14) -> CheckIPHeader -> [2] output;
  cl [3] -> Discard;
}
elementclass Output { $dev, $ip, $mac |
  input [0] -> q :: Queue(200) -> ToDevice($dev);      // ready frames
  input [1] -> arpq :: ARPQuerier($ip, $mac) -> q;     // IP packets
  input [2] -> [1] arpq;                               // ARP replies
}

in0 :: Input(eth0);  out0 :: Output(eth0, $eth0_ip, $eth0_mac);
in1 :: Input(eth1);  out1 :: Output(eth1, $eth1_ip, $eth1_mac);

in0 [0] -> ARPResponder($eth0_ip $eth0_mac) -> [0] out0;
in1 [0] -> ARPResponder($eth1_ip $eth1_mac) -> [0] out1;
in0 [1] -> [2] out0;
in1 [1] -> [2] out1;

rt :: StaticIPLookup($eth0_ip/32 0, 10.0.0.0/24 1, 10.0.1.0/24 2);
in0 [2] -> Paint(1) -> rt;
in1 [2] -> Paint(2) -> rt;
rt [0] -> Discard;   // to this host
rt [1] -> DecIPTTL -> [1] out0;
rt [2] -> DecIPTTL -> [1] out1;
)");
  EXPECT_EQ(c.elements.size(), 24u);
  EXPECT_TRUE(contains(elements(c),
                       "out0/arpq :: ARPQuerier(10.0.0.1, "
                       "00:00:c0:ae:67:ef)"));
  EXPECT_TRUE(contains(elements(c), "in1/FromDevice@1 :: FromDevice(eth1)"));
  EXPECT_TRUE(contains(elements(c),
                       "rt :: StaticIPLookup(10.0.0.1/32 0, 10.0.0.0/24 "
                       "1, 10.0.1.0/24 2)"));
  const auto conns = connections(c);
  for (const char* want : {
           "in0/cl [0] -> [0] ARPResponder@5",  // the compound's output 0, rewired
           "ARPResponder@5 [0] -> [0] out0/q",  // into the other compound's input 0
           "in0/cl [1] -> [1] out0/arpq",       // output 1 -> input 2 -> [1] arpq
           "in1/CheckIPHeader@4 [0] -> [0] Paint@9",
           "DecIPTTL@11 [0] -> [0] out0/arpq",
           "out0/arpq [0] -> [0] out0/q",
           "out0/q [0] -> [0] out0/ToDevice@2",
       }) {
    EXPECT_TRUE(contains(conns, want)) << want;
  }
  EXPECT_EQ(conns.size(), 27u);
}

TEST(RealConfigs, SniffingGatewayDevice) {
  // In the style of Click's conf/mazu-nat.click device compound.
  FlatConfig c = ok(R"(
elementclass GatewayDevice {
  $device |
  from :: FromDevice($device)
	-> t1 :: Tee
	-> output;
  input -> q :: Queue(1024)
	-> to :: ToDevice($device);
  t1 [1] -> ToHostSniffers($device);
  ScheduleInfo(from .1, to 1);
}
extern_dev :: GatewayDevice(eth1);
extern_class, intern_class :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
extern_dev -> extern_class;
extern_class [0] -> ARPResponder(209.6.198.213 00:e0:98:09:ab:af)	// ARP queries
	-> extern_dev;
extern_class [1, 2, 3] => ToHost, Discard, Discard;
)");
  EXPECT_EQ(
      elements(c),
      (V{"extern_class :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -)",
         "intern_class :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -)",
         "ARPResponder@4 :: ARPResponder(209.6.198.213 00:e0:98:09:ab:af)", "ToHost@5 :: ToHost()",
         "Discard@6 :: Discard()", "Discard@7 :: Discard()", "extern_dev/from :: FromDevice(eth1)",
         "extern_dev/t1 :: Tee()", "extern_dev/q :: Queue(1024)", "extern_dev/to :: ToDevice(eth1)",
         "extern_dev/ToHostSniffers@5 :: ToHostSniffers(eth1)",
         "extern_dev/ScheduleInfo@6 :: ScheduleInfo(from .1, to 1)"}));
  EXPECT_EQ(connections(c),
            (V{"extern_class [0] -> [0] ARPResponder@4", "ARPResponder@4 [0] -> [0] extern_dev/q",
               "extern_class [1] -> [0] ToHost@5", "extern_class [2] -> [0] Discard@6",
               "extern_class [3] -> [0] Discard@7", "extern_dev/from [0] -> [0] extern_dev/t1",
               "extern_dev/t1 [0] -> [0] extern_class", "extern_dev/q [0] -> [0] extern_dev/to",
               "extern_dev/t1 [1] -> [0] extern_dev/ToHostSniffers@5"}));
}

// --- Files ----------------------------------------------------------------------------

TEST(Files, ParseConfigFile) {
  char path[] = "/tmp/uplane_config_test_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = "a :: X;\nb :: X; a -> b; a :: Y;";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  auto r = parse_config_file(path);
  unlink(path);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), std::string(path) +
                                      ":2:17: redeclaration of element 'a' "
                                      "(previously declared at " +
                                      path + ":1:1)");

  auto missing = parse_config_file("/nonexistent/dir/x.click");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_TRUE(starts_with(missing.status().message(),
                          "cannot open configuration '/nonexistent/dir/x.click': "));
}

// --- Hostile inputs -------------------------------------------------------------------

TEST(Hostile, DeepNesting) {
  const std::string groups = "a :: X; a -> " + std::string(100000, '(');
  EXPECT_EQ(error(groups),
            "t.click:1:114: element groups and compound elements nested more than 100 deep");
  std::string braces = "x :: " + std::string(100000, '{');
  EXPECT_EQ(error(braces),
            "t.click:1:106: element groups and compound elements nested more than 100 deep");
  std::string classes;
  for (int i = 0; i < 200; ++i) classes += "elementclass C" + std::to_string(i) + " {";
  EXPECT_EQ(error(classes),
            "t.click:1:1809: element groups and compound elements nested more than 100 deep");
  // 100 levels are fine.
  std::string ok_nest = "Idle";
  for (int i = 0; i < 100; ++i) ok_nest += " -> (";
  ok_nest += " -> Discard" + std::string(100, ')');
  EXPECT_EQ(ok(ok_nest).connections.size(), 1u);
}

TEST(Hostile, DeepParenthesesInConfigurationStrings) {
  const std::string text = "a :: X(" + std::string(200000, '(') + std::string(200000, ')') + ");";
  EXPECT_EQ(ok(text).elements[0].config.size(), 400000u);
}

TEST(Hostile, ExponentialExpansionIsRefused) {
  // Each class holds two of the previous one: 2^40 elements if nothing stopped it.
  std::string text = "elementclass E0 { input -> Counter -> output }\n";
  for (int i = 1; i <= 40; ++i) {
    text += "elementclass E" + std::to_string(i) + " { input -> E" + std::to_string(i - 1) +
            " -> E" + std::to_string(i - 1) + " -> output }\n";
  }
  text += "Idle -> E40 -> Discard;";
  auto r = parse_config(text, "t.click");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Errc::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "t.click: configuration too large: more than 1000000 elements after expansion");
}

TEST(Hostile, LongValuesRepeatedAreRefused) {
  // 10 MB per element from a 100 kB define: 14 of them are more than the 64 MiB allowed.
  std::string text = "define($a " + std::string(100000, 'x') + ")\n";
  std::string refs;
  for (int i = 0; i < 100; ++i) refs += "$a";
  text += "elementclass E0 { input -> P(" + refs + ") -> output }\n";
  for (int i = 0; i < 14; ++i) text += "Idle -> E0 -> Discard;";
  auto r = parse_config(text, "t.click");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Errc::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "t.click: configuration too large: more than 64 MiB of element names and "
            "configuration strings after expansion");
}

TEST(Hostile, LongChainsAndNames) {
  std::string chain = "Idle";
  for (int i = 0; i < 20000; ++i) chain += " -> Counter";
  chain += " -> Discard;";
  FlatConfig c = ok(chain);
  EXPECT_EQ(c.elements.size(), 20002u);
  EXPECT_EQ(c.connections.size(), 20001u);
  EXPECT_EQ(c.elements[20001].name, "Discard@20002");

  const std::string name(100000, 'n');
  EXPECT_EQ(ok(name + " :: X;").elements[0].name, name);
}

TEST(Hostile, ManyGroupsInAChain) {
  std::string chain = "Idle";
  for (int i = 0; i < 5000; ++i) chain += " -> (->)";
  chain += " -> Discard;";
  FlatConfig c = ok(chain);
  EXPECT_EQ(connections(c), (V{"Idle@1 [0] -> [0] Discard@15002"}));
}

TEST(Hostile, NoQuadraticPaths) {
  // Each of these takes seconds or more if some step scans all that came before.
  constexpr int kN = 20000;
  // Anonymous names that collide with declared ones.
  std::string collide;
  for (int i = 1; i <= kN; ++i) collide += "Idle@" + std::to_string(i + 1) + " :: X; ";
  for (int i = 0; i < kN; ++i) collide += "Idle; ";
  FlatConfig a = ok(collide);
  EXPECT_EQ(a.elements[kN].name, "Idle@20002");
  EXPECT_EQ(a.elements[2 * kN - 1].name, "Idle@40001");
  // Thousands of defines, each used.
  std::string defines = "define(";
  std::string uses;
  for (int i = 0; i < kN; ++i) {
    defines += (i ? ", $v" : "$v") + std::to_string(i) + " " + std::to_string(i);
    uses += "X($v" + std::to_string(i) + "); ";
  }
  FlatConfig b = ok(defines + ")\n" + uses);
  EXPECT_EQ(b.elements[kN - 1].config, std::to_string(kN - 1));
  // A compound with thousands of keyword formals, given in reverse order.
  std::string formals = "elementclass F { ";
  std::string args;
  for (int i = 0; i < 5000; ++i) {
    formals += "K" + std::to_string(i) + " $k" + std::to_string(i) + ", ";
    args += (i ? ", K" : "K") + std::to_string(4999 - i) + " " + std::to_string(4999 - i);
  }
  FlatConfig c =
      ok(formals + "| input -> E($k4999) -> output }\nIdle -> F(" + args + ") -> Discard;");
  EXPECT_EQ(c.elements[2].config, "4999");
  // Many line directives naming different files.
  std::string files;
  for (int i = 0; i < kN; ++i)
    files += "# 1 \"f" + std::to_string(i) + ".click\"\nX" + std::to_string(i) + ";\n";
  FlatConfig d = ok(files);
  EXPECT_EQ(d.elements[kN - 1].where.str(), "f19999.click:1:1");
}

TEST(Hostile, OverloadResolutionWorkIsBounded) {
  // 300 alternatives tried, and failed, before the last one for each of 2^17 instances.
  std::string text = "elementclass F {";
  for (int i = 0; i < 300; ++i) text += " $a" + std::to_string(i) + " | input -> output ||";
  text += " input -> output }\nelementclass E0 { input -> F -> output }\n";
  for (int i = 1; i <= 17; ++i) {
    text += "elementclass E" + std::to_string(i) + " { input -> E" + std::to_string(i - 1) +
            " -> E" + std::to_string(i - 1) + " -> output }\n";
  }
  text += "Idle -> E17 -> Discard;";
  auto r = parse_config(text, "t.click");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Errc::kResourceExhausted);
  EXPECT_EQ(r.status().message(),
            "t.click: configuration too large: expanding compound elements takes more than "
            "16000000 steps");
}

TEST(Hostile, PortErrorsAreFoundBeforeExpanding) {
  // Found by the fuzzer: 500,000 elements were built before the unconnected input of the
  // outer compound was reported. Now it is reported when the compound is resolved.
  std::string text = "elementclass E0 { input -> Counter -> output }\n";
  for (int i = 1; i <= 17; ++i) {
    text += "elementclass E" + std::to_string(i) + " { input -> E" + std::to_string(i - 1) +
            " -> E" + std::to_string(i - 1) + " -> output }\n";
  }
  text += "{ input -> E17 -> E17 -> output };\n";
  EXPECT_EQ(error(text),
            "t.click:19:1: '@1' input 0 unused: it is used inside, but nothing outside connects "
            "to it");
}

TEST(Hostile, UnterminatedEverything) {
  for (std::string_view text :
       {"a :: X(", "a :: X(\"", "a :: X('", "a :: X(\\<", "/*", "a [", "a [1,", "a :: {",
        "a :: { $x", "a :: { $x,", "a -> (", "elementclass E { input -> output ||", "define(",
        "require(", "a ::", "a -> b ->",

        "a :: X(\"\\", "elementclass E { ...", "elementclass E { K"}) {
    auto r = parse_config(text, "t.click");
    EXPECT_FALSE(r.is_ok()) << text;
  }
}

TEST(Hostile, RandomBytesNeverCrash) {
  // A cheap stand-in for the fuzzer: random mixtures of the language's own tokens.
  const std::vector<std::string> pieces = {"a",
                                           "b",
                                           "X",
                                           " :: ",
                                           "->",
                                           "=>",
                                           "[",
                                           "]",
                                           "0",
                                           "1",
                                           ",",
                                           ";",
                                           "(",
                                           ")",
                                           "{",
                                           "}",
                                           "|",
                                           "||",
                                           "...",
                                           "$a",
                                           "input",
                                           "output",
                                           "elementclass",
                                           "define",
                                           "require",
                                           "\"",
                                           "'",
                                           "//",
                                           "/*",
                                           "*/",
                                           "\n",
                                           "#",
                                           "\\<",
                                           ">",
                                           "\0",
                                           "@",
                                           "/",
                                           "$",
                                           "${a}",
                                           "E"};
  std::mt19937 rng(12345);
  for (int n = 0; n < 3000; ++n) {
    std::string text;
    const int len = static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i) text += pieces[rng() % pieces.size()];
    auto r = parse_config(text, "t.click");
    if (!r.is_ok()) {
      EXPECT_TRUE(starts_with(r.status().message(), "t.click")) << text;
    }
  }
}

}  // namespace
}  // namespace uplane::graph
