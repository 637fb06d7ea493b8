"""Monthly, quarterly and yearly reports as JSON, CSV and XLSX."""
