"""Routers by domain; :mod:`rcc.app` mounts each module's ``router`` under /api/v1."""
