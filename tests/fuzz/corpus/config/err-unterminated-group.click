a :: X; a -> (-> b :: Y
