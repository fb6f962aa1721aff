// Queue with nothing pulling (Unqueue inactive): the first 5 of 40 packets are kept and
// 35 are dropped. A second Queue, drained by an active Unqueue, passes all 40 in order.
FromDump(input.pcap, STOP true)
  -> t :: Tee(2);
t[0] -> full :: Queue(5) -> Unqueue(ACTIVE false) -> never :: ToDump(out1_never.pcap);
t[1] -> q :: Queue(100) -> u :: Unqueue -> all :: ToDump(out2_all.pcap);
