// Every registered element class has a valid spec and an entry in docs/elements.md (which
// scripts/gen-elements-doc.py generates from the element headers' manual blocks).

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "graph/registry.h"

namespace uplane::graph {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Registry, EveryClassHasAValidSpecAndADocEntry) {
  const std::string doc = read_file(UPLANE_SOURCE_DIR "/docs/elements.md");
  ASSERT_FALSE(doc.empty());
  const auto classes = element_classes();
  EXPECT_GE(classes.size(), 40u);
  for (const ElementClass* c : classes) {
    EXPECT_TRUE(validate_spec(*c->spec).is_ok()) << validate_spec(*c->spec).message();
    EXPECT_NE(doc.find("\n## " + std::string(c->spec->name) + "\n"), std::string::npos)
        << c->spec->name << " has no entry in docs/elements.md";
    auto e = c->make();
    EXPECT_NE(e, nullptr);
  }
}

}  // namespace
}  // namespace uplane::graph
