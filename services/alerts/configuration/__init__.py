"""Rule settings: switches and thresholds, versioned, every change recorded."""
