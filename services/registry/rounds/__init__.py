"""Monthly reporting rounds (月调度 下发/填报): the office opens a month, units report per project, the office approves or returns."""
