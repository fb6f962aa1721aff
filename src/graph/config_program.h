#pragma once
// What the configuration parser produces and the elaborator consumes: one Body per scope
// (the file, and each compound element class), with element classes already resolved by
// Click's lexical scoping. See config_parser.cc for how it is built and
// config_elaborate.cc for how it is flattened.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "graph/config_source.h"

namespace uplane::graph::config_detail {

struct CompoundDef;

// An element class as bound when the element was parsed: a compound (the head of its
// overload chain) or a primitive class name left for the Router to look up.
struct ClassRef {
  const CompoundDef* compound = nullptr;
  std::string primitive;  // when compound == nullptr
};

enum class SlotKind : std::uint8_t {
  kInput,        // a compound's 'input' pseudo-element (slot 0 of its body)
  kOutput,       // a compound's 'output' pseudo-element (slot 1)
  kElement,      // a primitive or compound element
  kGroup,        // an element group "( ... )": three slots, the group itself,
  kGroupInput,   // then its 'input'
  kGroupOutput,  // and its 'output'
};

struct Slot {
  SlotKind kind = SlotKind::kElement;
  std::string name;  // local name ("c", "Counter@3"); anonymous names are set at scope end
  bool anonymous = false;
  std::string anon_base;          // the class name an anonymous name is made from
  std::uint32_t anon_number = 0;  // Click's first guess at N in "Class@N"
  ClassRef cls;                   // kElement only
  std::string config;             // raw: comments removed, $variables not yet expanded
  Pos where;
  // The input / output ports connections in this body use.
  std::vector<bool> inputs_used;
  std::vector<bool> outputs_used;
  // kGroup only: the ports its body uses on its 'input' and 'output'.
  std::uint32_t group_inputs = 0;
  std::uint32_t group_outputs = 0;
};

struct Conn {
  std::uint32_t from = 0;  // slot
  std::uint32_t from_port = 0;
  std::uint32_t to = 0;  // slot
  std::uint32_t to_port = 0;
  Pos where;  // the '->' or '=>'
};

struct Define {
  std::string name;  // without '$'
  std::string value;
};

struct Body {
  std::vector<Slot> slots;
  std::vector<Conn> conns;
  std::vector<Define> defines;  // define(...) statements, in order
  std::uint32_t depth = 0;      // lexical depth: 0 for the file, +1 per enclosing compound
};

struct Formal {
  std::string name;     // without '$'
  std::string keyword;  // "" for a positional formal, "__REST__" for the rest
};

struct CompoundDef {
  std::string name;  // "" when anonymous
  Pos where;
  std::vector<Formal> formals;
  Body body;
  std::uint32_t ninputs = 0;
  std::uint32_t noutputs = 0;
  // The next alternative ("||") or, after the last one, the class a '...' extends.
  std::optional<ClassRef> overload;
};

struct Program {
  Body top;
  std::vector<std::unique_ptr<CompoundDef>> compounds;  // owns every CompoundDef
  // Every CompoundDef in the order its body was finished. A class is finished before any
  // element of it is parsed, except alternatives reached through an overload chain from
  // inside the same elementclass statement.
  std::vector<const CompoundDef*> finished;
  std::vector<std::string> requirements;
};

}  // namespace uplane::graph::config_detail
