"""Benchmarks: load and scale runs measured as ratios against a bare baseline in the same run."""
