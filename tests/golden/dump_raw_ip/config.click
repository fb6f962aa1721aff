// A raw-IP file: FORCE_IP is implied; ToDump takes the link type from the source.
src :: FromDump(input.pcap, STOP true);
src[0] -> ip :: ToDump(out_ip.pcap, USE_ENCAP_FROM src);
src[1] -> bad :: ToDump(out_notip.pcap, ENCAP IP);
