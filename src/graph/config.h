#pragma once
// The Click configuration language, read into a flat graph.
//
// parse_config() lexes, parses and elaborates a configuration in one step. Elaboration
// expands every `elementclass` compound into its body (inner elements are named
// "outer/inner", as Click names them), substitutes `define`d and formal `$parameters`,
// names anonymous elements "Class@N", and rewires the compound's `input`/`output`
// pseudo-ports so the result holds only primitive element declarations and the
// connections between them. What the elements' classes mean is not known here: the
// Router looks each class up in the element registry.
//
// Every declaration and connection carries the Landmark (file:line:col) it came from;
// inside a compound, the landmark is where the inner element is written.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace uplane::graph {

struct Landmark {
  std::string file;
  std::uint32_t line = 0;  // 1-based; 0 when unknown
  std::uint32_t col = 0;   // 1-based; 0 when unknown

  // "file:line:col", "file:line" or "file".
  std::string str() const;
};

struct ElementDecl {
  std::string name;        // unique in the configuration, e.g. "c", "rt/lookup", "Counter@3"
  std::string class_name;  // a primitive class name, e.g. "Counter"
  std::string config;      // the text between the parentheses, $variables substituted, else ""
  Landmark where;
};

struct ConnectionDecl {
  std::uint32_t from = 0;  // index into FlatConfig::elements
  std::uint32_t from_port = 0;
  std::uint32_t to = 0;  // index into FlatConfig::elements
  std::uint32_t to_port = 0;
  Landmark where;
};

struct FlatConfig {
  std::vector<ElementDecl> elements;  // in order of first declaration
  std::vector<ConnectionDecl> connections;  // in source order, duplicates removed
  std::vector<std::string> requirements;  // each require(...) argument, unquoted
  std::string source_file;  // the file name errors are reported against
};

// Parses `text` as a configuration read from `filename` (used only in messages).
// Errors read "filename:line:col: what was wrong", and name the element and keyword where
// there is one; the first error is returned. Never crashes, whatever the input.
Result<FlatConfig> parse_config(std::string_view text, std::string_view filename);

// Reads and parses a file; "-" reads standard input.
Result<FlatConfig> parse_config_file(const std::string& path);

}  // namespace uplane::graph
