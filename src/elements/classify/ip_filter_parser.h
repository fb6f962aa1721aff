#pragma once
// The tcpdump-like pattern language of Click's IPClassifier and IPFilter, compiled into a
// decision program (classify_program.h). No router needed: the elements call these, and so
// do the unit tests and the fuzzer.
//
// Grammar (Click's, lowest precedence first):
//   expr   ::= orexpr | orexpr '?' expr ':' expr       (the ':' must stand alone)
//   orexpr ::= term ( ('or' | '||') term )*
//   term   ::= factor ( ['and' | '&&'] factor )*       (juxtaposition means 'and')
//   factor ::= ('not' | '!') factor | '(' expr ')' | test
//   test   ::= 'true' | 'false' | QUALIFIERS [ '[' POS[:LEN] ']' ] [ '&' MASK ] [RELOP] [DATA]
// QUALIFIERS are words such as src, dst, 'src and dst', 'src or dst', ip, ether, tcp, udp,
// icmp, a protocol name, host, net, port, proto, opt, type, ttl, tos, dscp, hl, id, len,
// vers, win, ect, ce, frag, unfrag, and 'not'. RELOP is = == != < > <= >=. DATA is a number,
// an IP address, 'ADDR mask MASK', a prefix ADDR/LEN, an Ethernet address, or a name
// (a protocol, a TCP or UDP port, a TCP flag, an ICMP type). Much can be left out:
// 'tcp' is 'ip proto tcp', 'syn' is 'tcp opt syn', '10.0.0.0/8' is 'net 10.0.0.0/8',
// and a test with no qualifiers takes them from the test before it ('src port 80 or 81').
//
// Semantics follow Click's IPFilter: port, 'tcp opt', 'icmp type', 'tcp win' and transport
// fields only match first fragments; 'port != 80' is not 'not port 80' (the former needs a
// TCP or UDP packet); '<', '>', '<=' and '>=' compare numbers; relations on bytes past the
// end of the packet are false; 'not' of such a relation is true.
//
// Errors name the pattern (its index), the problem in Click's words, and where: the column
// of the offending word in the (unquoted) pattern text.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "elements/classify/classify_program.h"

namespace uplane::elements::classify {

// One word of a pattern, as Click's IPFilter splits it, and its 1-based column.
struct Word {
  std::string text;
  std::uint32_t column = 0;
};
// Splits a pattern into words: runs of letters, digits and - . / @ _ :, the operators
// && || & | <= >= != == < > ! =, and each of ( ) [ ] , ; ? alone; anything else is a
// one-character word. Whitespace separates.
std::vector<Word> split_ip_words(std::string_view text);

// A compiled pattern list and the warnings Click would print while compiling it.
struct IpProgram {
  Program program;
  std::vector<std::string> warnings;
};

// IPFilter: each argument is "ACTION PATTERN" (ACTION: allow, deny, drop, or an output
// number below `noutputs`); the first rule that matches decides; no match drops.
// Arguments are unquoted first, as in Click.
Result<IpProgram> compile_ip_filter(const std::vector<std::string>& args, int noutputs);

// IPClassifier: pattern i sends to output i; no match drops. "-", "any", "all" and the empty
// pattern match everything.
Result<IpProgram> compile_ip_classifier(const std::vector<std::string>& patterns);

// Parses one expression (no action) into `exprs`. Errors carry no pattern prefix.
Result<ExprBuilder::Id> parse_ip_expression(std::string_view text, ExprBuilder& exprs,
                                            std::vector<std::string>* warnings = nullptr);

}  // namespace uplane::elements::classify
