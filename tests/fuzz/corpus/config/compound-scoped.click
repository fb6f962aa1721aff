elementclass Outer {
  elementclass Helper { input -> Counter -> output }
  input -> Helper -> output
}
Idle -> Outer -> Helper -> Discard;
