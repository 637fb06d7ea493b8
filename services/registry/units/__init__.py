"""Responsible units: towns, streets, departments, districts, parks."""
