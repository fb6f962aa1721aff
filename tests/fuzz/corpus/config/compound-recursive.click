elementclass F { $a, $b | input -> X -> output
  || $a, $b, $c | input -> X -> output
  || $x | input -> F($x) -> output }
Idle -> F(1) -> Discard;
