#include "graph/router.h"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <thread>
#include <unordered_map>

#include "base/cpu.h"
#include "base/log.h"
#include "graph/registry.h"
#include "graph/spec.h"
#include "graph/worker.h"

namespace uplane::graph {
namespace {

std::string where(const Landmark& lm) {
  std::string s = lm.str();
  return s.empty() ? std::string() : s + ": ";
}

// The i-th CPU this process may run on, or -1.
int nth_allowed_cpu(int i) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
  const int count = CPU_COUNT(&set);
  if (count == 0) return -1;
  int want = i % count;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set) && want-- == 0) return cpu;
  }
  return -1;
}

// Union-find over every port of every element, for push/pull resolution.
class PortSets {
 public:
  explicit PortSets(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void join(std::size_t a, std::size_t b) { parent_[find(a)] = find(b); }

 private:
  std::vector<std::size_t> parent_;
};

std::string_view processing_name(Processing p) {
  return p == Processing::kPush ? "push" : p == Processing::kPull ? "pull" : "agnostic";
}

}  // namespace

Result<std::unique_ptr<Router>> Router::create(const FlatConfig& config, RouterOptions options) {
  std::unique_ptr<Router> r(new Router());
  Status st = r->build(config, std::move(options));
  if (st.is_ok()) st = r->configure_all();
  if (st.is_ok()) st = r->initialize_all();
  if (!st.is_ok()) return st;  // ~Router cleans up whatever was set up
  return r;
}

Result<std::unique_ptr<Router>> Router::create_unconfigured(const FlatConfig& config,
                                                            RouterOptions options) {
  std::unique_ptr<Router> r(new Router());
  UPLANE_RETURN_IF_ERROR(r->build(config, std::move(options)));
  return r;
}

Router::~Router() {
  please_stop();
  cleanup_all();
  // Elements go before the pool their packets belong to.
  elements_.clear();
  tasks_.clear();
  timers_.clear();
  workers_.clear();
  if (owned_pool_ != nullptr) owned_pool_->flush_thread_cache();
}

Status Router::cleanup_and_check_leaks() {
  cleanup_all();
  if (pool_ == nullptr) return {};
  pool_->flush_thread_cache();
  if (owned_pool_ == nullptr) return {};  // shared: its owner checks (see router.h)
  return pool_->check_no_leaks();
}

void Router::cleanup_all() noexcept {
  if (!configured_) return;
  configured_ = false;
  for (auto it = elements_.rbegin(); it != elements_.rend(); ++it) (*it)->cleanup();
}

Status Router::build(const FlatConfig& config, RouterOptions options) {
  options_ = std::move(options);
  config_ = config;
  if (options_.threads < 1 || options_.threads > 256)
    return make_error(Errc::kInvalidArgument, "thread count {} is outside [1, 256]",
                      options_.threads);
  if (options_.host != nullptr && options_.threads != 1)
    return make_error(Errc::kInvalidArgument, "a hosted router runs on one thread, not {}",
                      options_.threads);
  if (options_.shared_pool != nullptr) {
    pool_ = options_.shared_pool;
  } else {
    auto pool = mem::PacketPool::create(options_.pool);
    if (!pool.is_ok()) return pool.status();
    owned_pool_ = std::move(pool).value();
    pool_ = owned_pool_.get();
  }
  for (int i = 0; i < options_.threads; ++i) workers_.push_back(std::make_unique<Worker>(i));

  // 1. Instantiate.
  for (std::size_t i = 0; i < config.elements.size(); ++i) {
    const ElementDecl& d = config.elements[i];
    const ElementClass* cls = find_element_class(d.class_name);
    if (cls == nullptr)
      return make_error(Errc::kInvalidArgument, "{}unknown element class '{}'", where(d.where),
                        d.class_name);
    std::unique_ptr<Element> e = cls->make();
    e->name_ = d.name;
    e->config_ = d.config;
    e->landmark_ = d.where;
    e->spec_ = cls->spec;
    e->router_ = this;
    e->eindex_ = static_cast<int>(i);
    elements_.push_back(std::move(e));
  }

  // 2. Count ports from the connections and check them against each spec.
  // A port beyond the class's count is reported where the connection using it is written.
  std::vector<int> nin(elements_.size(), 0), nout(elements_.size(), 0);
  std::vector<const Landmark*> in_at(elements_.size()), out_at(elements_.size());
  for (const ConnectionDecl& c : config.connections) {
    if (c.from >= elements_.size() || c.to >= elements_.size())
      return make_error(Errc::kInvalidArgument, "{}connection names no element", where(c.where));
    if (static_cast<int>(c.from_port) + 1 > nout[c.from]) {
      nout[c.from] = static_cast<int>(c.from_port) + 1;
      out_at[c.from] = &c.where;
    }
    if (static_cast<int>(c.to_port) + 1 > nin[c.to]) {
      nin[c.to] = static_cast<int>(c.to_port) + 1;
      in_at[c.to] = &c.where;
    }
  }
  for (std::size_t i = 0; i < elements_.size(); ++i) {
    Element& e = *elements_[i];
    auto counts = parse_port_counts(e.spec_->ports);
    if (!counts.is_ok())
      return make_error(Errc::kInternal, "{}{}: {}", where(e.landmark_), e.declaration(),
                        counts.status().message());
    const PortCounts& pc = *counts;
    int ni = std::max(nin[i], pc.inputs.min);
    int no = std::max(nout[i], pc.outputs.min);
    if (pc.outputs_equal_inputs) no = ni = std::max(ni, no);
    auto plural = [](int n, std::string_view w) {
      return fmt::format("{} {}{}", n, w, n == 1 ? "" : "s");
    };
    auto range = [&](const PortRange& r, std::string_view w) {
      if (r.max == kUnboundedPorts) return fmt::format("at least {}", plural(r.min, w));
      if (r.min == r.max) return plural(r.min, w);
      return fmt::format("{} to {} {}s", r.min, r.max, w);
    };
    if (ni > pc.inputs.max)
      return make_error(Errc::kInvalidArgument, "{}'{}' has no input {} ({} takes {})",
                        where(in_at[i] != nullptr ? *in_at[i] : e.landmark_), e.declaration(),
                        ni - 1, e.class_name(), range(pc.inputs, "input"));
    if (no > pc.outputs.max)
      return make_error(Errc::kInvalidArgument, "{}'{}' has no output {} ({} takes {})",
                        where(out_at[i] != nullptr ? *out_at[i] : e.landmark_), e.declaration(),
                        no - 1, e.class_name(), range(pc.outputs, "output"));
    e.inputs_.assign(static_cast<std::size_t>(ni), Element::PortInfo{});
    e.outputs_.assign(static_cast<std::size_t>(no), Element::PortInfo{});
  }
  return resolve_ports();
}

Status Router::resolve_ports() {
  // Node numbering: every element's inputs, then its outputs.
  std::vector<std::size_t> in_base(elements_.size()), out_base(elements_.size());
  std::size_t nodes = 0;
  for (std::size_t i = 0; i < elements_.size(); ++i) {
    in_base[i] = nodes;
    nodes += elements_[i]->inputs_.size();
    out_base[i] = nodes;
    nodes += elements_[i]->outputs_.size();
  }
  std::vector<Processing> fixed(nodes, Processing::kAgnostic);
  std::vector<std::size_t> owner(nodes);
  std::vector<FlowCode> flows(elements_.size());
  for (std::size_t i = 0; i < elements_.size(); ++i) {
    Element& e = *elements_[i];
    auto proc = parse_processing(e.spec_->processing);
    auto flow = parse_flow(e.spec_->flow);
    if (!proc.is_ok() || !flow.is_ok())
      return make_error(Errc::kInternal, "{}: bad processing or flow code in its spec",
                        e.class_name());
    flows[i] = *flow;
    for (int p = 0; p < e.ninputs(); ++p) {
      fixed[in_base[i] + p] = proc->input(p);
      owner[in_base[i] + p] = i;
    }
    for (int p = 0; p < e.noutputs(); ++p) {
      fixed[out_base[i] + p] = proc->output(p);
      owner[out_base[i] + p] = i;
    }
  }

  // Direct conflicts first: they give the clearest message.
  for (const ConnectionDecl& c : config_.connections) {
    const Processing a = fixed[out_base[c.from] + c.from_port];
    const Processing b = fixed[in_base[c.to] + c.to_port];
    if (a != Processing::kAgnostic && b != Processing::kAgnostic && a != b)
      return make_error(Errc::kInvalidArgument, "{}'{}' {} output {} connected to '{}' {} input {}",
                        where(c.where), elements_[c.from]->declaration(), processing_name(a),
                        c.from_port, elements_[c.to]->declaration(), processing_name(b),
                        c.to_port);
  }

  PortSets sets(nodes);
  for (const ConnectionDecl& c : config_.connections)
    sets.join(out_base[c.from] + c.from_port, in_base[c.to] + c.to_port);
  for (std::size_t i = 0; i < elements_.size(); ++i) {
    Element& e = *elements_[i];
    for (int ip = 0; ip < e.ninputs(); ++ip) {
      if (fixed[in_base[i] + ip] != Processing::kAgnostic) continue;
      for (int op = 0; op < e.noutputs(); ++op) {
        if (fixed[out_base[i] + op] == Processing::kAgnostic && flows[i].flows(ip, op))
          sets.join(in_base[i] + ip, out_base[i] + op);
      }
    }
  }
  // What each set is forced to, and a witness of each kind for error messages.
  std::unordered_map<std::size_t, std::pair<std::size_t, std::size_t>> forced;  // push, pull
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  for (std::size_t n = 0; n < nodes; ++n) {
    if (fixed[n] == Processing::kAgnostic) continue;
    auto& f = forced.try_emplace(sets.find(n), kNone, kNone).first->second;
    (fixed[n] == Processing::kPush ? f.first : f.second) = n;
  }
  for (std::size_t n = 0; n < nodes; ++n) {
    if (fixed[n] != Processing::kAgnostic) continue;
    auto it = forced.find(sets.find(n));
    if (it != forced.end() && it->second.first != kNone && it->second.second != kNone) {
      Element& e = *elements_[owner[n]];
      return make_error(Errc::kInvalidArgument,
                        "{}agnostic '{}' in mixed context: reached by push from '{}' and by "
                        "pull from '{}'",
                        where(e.landmark_), e.declaration(),
                        elements_[owner[it->second.first]]->declaration(),
                        elements_[owner[it->second.second]]->declaration());
    }
  }
  auto resolved = [&](std::size_t n) {
    if (fixed[n] != Processing::kAgnostic) return fixed[n];
    auto it = forced.find(sets.find(n));
    if (it == forced.end()) return Processing::kPush;  // Click's default for agnostic
    return it->second.first != kNone ? Processing::kPush : Processing::kPull;
  };
  for (std::size_t i = 0; i < elements_.size(); ++i) {
    Element& e = *elements_[i];
    for (int p = 0; p < e.ninputs(); ++p) e.inputs_[p].processing = resolved(in_base[i] + p);
    for (int p = 0; p < e.noutputs(); ++p) e.outputs_[p].processing = resolved(out_base[i] + p);
  }

  // Hook up: a push output feeds one input, a pull input draws from one output.
  for (const ConnectionDecl& c : config_.connections) {
    Element& from = *elements_[c.from];
    Element& to = *elements_[c.to];
    Element::PortInfo& out = from.outputs_[c.from_port];
    Element::PortInfo& in = to.inputs_[c.to_port];
    if (out.processing == Processing::kPush) {
      if (out.peer != nullptr)
        return make_error(Errc::kInvalidArgument,
                          "{}'{}' push output {} connected more than once (to '{}' and '{}')",
                          where(c.where), from.declaration(), c.from_port,
                          out.peer->declaration(), to.declaration());
      out.peer = &to;
      out.peer_port = static_cast<int>(c.to_port);
      if (in.peer == nullptr) {  // push inputs may have many upstreams; remember one
        in.peer = &from;
        in.peer_port = static_cast<int>(c.from_port);
      }
    } else {
      if (in.peer != nullptr && (in.peer != &from || in.peer_port != static_cast<int>(c.from_port)))
        return make_error(Errc::kInvalidArgument,
                          "{}'{}' pull input {} connected more than once (to '{}' and '{}')",
                          where(c.where), to.declaration(), c.to_port, in.peer->declaration(),
                          from.declaration());
      in.peer = &from;
      in.peer_port = static_cast<int>(c.from_port);
      if (out.peer == nullptr) {
        out.peer = &to;
        out.peer_port = static_cast<int>(c.to_port);
      }
    }
  }
  // Every port in range must be used.
  for (auto& ep : elements_) {
    Element& e = *ep;
    for (int p = 0; p < e.ninputs(); ++p)
      if (e.inputs_[p].peer == nullptr)
        return make_error(Errc::kInvalidArgument, "{}'{}' input {} is not connected",
                          where(e.landmark_), e.declaration(), p);
    for (int p = 0; p < e.noutputs(); ++p)
      if (e.outputs_[p].peer == nullptr)
        return make_error(Errc::kInvalidArgument, "{}'{}' output {} is not connected",
                          where(e.landmark_), e.declaration(), p);
  }
  return {};
}

Status Router::configure_all() {
  std::vector<Element*> order;
  for (auto& e : elements_) order.push_back(e.get());
  std::stable_sort(order.begin(), order.end(), [](Element* a, Element* b) {
    return a->spec_->configure_phase < b->spec_->configure_phase;
  });
  configured_ = true;  // from here on, cleanup() runs for every element
  for (Element* e : order) {
    Args args = Args::from_config(e->config_, where(e->landmark_) + e->declaration());
    Status st = e->configure(args);
    if (!st.is_ok()) {
      // Elements that forget done() still get their leftovers reported.
      if (st.message().find(e->declaration()) == std::string::npos)
        return make_error(st.code(), "{}{}: {}", where(e->landmark_), e->declaration(),
                          st.message());
      return st;
    }
  }
  return {};
}

Status Router::initialize_all() {
  std::vector<Element*> order;
  for (auto& e : elements_) order.push_back(e.get());
  std::stable_sort(order.begin(), order.end(), [](Element* a, Element* b) {
    return a->spec_->configure_phase < b->spec_->configure_phase;
  });
  for (Element* e : order) {
    if (e->home_thread_ >= options_.threads) {
      UPLANE_LOG(kWarn, "{}: thread {} does not exist (-j {}); using thread {}",
                 e->declaration(), e->home_thread_, options_.threads,
                 e->home_thread_ % options_.threads);
      e->home_thread_ %= options_.threads;
    }
    Status st = e->initialize();
    if (!st.is_ok()) {
      if (st.message().find(e->declaration()) == std::string::npos)
        return make_error(st.code(), "{}{}: {}", where(e->landmark_), e->declaration(),
                          st.message());
      return st;
    }
  }
  if (options_.threads > 1) warn_about_shared_elements();
  for (Element* e : order) {
    add_standard_handlers(e);
    e->add_handlers();
  }
  add_router_handlers();
  return {};
}

// Which threads run each element: a task's thread runs everything it reaches by pushing
// downstream and by pulling upstream. An element reached from two threads needs to be
// thread-safe (a Queue); anything else is a race, which Click also allows silently.
void Router::warn_about_shared_elements() {
  std::vector<std::uint64_t> threads(elements_.size(), 0);  // bit t: thread t reaches it
  for (const auto& t : tasks_) {
    const std::uint64_t bit = std::uint64_t{1} << (t->home_thread() % 64);
    std::vector<Element*> stack{t->element()};
    std::vector<bool> seen(elements_.size(), false);
    while (!stack.empty()) {
      Element* e = stack.back();
      stack.pop_back();
      if (seen[static_cast<std::size_t>(e->eindex_)]) continue;
      seen[static_cast<std::size_t>(e->eindex_)] = true;
      threads[static_cast<std::size_t>(e->eindex_)] |= bit;
      for (const auto& o : e->outputs_)
        if (o.processing == Processing::kPush && o.peer != nullptr) stack.push_back(o.peer);
      for (const auto& i : e->inputs_)
        if (i.processing == Processing::kPull && i.peer != nullptr) stack.push_back(i.peer);
    }
  }
  for (std::size_t i = 0; i < elements_.size(); ++i) {
    const std::uint64_t t = threads[i];
    if ((t & (t - 1)) != 0 && !elements_[i]->spec_->thread_safe)
      UPLANE_LOG(kWarn,
                 "{}{}: run by more than one worker thread without a Queue between them; "
                 "packets may race (assign its tasks with StaticThreadSched)",
                 where(elements_[i]->landmark_), elements_[i]->declaration());
  }
}

Element* Router::find(std::string_view name) const noexcept {
  for (const auto& e : elements_)
    if (e->name_ == name) return e.get();
  return nullptr;
}

void Router::set_home_thread(Element* e, int thread) noexcept { e->home_thread_ = thread; }

Task* Router::make_task(Element* e, bool active) {
  const int home = e->home_thread_ % options_.threads;
  tasks_.push_back(std::unique_ptr<Task>(new Task(e, home, active, e->ninputs() == 0)));
  workers_[static_cast<std::size_t>(home)]->add_task(tasks_.back().get());
  return tasks_.back().get();
}

Timer* Router::make_timer(Element* e) {
  const int home = e->home_thread_ % options_.threads;
  timers_.push_back(std::unique_ptr<Timer>(new Timer(e, workers_[static_cast<std::size_t>(home)].get())));
  return timers_.back().get();
}

Status Router::run() {
  if (hosted())
    return make_error(Errc::kFailedPrecondition,
                      "a hosted router is run by its host (Worker::run_once), not run()");
  if (running_.exchange(true)) return make_error(Errc::kFailedPrecondition, "router already ran");
  std::atomic<RunPhase> phase{RunPhase::kRunning};
  std::vector<std::thread> threads;
  threads.reserve(workers_.size());
  for (auto& w : workers_) {
    Worker* wp = w.get();
    const bool pin = options_.pin_threads;
    mem::PacketPool* pool = pool_;
    threads.emplace_back([wp, pin, pool, &phase] {
      if (pin) {
        const int cpu = nth_allowed_cpu(wp->id());
        if (cpu >= 0) (void)pin_this_thread(cpu);
      }
      wp->run(phase);
      // This thread's cached frames go back to the shared ring before it ends.
      pool->flush_thread_cache();
    });
  }
  // Wait for a stop request, then drain: no source runs, the rest run until every worker
  // has made at least two full passes in which nobody moved a packet.
  while (!stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  phase.store(RunPhase::kDraining, std::memory_order_release);
  const std::uint64_t deadline = now_ns() + options_.drain_timeout_ms * 1'000'000;
  std::vector<std::uint64_t> last_work(workers_.size(), ~0ull), last_passes(workers_.size(), 0);
  while (!drained(last_work, last_passes)) {
    if (now_ns() > deadline) {
      UPLANE_LOG(kWarn, "router: drain did not finish in {} ms; stopping anyway",
                 options_.drain_timeout_ms);
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  phase.store(RunPhase::kStopped, std::memory_order_release);
  for (auto& t : threads) t.join();
  pool_->flush_thread_cache();
  running_.store(false, std::memory_order_release);
  return {};
}

bool Router::drained(std::vector<std::uint64_t>& last_work,
                     std::vector<std::uint64_t>& last_passes) {
  bool quiet = true;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    const std::uint64_t w = workers_[i]->work(), p = workers_[i]->passes();
    if (w != last_work[i]) {
      quiet = false;  // worked since the last look: start over
      last_work[i] = w;
      last_passes[i] = p;
    } else if (p < last_passes[i] + 2) {
      quiet = false;  // not yet two idle passes since its last work
    }
  }
  return quiet;
}

// --- handlers ---

void Router::add_standard_handlers(Element* e) {
  e->add_read_handler("class", [e] { return std::string(e->class_name()) + "\n"; }, true);
  e->add_read_handler("name", [e] { return e->name() + "\n"; }, true);
  e->add_read_handler("config", [e] { return e->config_string() + "\n"; }, true);
  e->add_read_handler(
      "ports",
      [e] {
        std::string s;
        auto side = [&](int n, bool input) {
          s += fmt::format("{} {}{}\n", n, input ? "input" : "output", n == 1 ? "" : "s");
          for (int p = 0; p < n; ++p) {
            const Element::PortInfo& pi = input ? e->input(p) : e->output(p);
            s += fmt::format("{}\t", pi.processing == Processing::kPush ? "push" : "pull");
            std::string peers;
            for (const ConnectionDecl& c : e->router().config().connections) {
              if (input && c.to == static_cast<std::uint32_t>(e->eindex()) && c.to_port == static_cast<std::uint32_t>(p))
                peers += fmt::format("{}{}[{}]", peers.empty() ? "" : ", ",
                                     e->router().elements()[c.from]->name(), c.from_port);
              if (!input && c.from == static_cast<std::uint32_t>(e->eindex()) && c.from_port == static_cast<std::uint32_t>(p))
                peers += fmt::format("{}[{}]{}", peers.empty() ? "" : ", ", c.to_port,
                                     e->router().elements()[c.to]->name());
            }
            s += peers + "\n";
          }
        };
        side(e->ninputs(), true);
        side(e->noutputs(), false);
        return s;
      },
      true);
  e->add_read_handler(
      "drop_reasons",
      [e] {
        std::string s;
        for (int r = 0; r < static_cast<int>(DropReason::kCount); ++r) {
          const std::uint64_t n = e->drops(static_cast<DropReason>(r));
          if (n != 0) s += fmt::format("{} {}\n", drop_reason_name(static_cast<DropReason>(r)), n);
        }
        return s;
      },
      false);
  e->add_read_handler(
      "handlers",
      [e] {
        std::string s;
        for (const Handler& h : e->handlers())
          s += fmt::format("{}\t{}{}\n", h.name, h.read ? "r" : "", h.write ? "w" : "");
        return s;
      },
      true);
}

void Router::add_router_handlers() {
  router_handlers_.push_back(Handler{"version", [] { return std::string(UPLANE_VERSION) + "\n"; }, {}, true});
  router_handlers_.push_back(Handler{"list", [this] {
    std::string s = fmt::format("{}\n", elements_.size());
    for (auto& e : elements_) s += e->name() + "\n";
    return s;
  }, {}, true});
  router_handlers_.push_back(Handler{"classes", [] {
    std::string s;
    for (const ElementClass* c : element_classes()) s += std::string(c->spec->name) + "\n";
    return s;
  }, {}, true});
  router_handlers_.push_back(Handler{"flatconfig", [this] { return flat_config(); }, {}, true});
  router_handlers_.push_back(Handler{"requirements", [this] {
    std::string s;
    for (const std::string& r : config_.requirements) s += r + "\n";
    return s;
  }, {}, true});
  router_handlers_.push_back(Handler{"handlers", [this] {
    std::string s;
    for (const Handler& h : router_handlers_)
      s += fmt::format("{}\t{}{}\n", h.name, h.read ? "r" : "", h.write ? "w" : "");
    return s;
  }, {}, true});
  router_handlers_.push_back(Handler{"stop", {}, [this](std::string_view) {
    please_stop();
    return Status();
  }, false});
}

const Handler* Router::find_handler(std::string_view element, std::string_view handler) const {
  if (element.empty()) {
    for (const Handler& h : router_handlers_)
      if (h.name == handler) return &h;
    return nullptr;
  }
  Element* e = find(element);
  if (e == nullptr) return nullptr;
  for (const Handler& h : e->handlers())
    if (h.name == handler) return &h;
  return nullptr;
}

namespace {
// "e.h" -> ("e", "h"); "h" -> ("", "h"). Element names may contain dots? Click splits at the
// last dot, so compound names with '/' work and handler names have no dots.
std::pair<std::string_view, std::string_view> split_handler(std::string_view spec) {
  const auto dot = spec.rfind('.');
  if (dot == std::string_view::npos) return {{}, spec};
  return {spec.substr(0, dot), spec.substr(dot + 1)};
}
}  // namespace

Result<std::string> Router::read_handler(std::string_view spec) {
  auto [el, hn] = split_handler(spec);
  if (!el.empty() && find(el) == nullptr)
    return make_error(Errc::kNotFound, "no element named '{}'", el);
  const Handler* h = find_handler(el, hn);
  if (h == nullptr) return make_error(Errc::kNotFound, "no handler '{}'", spec);
  if (!h->read) return make_error(Errc::kInvalidArgument, "handler '{}' is not readable", spec);
  return h->read();
}

Status Router::write_handler(std::string_view spec, std::string_view value) {
  auto [el, hn] = split_handler(spec);
  if (!el.empty() && find(el) == nullptr)
    return make_error(Errc::kNotFound, "no element named '{}'", el);
  const Handler* h = find_handler(el, hn);
  if (h == nullptr) return make_error(Errc::kNotFound, "no handler '{}'", spec);
  if (!h->write) return make_error(Errc::kInvalidArgument, "handler '{}' is not writable", spec);
  if (running() && !el.empty())
    return make_error(Errc::kFailedPrecondition,
                      "handler '{}': element write handlers run only while the router is stopped",
                      spec);
  return h->write(value);
}

std::string Router::flat_config() const {
  std::string s;
  for (const auto& e : elements_)
    s += fmt::format("{} :: {}({});\n", e->name(), e->class_name(), e->config_string());
  for (const ConnectionDecl& c : config_.connections)
    s += fmt::format("{} [{}] -> [{}] {};\n", elements_[c.from]->name(), c.from_port, c.to_port,
                     elements_[c.to]->name());
  return s;
}

std::string Router::to_dot() const {
  auto esc = [](std::string_view v) {
    std::string o;
    for (char c : v) {
      if (c == '"' || c == '\\') o += '\\';
      if (c == '\n') {
        o += "\\n";
        continue;
      }
      o += c;
    }
    return o;
  };
  std::string s = "digraph uplane {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n";
  for (const auto& e : elements_) {
    std::string label = fmt::format("{}\n:: {}", e->name(), e->class_name());
    s += fmt::format("  \"{}\" [label=\"{}\"];\n", esc(e->name()), esc(label));
  }
  for (const ConnectionDecl& c : config_.connections) {
    const Element& from = *elements_[c.from];
    const bool push = from.output(static_cast<int>(c.from_port)).processing == Processing::kPush;
    s += fmt::format("  \"{}\" -> \"{}\" [taillabel=\"{}\", headlabel=\"{}\"{}];\n",
                     esc(from.name()), esc(elements_[c.to]->name()), c.from_port, c.to_port,
                     push ? "" : ", style=dashed");
  }
  s += "}\n";
  return s;
}

}  // namespace uplane::graph
