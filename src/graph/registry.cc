#include "graph/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "graph/spec.h"

namespace uplane::graph {
namespace {

// A function-local static, so registrations from other translation units' static
// initializers find it constructed whatever the link order.
std::map<std::string, ElementClass, std::less<>>& classes() {
  static std::map<std::string, ElementClass, std::less<>> m;
  return m;
}

}  // namespace

bool register_element(const ElementSpec& spec, ElementFactory make) noexcept {
  auto [it, inserted] = classes().try_emplace(std::string(spec.name), ElementClass{&spec, make});
  if (!inserted) {
    std::fprintf(stderr, "uplane: element class '%.*s' registered twice\n",
                 static_cast<int>(spec.name.size()), spec.name.data());
    std::abort();
  }
  return true;
}

const ElementClass* find_element_class(std::string_view name) noexcept {
  auto it = classes().find(name);
  return it == classes().end() ? nullptr : &it->second;
}

std::vector<const ElementClass*> element_classes() {
  std::vector<const ElementClass*> v;
  for (const auto& [name, c] : classes()) v.push_back(&c);
  return v;
}

Status validate_spec(const ElementSpec& spec) {
  if (spec.name.empty()) return make_error(Errc::kInvalidArgument, "element spec without a name");
  auto ports = parse_port_counts(spec.ports);
  if (!ports.is_ok())
    return make_error(Errc::kInvalidArgument, "{}: {}", spec.name, ports.status().message());
  auto proc = parse_processing(spec.processing);
  if (!proc.is_ok())
    return make_error(Errc::kInvalidArgument, "{}: {}", spec.name, proc.status().message());
  auto flow = parse_flow(spec.flow);
  if (!flow.is_ok())
    return make_error(Errc::kInvalidArgument, "{}: {}", spec.name, flow.status().message());
  return {};
}

}  // namespace uplane::graph
