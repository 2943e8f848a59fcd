"""Sufficiency returns and forecasts in the service (filled in by the sufficiency work)."""
