a :: X;
b :: Y;a -> b;
