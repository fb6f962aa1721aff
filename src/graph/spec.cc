#include "graph/spec.h"

#include <charconv>

namespace uplane::graph {
namespace {

// One side of a port-count code: "", "N", "N-", "-", "N-M", "-M".
bool parse_range(std::string_view s, PortRange& out) {
  auto number = [](std::string_view t, int& v) {
    if (t.empty()) return false;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && p == t.data() + t.size() && v >= 0 && v < 65536;
  };
  const auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    int n = 0;
    if (!number(s, n)) return false;
    out = {n, n};
    return true;
  }
  std::string_view lo = s.substr(0, dash), hi = s.substr(dash + 1);
  out.min = 0;
  out.max = kUnboundedPorts;
  if (!lo.empty() && !number(lo, out.min)) return false;
  if (!hi.empty() && !number(hi, out.max)) return false;
  return out.min <= out.max;
}

bool split_slash(std::string_view code, std::string_view& in, std::string_view& out) {
  const auto slash = code.find('/');
  if (slash == std::string_view::npos || code.find('/', slash + 1) != std::string_view::npos)
    return false;
  in = code.substr(0, slash);
  out = code.substr(slash + 1);
  return true;
}

}  // namespace

Result<PortCounts> parse_port_counts(std::string_view code) {
  std::string_view in, out;
  PortCounts pc;
  if (split_slash(code, in, out) && parse_range(in, pc.inputs)) {
    if (out == "=") {
      pc.outputs_equal_inputs = true;
      pc.outputs = pc.inputs;
      return pc;
    }
    if (parse_range(out, pc.outputs)) return pc;
  }
  return make_error(Errc::kInvalidArgument, "bad port count code '{}'", code);
}

Processing ProcessingCode::at(const std::string& s, int port) noexcept {
  if (s.empty()) return Processing::kAgnostic;
  const char c = s[static_cast<std::size_t>(port) < s.size() ? static_cast<std::size_t>(port)
                                                              : s.size() - 1];
  return c == 'h' ? Processing::kPush : c == 'l' ? Processing::kPull : Processing::kAgnostic;
}

Result<ProcessingCode> parse_processing(std::string_view code) {
  std::string_view in, out;
  if (split_slash(code, in, out)) {
    auto ok = [](std::string_view s) {
      return s.find_first_not_of("hla") == std::string_view::npos;
    };
    if (ok(in) && ok(out)) return ProcessingCode{std::string(in), std::string(out)};
  }
  return make_error(Errc::kInvalidArgument, "bad processing code '{}'", code);
}

bool FlowCode::flows(int input, int output) const noexcept {
  if (inputs.empty() || outputs.empty()) return true;
  auto at = [](const std::string& s, int port) {
    return s[static_cast<std::size_t>(port) < s.size() ? static_cast<std::size_t>(port)
                                                       : s.size() - 1];
  };
  const char a = at(inputs, input), b = at(outputs, output);
  if (a == '#' || b == '#') return a == b && input == output;
  return a == b;
}

Result<FlowCode> parse_flow(std::string_view code) {
  std::string_view in, out;
  if (split_slash(code, in, out)) {
    auto ok = [](std::string_view s) {
      for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '#')) return false;
      return true;
    };
    if (ok(in) && ok(out)) return FlowCode{std::string(in), std::string(out)};
  }
  return make_error(Errc::kInvalidArgument, "bad flow code '{}'", code);
}

}  // namespace uplane::graph
