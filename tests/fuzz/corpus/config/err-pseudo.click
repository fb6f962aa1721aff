elementclass F {
  output -> input
}
