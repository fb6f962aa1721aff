// header
a /* x */ :: X // z
; a [ /* p */ 1 ] -> /* r */ b :: Y;
