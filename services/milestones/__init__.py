"""Milestones: schedule nodes, templates, scheduling, critical path and overdue detection."""
