// IPClassifier and IPFilter on the same packets. Port, TCP flag and ICMP type tests match
// only first fragments; a test whose bytes are past the end of the packet is false.
FromDump(input.pcap, STOP true)
  -> Strip(14)
  -> CheckIPHeader
  -> t :: Tee(2);
t[0] -> ipc :: IPClassifier(tcp dst port 80,
                            udp and dst port 53,
                            icmp type echo,
                            src net 10.0.0.0/24 and ip ttl < 10,
                            ip frag,
                            -);
ipc[0] -> c0 :: ToDump(out_c0.pcap, ENCAP IP);
ipc[1] -> c1 :: ToDump(out_c1.pcap, ENCAP IP);
ipc[2] -> c2 :: ToDump(out_c2.pcap, ENCAP IP);
ipc[3] -> c3 :: ToDump(out_c3.pcap, ENCAP IP);
ipc[4] -> c4 :: ToDump(out_c4.pcap, ENCAP IP);
ipc[5] -> c5 :: ToDump(out_c5.pcap, ENCAP IP);
t[1] -> ipf :: IPFilter(allow tcp syn, 1 udp, drop icmp, 2 all);
ipf[0] -> f0 :: ToDump(out_f0.pcap, ENCAP IP);
ipf[1] -> f1 :: ToDump(out_f1.pcap, ENCAP IP);
ipf[2] -> f2 :: ToDump(out_f2.pcap, ENCAP IP);
