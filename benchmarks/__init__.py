"""Benchmark rows for `make bench`; see tests/benchmark.py."""
