// A two-interface IPv4 router in the shape of Click's classic IP router ("The Click
// Modular Router", figure 8), fed from capture files instead of network devices.
//
//   interface 0: 10.0.0.1/24,    00:00:0a:00:00:01, reads examples/data/router-in0.pcap
//   interface 1: 192.168.1.1/24, 00:00:c0:a8:01:01, reads examples/data/router-in1.pcap
//
// Run from the repository root:
//   uplane run -h dump0.count -h dump1.count -h rt.drop_reasons examples/router.click
// What leaves each interface is written to $OUT0 and $OUT1.

define($OUT0 /tmp/uplane-router-out0.pcap, $OUT1 /tmp/uplane-router-out1.pcap);

in0 :: FromDump(examples/data/router-in0.pcap, STOP true);
in1 :: FromDump(examples/data/router-in1.pcap);

// Sort by type: ARP requests, ARP replies, IPv4, everything else.
c0 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
c1 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
in0 -> c0;
in1 -> c1;

out0 :: Queue(200) -> dump0 :: ToDump($OUT0);
out1 :: Queue(200) -> dump1 :: ToDump($OUT1);

// ARP: answer for our own addresses; learn next hops from replies.
c0[0] -> ARPResponder(10.0.0.1 00:00:0a:00:00:01) -> out0;
c1[0] -> ARPResponder(192.168.1.1 00:00:c0:a8:01:01) -> out1;
arpq0 :: ARPQuerier(10.0.0.1, 00:00:0a:00:00:01) -> out0;
arpq1 :: ARPQuerier(192.168.1.1, 00:00:c0:a8:01:01) -> out1;
c0[1] -> [1]arpq0;
c1[1] -> [1]arpq1;

// IPv4: strip the Ethernet header, check the IP header, route on the destination.
rt :: RadixIPLookup(10.0.0.1/32 0, 192.168.1.1/32 0,
                    10.0.0.0/24 1, 192.168.1.0/24 2);
ip :: Strip(14)
   -> CheckIPHeader(INTERFACES 10.0.0.1/24 192.168.1.1/24)
   -> GetIPAddress(16)
   -> rt;
c0[2] -> Paint(1) -> ip;
c1[2] -> Paint(2) -> ip;

// Packets for the router itself.
rt[0] -> tohost :: Counter -> Discard;

// Forwarding: TTL, fragmentation, next-hop resolution; ICMP errors go back through rt.
rt[1] -> dt0 :: DecIPTTL -> fr0 :: IPFragmenter(1500) -> [0]arpq0;
dt0[1] -> ICMPError(10.0.0.1, timeexceeded) -> rt;
fr0[1] -> ICMPError(10.0.0.1, unreachable, needfrag) -> rt;

rt[2] -> dt1 :: DecIPTTL -> fr1 :: IPFragmenter(1500) -> [0]arpq1;
dt1[1] -> ICMPError(192.168.1.1, timeexceeded) -> rt;
fr1[1] -> ICMPError(192.168.1.1, unreachable, needfrag) -> rt;

// Neither ARP nor IPv4.
c0[3] -> Discard;
c1[3] -> Discard;
