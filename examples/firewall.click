// A stateless firewall: IPFilter rules over the IPv4 traffic of a capture.
//
// Run from the repository root:
//   uplane run -h pass.count -h ip.drops -h fw.drop_reasons examples/firewall.click
// Packets the rules allow are written to $OUT.

define($OUT /tmp/uplane-firewall-out.pcap);

FromDump(examples/data/mixed.pcap, STOP true)
  -> c :: Classifier(12/0800, -);

c[0] -> Strip(14)
     -> ip :: CheckIPHeader
     -> fw :: IPFilter(allow src net 10.0.0.0/8 && tcp dst port 22,
                       allow icmp type echo,
                       allow udp && dst port 53,
                       deny all)
     -> Unstrip(14)
     -> pass :: Counter
     -> ToDump($OUT);

c[1] -> Discard;
