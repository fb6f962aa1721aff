elementclass F { input -> c :: Counter -> output }
f :: F; f -> Discard;
