elementclass G { $a, KEY $k | input -> E($a, $k) -> output }
Idle -> G(1, KEY 2, BOGUS 3) -> Discard;
