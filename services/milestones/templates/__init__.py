"""Schedule templates: the built-in ones by project category and custom ones kept in the database."""
