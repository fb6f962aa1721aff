#pragma once
// =c
// Classifier(PATTERN_1, ..., PATTERN_N)
// =s classification
// classifies packets by contents
// =d
// Classifies packets. The Classifier has N outputs, each associated with the corresponding
// pattern from the configuration string. A pattern is a set of clauses separated by spaces;
// a clause is "OFFSET/VALUE" or "OFFSET/VALUE%MASK", and the pattern matches when the packet
// has the indicated value at each offset.
//
// OFFSET is decimal, counted from the start of the packet data. VALUE and MASK are hex; the
// length of the value is implied by its number of hex digits, which must be even. "?" is
// also allowed as a digit and means "don't care about this nibble". A MASK, when present,
// has as many digits as the value; only bits set in the mask are compared. A clause
// preceded by "!" must NOT match. A pattern "-" matches every packet (so does an empty one).
//
// Patterns are tried in order and a packet goes to the output of the first pattern that
// matches; a packet that matches none is dropped. A clause whose bytes lie past the end of
// the packet does not match (so its "!" form does).
//
// The patterns are compiled once, when the configuration is read, into a decision program
// that tests 32-bit words (see the program handler). A warning is logged for an output no
// packet can reach. The number of patterns must equal the number of outputs.
// =h program read-only
// The compiled program, one instruction per line: the word at OFFSET, ANDed with the mask,
// compared with the value; where to go when it is equal (yes) or not (no): another step, an
// output [N], or [X] (drop). "short->yes" marks a test taken as equal when the packet is too
// short for it. Then the packet length up to which no test reads.
// =e
//   Classifier(12/0806 20/0001,
//              12/0806 20/0002,
//              12/0800,
//              -);
// creates an element with four outputs intended to process Ethernet packets: ARP requests
// go to output 0, ARP replies to output 1, IP packets to output 2, and all others to
// output 3. Its program reads:
//    0  12/08060000%ffff0000  yes->step 1  no->step 3
//    1  20/00010000%ffff0000  yes->[0]  no->step 2
//    2  20/00020000%ffff0000  yes->[1]  no->[3]
//    3  12/08000000%ffff0000  yes->[2]  no->[3]
// =a IPClassifier, IPFilter
// =uplane
// None in what is classified. Click needs AlignmentInfo to align its word tests; uplane
// reads packets byte-wise and ignores alignment (the program shows "alignment offset 0").
// The program's optimizations differ from Click's, so listings can differ in step order.

#include <string>
#include <vector>

#include "base/status.h"
#include "elements/classify/classify_element.h"

namespace uplane::elements {

class Classifier final : public ClassifyElement {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "Classifier", .ports = "1/-", .processing = "h/h"};
  Classifier() : ClassifyElement(Input::kData) {}
  Status configure(graph::Args& args) override;

  // Compiles Classifier patterns (output i for pattern i) without an element; `warnings`
  // receives Click's configure-time warnings when given.
  static Result<classify::Program> compile(const std::vector<std::string>& patterns,
                                           std::vector<std::string>* warnings = nullptr);
};

}  // namespace uplane::elements
