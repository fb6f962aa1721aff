#include "tenant/host_config.h"

// The checker walks the TOML tree once, section by section ([[port]], [[worker]],
// [[tenant]], then the top-level keys that refer to them), and keeps going after an error:
// a value that fails its check is left at its default and, where later checks depend on it
// (a port's name, a tenant's selector), the dependent checks are skipped rather than
// reported again. Cross-checks (workers against ports, selectors against each other, each
// tenant's Click configuration) run last, over what parsed.
//
// toml++ is built with exceptions in Debian's shared library, so parse() throws its
// parse_error; it is caught here and never leaves this file.

#include <sched.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "graph/args.h"
#include "graph/router.h"
#include "net/ether.h"

namespace uplane::tenant {
namespace {

constexpr std::size_t kMaxFileBytes = 16u << 20;
constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kIfNameMax = 15;    // IFNAMSIZ - 1
constexpr std::size_t kSunPathMax = 107;  // sizeof(sockaddr_un::sun_path) - 1
constexpr std::int64_t kMaxQueues = 256;
constexpr std::int64_t kMinRing = 64;
constexpr std::int64_t kMaxRing = 32768;
constexpr std::int64_t kMaxVlan = 4094;
constexpr std::int64_t kMaxWeight = 1'000'000;
constexpr std::uint64_t kMaxRate = 1'000'000'000'000'000;  // 10^15 per second

constexpr std::string_view kTopKeys[] = {"control", "default_tenant", "port", "worker", "tenant"};
constexpr std::string_view kPortKeys[] = {"name", "device", "driver", "queues", "ring_size"};
constexpr std::string_view kWorkerKeys[] = {"cpu", "ports"};
constexpr std::string_view kTenantKeys[] = {"name",   "config",  "click",    "mode",    "selector",
                                            "budget", "restart", "stall_ms", "trusted", "program"};
constexpr std::string_view kSelectorKeys[] = {"ports", "vlans", "macs"};
constexpr std::string_view kBudgetKeys[] = {"cpu_share", "pps", "bps", "frames", "weight"};
constexpr std::string_view kDrivers[] = {"auto", "xdp", "packet", "tap", "shm", "null"};
// FromDevice/ToDevice keywords that choose or tune a driver: the host's, refused in a
// tenant's configuration (tenant/tenant_elements.h).
constexpr std::string_view kHostKeywords[] = {"METHOD",    "CAPTURE",  "QUEUE",
                                              "PROMISC",   "ZEROCOPY", "XDP_MODE",
                                              "RING_SIZE", "FANOUT",   "BPF_FILTER"};

template <class Range>
std::string join(const Range& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string join_ports(const std::vector<PortSpec>& ports) {
  std::vector<std::string> names;
  for (const PortSpec& p : ports) names.push_back(p.name);
  return names.empty() ? std::string("none") : join(names);
}

std::string mac_string(const Mac& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

// Levenshtein distance, for "did you mean": only short words are compared.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// How a value was written, for messages: strings quoted, numbers as they are.
std::string shown(const toml::node& n) {
  if (const auto* s = n.as_string()) return fmt::format("\"{}\"", s->get());
  if (const auto* i = n.as_integer()) return fmt::format("{}", i->get());
  if (const auto* f = n.as_floating_point()) return fmt::format("{}", f->get());
  return std::string(type_name(n));
}

// A whole count with an optional decimal fraction and K/M/G suffix: "100000", "2.5k",
// "1G". nullopt when it is not one, or is above kMaxRate.
std::optional<std::uint64_t> parse_scaled(std::string_view s) {
  std::size_t i = 0;
  std::uint64_t whole = 0;
  const auto digit = [&](std::size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
  if (!digit(0)) return std::nullopt;
  for (; digit(i); ++i) {
    whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (whole > kMaxRate) return std::nullopt;
  }
  std::uint64_t frac = 0, den = 1;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digit(i)) return std::nullopt;
    for (; digit(i); ++i) {
      if (den >= 1'000'000'000) return std::nullopt;  // more than 9 decimals
      frac = frac * 10 + static_cast<std::uint64_t>(s[i] - '0');
      den *= 10;
    }
  }
  std::uint64_t mult = 1;
  if (i < s.size()) {
    switch (s[i]) {
      case 'k':
      case 'K':
        mult = 1'000;
        break;
      case 'M':
        mult = 1'000'000;
        break;
      case 'G':
        mult = 1'000'000'000;
        break;
      default:
        return std::nullopt;
    }
    ++i;
  }
  if (i != s.size()) return std::nullopt;
  if (whole > kMaxRate / mult) return std::nullopt;
  if ((frac * mult) % den != 0) return std::nullopt;  // not a whole number
  const std::uint64_t v = whole * mult + frac * mult / den;
  if (v > kMaxRate) return std::nullopt;
  return v;
}

// The set of CPUs this process may run on.
struct CpuSet {
  cpu_set_t set;
  bool known = false;

  CpuSet() {
    CPU_ZERO(&set);
    known = sched_getaffinity(0, sizeof(set), &set) == 0;
  }
  bool has(std::int64_t cpu) const {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
    return !known || CPU_ISSET(static_cast<int>(cpu), &set);
  }
  // "0-3,6"
  std::string str() const {
    std::string out;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (!has(c) || (c > 0 && has(c - 1))) continue;
      int end = c;
      while (end + 1 < CPU_SETSIZE && has(end + 1)) ++end;
      if (!out.empty()) out += ',';
      out += end == c ? fmt::format("{}", c) : fmt::format("{}-{}", c, end);
    }
    return out;
  }
};

struct Diagnostic {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t col = 0;
  std::string text;  // the whole line: "file:line:col: message"
};

// "file:12:5: rest" -> line 12, col 5 when `text` starts with `file`; else zeros.
void position_of(std::string_view text, std::string_view file, Diagnostic& d) {
  if (text.substr(0, file.size()) != file || text.substr(file.size(), 1) != ":") return;
  std::size_t i = file.size() + 1;
  std::uint32_t nums[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    std::uint32_t v = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 9) {
      v = v * 10 + static_cast<std::uint32_t>(text[i] - '0');
      ++i;
    }
    if (i == start || i >= text.size() || text[i] != ':') return;
    nums[k] = v;
    ++i;
  }
  d.line = nums[0];
  d.col = nums[1];
}

// What the parser knows about a tenant beyond its spec.
struct TenantInfo {
  bool click_ok = false;     // the text was read (file) or given (inline)
  bool selector_ok = true;   // every selector value parsed
  SourceRef selector_where;  // the [tenant.selector] table, else the tenant
};

class HostParser {
 public:
  HostParser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  // A change to a running host: `text` holds one [[tenant]] table (and nothing else),
  // checked against `current`'s ports, workers and other tenants. `replacing` names the
  // tenant it replaces (left out of the overlap checks), or is empty for a new one.
  Result<TenantSpec> parse_change(const HostSpec& current, std::string_view replacing) {
    host_ = current;
    host_.file = file_;
    std::erase_if(host_.tenants, [&](const TenantSpec& t) { return t.name == replacing; });
    for (const TenantSpec& t : host_.tenants) {
      TenantInfo info;
      info.click_ok = false;  // running already: not checked again
      info.selector_where = t.where;
      infos_.push_back(info);
    }
    const std::size_t before = host_.tenants.size();
    toml::table root;
    try {
      root = toml::parse(text_, file_);
    } catch (const toml::parse_error& e) {
      error(ref(e.source()), fmt::format("TOML syntax error: {}", e.description()));
      return finish().status();
    }
    constexpr std::string_view kChangeKeys[] = {"tenant"};
    check_keys(root, "in a tenant change (one [[tenant]] table)", kChangeKeys);
    const toml::node* n = root.get("tenant");
    const toml::array* a = n != nullptr ? n->as_array() : nullptr;
    if (a == nullptr || a->size() != 1) {
      error(SourceRef{file_, 1, 1}, "expected exactly one [[tenant]] table");
      return finish().status();
    }
    parse_tenants(n);
    if (host_.tenants.size() == before + 1) {
      const TenantSpec& t = host_.tenants.back();
      if (!replacing.empty() && t.name != replacing) {
        error(t.where, fmt::format("tenant.name: '{}' does not name the tenant being replaced "
                                   "('{}')",
                                   t.name, replacing));
      }
      for (std::size_t i = 0; i < before; ++i) {
        if (host_.tenants[i].name == t.name)
          error(t.where, fmt::format("tenant.name: a tenant named '{}' is running already "
                                     "(replace it, or remove it first)",
                                     t.name));
      }
    }
    check_selectors();
    check_clicks();
    auto done = finish();  // moves host_ out
    if (!done.is_ok()) return done.status();
    if (done->tenants.size() != before + 1)
      return make_error(Errc::kInvalidArgument, "{}: no tenant", file_);
    return std::move(done->tenants.back());
  }

  Result<HostSpec> parse() {
    host_.file = file_;
    toml::table root;
    try {
      root = toml::parse(text_, file_);
    } catch (const toml::parse_error& e) {
      error(ref(e.source()), fmt::format("TOML syntax error: {}", e.description()));
      return finish();
    }
    check_keys(root, "at the top level", kTopKeys);
    parse_ports(root.get("port"));
    parse_workers(root.get("worker"));
    parse_tenants(root.get("tenant"));
    if (const toml::node* n = root.get("control")) parse_control(*n);
    if (const toml::node* n = root.get("default_tenant")) parse_default_tenant(*n);
    check_selectors();
    check_clicks();
    return finish();
  }

 private:
  // --- positions and errors ---

  SourceRef ref(const toml::source_region& r) const {
    return SourceRef{file_, r.begin.line, r.begin.column};
  }
  // A node's position, or `fallback` when toml++ has none (implicit tables).
  SourceRef ref(const toml::node& n, const SourceRef& fallback) const {
    return n.source().begin.line == 0 ? fallback : ref(n.source());
  }
  SourceRef ref(const toml::node& n) const { return ref(n, SourceRef{file_, 1, 1}); }
  static std::string str(const SourceRef& r) {
    if (r.line == 0) return r.file;
    return fmt::format("{}:{}:{}", r.file, r.line, r.column);
  }

  void error(const SourceRef& at, std::string message) {
    if (errors_.size() >= kMaxHostConfigErrors) {
      truncated_ = true;
      return;
    }
    errors_.push_back(
        Diagnostic{at.file, at.line, at.column, fmt::format("{}: {}", str(at), message)});
  }
  // A message that already names its position ("file:line:col: ...").
  void error_text(std::string text) {
    if (errors_.size() >= kMaxHostConfigErrors) {
      truncated_ = true;
      return;
    }
    Diagnostic d;
    position_of(text, file_, d);
    d.file = d.line == 0 ? std::string() : file_;
    d.text = std::move(text);
    errors_.push_back(std::move(d));
  }

  Result<HostSpec> finish() {
    if (errors_.empty()) return std::move(host_);
    // The TOML file's own errors in the order of the file, then the others (a tenant's
    // .click file) as found.
    std::stable_sort(errors_.begin(), errors_.end(), [&](const Diagnostic& a, const Diagnostic& b) {
      const bool a_here = a.file == file_, b_here = b.file == file_;
      if (a_here != b_here) return a_here;
      if (!a_here) return false;
      return std::pair(a.line, a.col) < std::pair(b.line, b.col);
    });
    std::vector<std::string> lines;
    for (const Diagnostic& d : errors_) lines.push_back(d.text);
    if (truncated_)
      lines.push_back(fmt::format("{}: too many errors; stopped after {}", file_, errors_.size()));
    return Status(Errc::kInvalidArgument, join(lines, "\n"));
  }

  // --- keys and typed values ---

  void check_keys(const toml::table& t, std::string_view section,
                  std::span<const std::string_view> known) {
    for (auto&& [k, v] : t) {
      const std::string_view key = k.str();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string hint;
      if (key.size() <= kMaxNameLength) {
        std::size_t best = 3;
        for (std::string_view cand : known) {
          const std::size_t d = edit_distance(key, cand);
          if (d < best) {
            best = d;
            hint = fmt::format("did you mean '{}'? ", cand);
          }
        }
      }
      const SourceRef at = k.source().begin.line != 0 ? ref(k.source()) : ref(v, ref(t));
      error(at, fmt::format("unknown key '{}' {}: {}(expected one of: {})", key, section, hint,
                            join(known)));
    }
  }

  const toml::node* required(const toml::table& t, std::string_view key, std::string_view section,
                             const SourceRef& where) {
    const toml::node* n = t.get(key);
    if (n == nullptr) error(where, fmt::format("{}: missing required key '{}'", section, key));
    return n;
  }

  std::optional<std::string> string_value(const toml::node& n, std::string_view what) {
    if (const auto* s = n.as_string()) return s->get();
    error(ref(n), fmt::format("{}: expected a string, got {}", what, type_name(n)));
    return std::nullopt;
  }

  // An integer in [lo, hi]; `expected` says what that is, when not just "an integer from
  // lo to hi".
  std::optional<std::int64_t> int_value(const toml::node& n, std::string_view what, std::int64_t lo,
                                        std::int64_t hi, std::string_view expected = {}) {
    const auto* i = n.as_integer();
    if (i == nullptr || i->get() < lo || i->get() > hi) {
      const std::string want = expected.empty() ? fmt::format("an integer from {} to {}", lo, hi)
                                                : std::string(expected);
      error(ref(n), fmt::format("{}: expected {}, got {}", what, want,
                                i == nullptr ? std::string(type_name(n)) : shown(n)));
      return std::nullopt;
    }
    return i->get();
  }

  // A name: a string, [A-Za-z][A-Za-z0-9_-]*.
  std::optional<std::string> name_value(const toml::node& n, std::string_view what) {
    auto s = string_value(n, what);
    if (!s) return std::nullopt;
    if (!is_valid_host_name(*s)) {
      error(ref(n), fmt::format("{}: '{}' is not a valid name (a letter, then letters, digits, "
                                "'_' or '-', at most {} characters)",
                                what, *s, kMaxNameLength));
      return std::nullopt;
    }
    return s;
  }

  // An array; nullptr (with an error) when `n` is something else.
  const toml::array* array_value(const toml::node& n, std::string_view what, std::string_view of) {
    if (const auto* a = n.as_array()) return a;
    error(ref(n), fmt::format("{}: expected an array of {}, got {}", what, of, type_name(n)));
    return nullptr;
  }

  // [[section]]: an array of tables.
  const toml::array* tables_value(const toml::node& n, std::string_view section) {
    const auto* a = n.as_array();
    if (a == nullptr || (!a->empty() && !a->is_array_of_tables())) {
      error(ref(n), fmt::format("'{}': expected an array of tables ([[{}]]), got {}", section,
                                section, a == nullptr ? type_name(n) : "an array of values"));
      return nullptr;
    }
    return a;
  }

  std::string resolve(std::string_view path) const {
    std::filesystem::path p{std::string(path)};
    if (p.is_absolute()) return p.lexically_normal().string();
    return (std::filesystem::path(file_).parent_path() / p).lexically_normal().string();
  }

  // --- sections ---

  void parse_ports(const toml::node* n) {
    if (n == nullptr) {
      error(SourceRef{file_, 1, 1}, "no [[port]]: a host needs at least one port");
      return;
    }
    const toml::array* ports = tables_value(*n, "port");
    if (ports == nullptr) return;
    if (ports->empty()) error(ref(*n), "no [[port]]: a host needs at least one port");
    std::map<std::string, SourceRef> seen;
    for (const toml::node& e : *ports) {
      const toml::table& t = *e.as_table();
      PortSpec p;
      p.where = ref(t);
      check_keys(t, "in [[port]]", kPortKeys);
      if (const auto* v = required(t, "name", "[[port]]", p.where)) {
        if (auto s = name_value(*v, "port.name")) {
          if (auto [it, fresh] = seen.emplace(*s, ref(*v)); !fresh) {
            error(ref(*v), fmt::format("port.name: duplicate port name '{}' (first defined at {})",
                                       *s, str(it->second)));
          } else {
            p.name = *s;
          }
        }
      }
      if (const auto* v = t.get("driver")) {
        if (auto s = string_value(*v, "port.driver")) {
          if (std::find(std::begin(kDrivers), std::end(kDrivers), *s) == std::end(kDrivers)) {
            error(ref(*v),
                  fmt::format("port.driver: expected one of {}, got \"{}\"", join(kDrivers), *s));
          } else {
            p.driver = *s;
          }
        }
      } else {
        p.driver = "auto";
      }
      if (const auto* v = required(t, "device", "[[port]]", p.where)) {
        if (auto s = string_value(*v, "port.device")) {
          const bool netdev = p.driver != "shm" && p.driver != "null";
          if (s->empty()) {
            error(ref(*v), "port.device: expected a device name, got an empty string");
          } else if (netdev && s->size() > kIfNameMax) {
            error(ref(*v), fmt::format("port.device: '{}' is longer than a Linux interface name "
                                       "can be ({} characters)",
                                       *s, kIfNameMax));
          } else {
            p.device = *s;
          }
        }
      }
      if (const auto* v = t.get("queues")) {
        if (auto q = int_value(*v, "port.queues", 1, kMaxQueues))
          p.queues = static_cast<std::uint32_t>(*q);
      }
      if (const auto* v = t.get("ring_size")) {
        const std::string want = fmt::format("a power of two from {} to {}", kMinRing, kMaxRing);
        if (auto r = int_value(*v, "port.ring_size", kMinRing, kMaxRing, want)) {
          if ((*r & (*r - 1)) != 0) {
            error(ref(*v), fmt::format("port.ring_size: expected {}, got {}", want, *r));
          } else {
            p.ring_size = static_cast<std::uint32_t>(*r);
          }
        }
      }
      // A port whose name failed is left out, so that references to it are not reported
      // again; one whose other fields failed is kept for the same reason.
      if (!p.name.empty()) host_.ports.push_back(std::move(p));
    }
  }

  const PortSpec* find_port(std::string_view name) const {
    for (const PortSpec& p : host_.ports)
      if (p.name == name) return &p;
    return nullptr;
  }

  // One element of a `ports` array: a known port's name, or nullopt (with an error).
  std::optional<std::string> port_ref(const toml::node& n, std::string_view what) {
    auto s = string_value(n, what);
    if (!s) return std::nullopt;
    if (find_port(*s) == nullptr) {
      error(ref(n),
            fmt::format("{}: no port named '{}' (ports: {})", what, *s, join_ports(host_.ports)));
      return std::nullopt;
    }
    return s;
  }

  void parse_workers(const toml::node* n) {
    std::map<std::string, SourceRef> polled;  // port -> where a worker names it
    if (n == nullptr) {
      // The default: one unpinned worker polls every port.
      WorkerSpec w;
      w.where = SourceRef{file_, 0, 0};
      for (const PortSpec& p : host_.ports) w.ports.push_back(p.name);
      host_.workers.push_back(std::move(w));
      return;
    }
    const toml::array* workers = tables_value(*n, "worker");
    if (workers == nullptr) return;
    for (const toml::node& e : *workers) {
      const toml::table& t = *e.as_table();
      WorkerSpec w;
      w.where = ref(t);
      check_keys(t, "in [[worker]]", kWorkerKeys);
      if (const auto* v = t.get("cpu")) {
        if (auto c = int_value(*v, "worker.cpu", 0, CPU_SETSIZE - 1)) {
          if (!cpus_.has(*c)) {
            error(ref(*v), fmt::format("worker.cpu: CPU {} is not one this process may run on "
                                       "(allowed: {})",
                                       *c, cpus_.str()));
          } else {
            w.cpu = static_cast<int>(*c);
          }
        }
      }
      if (const auto* v = required(t, "ports", "[[worker]]", w.where)) {
        if (const auto* a = array_value(*v, "worker.ports", "port names")) {
          if (a->empty()) error(ref(*v, w.where), "worker.ports: expected at least one port");
          for (const toml::node& pn : *a) {
            auto name = port_ref(pn, "worker.ports");
            if (!name) continue;
            if (auto [it, fresh] = polled.emplace(*name, ref(pn)); !fresh) {
              error(ref(pn), fmt::format("worker.ports: port '{}' is already polled by the "
                                         "worker at {}; a port has exactly one worker",
                                         *name, str(it->second)));
              continue;
            }
            w.ports.push_back(*name);
          }
        }
      }
      host_.workers.push_back(std::move(w));
    }
    for (const PortSpec& p : host_.ports) {
      if (polled.count(p.name) == 0)
        error(p.where, fmt::format("port '{}' is polled by no worker: add it to a [[worker]]'s "
                                   "ports",
                                   p.name));
    }
  }

  void parse_tenants(const toml::node* n) {
    if (n == nullptr) return;
    const toml::array* tenants = tables_value(*n, "tenant");
    if (tenants == nullptr) return;
    std::map<std::string, SourceRef> seen;
    for (const toml::node& e : *tenants) {
      const toml::table& t = *e.as_table();
      TenantSpec ts;
      TenantInfo info;
      ts.where = ref(t);
      info.selector_where = ts.where;
      check_keys(t, "in [[tenant]]", kTenantKeys);
      bool name_ok = false;
      if (const auto* v = required(t, "name", "[[tenant]]", ts.where)) {
        if (auto s = name_value(*v, "tenant.name")) {
          if (auto [it, fresh] = seen.emplace(*s, ref(*v)); !fresh) {
            error(ref(*v), fmt::format("tenant.name: duplicate tenant name '{}' (first defined "
                                       "at {})",
                                       *s, str(it->second)));
          } else {
            ts.name = *s;
            name_ok = true;
          }
        }
      }
      parse_click(t, ts, info);
      if (const auto* v = t.get("mode")) {
        if (auto s = string_value(*v, "tenant.mode")) {
          if (*s == "in-process") {
            ts.mode = TenantMode::kInProcess;
          } else if (*s == "process") {
            ts.mode = TenantMode::kProcess;
          } else {
            error(ref(*v), fmt::format("tenant.mode: expected \"in-process\" or \"process\", "
                                       "got \"{}\"",
                                       *s));
          }
        }
      }
      parse_process(t, ts);
      if (const auto* v = t.get("selector")) parse_selector(*v, ts, info);
      if (const auto* v = t.get("budget")) parse_budget(*v, ts);
      if (!name_ok) continue;  // nothing can refer to it
      host_.tenants.push_back(std::move(ts));
      infos_.push_back(info);
    }
  }

  // An out-of-process tenant's keys: restart, stall_ms, trusted, program (tenant_process.h).
  void parse_process(const toml::table& t, TenantSpec& ts) {
    const char* keys[] = {"restart", "stall_ms", "trusted", "program"};
    if (ts.mode != TenantMode::kProcess) {
      for (const char* k : keys)
        if (const auto* v = t.get(k))
          error(ref(*v), fmt::format("tenant.{}: only for a tenant of mode \"process\"", k));
      return;
    }
    if (const auto* v = t.get("restart")) {
      if (auto s = string_value(*v, "tenant.restart")) {
        if (*s == "always") {
          ts.restart = RestartPolicy::kAlways;
        } else if (*s == "on-failure") {
          ts.restart = RestartPolicy::kOnFailure;
        } else if (*s == "never") {
          ts.restart = RestartPolicy::kNever;
        } else {
          error(ref(*v), fmt::format("tenant.restart: expected \"always\", \"on-failure\" or "
                                     "\"never\", got \"{}\"",
                                     *s));
        }
      }
    }
    if (const auto* v = t.get("stall_ms"))
      if (auto ms = int_value(*v, "tenant.stall_ms", 0, 3'600'000))
        ts.stall_ms = static_cast<std::uint64_t>(*ms);
    if (const auto* v = t.get("trusted")) {
      if (const auto* b = v->as_boolean()) {
        ts.trusted = b->get();
      } else {
        error(ref(*v),
              fmt::format("tenant.trusted: expected true or false, got {}", type_name(*v)));
      }
    }
    if (const auto* v = t.get("program"))
      if (auto s = string_value(*v, "tenant.program")) ts.program = *s;
  }

  void parse_click(const toml::table& t, TenantSpec& ts, TenantInfo& info) {
    const toml::node* file = t.get("config");
    const toml::node* inline_text = t.get("click");
    if (file != nullptr && inline_text != nullptr) {
      error(ref(*inline_text),
            "[[tenant]]: give either 'config' (a file) or 'click' (inline "
            "text), not both");
      return;
    }
    if (file == nullptr && inline_text == nullptr) {
      error(ts.where,
            "[[tenant]]: missing its Click configuration: 'config' (a file) or "
            "'click' (inline text)");
      return;
    }
    if (file != nullptr) {
      auto path = string_value(*file, "tenant.config");
      if (!path) return;
      if (path->empty()) {
        error(ref(*file), "tenant.config: expected a file name, got an empty string");
        return;
      }
      const std::string resolved = resolve(*path);
      auto text = read_text_file(resolved);
      if (!text.is_ok()) {
        error(ref(*file), fmt::format("tenant.config: {}", text.status().message()));
        return;
      }
      ts.click = std::move(text).value();
      ts.click_file = resolved;
      ts.click_line = 1;
      info.click_ok = true;
      return;
    }
    auto text = string_value(*inline_text, "tenant.click");
    if (!text) return;
    // Where the text starts: the line after a multi-line string's opening delimiter when a
    // newline follows it (TOML drops that newline), else just after the delimiter, on its
    // line. Leading spaces stand in for the columns before it there, so that positions in
    // Click's messages are the TOML file's (TenantSpec keeps a line, not a column).
    const auto [line, col] = content_start(inline_text->source());
    ts.click = std::string(col - 1, ' ') + *text;
    ts.click_file = file_;
    ts.click_line = line;
    info.click_ok = true;
  }

  // The line and column where the content of the string at `r` starts.
  std::pair<std::uint32_t, std::uint32_t> content_start(const toml::source_region& r) const {
    std::uint32_t line = r.begin.line, col = r.begin.column;
    if (line == 0 || col == 0) return {std::max(line, 1u), 1};
    // The byte offset of the value: toml++ counts columns in code points.
    std::size_t off = 0;
    for (std::uint32_t l = 1; l < line && off < text_.size(); ++l) {
      const std::size_t nl = text_.find('\n', off);
      if (nl == std::string_view::npos) return {line, 1};
      off = nl + 1;
    }
    for (std::uint32_t c = 1; c < col && off < text_.size(); ++c) {
      ++off;
      while (off < text_.size() && (static_cast<unsigned char>(text_[off]) & 0xC0) == 0x80) ++off;
    }
    const std::string_view rest = text_.substr(std::min(off, text_.size()));
    if (rest.substr(0, 3) == "\"\"\"" || rest.substr(0, 3) == "'''") {
      if (rest.substr(3, 1) == "\n" || rest.substr(3, 2) == "\r\n") return {line + 1, 1};
      return {line, col + 3};
    }
    if (rest.substr(0, 1) == "\"" || rest.substr(0, 1) == "'") return {line, col + 1};
    return {line, 1};
  }

  void parse_selector(const toml::node& n, TenantSpec& ts, TenantInfo& info) {
    const toml::table* t = n.as_table();
    if (t == nullptr) {
      error(ref(n), fmt::format("tenant.selector: expected a table ([tenant.selector]), got {}",
                                type_name(n)));
      info.selector_ok = false;
      return;
    }
    info.selector_where = ref(*t, ts.where);
    check_keys(*t, "in [tenant.selector]", kSelectorKeys);
    Selector& sel = ts.selector;
    if (const auto* v = t->get("ports")) {
      if (const auto* a = array_value(*v, "tenant.selector.ports", "port names")) {
        for (const toml::node& e : *a) {
          auto name = port_ref(e, "tenant.selector.ports");
          if (!name) {
            info.selector_ok = false;
          } else if (std::find(sel.ports.begin(), sel.ports.end(), *name) != sel.ports.end()) {
            error(ref(e), fmt::format("tenant.selector.ports: port '{}' is listed twice", *name));
          } else {
            sel.ports.push_back(*name);
          }
        }
      } else {
        info.selector_ok = false;
      }
    }
    if (const auto* v = t->get("vlans")) {
      if (const auto* a = array_value(*v, "tenant.selector.vlans", "VLAN IDs")) {
        for (const toml::node& e : *a) {
          auto id = int_value(e, "tenant.selector.vlans", 0, kMaxVlan,
                              "a VLAN ID from 0 (untagged) to 4094");
          if (!id) {
            info.selector_ok = false;
          } else if (std::find(sel.vlans.begin(), sel.vlans.end(), *id) != sel.vlans.end()) {
            error(ref(e), fmt::format("tenant.selector.vlans: VLAN {} is listed twice", *id));
          } else {
            sel.vlans.push_back(static_cast<std::uint16_t>(*id));
          }
        }
      } else {
        info.selector_ok = false;
      }
    }
    if (const auto* v = t->get("macs")) {
      if (const auto* a = array_value(*v, "tenant.selector.macs", "MAC addresses")) {
        for (const toml::node& e : *a) {
          auto s = string_value(e, "tenant.selector.macs");
          if (!s) {
            info.selector_ok = false;
            continue;
          }
          auto mac = net::EtherAddr::parse(*s);
          if (!mac.is_ok()) {
            error(ref(e), fmt::format("tenant.selector.macs: expected a MAC address such as "
                                      "\"02:00:00:00:00:01\", got \"{}\"",
                                      *s));
            info.selector_ok = false;
            continue;
          }
          Mac m;
          std::copy(std::begin(mac->bytes), std::end(mac->bytes), m.begin());
          if (std::find(sel.macs.begin(), sel.macs.end(), m) != sel.macs.end()) {
            error(ref(e), fmt::format("tenant.selector.macs: {} is listed twice", mac_string(m)));
          } else {
            sel.macs.push_back(m);
          }
        }
      } else {
        info.selector_ok = false;
      }
    }
  }

  // pps and bps: an integer, or a string with a K, M or G suffix.
  std::optional<std::uint64_t> rate_value(const toml::node& n, std::string_view what,
                                          std::string_view unit) {
    std::optional<std::uint64_t> v;
    if (const auto* i = n.as_integer()) {
      if (i->get() >= 1 && static_cast<std::uint64_t>(i->get()) <= kMaxRate)
        v = static_cast<std::uint64_t>(i->get());
    } else if (const auto* s = n.as_string()) {
      v = parse_scaled(s->get());
      if (v && *v == 0) v.reset();
    }
    if (!v)
      error(ref(n), fmt::format("{}: expected {} per second from 1 to 10^15, as an integer or "
                                "a string with a K, M or G suffix (100000, \"2.5M\", \"1G\"), "
                                "got {}",
                                what, unit, shown(n)));
    return v;
  }

  void parse_budget(const toml::node& n, TenantSpec& ts) {
    const toml::table* t = n.as_table();
    if (t == nullptr) {
      error(ref(n),
            fmt::format("tenant.budget: expected a table ([tenant.budget]), got {}", type_name(n)));
      return;
    }
    check_keys(*t, "in [tenant.budget]", kBudgetKeys);
    Budget& b = ts.budget;
    if (const auto* v = t->get("cpu_share")) {
      std::optional<double> share;
      if (const auto* f = v->as_floating_point()) share = f->get();
      if (const auto* i = v->as_integer()) share = static_cast<double>(i->get());
      if (!share || !std::isfinite(*share) || *share <= 0 || *share > 1) {
        error(ref(*v), fmt::format("tenant.budget.cpu_share: expected a share of the worker's "
                                   "cycles in (0, 1], such as 0.25, got {}",
                                   shown(*v)));
      } else {
        b.cpu_share = *share;
      }
    }
    if (const auto* v = t->get("pps")) {
      if (auto r = rate_value(*v, "tenant.budget.pps", "packets")) b.pps = *r;
    }
    if (const auto* v = t->get("bps")) {
      if (auto r = rate_value(*v, "tenant.budget.bps", "bits")) b.bps = *r;
    }
    if (const auto* v = t->get("frames")) {
      if (auto f = int_value(*v, "tenant.budget.frames", 1, UINT32_MAX))
        b.frames = static_cast<std::uint32_t>(*f);
    }
    if (const auto* v = t->get("weight")) {
      if (auto w = int_value(*v, "tenant.budget.weight", 1, kMaxWeight))
        b.weight = static_cast<std::uint32_t>(*w);
    }
  }

  void parse_control(const toml::node& n) {
    auto s = string_value(n, "control");
    if (!s) return;
    if (s->empty()) {
      error(ref(n),
            "control: expected the path of a Unix socket, got an empty string "
            "(leave the key out for no control socket)");
      return;
    }
    const std::string path = resolve(*s);
    if (path.size() > kSunPathMax) {
      error(ref(n), fmt::format("control: the socket path '{}' is longer than a Unix socket "
                                "path can be ({} bytes)",
                                path, kSunPathMax));
      return;
    }
    host_.control = path;
  }

  void parse_default_tenant(const toml::node& n) {
    auto s = string_value(n, "default_tenant");
    if (!s) return;
    for (const TenantSpec& t : host_.tenants) {
      if (t.name == *s) {
        host_.default_tenant = *s;
        return;
      }
    }
    std::vector<std::string> names;
    for (const TenantSpec& t : host_.tenants) names.push_back(t.name);
    error(ref(n), fmt::format("default_tenant: no tenant named '{}' (tenants: {})", *s,
                              names.empty() ? std::string("none") : join(names)));
  }

  // --- cross-checks ---

  const WorkerSpec* worker_of(std::string_view port) const {
    for (const WorkerSpec& w : host_.workers)
      if (std::find(w.ports.begin(), w.ports.end(), port) != w.ports.end()) return &w;
    return nullptr;
  }

  template <class T>
  static std::optional<T> common(const std::vector<T>& a, const std::vector<T>& b) {
    for (const T& x : a)
      if (std::find(b.begin(), b.end(), x) != b.end()) return x;
    return std::nullopt;
  }

  void check_selectors() {
    for (std::size_t i = 0; i < host_.tenants.size(); ++i) {
      const TenantSpec& t = host_.tenants[i];
      if (!infos_[i].selector_ok) continue;
      if (t.selector.ports.empty()) {
        error(infos_[i].selector_where,
              fmt::format("tenant '{}': [tenant.selector] ports names no host port: a tenant "
                          "receives and sends only on the ports it selects",
                          t.name));
        continue;
      }
      // The host runs a tenant's graph on the one worker that polls all its ports.
      const WorkerSpec* first = nullptr;
      std::string first_port;
      for (const std::string& port : t.selector.ports) {
        const WorkerSpec* w = worker_of(port);
        if (w == nullptr) continue;
        if (first == nullptr) {
          first = w;
          first_port = port;
        } else if (w != first) {
          error(infos_[i].selector_where,
                fmt::format("tenant '{}': its ports '{}' and '{}' are polled by different "
                            "workers ({} and {}); a tenant's ports must share one worker",
                            t.name, first_port, port, str(first->where), str(w->where)));
          break;
        }
      }
    }
    // Two selectors overlap when some frame matches both: a port in common, and for VLANs
    // and MACs alike, a value in common or either set empty (any).
    for (std::size_t j = 0; j < host_.tenants.size(); ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        if (!infos_[i].selector_ok || !infos_[j].selector_ok) continue;
        const Selector& a = host_.tenants[i].selector;
        const Selector& b = host_.tenants[j].selector;
        const auto port = common(a.ports, b.ports);
        if (!port) continue;
        std::string vlan = "any VLAN", mac = "any MAC";
        if (!a.vlans.empty() && !b.vlans.empty()) {
          const auto v = common(a.vlans, b.vlans);
          if (!v) continue;
          vlan = *v == 0 ? std::string("untagged") : fmt::format("VLAN {}", *v);
        } else if (!a.vlans.empty() || !b.vlans.empty()) {
          const auto& some = a.vlans.empty() ? b.vlans : a.vlans;
          vlan = some[0] == 0 ? std::string("untagged") : fmt::format("VLAN {}", some[0]);
        }
        if (!a.macs.empty() && !b.macs.empty()) {
          const auto m = common(a.macs, b.macs);
          if (!m) continue;
          mac = fmt::format("destination {}", mac_string(*m));
        } else if (!a.macs.empty() || !b.macs.empty()) {
          mac = fmt::format("destination {}", mac_string(a.macs.empty() ? b.macs[0] : a.macs[0]));
        }
        error(infos_[j].selector_where,
              fmt::format("the selectors of tenants '{}' ({}) and '{}' ({}) overlap: both "
                          "match frames on port {}, {}, {}",
                          host_.tenants[i].name, str(infos_[i].selector_where),
                          host_.tenants[j].name, str(infos_[j].selector_where), *port, vlan, mac));
      }
    }
  }

  void check_clicks() {
    for (std::size_t i = 0; i < host_.tenants.size(); ++i) {
      if (!infos_[i].click_ok) continue;
      Status st = check_tenant_config(host_, host_.tenants[i]);
      if (st.is_ok()) continue;
      std::string_view rest = st.message();
      for (int guard = 0; !rest.empty() && guard < 1000; ++guard) {
        const std::size_t nl = rest.find('\n');
        error_text(std::string(rest.substr(0, nl)));
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
    }
  }

 public:
  static Result<std::string> read_text_file(const std::string& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rbe"), &std::fclose);
    if (f == nullptr) return errno_error(errno, fmt::format("cannot read '{}'", path));
    struct stat st = {};
    if (fstat(fileno(f.get()), &st) != 0)
      return errno_error(errno, fmt::format("cannot read '{}'", path));
    if (S_ISDIR(st.st_mode))
      return make_error(Errc::kInvalidArgument, "cannot read '{}': it is a directory", path);
    std::string text;
    char buf[65536];
    for (;;) {
      const std::size_t n = std::fread(buf, 1, sizeof(buf), f.get());
      text.append(buf, n);
      if (text.size() > kMaxFileBytes)
        return make_error(Errc::kInvalidArgument, "cannot read '{}': larger than {} bytes", path,
                          kMaxFileBytes);
      if (n < sizeof(buf)) break;
    }
    if (std::ferror(f.get()) != 0) return errno_error(errno, fmt::format("cannot read '{}'", path));
    return text;
  }

 private:
  std::string_view text_;
  std::string file_;
  HostSpec host_;
  std::vector<TenantInfo> infos_;  // one per host_.tenants entry
  CpuSet cpus_;
  std::vector<Diagnostic> errors_;
  bool truncated_ = false;
};

// FromDevice/ToDevice's DEVNAME: the first positional argument, or the DEVNAME keyword.
std::optional<std::string> device_argument(std::string_view config) {
  const std::vector<std::string> args = graph::split_args(config);
  for (const std::string& a : args) {
    const std::vector<std::string> words = graph::split_words(a);
    if (words.size() >= 2 && words[0] == "DEVNAME") {
      std::string_view v(a);
      v.remove_prefix(std::string_view("DEVNAME").size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '\n'))
        v.remove_prefix(1);
      std::string name = graph::unquote(v);
      if (name.empty()) return std::nullopt;
      return name;
    }
  }
  if (args.empty()) return std::nullopt;
  const std::vector<std::string> words = graph::split_words(args[0]);
  if (words.size() >= 2 && graph::is_keyword(words[0])) return std::nullopt;
  std::string name = graph::unquote(args[0]);
  if (name.empty()) return std::nullopt;
  return name;
}

}  // namespace

bool is_valid_host_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(name[0])) return false;
  for (char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-') return false;
  }
  return true;
}

std::string tenant_element_name(std::string_view tenant, std::string_view element) {
  return fmt::format("{}/{}", tenant, element);
}

Result<HostSpec> parse_host_config(std::string_view text, std::string_view file_name) {
  return HostParser(text, file_name).parse();
}

Result<TenantSpec> parse_tenant_change(std::string_view text, std::string_view file_name,
                                       const HostSpec& current, std::string_view replacing) {
  return HostParser(text, file_name).parse_change(current, replacing);
}

Result<HostSpec> parse_host_config_file(const std::string& path) {
  auto text = HostParser::read_text_file(path);
  if (!text.is_ok()) return text.status();
  return parse_host_config(*text, path);
}

Result<graph::FlatConfig> parse_tenant_click(const TenantSpec& tenant) {
  if (tenant.click_line <= 1) return graph::parse_config(tenant.click, tenant.click_file);
  // A line directive (the configuration lexer's `# LINE "FILE"`) numbers the text from
  // where it starts in its file.
  std::string escaped;
  for (char c : tenant.click_file) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  const std::string text = fmt::format("# {} \"{}\"\n{}", tenant.click_line, escaped, tenant.click);
  return graph::parse_config(text, tenant.click_file);
}

Status check_tenant_config(const HostSpec& host, const TenantSpec& tenant) {
  auto flat = parse_tenant_click(tenant);
  if (!flat.is_ok()) return flat.status();
  std::vector<std::string> errors;
  std::vector<std::string> host_ports;
  for (const PortSpec& p : host.ports) host_ports.push_back(p.name);
  const std::string port_list = host_ports.empty() ? std::string("none") : join(host_ports);
  for (const graph::ElementDecl& d : flat->elements) {
    if (errors.size() >= kMaxHostConfigErrors) break;
    const bool from = d.class_name == "FromDevice";
    if (!from && d.class_name != "ToDevice") continue;
    const std::string at = fmt::format("{}: {} :: {}", d.where.str(), d.name, d.class_name);
    const auto dev = device_argument(d.config);
    if (!dev) {
      errors.push_back(
          fmt::format("{}: expected the name of a host port (one of: {})", at, port_list));
      continue;
    }
    if (std::find(host_ports.begin(), host_ports.end(), *dev) == host_ports.end()) {
      errors.push_back(
          fmt::format("{}: no host port named '{}' (host ports: {}); in a tenant, "
                      "{} names a host port, not a device",
                      at, *dev, port_list, d.class_name));
      continue;
    }
    const auto& sel = tenant.selector.ports;
    if (!sel.empty() && std::find(sel.begin(), sel.end(), *dev) == sel.end()) {
      errors.push_back(fmt::format(
          "{}: host port '{}' is not in tenant '{}''s selector "
          "(selector.ports: {}), so {}",
          at, *dev, tenant.name, join(sel),
          from ? "nothing would arrive here" : "the host would drop everything sent here"));
      continue;
    }
    for (const std::string& arg : graph::split_args(d.config)) {
      const std::vector<std::string> words = graph::split_words(arg);
      if (words.size() < 2) continue;
      if (std::find(std::begin(kHostKeywords), std::end(kHostKeywords), words[0]) ==
          std::end(kHostKeywords))
        continue;
      errors.push_back(
          fmt::format("{}: keyword {} belongs to the host, not to a tenant: "
                      "the host port's driver, queues and ring size are set in "
                      "its [[port]]",
                      at, words[0]));
      break;
    }
  }
  // A tenant that runs a program of its own may use element classes this binary does not
  // have: its program checks its graph when it starts (and the host reports what it says).
  if (tenant.mode == TenantMode::kProcess && !tenant.program.empty()) {
    if (errors.empty()) return {};
    return Status(Errc::kInvalidArgument, join(errors, "\n"));
  }
  // Classes, port counts and push/pull, without configuring: a small pool, no devices.
  graph::RouterOptions opts;
  opts.threads = 1;
  opts.pin_threads = false;
  opts.pool.name = "check";
  opts.pool.frame_count = 64;
  opts.pool.cache_size = 0;
  auto router = graph::Router::create_unconfigured(*flat, opts);
  if (!router.is_ok() && errors.size() < kMaxHostConfigErrors)
    errors.push_back(router.status().message());
  if (errors.empty()) return {};
  return Status(Errc::kInvalidArgument, join(errors, "\n"));
}

}  // namespace uplane::tenant
