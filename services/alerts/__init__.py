"""Alerts: the rule engine, coloured alerts, supervision tasks, problems and webhooks."""
