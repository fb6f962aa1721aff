// Records captured short, and one whose caplen exceeds its wire length, through three
// ToDumps in a row: default (the extra-length annotation restores the wire length),
// SNAPLEN 100, and EXTRA_LENGTH false.
FromDump(input.pcap, STOP true)
  -> full :: ToDump(out1_full.pcap)
  -> snap :: ToDump(out2_snap100.pcap, SNAPLEN 100)
  -> noextra :: ToDump(out3_noextra.pcap, EXTRA_LENGTH false)
  -> Discard;
