"""Sold land parcels (出让地块), their start deadlines and the projects built on them."""
