"""The public ranking board for a display screen."""
