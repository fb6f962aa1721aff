#pragma once
// =c
// StaticIPLookup(ADDR1/MASK1 [GW1] OUT1, ADDR2/MASK2 [GW2] OUT2, ...)
// =s iproute
// simple static IP routing table
// =d
// Acts like LinearIPLookup, but its routes cannot change after configuration: it has no
// add, set, remove or ctrl handlers.
//
// Expects a destination IP address annotation with each packet, looks it up (longest
// prefix match), sets the annotation to the route's GW if it has one, and emits the packet
// on the route's OUTput port. A packet that matches no route is dropped (counted as
// no_route).
// =h table read-only
// The routes, one a line, as LinearIPLookup prints them.
// =e
//   rt :: StaticIPLookup(10.0.0.0/8 0, 0/0 10.0.0.1 1);
// =a LinearIPLookup, RadixIPLookup, DirectIPLookup
// =uplane
// Masks must be contiguous. No `lookup` handler: uplane's read handlers take no parameter
// yet. Unrouted packets are counted (no_route), not printed.

#include "elements/ip/linear_ip_lookup.h"

namespace uplane::elements {

class StaticIPLookup final : public LinearIPLookup {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "StaticIPLookup", .ports = "1/-", .processing = "h/h"};

 protected:
  bool dynamic() const noexcept override { return false; }
};

}  // namespace uplane::elements
