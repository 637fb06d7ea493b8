"""Targets handed down for the year and their progress."""
