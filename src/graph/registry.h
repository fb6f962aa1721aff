#pragma once
// The element registry: every element class, by Click name, with a factory.
//
// Each element's .cc ends with UPLANE_REGISTER_ELEMENT(Class); the registration runs at
// static-initialization time. Element libraries are linked as CMake OBJECT libraries so the
// linker keeps every registration. Lookups happen on the control thread only.

#include <memory>
#include <string_view>
#include <vector>

#include "graph/element.h"

namespace uplane::graph {

using ElementFactory = std::unique_ptr<Element> (*)();

struct ElementClass {
  const ElementSpec* spec;
  ElementFactory make;
};

// Registers a class; a second class with the same name aborts at start-up (a build bug).
// Returns true so it can initialize a static.
bool register_element(const ElementSpec& spec, ElementFactory make) noexcept;
// The class with this name, or nullptr.
const ElementClass* find_element_class(std::string_view name) noexcept;
// Every registered class, sorted by name.
std::vector<const ElementClass*> element_classes();

// Checks a spec's port, processing and flow codes; what is wrong, else ok.
Status validate_spec(const ElementSpec& spec);

}  // namespace uplane::graph

#define UPLANE_REGISTER_ELEMENT_AS(Class, Tag)                                          \
  [[maybe_unused]] static const bool uplane_registered_##Tag =                          \
      ::uplane::graph::register_element(Class::kSpec, []() -> std::unique_ptr<::uplane::graph::Element> { \
        return std::make_unique<Class>();                                               \
      })
#define UPLANE_REGISTER_ELEMENT(Class) UPLANE_REGISTER_ELEMENT_AS(Class, Class)
