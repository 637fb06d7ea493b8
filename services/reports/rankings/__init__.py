"""Rankings of units (赛马比拼)."""
