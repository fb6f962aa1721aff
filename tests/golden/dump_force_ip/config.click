// FORCE_IP: IPv4 frames with a whole IP header leave on output 0, everything else on
// output 1.
src :: FromDump(input.pcap, STOP true, FORCE_IP true);
src[0] -> ip :: ToDump(out_ip.pcap);
src[1] -> other :: ToDump(out_other.pcap);
