a, b, c :: Queue(10);
x :: Idle -> a;
