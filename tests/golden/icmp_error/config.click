// ICMPError answering expired packets: which get an error (RFC 1812 4.3.2.7 says which do
// not), and what the error holds (TTL 200, IDs from 1, as much of the packet as fits in
// 576 bytes, a reversed source route).
FromDump(input.pcap, STOP true)
  -> Strip(14)
  -> CheckIPHeader
  -> dt :: DecIPTTL
  -> fwd :: ToDump(out1_forwarded.pcap, ENCAP IP);
dt[1] -> err :: ICMPError(10.0.0.1, timeexceeded)
  -> icmp :: ToDump(out2_errors.pcap, ENCAP IP);
