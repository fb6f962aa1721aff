// Tenant blue: a two-interface IPv4 router between host ports p0 and p1, in the shape of
// examples/netns-router.click. Inside a tenant, FromDevice(p0) is the tenant's share of
// what arrives on host port p0 (the frames its selector picks: VLAN 10) and ToDevice(p0)
// sends on p0 as the tenant. Frames keep their 802.1Q tag both ways: VLANDecap takes it off
// on the way in, VLANEncap puts the tenant's VLAN back on the way out (the host drops, and
// counts against the tenant, a frame sent with any other VLAN). Element names are the
// tenant's own: the host knows this router's lookup table as blue/rt.
//
//   interface 0: host port p0, 10.1.0.1/24, Ethernet address 02:00:0a:01:00:01
//   interface 1: host port p1, 10.2.0.1/24, Ethernet address 02:00:0a:02:00:01

define($VLAN 10,
       $ADDR0 10.1.0.1, $LEN0 24, $MAC0 02:00:0a:01:00:01,
       $ADDR1 10.2.0.1, $LEN1 24, $MAC1 02:00:0a:02:00:01);

fd0 :: FromDevice(p0);
fd1 :: FromDevice(p1);
out0 :: Queue(1024) -> VLANEncap(VLAN_ID $VLAN) -> td0 :: ToDevice(p0);
out1 :: Queue(1024) -> VLANEncap(VLAN_ID $VLAN) -> td1 :: ToDevice(p1);

// Sort by type: ARP requests, ARP replies, IPv4, everything else.
c0 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
c1 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
fd0 -> VLANDecap -> c0;
fd1 -> VLANDecap -> c1;

// ARP: answer for our own addresses; learn next hops from replies.
c0[0] -> ARPResponder($ADDR0 $MAC0) -> out0;
c1[0] -> ARPResponder($ADDR1 $MAC1) -> out1;
arpq0 :: ARPQuerier($ADDR0/$LEN0, $MAC0) -> out0;
arpq1 :: ARPQuerier($ADDR1/$LEN1, $MAC1) -> out1;
c0[1] -> [1]arpq0;
c1[1] -> [1]arpq1;

// IPv4: strip the Ethernet header, check the IP header, route on the destination.
rt :: RadixIPLookup($ADDR0/32 0, $ADDR1/32 0, $ADDR0/$LEN0 1, $ADDR1/$LEN1 2);
ip :: Strip(14)
   -> CheckIPHeader(INTERFACES $ADDR0/$LEN0 $ADDR1/$LEN1)
   -> GetIPAddress(16)
   -> rt;
c0[2] -> Paint(1) -> ip;
c1[2] -> Paint(2) -> ip;

// Packets for the router itself are counted and dropped (it answers ARP, not ping).
rt[0] -> tohost :: Counter -> Discard;

// Forwarding: TTL, fragmentation, next-hop resolution; ICMP errors go back through rt.
rt[1] -> dt0 :: DecIPTTL -> fr0 :: IPFragmenter(1500) -> [0]arpq0;
dt0[1] -> ICMPError($ADDR0, timeexceeded) -> rt;
fr0[1] -> ICMPError($ADDR0, unreachable, needfrag) -> rt;

rt[2] -> dt1 :: DecIPTTL -> fr1 :: IPFragmenter(1500) -> [0]arpq1;
dt1[1] -> ICMPError($ADDR1, timeexceeded) -> rt;
fr1[1] -> ICMPError($ADDR1, unreachable, needfrag) -> rt;

// Neither ARP nor IPv4.
c0[3] -> Discard;
c1[3] -> Discard;
