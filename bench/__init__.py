"""Benchmarks with same-run baselines: `python -m bench` (`make bench`). Not a test: it measures and reports."""
