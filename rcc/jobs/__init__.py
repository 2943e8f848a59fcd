"""Persisted jobs: the queue (queue.py, its face; context.py, what a handler gets; leases.py, claims,
heartbeats and the reaper), the kind -> handler registry (registry.py), the worker (worker.py) and the
HTTP endpoints (router.py). Nothing is imported here, so importing a submodule has no side effects."""
