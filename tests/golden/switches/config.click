// BURST 1: one packet at a time through the graph, as Click's FromDump does, so packets
// reaching PaintSwitch along different paths interleave as they would in Click.
// Packets spread over outputs: RoundRobinSwitch in turn; HashSwitch by the sum of the
// destination address bytes; Paint then PaintSwitch by paint; Counter counts bytes.
FromDump(input.pcap, STOP true, BURST 1)
  -> c :: Counter
  -> Strip(14)
  -> t :: Tee(3);
t[0] -> rr :: RoundRobinSwitch;
rr[0] -> rr0 :: ToDump(out_rr0.pcap, ENCAP IP);
rr[1] -> rr1 :: ToDump(out_rr1.pcap, ENCAP IP);
rr[2] -> rr2 :: ToDump(out_rr2.pcap, ENCAP IP);
t[1] -> hs :: HashSwitch(16, 4);
hs[0] -> hs0 :: ToDump(out_hs0.pcap, ENCAP IP);
hs[1] -> hs1 :: ToDump(out_hs1.pcap, ENCAP IP);
hs[2] -> hs2 :: ToDump(out_hs2.pcap, ENCAP IP);
t[2] -> rr2b :: RoundRobinSwitch;
rr2b[0] -> Paint(1) -> ps :: PaintSwitch;
rr2b[1] -> Paint(0) -> ps;
rr2b[2] -> Paint(255) -> ps;
ps[0] -> ps0 :: ToDump(out_ps0.pcap, ENCAP IP);
ps[1] -> ps1 :: ToDump(out_ps1.pcap, ENCAP IP);
