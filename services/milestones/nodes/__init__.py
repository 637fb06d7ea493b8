"""Schedule nodes: list, add, remove, reschedule, reassign and complete them; completion by registry facts."""
