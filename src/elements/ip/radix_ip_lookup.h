#pragma once
// =c
// RadixIPLookup(ADDR1/MASK1 [GW1] OUT1, ADDR2/MASK2 [GW2] OUT2, ...)
// =s iproute
// IP lookup using a multibit trie
// =d
// Performs IP lookup with a multibit trie: the first level has 65536 buckets (the top 16
// bits of the address), the two levels below it 256 each, so a lookup reads at most three
// slots. Nodes below the first level exist only under prefixes longer than /16.
//
// Expects a destination IP address annotation with each packet. Looks up that address in
// its routing table, using longest-prefix match, sets the destination annotation to the
// route's GW (if it has one), and emits the packet on the route's OUTput port. A packet that
// matches no route is dropped (counted as no_route).
//
// Each argument is a route: a destination and mask, an optional gateway IP address ("-"
// for none) and an output port. When a prefix is given twice, the first route is kept.
// =h table read-only
// The routes, one a line: "ADDR/LEN<tab>GW<tab>OUT" with Click's alignment tabs; "-" for no
// gateway. A new route takes the slot of the route removed last, as in Click.
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
//   rt :: RadixIPLookup(18.26.4.24/32 0, 18.26.4/24 1, 0/0 18.26.4.1 1);
// =a DirectIPLookup, LinearIPLookup, StaticIPLookup, IPRouteTable
// =uplane
// Click's RadixIPLookup walks 16-4-4-4-4 bit levels; uplane's trie uses 16-8-8 (the same
// answers, fewer steps). Masks must be contiguous. No `lookup` handler: uplane's read
// handlers take no parameter yet. Unrouted packets are counted (no_route), not printed.

#include <cstdint>
#include <string>

#include "elements/ip/ip_lookup_table.h"
#include "elements/ip/ip_lookup_trie.h"

namespace uplane::elements {

class RadixIPLookup final : public IPRouteTable {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "RadixIPLookup", .ports = "1/-", .processing = "h/h"};
  using Trie = LookupTrie<std::uint32_t, 16, 8, 8>;

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
