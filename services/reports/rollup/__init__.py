"""District to city roll-up (纵向报送)."""
