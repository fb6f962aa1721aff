// RatedSource: packets holding DATA, RATE a second, LIMIT in all (LENGTH cuts or repeats
// DATA; ACTIVE false emits nothing). The token bucket starts with one token, so the first
// packet leaves at once and `slow` (200 a second) takes about 10 ms for its three; its STOP
// then stops the router. `fast` (10^6 a second) and `dflt` (LIMIT 1) are done long before.
// Only contents and counts are checked: timestamps are not part of the text.

// A UDP datagram 10.0.0.3:3456 > 10.0.0.4:9, "rated", in an Ethernet frame (47 bytes).
slow :: RatedSource(DATA \<00 00 00 00 00 02  00 00 00 00 00 01  08 00
                           45 00 00 21 00 03 00 00 40 11 66 c3 0a 00 00 03 0a 00 00 04
                           0d 80 00 09 00 0d 93 7d
                           72 61 74 65 64>,
                    RATE 200, LIMIT 3, STOP true)
  -> c :: Counter
  -> o1 :: ToDump(out1_slow.pcap);

// 15 bytes (an Ethernet header, type 88b5, and "r") repeated to 60.
fast :: RatedSource(DATA \<00 00 00 00 00 02 00 00 00 00 00 01 88 b5 72>,
                    RATE 1000000, LIMIT 6, LENGTH 60)
  -> o2 :: ToDump(out2_fast.pcap);

// No DATA and no RATE: Click's default text, 10 a second; the first token is there at once.
dflt :: RatedSource(LIMIT 1) -> o3 :: ToDump(out3_default.pcap);

off :: RatedSource(DATA \<00 00 00 00 00 02 00 00 00 00 00 01 88 b5>, RATE 1000, LIMIT 2,
                   ACTIVE false)
  -> o4 :: ToDump(out4_inactive.pcap);
