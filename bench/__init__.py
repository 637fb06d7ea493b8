"""Benchmarks with same-run baselines: `python -m bench` (`make bench`). Not a test: it measures and reports."""
import os

# Settings built in the bench's own process (seeding read models, in-process phases) may use the development secret;
# the service processes it starts get a random one.
os.environ.setdefault("KP_ENV", "dev")
