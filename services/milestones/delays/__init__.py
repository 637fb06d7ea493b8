"""Delay attribution (超时倒查): who made which node late, and which nodes made a project slip."""
