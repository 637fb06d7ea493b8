"""Schedule nodes: listing, adding, removing, rescheduling, reassigning and completing them; registry-driven completion."""
