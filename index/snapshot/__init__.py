"""The read-only search structures of one store generation, built, published and kept in line."""
