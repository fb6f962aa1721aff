#include "graph/config_elaborate.h"

// Elaboration follows Click's Lexer::create_router and expand_compound_element.
//
// 1. Expansion. The file's body is laid out first, then each compound element, depth first,
//    in the order its body is laid out: Click's order, which is the order of
//    FlatConfig::elements. A primitive element gets its final name ("outer/inner") and its
//    configuration with $variables expanded. A compound element becomes a tunnel, and so
//    does each element group. Variables live in environments chained by lexical depth, as
//    Click's VariableEnvironment: a compound's body sees its own formals and defines, then
//    those of the instance that lexically encloses its class, up to the file's defines. The
//    expansion is a loop over an explicit stack, not recursion.
//
// 2. Rewiring. A tunnel T has two pairs of ends. Its input pair: connections into T (from
//    outside) continue as the connections out of T's 'input' (inside). Its output pair:
//    connections into T's 'output' continue as the connections out of T. So every end of
//    an expanded connection is a real element, an entry (T as a destination, or T's
//    'output') or an exit (T's 'input', or T as a source). Every connection that leaves a
//    real element is followed, in order, through the tunnels to the real elements behind
//    its destination, as Click's TunnelEnd::expand does; every flattened connection is
//    found this way, since each starts at a real element. Results are memoized per
//    (entry, port); a tunnel cycle (a compound whose output is fed back to its input
//    through input -> output) contributes nothing, as in Click. Duplicates are dropped.
//    A tunnel end with nothing on its other side would be an error ("'c' input 0 unused",
//    Click's messages), but none reaches this stage: groups are checked when parsed and
//    compound elements when their class is resolved, before their bodies are expanded.
//
// Everything that can grow with the expansion is counted against the limits in the
// header, so no input runs out of memory or time.

#include <algorithm>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "graph/args.h"
#include "graph/config_text.h"

namespace uplane::graph::config_detail {
namespace {

constexpr std::uint32_t kNoTunnel = UINT32_MAX;

enum class EndKind : std::uint8_t { kNone, kReal, kInEntry, kInExit, kOutEntry, kOutExit };

struct End {
  EndKind kind = EndKind::kNone;
  std::uint32_t id = 0;  // element index for kReal, else tunnel index
};

struct XConn {
  End from;
  std::uint32_t from_port = 0;
  End to;
  std::uint32_t to_port = 0;
  Pos where;
};

struct Env {
  const Env* parent = nullptr;
  std::uint32_t depth = 0;
  std::vector<Define> vars;  // reserved in advance: `index` points into it
  // Past a few variables, a lookup table (a file can define thousands).
  std::unordered_map<std::string_view, const std::string*> index;

  void add(Define d) {
    vars.push_back(std::move(d));
    if (vars.size() == kIndexFrom) {
      for (const Define& v : vars) index.emplace(v.name, &v.value);
    } else if (vars.size() > kIndexFrom) {
      index.emplace(vars.back().name, &vars.back().value);
    }
  }
  const std::string* find(std::string_view name) const {
    if (vars.size() >= kIndexFrom) {
      auto f = index.find(name);
      return f == index.end() ? nullptr : f->second;
    }
    for (const Define& v : vars) {
      if (v.name == name) return &v.value;
    }
    return nullptr;
  }
  static constexpr std::size_t kIndexFrom = 8;
};

struct Tunnel {
  std::string name;  // the compound element's name, or "<anonymous group>"
  Pos where;
};

// A compound element waiting to be expanded.
struct Pending {
  const CompoundDef* def = nullptr;
  std::vector<std::string> values;  // one per formal
  std::uint32_t tunnel = 0;         // its tunnel, which holds its name
  const Env* caller = nullptr;
  std::uint32_t depth = 0;
};

std::uint64_t end_key(End e, std::uint32_t port) {
  return (std::uint64_t{e.id} << 20) | (std::uint64_t{static_cast<std::uint8_t>(e.kind)} << 16) |
         port;
}
std::uint64_t real_key(std::uint32_t element, std::uint32_t port) {
  return (std::uint64_t{element} << 16) | port;
}

struct PairHash {
  std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& p) const noexcept {
    return std::hash<std::uint64_t>()(p.first * 0x9e3779b97f4a7c15ULL ^ p.second);
  }
};

class Elaborator {
 public:
  Elaborator(const Program& program, const FileTable& files, Diagnostics* diag)
      : program_(program), files_(files), diag_(diag) {
    // Full names are paths of local names, and local names are unique in their body, so
    // two full names can only collide when some local name holds a '/' itself.
    auto slashed = [](const Body& b) {
      return std::any_of(b.slots.begin(), b.slots.end(), [](const Slot& s) {
        return s.kind == SlotKind::kElement && s.name.find('/') != std::string::npos;
      });
    };
    check_names_ = slashed(program.top);
    for (const auto& c : program.compounds) check_names_ = check_names_ || slashed(c->body);
  }

  bool run(FlatConfig* out) {
    envs_.emplace_back();
    envs_.back().vars.reserve(program_.top.defines.size());
    for (const Define& d : program_.top.defines) envs_.back().add(d);
    out_ = out;
    if (!check_bounds() || !expand() || !rewire(out)) return false;
    out->requirements = program_.requirements;
    return true;
  }

 private:
  bool fail(Pos where, std::string message) { return diag_->fail(where, std::move(message)); }
  Landmark landmark(Pos p) const { return files_.landmark(p); }

  bool add_text(std::size_t bytes) {
    text_bytes_ += bytes;
    if (text_bytes_ <= kMaxTextBytes) return true;
    return diag_->fail_resource(
        fmt::format("configuration too large: more than {} MiB of element "
                    "names and configuration strings after expansion",
                    kMaxTextBytes >> 20));
  }
  bool count_element() {
    if (++element_count_ <= kMaxElements) return true;
    return diag_->fail_resource(fmt::format(
        "configuration too large: more than {} elements after expansion", kMaxElements));
  }
  bool count_connections(std::size_t n) {
    connection_count_ += n;
    if (connection_count_ <= kMaxConnections) return true;
    return diag_->fail_resource(fmt::format(
        "configuration too large: more than {} connections after expansion", kMaxConnections));
  }
  bool count_steps(std::size_t n) {
    steps_ += n;
    if (steps_ <= kMaxSteps) return true;
    return diag_->fail_resource(
        fmt::format("configuration too large: expanding compound elements takes more than "
                    "{} steps",
                    kMaxSteps));
  }

  // Names are unique across the whole configuration: "a/b" written at file level collides
  // with element b of compound a.
  bool claim_name(std::string_view name, Pos where) {
    if (!check_names_) return true;
    auto [it, fresh] = names_.emplace(name, where);
    if (fresh) return true;
    return fail(where, fmt::format("redeclaration of element '{}' (previously declared at {})",
                                   name, diag_->where(it->second)));
  }

  std::string expand_config(const std::string& text, const Env* env) {
    return expand_variables(text, [env](std::string_view name) -> const std::string* {
      for (const Env* e = env; e != nullptr; e = e->parent) {
        if (const std::string* v = e->find(name)) return v;
      }
      return nullptr;
    });
  }

  bool add_element(std::string name, std::string class_name, std::string config, Pos where,
                   End* end) {
    if (!count_element() || !add_text(name.size() + config.size())) return false;
    if (!claim_name(name, where)) return false;
    out_->elements.push_back(
        ElementDecl{std::move(name), std::move(class_name), std::move(config), landmark(where)});
    *end = End{EndKind::kReal, static_cast<std::uint32_t>(out_->elements.size() - 1)};
    return true;
  }

  std::uint32_t add_tunnel(std::string name, Pos where) {
    tunnels_.push_back(Tunnel{std::move(name), where});
    return static_cast<std::uint32_t>(tunnels_.size() - 1);
  }

  bool check_bounds();
  bool resolve(const Slot& slot, const std::string& name, const std::string& config,
               const CompoundDef** def, std::vector<std::string>* values, std::string* primitive);
  bool expand_body(const Body& body, const Env* env, const std::string& prefix, std::uint32_t self,
                   std::uint32_t depth, std::vector<Pending>* children);
  bool expand();
  std::size_t connections_leaving(End exit, std::uint32_t port, std::size_t* end) const;
  bool destinations(End entry, std::uint32_t port, std::uint32_t* begin, std::uint32_t* count);
  bool rewire(FlatConfig* out);

  const Program& program_;
  const FileTable& files_;
  Diagnostics* diag_;
  std::deque<Env> envs_;        // stable addresses: environments point to their parents
  FlatConfig* out_ = nullptr;   // elements are added to it as they are expanded
  std::deque<Tunnel> tunnels_;  // stable addresses: instances are expanded from their names
  std::vector<XConn> conns_;
  bool check_names_ = false;
  std::unordered_map<std::string, Pos> names_;  // only when check_names_
  std::size_t text_bytes_ = 0;
  std::size_t element_count_ = 0;
  std::size_t connection_count_ = 0;
  std::size_t steps_ = 0;

  // (end_key of an exit, connection), sorted: the connections leaving each exit.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> leaving_;
  // Real destinations behind an entry: a range of pool_ (real_key()s, sorted, unique).
  struct Memo {
    std::uint32_t begin = 0;
    std::uint32_t count = 0;
    std::uint8_t state = 0;  // 0 not visited, 1 in progress, 2 done
  };
  std::vector<std::uint64_t> pool_;
  // Memos of port 0, the usual case, by [input entry or output entry][tunnel]; other
  // ports by end_key().
  std::vector<Memo> memo0_[2];
  std::unordered_map<std::uint64_t, Memo> memo_ports_;
  Memo& memo(End entry, std::uint32_t port) {
    if (port == 0) return memo0_[entry.kind == EndKind::kInEntry ? 0 : 1][entry.id];
    return memo_ports_[end_key(entry, port)];
  }
};

bool Elaborator::check_bounds() {
  // An upper bound on what each class expands to (elements, and connections before
  // rewiring), counting the largest alternative of an overloaded class. Classes are
  // visited in the order they were finished, so the classes a body uses are already
  // counted; a class that reaches one that is not (only possible through an overload chain
  // inside one elementclass statement) gets no bound and is left to the counters of the
  // expansion. A few lines of nested classes can ask for 2^40 elements: this refuses them
  // before any is built.
  struct Bound {
    bool known = false;
    std::uint64_t elements = 0;
    std::uint64_t conns = 0;
  };
  constexpr std::uint64_t kCap = std::uint64_t{1} << 40;  // saturate: no overflow
  std::unordered_map<const CompoundDef*, Bound> bounds;
  auto bound_of = [&](const Body& body, Bound* b) {
    b->known = true;
    b->elements = 0;
    b->conns = body.conns.size();
    for (const Slot& s : body.slots) {
      if (s.kind != SlotKind::kElement && s.kind != SlotKind::kGroup) continue;
      b->elements = std::min(kCap, b->elements + 1);
      std::uint64_t most_elements = 0;
      std::uint64_t most_conns = 0;
      std::size_t guard = 0;
      for (const CompoundDef* c = s.cls.compound; c != nullptr && guard <= bounds.size();
           c = c->overload ? c->overload->compound : nullptr, ++guard) {
        auto f = bounds.find(c);
        if (f == bounds.end() || !f->second.known) {
          b->known = false;
          return;
        }
        most_elements = std::max(most_elements, f->second.elements);
        most_conns = std::max(most_conns, f->second.conns);
      }
      b->elements = std::min(kCap, b->elements + most_elements);
      b->conns = std::min(kCap, b->conns + most_conns);
    }
  };
  for (const CompoundDef* def : program_.finished) bound_of(def->body, &bounds[def]);
  Bound top;
  bound_of(program_.top, &top);
  if (!top.known) return true;
  if (top.elements > kMaxElements) {
    return diag_->fail_resource(fmt::format(
        "configuration too large: more than {} elements after expansion", kMaxElements));
  }
  if (top.conns > kMaxConnections) {
    return diag_->fail_resource(fmt::format(
        "configuration too large: more than {} connections after expansion", kMaxConnections));
  }
  return true;
}

bool Elaborator::resolve(const Slot& slot, const std::string& name, const std::string& config,
                         const CompoundDef** def, std::vector<std::string>* values,
                         std::string* primitive) {
  // Click's Compound::resolve: the first alternative whose formals take the arguments and
  // whose port counts are the ones used wins; failing that, a '...' base class; failing
  // that, a lone compound is used anyway when its formals fit (its port errors come later).
  const std::vector<std::string> args = split_args(config);
  const CompoundDef* closest = nullptr;
  std::vector<std::string> closest_values;
  std::string first_error;
  std::size_t candidates = 0;
  const CompoundDef* ct = slot.cls.compound;
  // Alternatives only point to later ones or to older classes, so the chain ends; the
  // guard is for safety, not for any input.
  for (std::size_t guard = 0; guard <= program_.compounds.size(); ++guard) {
    ++candidates;
    // Trying an alternative costs about what copying its arguments costs.
    if (!count_steps(8 + args.size() + ct->formals.size())) return false;
    ArgumentBinding b = bind_arguments(ct->formals, args, candidates == 1);
    if (b.ok && ct->ninputs == slot.inputs_used.size() &&
        ct->noutputs == slot.outputs_used.size()) {
      *def = ct;
      *values = std::move(b.values);
      return true;
    }
    if (b.ok) {
      closest = ct;
      closest_values = std::move(b.values);
    } else if (candidates == 1) {
      first_error = std::move(b.error);
    }
    if (!ct->overload) break;
    if (ct->overload->compound == nullptr) {
      *def = nullptr;
      *primitive = ct->overload->primitive;
      return true;
    }
    ct = ct->overload->compound;
  }

  const CompoundDef& head = *slot.cls.compound;
  const std::string cls = head.name.empty() ? "<anonymous>" : head.name;
  const std::size_t nin = slot.inputs_used.size();
  const std::size_t nout = slot.outputs_used.size();
  if (candidates == 1 && closest == nullptr) {
    return fail(slot.where,
                fmt::format("'{}' :: {}: {}; the class takes {} (declared at {})", name, cls,
                            first_error, signature(head), diag_->where(head.where)));
  }
  if (candidates == 1) {
    *def = closest;
    *values = std::move(closest_values);
    return true;
  }
  std::string list;
  for (const CompoundDef* c = &head; c != nullptr;
       c = c->overload ? c->overload->compound : nullptr) {
    list += fmt::format("\n  {} [{} input{}, {} output{}] at {}", signature(*c), c->ninputs,
                        c->ninputs == 1 ? "" : "s", c->noutputs, c->noutputs == 1 ? "" : "s",
                        diag_->where(c->where));
    if (list.size() > 4096) break;
  }
  return fail(slot.where,
              fmt::format("'{}' :: {}: no match for {} argument{}, {} input{}, {} output{}; "
                          "candidates are:{}",
                          name, cls, args.size(), args.size() == 1 ? "" : "s", nin,
                          nin == 1 ? "" : "s", nout, nout == 1 ? "" : "s", list));
}

bool Elaborator::expand_body(const Body& body, const Env* env, const std::string& prefix,
                             std::uint32_t self, std::uint32_t depth,
                             std::vector<Pending>* children) {
  std::vector<End> as_from(body.slots.size());
  std::vector<End> as_to(body.slots.size());
  for (std::size_t i = 0; i < body.slots.size(); ++i) {
    const Slot& s = body.slots[i];
    switch (s.kind) {
      case SlotKind::kInput:
        as_from[i] = End{EndKind::kInExit, self};
        break;
      case SlotKind::kOutput:
        as_to[i] = End{EndKind::kOutEntry, self};
        break;
      case SlotKind::kGroup: {
        if (!count_element()) return false;
        const std::uint32_t t = add_tunnel("<anonymous group>", s.where);
        as_from[i] = End{EndKind::kOutExit, t};
        as_to[i] = End{EndKind::kInEntry, t};
        break;
      }
      case SlotKind::kGroupInput:  // always right after its group
        as_from[i] = End{EndKind::kInExit, as_to[i - 1].id};
        break;
      case SlotKind::kGroupOutput:
        as_to[i] = End{EndKind::kOutEntry, as_to[i - 2].id};
        break;
      case SlotKind::kElement: {
        std::string name = prefix + s.name;
        // Expanding can shrink a configuration ("${empty}"), so the text scanned counts too.
        if (!add_text(s.config.size())) return false;
        std::string config = expand_config(s.config, env);
        End e;
        if (s.cls.compound == nullptr) {
          if (!add_element(std::move(name), s.cls.primitive, std::move(config), s.where, &e)) {
            return false;
          }
        } else {
          const CompoundDef* def = nullptr;
          std::vector<std::string> values;
          std::string primitive;
          if (!resolve(s, name, config, &def, &values, &primitive)) return false;
          if (def == nullptr) {
            if (!add_element(std::move(name), std::move(primitive), std::move(config), s.where,
                             &e)) {
              return false;
            }
          } else {
            // Ports that do not match are found now rather than after expanding its body.
            if (std::string m =
                    port_mismatch(name, def->ninputs, def->noutputs, s.inputs_used, s.outputs_used);
                !m.empty()) {
              return fail(s.where, std::move(m));
            }
            if (!count_element() || !add_text(name.size())) return false;
            const std::uint32_t t = add_tunnel(std::move(name), s.where);
            if (!claim_name(tunnels_.back().name, s.where)) return false;
            children->push_back(Pending{def, std::move(values), t, env, depth + 1});
            as_from[i] = End{EndKind::kOutExit, t};
            as_to[i] = End{EndKind::kInEntry, t};
            break;
          }
        }
        as_from[i] = e;
        as_to[i] = e;
        break;
      }
    }
  }
  if (!count_connections(body.conns.size())) return false;
  for (const Conn& c : body.conns) {
    conns_.push_back(XConn{as_from[c.from], c.from_port, as_to[c.to], c.to_port, c.where});
  }
  return true;
}

bool Elaborator::expand() {
  struct Frame {
    std::vector<Pending> children;
    std::size_t next = 0;
  };
  std::vector<Frame> stack(1);
  if (!expand_body(program_.top, &envs_.front(), "", kNoTunnel, 0, &stack[0].children)) {
    return false;
  }
  while (!stack.empty()) {
    if (stack.back().next == stack.back().children.size()) {
      stack.pop_back();
      continue;
    }
    Pending p = std::move(stack.back().children[stack.back().next++]);
    const CompoundDef& def = *p.def;
    if (p.depth > kMaxExpansionDepth) {
      return fail(tunnels_[p.tunnel].where,
                  fmt::format("compound elements nested more than {} deep when expanded; is "
                              "elementclass '{}' recursive?",
                              kMaxExpansionDepth, def.name));
    }
    // The instance sees its formals, its defines, then the environment its class was
    // declared in: the caller's environment cut back to the class's lexical depth.
    const Env* parent = p.caller;
    while (parent != nullptr && parent->depth >= def.body.depth) parent = parent->parent;
    if (!count_steps(def.formals.size() + def.body.defines.size())) return false;
    envs_.emplace_back();
    Env& env = envs_.back();
    env.parent = parent;
    env.depth = def.body.depth;
    env.vars.reserve(def.formals.size() + def.body.defines.size());
    for (std::size_t i = 0; i < def.formals.size(); ++i) {
      if (!add_text(p.values[i].size())) return false;
      env.add(Define{def.formals[i].name, std::move(p.values[i])});
    }
    for (const Define& d : def.body.defines) {
      std::string value = expand_config(d.value, &env);
      if (!add_text(value.size())) return false;
      env.add(Define{d.name, std::move(value)});
    }
    std::vector<Pending> children;
    if (!expand_body(def.body, &env, tunnels_[p.tunnel].name + "/", p.tunnel, p.depth, &children)) {
      return false;
    }
    if (!children.empty()) stack.push_back(Frame{std::move(children), 0});
  }
  return true;
}

// The other half of a tunnel end: an entry's exit, an exit's entry.
End paired(End e) {
  switch (e.kind) {
    case EndKind::kInEntry:
      return End{EndKind::kInExit, e.id};
    case EndKind::kInExit:
      return End{EndKind::kInEntry, e.id};
    case EndKind::kOutEntry:
      return End{EndKind::kOutExit, e.id};
    default:
      return End{EndKind::kOutEntry, e.id};
  }
}

std::size_t Elaborator::connections_leaving(End exit, std::uint32_t port, std::size_t* end) const {
  const std::uint64_t k = end_key(exit, port);
  const auto lo = std::lower_bound(leaving_.begin(), leaving_.end(), std::make_pair(k, 0u));
  auto hi = lo;
  while (hi != leaving_.end() && hi->first == k) ++hi;
  *end = static_cast<std::size_t>(hi - leaving_.begin());
  return static_cast<std::size_t>(lo - leaving_.begin());
}

bool Elaborator::destinations(End entry, std::uint32_t port, std::uint32_t* begin,
                              std::uint32_t* count) {
  // The real destinations behind a tunnel entry: a depth-first search over the tunnels,
  // without recursion, memoized per entry. Frames collect results on one scratch stack,
  // each right after its parent's, so a finished child's results are already part of its
  // parent's; the child keeps a sorted copy in pool_ as its memo. An entry met again while
  // in progress is a cycle through tunnels and adds nothing, as in Click.
  if (const Memo& m = memo(entry, port); m.state == 2) {
    *begin = m.begin;
    *count = m.count;
    return true;
  }
  struct Frame {
    End entry;
    std::uint32_t port;
    std::size_t next;  // in leaving_
    std::size_t end;
    std::size_t start;  // where its results start in scratch
  };
  std::vector<Frame> stack;
  std::vector<std::uint64_t> scratch;
  auto push = [&](End e, std::uint32_t p) {
    std::size_t end = 0;
    const std::size_t next = connections_leaving(paired(e), p, &end);
    memo(e, p).state = 1;
    stack.push_back(Frame{e, p, next, end, scratch.size()});
  };
  push(entry, port);
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next == f.end) {
      const auto first = scratch.begin() + static_cast<std::ptrdiff_t>(f.start);
      std::sort(first, scratch.end());
      scratch.erase(std::unique(first, scratch.end()), scratch.end());
      const std::size_t n = scratch.size() - f.start;
      // pool_ grows by at most the steps counted, which fit in its 32-bit ranges.
      static_assert(kMaxSteps < UINT32_MAX);
      if (!count_steps(n)) return false;
      Memo& m = memo(f.entry, f.port);
      m.state = 2;
      m.begin = static_cast<std::uint32_t>(pool_.size());
      m.count = static_cast<std::uint32_t>(n);
      pool_.insert(pool_.end(), first, scratch.end());
      stack.pop_back();
      continue;
    }
    if (!count_steps(1)) return false;
    const XConn& c = conns_[leaving_[f.next++].second];
    if (c.to.kind == EndKind::kReal) {
      scratch.push_back(real_key(c.to.id, c.to_port));
    } else if (c.to.kind != EndKind::kNone) {  // kNone: pseudo-element misuse, rejected
      const Memo& m = memo(c.to, c.to_port);
      if (m.state == 2) {
        if (!count_steps(m.count)) return false;
        const auto b = pool_.begin() + m.begin;
        scratch.insert(scratch.end(), b, b + m.count);
      } else if (m.state == 0) {
        push(c.to, c.to_port);
      }
    }
  }
  const Memo& m = memo(entry, port);
  *begin = m.begin;
  *count = m.count;
  return true;
}

bool Elaborator::rewire(FlatConfig* out) {
  for (std::uint32_t i = 0; i < conns_.size(); ++i) {
    const XConn& c = conns_[i];
    if (c.from.kind == EndKind::kInExit || c.from.kind == EndKind::kOutExit) {
      leaving_.emplace_back(end_key(c.from, c.from_port), i);
    }
  }
  std::sort(leaving_.begin(), leaving_.end());
  memo0_[0].assign(tunnels_.size(), Memo{});
  memo0_[1].assign(tunnels_.size(), Memo{});

  // Every flattened connection starts at a real element, so following each connection
  // that leaves a real element, in order, finds them all, in source order.
  std::unordered_set<std::pair<std::uint64_t, std::uint64_t>, PairHash> seen;
  auto emit = [&](std::uint64_t from, std::uint64_t to, Pos where) {
    if (!seen.emplace(from, to).second) return true;
    if (!count_connections(1)) return false;
    out->connections.push_back(ConnectionDecl{
        static_cast<std::uint32_t>(from >> 16), static_cast<std::uint32_t>(from & 0xffff),
        static_cast<std::uint32_t>(to >> 16), static_cast<std::uint32_t>(to & 0xffff),
        landmark(where)});
    return true;
  };
  for (const XConn& c : conns_) {
    if (c.from.kind != EndKind::kReal) continue;
    const std::uint64_t from = real_key(c.from.id, c.from_port);
    if (c.to.kind == EndKind::kReal) {
      if (!emit(from, real_key(c.to.id, c.to_port), c.where)) return false;
      continue;
    }
    if (c.to.kind == EndKind::kNone) continue;
    std::uint32_t begin = 0;
    std::uint32_t count = 0;
    if (!destinations(c.to, c.to_port, &begin, &count) || !count_steps(count)) return false;
    for (std::uint32_t i = 0; i < count; ++i) {
      if (!emit(from, pool_[begin + i], c.where)) return false;
    }
  }
  return true;
}

}  // namespace

bool elaborate(const Program& program, const FileTable& files, Diagnostics* diag, FlatConfig* out) {
  Elaborator e(program, files, diag);
  return e.run(out) && !diag->failed();
}

}  // namespace uplane::graph::config_detail
