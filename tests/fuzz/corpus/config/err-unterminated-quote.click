a :: X("abc)
