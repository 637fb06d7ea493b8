"""The daily scan: nodes that became due soon or overdue, announced once per threshold."""
