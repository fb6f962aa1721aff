// A two-interface IPv4 router on real network devices, in the shape of Click's classic IP
// router ("The Click Modular Router", figure 8): what examples/router.click does with
// capture files, done with FromDevice and ToDevice.
//
//   interface 0: $DEV0, $ADDR0/$LEN0, Ethernet address $MAC0
//   interface 1: $DEV1, $ADDR1/$LEN1, Ethernet address $MAC1
//
// $RING is the descriptors per device ring (RING_SIZE): a deeper ring rides out longer
// stalls of the router's thread (with XDP, a quarter of the packet pool at most: 4096).
//
// $MAC0 and $MAC1 must be the devices' own addresses, and the kernel must not also route
// between them: give the devices no IP addresses (or keep the host's forwarding off).
// METHOD XDP takes the frames away from the kernel; PACKET copies them and the kernel
// sees them too (with no addresses on the devices, it ignores them).
//
// Edit the define below (uplane run takes no NAME=VALUE overrides yet), then, as root:
//   uplane run -h fd0.count -h fd1.count -h td0.count -h td1.count -h '*.drop_reasons' \
//     examples/netns-router.click
// It routes until SIGINT and then prints those handlers. scripts/demo.sh and
// tests/netns/ run it between two network namespaces (tests/netns/lib.sh writes the define).

define($DEV0 veth0, $ADDR0 10.1.0.1, $LEN0 24, $MAC0 02:00:0a:01:00:01,
       $DEV1 veth1, $ADDR1 10.2.0.1, $LEN1 24, $MAC1 02:00:0a:02:00:01,
       $METHOD AUTO, $RING 4096);

fd0 :: FromDevice($DEV0, METHOD $METHOD, RING_SIZE $RING);
fd1 :: FromDevice($DEV1, METHOD $METHOD, RING_SIZE $RING);
out0 :: Queue(1024) -> td0 :: ToDevice($DEV0, METHOD $METHOD, RING_SIZE $RING);
out1 :: Queue(1024) -> td1 :: ToDevice($DEV1, METHOD $METHOD, RING_SIZE $RING);

// Sort by type: ARP requests, ARP replies, IPv4, everything else.
c0 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
c1 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
fd0 -> c0;
fd1 -> c1;

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
