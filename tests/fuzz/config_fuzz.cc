// Fuzz target: the Click configuration language (graph/config.h). Any bytes must parse or
// fail with a message; never crash, hang or leak. What parses must be a
// consistent graph: connections name existing elements, names are unique.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <unordered_set>

#include "graph/config.h"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = uplane::graph::parse_config(text, "fuzz.click");
  if (!r.is_ok()) {
    check(!r.status().message().empty());
    return 0;
  }
  const auto& c = r.value();
  std::unordered_set<std::string_view> names;
  for (const auto& e : c.elements) {
    check(!e.name.empty() && !e.class_name.empty());
    check(names.insert(e.name).second);
  }
  for (const auto& k : c.connections) {
    check(k.from < c.elements.size() && k.to < c.elements.size());
    check(k.from_port < 65536 && k.to_port < 65536);
  }
  return 0;
}
