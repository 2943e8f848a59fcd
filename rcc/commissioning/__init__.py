"""Commissioning reports: cost of care, market concentration, financial oversight, outcomes, equality,
the published report and the market stress test."""
