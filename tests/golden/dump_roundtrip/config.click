// FromDump -> ToDump with nothing between: every record comes back unchanged, whatever
// it holds (runts and an empty record included).
src :: FromDump(input.pcap, STOP true)
  -> out :: ToDump(out.pcap);
