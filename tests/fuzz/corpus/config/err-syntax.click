a, b :: X; a -> b % c :: Y :: Z;
