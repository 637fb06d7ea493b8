"""Registry: the project library, source of truth for units and projects."""
