// VLAN tags off and on, and Ethernet headers replaced: VLANDecap, VLANEncap,
// EtherVLANEncap, EtherEncap and EtherRewrite in a row, each step written to a file.
FromDump(input.pcap, STOP true)
  -> vd :: VLANDecap
  -> d :: ToDump(out1_decap.pcap)
  -> VLANEncap(VLAN_ID 7, VLAN_PCP 3)
  -> e :: ToDump(out2_encap.pcap)
  -> Strip(18)
  -> EtherVLANEncap(0x0800, 00:00:00:00:00:aa, 00:00:00:00:00:bb, VLAN_ID 9)
  -> ev :: ToDump(out3_ethervlan.pcap)
  -> Strip(18)
  -> EtherEncap(0x86dd, 1:1:1:1:1:1, 2:2:2:2:2:2)
  -> EtherRewrite(00:00:c0:00:00:01, ff:ff:ff:ff:ff:ff)
  -> r :: ToDump(out4_rewritten.pcap);
