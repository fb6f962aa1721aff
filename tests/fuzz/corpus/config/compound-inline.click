elementclass Foo { input -> Counter -> output }
Idle -> Foo -> { input -> X -> output } -> Discard;
