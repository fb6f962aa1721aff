elementclass Foo {
$a |
   elementclass Bar {
   $b |
      DriverManager($a);
   }
   elementclass Baz {
   $a |
      Idle; Bar($a);
   }
   Baz(other);
}
Foo(stop);
