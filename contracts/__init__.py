"""Event contracts: the only code the four services share about the domain."""
