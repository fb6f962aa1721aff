elementclass Queue { $cap, $x | input -> Queue($cap) -> Tag($x) -> output || ... }
Idle -> Queue(10, t) -> Queue(20) -> Discard;
