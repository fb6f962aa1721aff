elementclass MyQueue {
  input -> q :: Queue(10) -> Shaper(1000) -> output;
}
src :: Idle; mq :: MyQueue;
src -> mq -> Discard;
