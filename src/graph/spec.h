#pragma once
// Parsers for the codes in ElementSpec (element.h): port counts, processing, flow.
// Used by the registry to validate specs and by the Router to resolve ports.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "graph/element.h"

namespace uplane::graph {

inline constexpr int kUnboundedPorts = 0x7fffffff;

struct PortRange {
  int min = 0;
  int max = 0;  // kUnboundedPorts for "-" and "N-"
};
struct PortCounts {
  PortRange inputs;
  PortRange outputs;
  bool outputs_equal_inputs = false;  // "=": as many outputs as inputs
};
// "1/1", "1/1-2", "1/-", "1-/1", "-/-", "0/1", "1/=".
Result<PortCounts> parse_port_counts(std::string_view code);

// "h/h", "a/ah", "l/l", "h/lh": one letter per port, the last one repeated.
struct ProcessingCode {
  std::string inputs;
  std::string outputs;
  Processing input(int port) const noexcept { return at(inputs, port); }
  Processing output(int port) const noexcept { return at(outputs, port); }

 private:
  static Processing at(const std::string& s, int port) noexcept;
};
Result<ProcessingCode> parse_processing(std::string_view code);

// "x/x", "xy/x", "#/#": input i flows to output j when their letters share a letter
// ('#' matches only the same port number); the last letter repeats.
struct FlowCode {
  std::string inputs;
  std::string outputs;
  bool flows(int input, int output) const noexcept;
};
Result<FlowCode> parse_flow(std::string_view code);

}  // namespace uplane::graph
