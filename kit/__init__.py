"""Plumbing shared by the four services; holds no domain logic."""
