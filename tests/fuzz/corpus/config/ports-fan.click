a, b, c :: Idle;
p, q :: PullNull;
a, a[1] -> b -> p, q;
p -> [0]c, [1]c; q -> [2]c;
