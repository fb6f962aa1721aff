// CheckIPHeader on every kind of bad header, with INTERFACES (bad sources 10.0.0.255,
// 0.0.0.0, 255.255.255.255; good destination 10.0.0.1) and per-reason counts.
FromDump(input.pcap, STOP true)
  -> Strip(14)
  -> chk :: CheckIPHeader(INTERFACES 10.0.0.1/24, DETAILS true)
  -> good :: ToDump(out1_good.pcap, ENCAP IP);
chk[1] -> bad :: ToDump(out2_bad.pcap, ENCAP IP);
