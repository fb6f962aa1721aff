a, b, c :: Idle;
a => b, c, [0,1] a;
