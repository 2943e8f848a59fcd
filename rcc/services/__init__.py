"""Typed service functions: the only place business rules live. They raise domain errors."""
