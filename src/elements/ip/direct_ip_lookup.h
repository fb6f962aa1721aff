#pragma once
// =c
// DirectIPLookup(ADDR1/MASK1 [GW1] OUT1, ADDR2/MASK2 [GW2] OUT2, ...)
// =s iproute
// IP routing lookup using direct-indexed tables
// =d
// Expects a destination IP address annotation with each packet. Looks up that address in
// its routing table, using longest-prefix match, sets the destination annotation to the
// route's GW (if it has one), and emits the packet on the route's OUTput port. A packet that
// matches no route is dropped (counted as no_route).
//
// Each argument is a route: a destination and mask, an optional gateway IP address ("-"
// for none) and an output port. When a prefix is given twice, the first route is kept.
//
// DirectIPLookup trades memory for lookup speed: it implements the DIR-24-8-BASIC scheme of
// Gupta, Lin and McKeown. A table of 2^24 16-bit entries, indexed by the top 24 bits of the
// address, answers every lookup for routes up to /24 in one memory access; routes longer
// than /24 get 256-entry second-level groups, reached in a second access. The tables take
// 48 MB of address space (memory only where written). Routes can be added and removed at a
// low cost. Limits, as Click's: at most 32768 second-level groups (/24 networks holding
// routes longer than /24) and 32767 distinct (gateway, output) pairs.
// =h table read-only
// The routes, one a line: "ADDR/LEN<tab>GW<tab>OUT" with Click's alignment tabs; "-" for no
// gateway. Sorted by address, then prefix length.
// =h add write-only
// Adds a route, `ADDR/MASK [GW] OUT`. Fails if a route for ADDR/MASK already exists.
// =h set write-only
// Sets a route, whether or not a route for the same prefix already exists.
// =h remove write-only
// Removes a route, `ADDR/MASK [GW OUT]`.
// =h ctrl write-only
// Adds or removes a group of routes, one command a line: `add ...`, `set ...`,
// `remove ...`. All the commands take effect, or none does.
// =h flush write-only
// Removes every route.
// =e
//   rt :: DirectIPLookup(18.26.4.24/32 0, 18.26.4/24 1, 0/0 18.26.4.1 1);
// =a RadixIPLookup, LinearIPLookup, StaticIPLookup, IPRouteTable
//
// Pankaj Gupta, Steven Lin, and Nick McKeown. "Routing Lookups in Hardware at Memory Access
// Speeds". In Proc. IEEE Infocom 1998, Vol. 3, pp. 1240-1247.
// =uplane
// The table handler lists routes sorted by address (Click: in hash-table order). Masks must
// be contiguous. No `lookup` handler: uplane's read handlers take no parameter yet.
// Unrouted packets are counted (no_route), not printed.

#include <cstdint>
#include <string>

#include "elements/ip/ip_lookup_table.h"
#include "elements/ip/ip_lookup_trie.h"

namespace uplane::elements {

class DirectIPLookup final : public IPRouteTable {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "DirectIPLookup", .ports = "1/-", .processing = "h/h"};
  using Trie = LookupTrie<std::uint16_t, 24, 8>;

  Change add_route(const IPRoute& r, bool allow_replace, IPRoute* old) override {
    return routes_.add(r, allow_replace, old);
  }
  Change remove_route(const IPRoute& r, IPRoute* old) override { return routes_.remove(r, old); }
  int lookup_route(std::uint32_t addr, std::uint32_t& gw) const override;
  std::string dump_routes() const override;

  void push(int port, graph::Batch& batch) noexcept override;

  // The table itself (tests, benchmarks).
  const TrieRoutes<Trie>& routes() const noexcept { return routes_; }

 protected:
  Status init_table() override { return routes_.init(); }
  bool has_flush() const noexcept override { return true; }
  void flush_routes() override { routes_.clear(); }

 private:
  TrieRoutes<Trie> routes_;
};

}  // namespace uplane::elements
