// MarkIPHeader(14) marks the IP header inside each Ethernet frame; SetIPChecksum finds the
// header through that annotation and sets its checksum there (frame bytes 24-25), dropping
// headers with IHL < 5 or longer than the packet. Strip(14) takes the Ethernet header off
// (the annotation keeps pointing at the IP header); then the destination IP annotation is
// set three ways and LinearIPLookup routes on it: from the destination address
// (GetIPAddress(16)), from the marked header's source address (GetIPAddress(IP src)), and
// to one fixed address (SetIPAddress). Unstrip(14) puts the Ethernet header back before
// each file.
src :: FromDump(input.pcap, STOP true)
  -> MarkIPHeader(14)
  -> sum :: SetIPChecksum
  -> Strip(14)
  -> t :: Tee(3);

t[0] -> GetIPAddress(16)
  -> bydst :: LinearIPLookup(10.0.1.0/24 0, 10.0.2.0/24 1);
t[1] -> GetIPAddress(IP src)
  -> bysrc :: LinearIPLookup(10.0.1.0/24 0, 10.0.2.0/24 1);
t[2] -> fix :: SetIPAddress(10.0.2.99)
  -> byfix :: LinearIPLookup(10.0.1.0/24 0, 10.0.2.0/24 1);

bydst[0] -> Unstrip(14) -> ToDump(out1_dst_net1.pcap);
bydst[1] -> Unstrip(14) -> ToDump(out2_dst_net2.pcap);
bysrc[0] -> Unstrip(14) -> ToDump(out3_src_net1.pcap);
bysrc[1] -> Unstrip(14) -> ToDump(out4_src_net2.pcap);
byfix[0] -> Unstrip(14) -> ToDump(out5_fixed_net1.pcap);
byfix[1] -> Unstrip(14) -> ToDump(out6_fixed_net2.pcap);
