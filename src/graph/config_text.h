#pragma once
// Helpers of the configuration parser and elaborator, after Click: $variable expansion
// (cp_expand), binding compound arguments to formals (cp_assign_arguments), and the
// messages about compound elements that both stages report.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "graph/config_program.h"

namespace uplane::graph::config_detail {

// The value of variable `name` (without '$'), or nullptr when it is not defined.
using VariableLookup = std::function<const std::string*(std::string_view name)>;

// Expands "$name" and "${name}" in `text` as Click's cp_expand does: nothing inside '...';
// inside "..." the value is escaped so that it stays one quoted string; "${name-default}"
// gives `default` when name is undefined; an undefined variable stays as written; "$(...)"
// stays as written. One pass: a value is not expanded again.
std::string expand_variables(std::string_view text, const VariableLookup& lookup);

struct ArgumentBinding {
  bool ok = false;
  std::string error;                // why not, when !ok: "too many arguments (3 given, 2 expected)"
  std::vector<std::string> values;  // one per formal, when ok
};

// Binds a compound element's arguments to its formals as Click's cp_assign_arguments: all
// positional formals first, then every keyword formal ("KEYWORD value"; all mandatory), then
// an optional __REST__ formal that collects what is left, joined by ", ".
// `error` is filled only when `explain` is set: a failed overload alternative needs none.
ArgumentBinding bind_arguments(const std::vector<Formal>& formals,
                               const std::vector<std::string>& args, bool explain = true);

// Click's message for a compound element or group whose ports do not match the
// connections made to it from outside, or "" when they match: `ninputs` and `noutputs` are
// the ports its body uses (always 0..n-1), `inputs_used` and `outputs_used` those used from
// outside.
std::string port_mismatch(std::string_view owner, std::uint32_t ninputs, std::uint32_t noutputs,
                          const std::vector<bool>& inputs_used,
                          const std::vector<bool>& outputs_used);

// "Foo($a, KEYWORD $b)" for messages.
std::string signature(const CompoundDef& def);

}  // namespace uplane::graph::config_detail
