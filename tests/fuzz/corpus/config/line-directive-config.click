m :: Message(
# 100 "foobar.click"
"test");
