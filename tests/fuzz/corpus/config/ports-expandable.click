a, b, c, d :: X;
a [1, ] => b, c, d;
b, c => [] d;
