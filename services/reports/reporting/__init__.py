"""Reporting timeliness (月调度 报送情况): per unit, who reported a month on time, late or not at all."""
