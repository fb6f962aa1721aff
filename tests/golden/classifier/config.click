// Classifier: first matching pattern wins; "!" negates a clause, "?" is a don't-care
// nibble, %MASK selects bits; a clause past the end of the packet does not match.
FromDump(input.pcap, STOP true)
  -> c :: Classifier(12/0806 20/0001,    // 0: ARP requests
                     12/0806 !20/0001,   // 1: other ARP
                     12/0800 23/11,      // 2: IPv4 UDP
                     12/0800 14/4?,      // 3: other IPv4 (version 4, any IHL)
                     0/01%01,            // 4: group destinations (multicast, broadcast)
                     -);                 // 5: the rest
c[0] -> o0 :: ToDump(out0.pcap);
c[1] -> o1 :: ToDump(out1.pcap);
c[2] -> o2 :: ToDump(out2.pcap);
c[3] -> o3 :: ToDump(out3.pcap);
c[4] -> o4 :: ToDump(out4.pcap);
c[5] -> o5 :: ToDump(out5.pcap);
