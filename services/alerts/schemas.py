"""API field types shared by the alerts endpoints."""
from kit.inputs import text

Text, LongText = text(300), text(4000)
Id = text(36)
