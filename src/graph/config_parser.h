#pragma once
// The Click configuration parser: text to Program (see config_parser.cc).

#include <string_view>

#include "graph/config_program.h"
#include "graph/config_source.h"

namespace uplane::graph::config_detail {

// Nesting of compound element bodies and element groups inside one another.
inline constexpr int kMaxNesting = 100;
// Port numbers are below this.
inline constexpr std::uint32_t kMaxPorts = 65536;

// Parses `text` (positions against file 0 of `files`) into `out`. On error returns false
// with the first error in `diag`; `out` is then partly filled and must not be elaborated.
bool parse_program(std::string_view text, FileTable* files, Diagnostics* diag, Program* out);

}  // namespace uplane::graph::config_detail
