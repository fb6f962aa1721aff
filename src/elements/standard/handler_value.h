#pragma once
// What the standard elements' write handlers share.

#include <string_view>

namespace uplane::elements {

// A handler value without the whitespace around it: writes may arrive with a trailing
// newline ("echo 5 > .../burst"), and numbers and booleans are read without it.
inline std::string_view trimmed(std::string_view v) {
  const auto b = v.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return v.substr(b, v.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace uplane::elements
