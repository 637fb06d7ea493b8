"""Schedules: generation from a template (backward or forward), the schedule view and its critical path."""
