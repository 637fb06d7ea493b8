"""Monthly completed investment of projects, and the budgets of government-funded ones."""
