// The same routes in RadixIPLookup, LinearIPLookup, StaticIPLookup and DirectIPLookup:
// longest-prefix match picks the output; 11.0.0.1 and 0.0.0.0 match nothing.
FromDump(input.pcap, STOP true)
  -> Strip(14)
  -> CheckIPHeader
  -> t :: Tee(4);
t[0] -> radix :: RadixIPLookup(10.0.0.0/8 1, 10.1.0.0/16 2, 10.1.2.0/24 10.1.2.254 1,
                               10.1.2.3/32 0, 192.168.0.0/16 10.0.0.1 2);
t[1] -> linear :: LinearIPLookup(10.0.0.0/8 1, 10.1.0.0/16 2, 10.1.2.0/24 10.1.2.254 1,
                                 10.1.2.3/32 0, 192.168.0.0/16 10.0.0.1 2);
t[2] -> static :: StaticIPLookup(10.0.0.0/8 1, 10.1.0.0/16 2, 10.1.2.0/24 10.1.2.254 1,
                                 10.1.2.3/32 0, 192.168.0.0/16 10.0.0.1 2);
t[3] -> direct :: DirectIPLookup(10.0.0.0/8 1, 10.1.0.0/16 2, 10.1.2.0/24 10.1.2.254 1,
                                 10.1.2.3/32 0, 192.168.0.0/16 10.0.0.1 2);
radix[0] -> out_radix0 :: ToDump(out_radix0.pcap, ENCAP IP);
radix[1] -> out_radix1 :: ToDump(out_radix1.pcap, ENCAP IP);
radix[2] -> out_radix2 :: ToDump(out_radix2.pcap, ENCAP IP);
linear[0] -> l0 :: Counter -> Discard;
linear[1] -> l1 :: Counter -> Discard;
linear[2] -> l2 :: Counter -> Discard;
static[0] -> s0 :: Counter -> Discard;
static[1] -> s1 :: Counter -> Discard;
static[2] -> s2 :: Counter -> Discard;
direct[0] -> d0 :: Counter -> Discard;
direct[1] -> d1 :: Counter -> Discard;
direct[2] -> d2 :: Counter -> Discard;
