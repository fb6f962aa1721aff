elementclass Q Queue;
elementclass W { input -> Counter -> output }
elementclass V W;
Idle -> Q(5) -> V -> Discard;
