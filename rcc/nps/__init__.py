"""Import and export of National Placement Standard (NPS) records."""
