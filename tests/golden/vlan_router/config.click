// A router on a stick: one 802.1Q trunk carries VLAN 10 (10.10.0.0/24) and VLAN 20
// (10.20.0.0/24); the router is 00:00:c0:00:00:10 on both. A firewall drops telnet. All
// transmitted frames leave through one queue onto the trunk (out_trunk.pcap); packets for
// the router itself go to out_host.pcap. BURST 1, as Click's FromDump, so the frames reach
// the shared queue in Click's order.
src :: FromDump(input.pcap, STOP true, BURST 1);
vc :: Classifier(12/8100 14/000a%0fff, 12/8100 14/0014%0fff, -);
src -> vc;
vc[2] -> untagged :: Counter -> Discard;

trunk :: Queue(100) -> tx :: ToDump(out_trunk.pcap);
tohost :: ToDump(out_host.pcap, ENCAP IP);

vc[0] -> VLANDecap -> c10 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
vc[1] -> VLANDecap -> c20 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
tag10 :: VLANEncap(VLAN_ID 10) -> trunk;
tag20 :: VLANEncap(VLAN_ID 20) -> trunk;

c10[0] -> ARPResponder(10.10.0.1 00:00:c0:00:00:10) -> tag10;
c20[0] -> ARPResponder(10.20.0.1 00:00:c0:00:00:10) -> tag20;
arpq10 :: ARPQuerier(10.10.0.1, 00:00:c0:00:00:10) -> tag10;
arpq20 :: ARPQuerier(10.20.0.1, 00:00:c0:00:00:10) -> tag20;
c10[1] -> [1]arpq10;
c20[1] -> [1]arpq20;
c10[3] -> other :: Counter -> Discard;
c20[3] -> other;

ip :: Strip(14)
  -> CheckIPHeader(INTERFACES 10.10.0.1/24 10.20.0.1/24)
  -> fw :: IPFilter(drop tcp dst port 23, allow all)
  -> rt :: LinearIPLookup(10.10.0.1/32 0, 10.20.0.1/32 0, 10.10.0.0/24 1, 10.20.0.0/24 2);
c10[2] -> ip;
c20[2] -> ip;
rt[0] -> tohost;
rt[1] -> dt10 :: DecIPTTL -> [0]arpq10;
rt[2] -> dt20 :: DecIPTTL -> [0]arpq20;
dt10[1] -> ICMPError(10.20.0.1, timeexceeded) -> rt;
dt20[1] -> ICMPError(10.10.0.1, timeexceeded) -> rt;
