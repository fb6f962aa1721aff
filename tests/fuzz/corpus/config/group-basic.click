a, b, c, d :: Idle;
a [0,1,2] => ( -> c ), ( -> b ), d;
