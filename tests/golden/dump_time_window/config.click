// Packets at 200.0, 200.5, ... 204.5 s. START 201 skips those before 201.0; INTERVAL 2
// ends the trace at the first packet 2 s after 201.0 (203.0, not emitted); STOP then
// stops the router.
src :: FromDump(input.pcap, START 201, INTERVAL 2, STOP true)
  -> out :: ToDump(out.pcap);
