"""Projects: registration, updates with ETags, archive, listing and history."""
