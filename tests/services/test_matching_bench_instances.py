"""The matching benchmark's instances are what the service would hand the library once the same
demo region is loaded into the register (free places, vacancy caps, resident and child ages)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from bench.matching_instances import to_instance
from rcc.db import transaction
from rcc.db.models import Referral
from rcc.demo.generate import generate_region
from rcc.demo.load import load_region
from rcc.matching.adapters import la_codes, load_supply, to_referral
from tests.conftest import DATA_DIR


@pytest.mark.slow
def test_bench_instance_equals_service_view_of_loaded_demo(factory):
    demo = generate_region("North East", 1, DATA_DIR, scale=0.3, referral_scale=2.0)
    with transaction(factory) as s:
        load_region(s, demo)
    frees = []
    for lead in (0, 1, 14):  # vacancies are dated 0-14 days after as_of
        on = demo.as_of + dt.timedelta(days=lead)
        refs, homes = to_instance([demo], on)
        with factory() as s:
            codes = la_codes(s)
            supply = load_supply(s, None, on, codes=codes)
            service_refs = [
                to_referral(r, codes, on) for r in s.scalars(select(Referral).order_by(Referral.id))
            ]
        # the loader inserts homes and referrals in the generator's order
        assert [dataclasses.replace(a, id=b.id) for a, b in zip(supply.homes, homes, strict=True)] == homes
        assert len(service_refs) == len(refs) > 0
        for a, b in zip(service_refs, refs, strict=True):
            assert (a.urgency, a.la, a.allow_split) == (b.urgency, b.la, b.allow_split)
            assert [
                dataclasses.replace(c, id=d.id) for c, d in zip(a.children, b.children, strict=True)
            ] == list(b.children)
        frees.append(sum(h.free_places for h in homes))
    assert frees[0] < frees[1] < frees[2]  # more declared vacancies open as the date moves on
