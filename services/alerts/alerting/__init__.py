"""Alerts as users see them: lists, one alert with its history, acknowledgement, a project's status."""
