elementclass F {
  $a | input -> One($a) -> output
  || $a, $b | input -> Two($a, $b) -> output
  || $a | input -> Out2($a) -> output; input -> Out2b -> [1] output
}
a :: Idle;
a -> F(1) -> a; a -> F(1, 2) -> a; a -> f :: F(x) -> a; f [1] -> a;
