Idle -> b;
b :: Counter;
