"""Overview and breakdowns of the projects in scope."""
