// DecIPTTL: TTL above 1 is decremented with an incremental checksum update; 1 and 0 go to
// output 1 (multicast too, MULTICAST being true by default).
FromDump(input.pcap, STOP true)
  -> Strip(14)
  -> CheckIPHeader
  -> dt :: DecIPTTL
  -> fwd :: ToDump(out1_forwarded.pcap, ENCAP IP);
dt[1] -> exp :: ToDump(out2_expired.pcap, ENCAP IP);
