#pragma once
// =c
// LinearIPLookup(ADDR1/MASK1 [GW1] OUT1, ADDR2/MASK2 [GW2] OUT2, ...)
// =s iproute
// simple IP routing table
// =d
// Expects a destination IP address annotation with each packet. Looks up that address in
// its routing table, using longest-prefix match, sets the destination annotation to the
// route's GW (if it has one), and emits the packet on the route's OUTput port. A packet
// that matches no route is dropped (counted as no_route).
//
// Each argument is a route: a destination and mask, an optional gateway IP address ("-"
// for none) and an output port. When a prefix is given twice, the first route is kept.
//
// LinearIPLookup searches its routes one after the other, longest prefixes first, after
// checking a cache of the last two addresses it looked up. It suits small tables;
// RadixIPLookup and DirectIPLookup are much faster for large ones.
//
// Keywords: none.
// =h table read-only
// The routes in the order they were added (a new route takes the first slot a removed one
// left), one a line: "ADDR/LEN<tab>GW<tab>OUT" with Click's alignment tabs; "-" for no
// gateway.
// =h add write-only
// Adds a route, `ADDR/MASK [GW] OUT`. Fails if a route for ADDR/MASK already exists.
// =h set write-only
// Sets a route, whether or not a route for the same prefix already exists.
// =h remove write-only
// Removes a route, `ADDR/MASK [GW OUT]`.
// =h ctrl write-only
// Adds or removes a group of routes, one command a line: `add ADDR/MASK [GW] OUT`,
// `set ADDR/MASK [GW] OUT`, `remove ADDR/MASK [GW OUT]`. All the commands take effect, or
// none does.
// =e
//   ... -> GetIPAddress(16) -> rt;
//   rt :: LinearIPLookup(18.26.4.24/32 0, 18.26.4.255/32 0, 18.26.4.0/32 0,
//                        18.26.4/24 1, 0/0 18.26.4.1 1);
//   rt[0] -> ToHost;
//   rt[1] -> ... -> ToDevice(eth0);
// =a RadixIPLookup, DirectIPLookup, StaticIPLookup, IPRouteTable
// =uplane
// Masks must be contiguous (Click accepts any mask here). No `lookup` handler: uplane's read
// handlers take no parameter yet. Unrouted packets are counted (no_route), not printed.

#include <cstdint>
#include <string>
#include <vector>

#include "elements/ip/ip_lookup_table.h"

namespace uplane::elements {

class LinearIPLookup : public IPRouteTable {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "LinearIPLookup", .ports = "1/-", .processing = "h/h"};

  Change add_route(const IPRoute& r, bool allow_replace, IPRoute* old) override;
  Change remove_route(const IPRoute& r, IPRoute* old) override;
  int lookup_route(std::uint32_t addr, std::uint32_t& gw) const override;
  std::string dump_routes() const override;

  void push(int port, graph::Batch& batch) noexcept override;

 protected:
  void commit_routes() override;

 private:
  static constexpr std::size_t kBlock = 16;  // the search arrays' length is a multiple

  // The search entry for `addr` (host order), or -1: the first match in search order.
  std::int32_t search(std::uint32_t addr) const noexcept;
  std::int32_t find_entry(std::uint32_t addr_raw) noexcept;

  // Routes as added: the table's order. Dead slots are reused first-free-first.
  std::vector<IPRoute> slots_;
  std::vector<bool> live_;
  // The search order, rebuilt by commit_routes(): longest prefixes first, so the first
  // match is the longest; padded to a whole number of blocks with entries that never match.
  std::vector<std::uint32_t> addr_;
  std::vector<std::uint32_t> mask_;
  std::vector<NextHop> hop_;
  // Click's two-entry cache of the last addresses looked up (network order; 0 is never
  // cached) and their search entries.
  std::uint32_t last_addr_[2] = {0, 0};
  std::int32_t last_entry_[2] = {-1, -1};
};

}  // namespace uplane::elements
