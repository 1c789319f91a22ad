"""Benchmarks that print figures (DESIGN "Testing": tests never assert on wall-clock time)."""
