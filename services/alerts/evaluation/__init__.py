"""Evaluating the rules: on each event for its project, and in the daily scan for every project."""
