s :: InfiniteSource(DATA \<
  // Ethernet
  00 00 c0 ae 67 ef  00 00 00 00 00 00  08 00 /* ) */
>, LIMIT 5);
