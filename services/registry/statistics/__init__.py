"""Statistics inclusion (入库纳统): project documents, readiness, and the submit/review workflow."""
