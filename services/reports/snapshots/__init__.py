"""Monthly snapshots: figures frozen as of a month's last day, taken by hand or automatically."""
