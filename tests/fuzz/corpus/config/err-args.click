elementclass F { $a, $b | input -> E($a, $b) -> output }
Idle -> f :: F(1, 2, 3) -> Discard;
