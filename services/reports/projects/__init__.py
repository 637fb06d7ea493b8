"""The projects behind each figure."""
