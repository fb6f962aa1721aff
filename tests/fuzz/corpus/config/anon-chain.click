FromDevice(eth0) -> Counter -> Print(ok) -> Discard;
