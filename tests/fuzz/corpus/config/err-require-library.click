require(library other.click)
