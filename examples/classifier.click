// Sorts the frames of a capture by protocol and counts each kind.
//
// Run from the repository root:
//   uplane run -h 'c*.count' examples/classifier.click

FromDump(examples/data/mixed.pcap, STOP true)
  -> cl :: Classifier(12/0806 20/0001,   // ARP request
                      12/0806 20/0002,   // ARP reply
                      12/0800,           // IPv4
                      12/86dd,           // IPv6
                      -);                // anything else

cl[0] -> c_arp_request :: Counter -> Discard;
cl[1] -> c_arp_reply :: Counter -> Discard;
cl[2] -> Strip(14)
      -> CheckIPHeader
      -> ipc :: IPClassifier(tcp, udp, icmp, -);
cl[3] -> c_ipv6 :: Counter -> Discard;
cl[4] -> c_other :: Counter -> Discard;

ipc[0] -> c_tcp :: Counter -> Discard;
ipc[1] -> c_udp :: Counter -> Discard;
ipc[2] -> c_icmp :: Counter -> Discard;
ipc[3] -> c_ip_other :: Counter -> Discard;
