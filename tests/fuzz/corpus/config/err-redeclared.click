a :: Counter;

  a :: Queue;
