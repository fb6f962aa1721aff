define($ip 10.0.0.1, $mac 00:00:c0:ae:67:ef)
elementclass Input { $dev |
  FromDevice($dev) -> cl :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
  cl [0] -> [0] output; cl [1] -> [1] output;
  cl [2] -> Strip(14) -> CheckIPHeader -> [2] output;
  cl [3] -> Discard;
}
elementclass Output { $dev, $ip, $mac |
  input [0] -> q :: Queue(200) -> ToDevice($dev);
  input [1] -> arpq :: ARPQuerier($ip, $mac) -> q;
  input [2] -> [1] arpq;
}
in0 :: Input(eth0); out0 :: Output(eth0, $ip, $mac);
in0 [0] -> ARPResponder($ip $mac) -> [0] out0;
in0 [1] -> [2] out0;
rt :: StaticIPLookup($ip/32 0, 0.0.0.0/0 1);
in0 [2] -> Paint(1) -> rt;
rt [0] -> Discard; rt [1] -> DecIPTTL -> [1] out0;
