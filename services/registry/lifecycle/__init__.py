"""Project lifecycle: stage transitions and the confirmation of a real start."""
