analyzer, x1, x2 :: Idle;
x1 -> analyzer -> x2;
c :: Idle =>
  [1] analyzer [1],
  (-> c2 :: Idle => (->), Paint(1) ->)
-> post :: Idle;
