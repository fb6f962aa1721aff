input -> Discard;
