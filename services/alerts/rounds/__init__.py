"""Supervision rounds (每月一督导): the frozen list of red and yellow projects and open tasks per unit."""
