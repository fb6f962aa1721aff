// ARPResponder for its own address 10.0.0.1 and, by proxy, 10.0.1.0/24: requests it can
// answer become replies on output 0; everything else leaves on output 1.
FromDump(input.pcap, STOP true)
  -> ar :: ARPResponder(10.0.0.1 00:00:c0:00:00:01, 10.0.1.0/24 00:00:c0:00:00:02)
  -> replies :: ToDump(out1_replies.pcap);
ar[1] -> other :: ToDump(out2_other.pcap);
