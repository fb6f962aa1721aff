elementclass F { K $a, $b | }
