a :: X; /* never closed
