"""Test harness: databases, the broker, service processes, one API client and polling."""
