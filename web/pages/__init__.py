"""The pages, one module per surface: sign-in, the unit's phone page, the office's console, the map."""
