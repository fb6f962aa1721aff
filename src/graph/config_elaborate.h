#pragma once
// The elaborator: Program to FlatConfig (see config_elaborate.cc).

#include <cstddef>
#include <cstdint>

#include "graph/config.h"
#include "graph/config_program.h"
#include "graph/config_source.h"

namespace uplane::graph::config_detail {

// Limits on what one configuration may expand to. A few hundred bytes of nested compounds
// can ask for billions of elements; these turn that into an error.
inline constexpr std::size_t kMaxElements = 1'000'000;     // elements, compounds and groups
inline constexpr std::size_t kMaxConnections = 4'000'000;  // connections, before and after
// Work of choosing among overloaded classes, binding arguments and rewiring connections
// through compound ports, in steps.
inline constexpr std::size_t kMaxSteps = 16'000'000;
// Bytes of element names, configuration strings and variable values.
inline constexpr std::size_t kMaxTextBytes = std::size_t{64} << 20;
// Compounds inside compounds, as instantiated.
inline constexpr std::uint32_t kMaxExpansionDepth = 1000;

// Expands `program` into `out` (elements, connections, requirements; not source_file).
// On error returns false with the first error in `diag`.
bool elaborate(const Program& program, const FileTable& files, Diagnostics* diag, FlatConfig* out);

}  // namespace uplane::graph::config_detail
