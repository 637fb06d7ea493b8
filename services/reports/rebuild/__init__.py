"""Rebuilding the read models from the retained events."""
