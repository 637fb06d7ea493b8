"""Reports: read models built from events; overview, rankings, exports and the public board."""
