elementclass Dev { $name, BURST $b |
  from :: FromDevice($name, BURST $b) -> output;
  input -> to :: ToDevice($name);
}
d :: Dev(eth0, BURST 8);
d -> d;
