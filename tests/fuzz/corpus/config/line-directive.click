a :: X;
# 10 "lib.click"
b :: Y;
#line 20
c :: Z;
