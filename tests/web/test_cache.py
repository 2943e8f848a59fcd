"""Commissioner reports are reused only while nothing they read has changed."""

from __future__ import annotations

from rcc.auth import SYSTEM


def test_a_kept_report_is_recomputed_when_the_register_changes_or_the_scope_differs(factory, world):
    from rcc.auth import Principal, Role
    from rcc.db import transaction
    from rcc.db.models import Provider
    from rcc.web import cache

    cache.clear()
    calls = []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    with transaction(factory) as s:
        assert cache.kept(s, SYSTEM, "r", (1,), compute) == {"n": 1}
        assert cache.kept(s, SYSTEM, "r", (1,), compute) == {"n": 1}  # unchanged register: kept
        assert cache.kept(s, SYSTEM, "r", (2,), compute) == {"n": 2}  # other parameters
        other = Principal(key_id=None, role=Role.RCC_COMMISSIONER, rcc_id=world.rcc_id)
        assert cache.kept(s, other, "r", (1,), compute) == {"n": 3}  # another caller scope
    with transaction(factory) as s:
        s.add(Provider(name="New Care Ltd", sector="private"))
    with transaction(factory) as s:
        assert cache.kept(s, SYSTEM, "r", (1,), compute) == {"n": 4}  # the register changed
    with transaction(factory) as s:
        s.get(Provider, world.provider_a).name = "Renamed"
    with transaction(factory) as s:
        assert cache.kept(s, SYSTEM, "r", (1,), compute) == {"n": 5}  # an update, too


def test_a_kept_report_is_recomputed_when_a_job_finishes(factory, world):
    """Jobs are bookkeeping (they do not move the data version), but a finished forecast changes the gap."""
    from rcc.db import transaction
    from rcc.db.models import Job, utcnow
    from rcc.web import cache

    cache.clear()
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    with transaction(factory) as s:
        s.add(Job(id="j1", kind="forecast", status="running", params={}))
    with transaction(factory) as s:
        assert cache.kept(s, SYSTEM, "gap", (1,), compute) == 1
        assert cache.kept(s, SYSTEM, "gap", (1,), compute) == 1
    with transaction(factory) as s:
        job = s.get(Job, "j1")
        job.status, job.finished_at = "succeeded", utcnow()
    with transaction(factory) as s:
        assert cache.kept(s, SYSTEM, "gap", (1,), compute) == 2
