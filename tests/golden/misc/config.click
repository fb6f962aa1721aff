// Null passes packets on unchanged, in push context and in pull context. Print writes a
// line per packet to standard error (not compared here) and passes the packet on. A
// SimpleQueue(4) that nothing pulls keeps the first 4 packets and pushes the rest out of
// its output 1; a SimpleQueue drained by Unqueue passes every packet in order. Idle
// discards the packets pushed into it and answers pulls with nothing. StaticThreadSched
// puts tasks on thread 0 (the only one here, so nothing visible changes).
src :: FromDump(input.pcap, STOP true)
  -> Null
  -> Print(misc, 20)
  -> t :: Tee(3);

t[0] -> full :: SimpleQueue(4) -> Unqueue(ACTIVE false) -> never :: ToDump(out1_never.pcap);
full[1] -> over :: ToDump(out2_overflow.pcap);

t[1] -> sq :: SimpleQueue -> Null -> u :: Unqueue -> all :: ToDump(out3_all.pcap);

t[2] -> idle :: Idle;
Idle -> ui :: Unqueue -> none :: ToDump(out4_idle.pcap);

StaticThreadSched(src 0, u 0, ui 0);
