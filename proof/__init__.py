"""Proof a newcomer can run against a running platform, through its public APIs only: a demo city (`demo`), a
consistency checker (`verify`) and chaos under load (`chaos`). `python -m proof --help`."""
