define($a top, $b top)
elementclass F { $a | define($c $a-$b); input -> E($a, $b, $c) -> output }
Idle -> F(arg) -> Discard;
