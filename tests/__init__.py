"""qabot test suite."""
