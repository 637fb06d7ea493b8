"""Supervision tasks (督办件) and the problems (堵点) that open them: lifecycle, escalation, unit-scoped access."""
