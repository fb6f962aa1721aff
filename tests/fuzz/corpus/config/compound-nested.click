elementclass Inner { input -> c :: Counter -> output }
elementclass Outer { input -> i :: Inner -> q :: Queue -> output }
Idle -> o :: Outer -> Discard;
