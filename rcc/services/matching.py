"""Placement matching in the service (filled in by the matching work)."""
