elementclass F { $a, X $x, Y $y, __REST__ $r | input -> E($a; $x; $y; $r) -> output }
Idle -> F(1, Y 3, X 2) -> F(1, X 2, Y 3, more, Z 4) -> Discard;
