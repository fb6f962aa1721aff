elementclass F {
  input -> output
