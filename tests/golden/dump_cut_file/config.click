// A file cut inside its third record: the first two packets go, the trace ends there
// (counted in errors), and STOP still stops the router.
src :: FromDump(input.pcap, STOP true)
  -> out :: ToDump(out.pcap);
