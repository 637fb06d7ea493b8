"""The rule engine's pure part: facts, thresholds, one function per rule, colour and grade."""
