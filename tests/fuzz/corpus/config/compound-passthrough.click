elementclass Wire { input -> output }
elementclass Cross { input [0] -> [1] output; input [1] -> [0] output }
a, b :: X;
a -> Wire -> Wire -> b;
a [1] -> [1] x :: Cross -> [2] b; x [1] -> [3] b; a [2] -> x;
