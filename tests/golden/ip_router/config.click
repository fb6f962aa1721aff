// A two-interface IP router in the style of Click's conf/fake-iprouter.click, fed from one
// trace. Interface 0 is 10.0.0.1 (00:00:c0:00:00:01) on 10.0.0.0/24, interface 1 is
// 10.0.1.1 (00:00:c0:00:01:01) on 10.0.1.0/24. The trace holds what both interfaces hear;
// the router tells them apart by Ethernet source (hosts 10.0.0.2 = 00:00:0a:00:00:02 and
// 10.0.1.2 = 00:00:0a:00:01:02). What each interface sends goes to out0.pcap and out1.pcap,
// packets for the router itself to out_host.pcap.
//
// fake-iprouter's DropBroadcasts, PaintTee, IPGWOptions and FixIPSrc are left out; its
// fake ARP queriers are real ARPQueriers here. BURST 1: one packet at a time, as Click's
// FromDump, so packets meet at the queues in Click's order.

src :: FromDump(input.pcap, STOP true, BURST 1);

// Which interface heard the frame.
iface :: Classifier(6/00000a000002, 6/00000a000102, -);
src -> iface;
iface[2] -> unknown :: Counter -> Discard;

// 0. ARP queries  1. ARP replies  2. IP  3. other
c0 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
c1 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
iface[0] -> c0;
iface[1] -> c1;

out0 :: Queue(200) -> tx0 :: ToDump(out0.pcap);
out1 :: Queue(200) -> tx1 :: ToDump(out1.pcap);
tohost :: ToDump(out_host.pcap);

arpq0 :: ARPQuerier(10.0.0.1, 00:00:c0:00:00:01);
arpq1 :: ARPQuerier(10.0.1.1, 00:00:c0:00:01:01);
c0[1] -> [1]arpq0;
c1[1] -> [1]arpq1;
arpq0 -> out0;
arpq1 -> out1;

// Proxy ARP on interface 0 for 10.0.1.0/24, as well as the router's own address.
ar0 :: ARPResponder(10.0.0.1 00:00:c0:00:00:01, 10.0.1.0/24 00:00:c0:00:00:01);
c0[0] -> ar0 -> out0;
ar1 :: ARPResponder(10.0.1.1 00:00:c0:00:01:01);
c1[0] -> ar1 -> out1;

// 0: for this machine  1: 10.0.0.0/24  2: 10.0.1.0/24, and the default route via 10.0.1.254.
rt :: RadixIPLookup(10.0.0.1/32 0, 10.0.0.255/32 0, 10.0.0.0/32 0,
                    10.0.1.1/32 0, 10.0.1.255/32 0, 10.0.1.0/32 0,
                    10.0.0.0/24 1, 10.0.1.0/24 2, 0.0.0.0/0 10.0.1.254 2);

ip :: Strip(14)
  -> chk :: CheckIPHeader(INTERFACES 10.0.0.1/24 10.0.1.1/24)
  -> [0]rt;
chk[1] -> badip :: Counter -> Discard;
c0[2] -> Paint(1) -> ip;
c1[2] -> Paint(2) -> ip;

rt[0] -> EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2) -> tohost;

rt[1] -> dt0 :: DecIPTTL -> fr0 :: IPFragmenter(1500) -> [0]arpq0;
rt[2] -> dt1 :: DecIPTTL -> fr1 :: IPFragmenter(576) -> [0]arpq1;

dt0[1] -> ICMPError(10.0.0.1, timeexceeded) -> [0]rt;
dt1[1] -> ICMPError(10.0.0.1, timeexceeded) -> [0]rt;
fr0[1] -> ICMPError(10.0.0.1, unreachable, needfrag, PMTU 1500) -> [0]rt;
fr1[1] -> ICMPError(10.0.0.1, unreachable, needfrag, PMTU 576) -> [0]rt;

c0[3] -> other0 :: Counter -> Discard;
c1[3] -> other1 :: Counter -> Discard;
