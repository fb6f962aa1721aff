Idle -> Counter -> Discard; Counter@2 :: Idle;
