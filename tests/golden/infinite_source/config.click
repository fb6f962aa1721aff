// InfiniteSource: every packet holds DATA; LIMIT packets in all, BURST per task run; LENGTH
// cuts DATA or repeats it to that length; ACTIVE false emits nothing; a pulled source gives
// a packet per pull. STOP true on `src` stops the router after its LIMIT-th packet (its
// third task run); the other sources reach their LIMIT on their first run, before that.
// Timestamps (the wall clock) are not part of the text.

// A UDP datagram 10.0.0.1:1234 > 10.0.0.2:9, "infinite", in an Ethernet frame (50 bytes).
src :: InfiniteSource(DATA \<00 00 00 00 00 02  00 00 00 00 00 01  08 00
                             45 00 00 24 00 01 00 00 40 11 66 c6 0a 00 00 01 0a 00 00 02
                             04 d2 00 09 00 10 34 4a
                             69 6e 66 69 6e 69 74 65>,
                      LIMIT 5, BURST 2, STOP true)
  -> c :: Counter
  -> o1 :: ToDump(out1_stop.pcap);

// 16 bytes (an Ethernet header, type 88b5, and "ab") repeated to 40.
rep :: InfiniteSource(DATA \<00 00 00 00 00 02 00 00 00 00 00 01 88 b5 61 62>,
                      LENGTH 40, LIMIT 2, BURST 2)
  -> o2 :: ToDump(out2_repeat.pcap);

// The same frame as src's, cut to its Ethernet and IP headers (34 bytes).
cut :: InfiniteSource(DATA \<00 00 00 00 00 02  00 00 00 00 00 01  08 00
                             45 00 00 24 00 01 00 00 40 11 66 c6 0a 00 00 01 0a 00 00 02
                             04 d2 00 09 00 10 34 4a
                             69 6e 66 69 6e 69 74 65>,
                      LENGTH 34, LIMIT 1)
  -> o3 :: ToDump(out3_cut.pcap);

// No DATA: Click's default text.
dflt :: InfiniteSource(LIMIT 1) -> o4 :: ToDump(out4_default.pcap);

off :: InfiniteSource(DATA \<00 00 00 00 00 02 00 00 00 00 00 01 88 b5>, LIMIT 4, ACTIVE false)
  -> o5 :: ToDump(out5_inactive.pcap);

// Pulled by Unqueue: 10.0.0.1:2345 > 10.0.0.2:9, "pulled" (48 bytes).
pulled :: InfiniteSource(DATA \<00 00 00 00 00 02  00 00 00 00 00 01  08 00
                                45 00 00 22 00 02 00 00 40 11 66 c7 0a 00 00 01 0a 00 00 02
                                09 29 00 09 00 0e a0 57
                                70 75 6c 6c 65 64>,
                         LIMIT 3)
  -> u :: Unqueue
  -> o6 :: ToDump(out6_pulled.pcap);
