elementclass Queue { input -> Queue(5) -> output }
Idle -> Queue -> Discard;
