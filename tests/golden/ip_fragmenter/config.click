// IPFragmenter(100): packets over 100 bytes are fragmented (RFC 791); DF packets go to
// output 1.
FromDump(input.pcap, STOP true)
  -> Strip(14)
  -> CheckIPHeader
  -> fr :: IPFragmenter(100)
  -> frags :: ToDump(out1_fragments.pcap, ENCAP IP);
fr[1] -> df :: ToDump(out2_df.pcap, ENCAP IP);
