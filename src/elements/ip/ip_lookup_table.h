#pragma once
// =c
// IPRouteTable
// =s iproute
// IP routing table superclass (not an element of its own)
// =d
// What LinearIPLookup, StaticIPLookup, RadixIPLookup and DirectIPLookup share, as Click's
// IPRouteTable: the route syntax, configure(), the route-changing handlers and the table
// dump.
//
// Each configuration argument is one route, `ADDR/MASK [GW] OUT`: a prefix (an address
// alone means /32; host bits are cleared, so 10.0.0.1/8 is 10.0.0.0/8), an optional gateway
// ("-" for none) and an output port, 0 <= OUT < the number of outputs. Packets are looked up
// by their destination IP annotation (longest prefix wins), leave on the route's output, and
// when the route has a gateway the annotation becomes the gateway. A packet that matches no
// route is dropped (counted as no_route). When two arguments name the same prefix, the first
// one is kept, as in Click.
// =h table read-only
// The routes, one a line: "ADDR/LEN<tab>GW<tab>OUT", with an extra tab after short fields
// as Click aligns them ("-" when there is no gateway).
// =h add write-only
// Adds a route, `ADDR/MASK [GW] OUT`. Fails if a route for ADDR/MASK exists.
// =h set write-only
// Adds a route, replacing any route for the same prefix.
// =h remove write-only
// Removes a route, `ADDR/MASK [GW OUT]`: with GW and OUT, only a route with that gateway
// and output matches.
// =h ctrl write-only
// Runs several commands, one a line: `add ...`, `set ...`, `remove ...`. All of them take
// effect or, when one fails, none does.
// =a LinearIPLookup, StaticIPLookup, RadixIPLookup, DirectIPLookup
// =uplane
// Masks must be contiguous (a prefix length); Click accepts any mask in LinearIPLookup.
// Click's `lookup` handler (a read handler taking an address) is not there: uplane's
// handlers take no parameters yet. Unrouted packets are counted, not printed.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "graph/element.h"

namespace uplane::elements {

// One route, in host byte order; `addr` has no bits outside `mask`.
struct IPRoute {
  std::uint32_t addr = 0;
  std::uint32_t mask = 0;  // contiguous: a prefix mask
  std::uint32_t gw = 0;    // 0: no gateway
  std::int32_t port = -1;  // -1: any port (a remove request that names none)

  int prefix_len() const noexcept { return __builtin_popcount(mask); }
  bool contains(std::uint32_t a) const noexcept { return (a & mask) == addr; }
  bool same_prefix(const IPRoute& o) const noexcept { return addr == o.addr && mask == o.mask; }
  // Click's IPRoute::match: `this` is a removal request; the same prefix and, unless this
  // request's port is negative, the same gateway and port.
  bool matches(const IPRoute& stored) const noexcept {
    return same_prefix(stored) && (port < 0 || (gw == stored.gw && port == stored.port));
  }
  // "10.0.0.0/8 10.0.0.1 1" ("-" for no gateway); with `tabs`, Click's table layout.
  std::string unparse(bool tabs = false) const;
  friend bool operator==(const IPRoute&, const IPRoute&) = default;
};

// The mask of a prefix length 0..32, host order.
constexpr std::uint32_t prefix_mask(int len) noexcept {
  return len <= 0 ? 0u : ~std::uint32_t{0} << (32 - len);
}

// Parses one route from its words (Click's cp_ip_route): ADDR/MASK, then an optional gateway
// ("-" or an address), then OUT. With `remove`, OUT may be left off (port -1). On failure
// returns false and says why in `why`.
bool parse_ip_route(const std::vector<std::string>& words, bool remove, IPRoute& out,
                    std::string& why);
bool parse_ip_route(std::string_view text, bool remove, IPRoute& out, std::string& why);

// Where a hop sends packets: the gateway to write into the annotation (network order, 0 for
// none) and the verdict code (an output port, or the code of a kNoRoute drop).
struct NextHop {
  std::uint32_t gw_raw = 0;
  std::int32_t code = graph::Drop(graph::DropReason::kNoRoute).code();

  static NextHop to(std::uint32_t gw_host, std::int32_t port) noexcept;
  static constexpr NextHop none() noexcept { return NextHop{}; }
  int port() const noexcept { return code >= 0 ? code : -1; }
  std::uint32_t gw_host() const noexcept { return __builtin_bswap32(gw_raw); }
};

// The IPRouteTable interface, over which configure() and the handlers are written once.
// Route changes run on the control thread only (the Router runs write handlers while it is
// stopped).
class IPRouteTable : public graph::Element {
 public:
  enum class Change { kOk, kExists, kNotFound, kNoMemory };

  // Adds `r` (r.port >= 0). When a route for the same prefix exists, *old (if given) is set
  // to it, and it is replaced when `allow_replace`, else kExists.
  virtual Change add_route(const IPRoute& r, bool allow_replace, IPRoute* old) = 0;
  // Removes the route that `r` matches (IPRoute::matches); *old (if given) becomes it.
  virtual Change remove_route(const IPRoute& r, IPRoute* old) = 0;
  // Longest-prefix match for `addr` (host order): the output port, or -1 with no route;
  // `gw` (host order) becomes the route's gateway, 0 for none.
  virtual int lookup_route(std::uint32_t addr, std::uint32_t& gw) const = 0;
  // The table handler's text.
  virtual std::string dump_routes() const = 0;

  Status configure(graph::Args& args) override;
  void add_handlers() override;

  // The handlers' work, callable directly (tests, tools). Errors read as Click's.
  Status add_handler(std::string_view text, bool set);
  Status remove_handler(std::string_view text);
  Status ctrl_handler(std::string_view text);

 protected:
  // Before the first route is added (allocations that can fail).
  virtual Status init_table() { return {}; }
  // After a group of changes (configure, each handler write): make them visible to push().
  virtual void commit_routes() {}
  // Whether the table takes add/set/remove/ctrl (false for StaticIPLookup) and has `flush`.
  virtual bool dynamic() const noexcept { return true; }
  virtual bool has_flush() const noexcept { return false; }
  virtual void flush_routes() {}

  // Sends each packet of `batch` where codes[i] says (an output port or a drop code): one
  // batch per output, lowest port first, arrival order kept within each.
  void emit(graph::Batch& batch, const std::int16_t* codes) noexcept;

 private:
  enum class Command { kAdd, kSet, kRemove };
  struct Undo {
    Command done;
    IPRoute route;  // what to restore (for kAdd: the route that was added)
  };
  Status run_command(Command c, const std::vector<std::string>& words, std::vector<Undo>* undo);
  void rollback(std::vector<Undo>& undo);
};

}  // namespace uplane::elements
