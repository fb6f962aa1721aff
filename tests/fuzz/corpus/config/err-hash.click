a :: X;
# a comment?
