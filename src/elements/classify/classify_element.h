#pragma once
// ClassifyElement: the part Classifier, IPClassifier and IPFilter share — a decision
// program compiled at configure time (classify_program.h), a push path that classifies a
// whole batch and then emits one batch per output, and the "program" handler.
//
// A packet's windows: Classifier tests the packet data from its start. The IP elements
// test the IP header (the network header annotation, to the end of the packet), the
// transport header (IP header + IHL * 4, to the end of the packet; none when IHL * 4 is
// past the end) and, for 'ether host', the link header (the packet data before the
// network header). A packet without a network header annotation is dropped as
// kBadHeader (Click asserts); a packet no rule claims is dropped as kFiltered.

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "elements/classify/classify_program.h"
#include "graph/args.h"
#include "graph/element.h"

namespace uplane::elements {

class ClassifyElement : public graph::Element {
 public:
  // Classifies every packet of the batch, then pushes one batch per output, lowest port
  // first, each in arrival order; drops are counted.
  void push(int port, graph::Batch& batch) noexcept override;
  void add_handlers() override;

  const classify::Program& program() const noexcept { return program_; }

 protected:
  enum class Input : std::uint8_t { kData, kIp };
  explicit ClassifyElement(Input input) : input_(input) {}

  // Installs a program (configure, or a write handler while the router is stopped).
  void set_program(classify::Program p) { program_ = std::move(p); }
  // The PATTERN arguments as written, one per output port (Classifier, IPClassifier): Args'
  // error, or "<context>: need N arguments, one per output port".
  Result<std::vector<std::string>> patterns_per_output(graph::Args& args) const;
  // Logs each of Click's configure-time warnings ("output 2 matches no packets").
  void log_warnings(const graph::Args& args, const std::vector<std::string>& warnings) const;

 private:
  // An output port (>= 0) or a drop code, as graph::Verdict::code().
  std::int16_t classify(graph::Packet& p) const noexcept;

  Input input_;
  classify::Program program_;
};

}  // namespace uplane::elements
