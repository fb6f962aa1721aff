define($dev eth0, $n 5, $s "a b");
FromDevice($dev, BURST ${n}) -> Print("$s on $dev", '$dev', ${none-dflt}, $none) -> Discard;
