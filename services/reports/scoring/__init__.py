"""The versioned weights of the ranking score."""
