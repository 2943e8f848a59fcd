"""Shortlist ranking, contributions and the exclusion summary counts."""

from __future__ import annotations

from api_schemas.vocab import HomeType, Need
from matching import prepare, shortlist
from tests.matching.factories import MILE, child, home, referral


def test_shortlist_counts_and_ranks():
    homes = [home(f"full{i}", free=0) for i in range(5)]
    homes += [home(f"old{i}", age_min=14) for i in range(2)]
    homes += [home("disab", needs_met=frozenset())]
    homes += [home("far", e=30 * MILE), home("near", e=2 * MILE), home("res", HomeType.CHILDRENS_HOME)]
    r = referral(child(age=12, needs={Need.UASC}), rid="R1")
    homes = [
        h
        if h.id == "disab"
        else type(h)(**{**{f: getattr(h, f) for f in h.__slots__}, "needs_met": frozenset({Need.UASC})})
        for h in homes
    ]
    sl = shortlist(r, homes, top_n=2)
    assert sl.summary == "3 eligible; 8 homes excluded: 5 no free place, 2 age range, 1 needs"
    assert sl.excluded == {"capacity": 5, "age_range": 2, "needs": 1}
    assert [e.home_id for e in sl.entries] == ["near", "res"]
    assert sl.entries[0].rank == 1 and sl.entries[0].points <= sl.entries[1].points
    texts = [c.text for c in sl.entries[0].contributions]
    assert "2.0 miles from home: +20" in texts
    assert sum(c.points for c in sl.entries[0].contributions) == sl.entries[0].points


def test_shortlist_with_prepared_register_is_identical():
    homes = [home(f"h{i}", e=i * MILE, free=i % 3) for i in range(30)]
    r = referral(child())
    assert shortlist(r, homes, top_n=5) == shortlist(r, homes, top_n=5, prepared=prepare(homes))
