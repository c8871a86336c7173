"""Benchmarks on real data (`make bench`); results are written to docs/benchmarks.md."""
