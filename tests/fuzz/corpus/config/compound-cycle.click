elementclass P { input -> output }
a, b :: X; p :: P; a -> p; p -> p;
