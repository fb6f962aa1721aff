a :: X(a (b) c, "q ) \" (", ')', \<29 28>);
c :: Z(x, // comment )
  y /* ) */ z);
