src :: InfiniteSource(LIMIT 5);
c :: Counter;
d :: Discard();
src -> c -> d;
