"""The vectorised pre-filter and ranking cost agree with the rule and term classes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import HARD_RULES, Policy
from matching.candidates import (
    _VECTOR_RULES,
    PreparedHomes,
    exclusion_counts,
    prefilter,
    prefilter_stages,
    ranking_cost,
)
from matching.rules.hard import first_failure
from matching.rules.soft import make_context, pair_points
from tests.matching.factories import random_instance


def test_vectorised_stages_follow_rule_order():
    refs, homes = random_instance(1)
    ph = PreparedHomes(tuple(homes), make_context(Policy(), homes))
    names = [n for n, _ in prefilter_stages(ph, refs[0], refs[0].children)]
    assert names == [r.name for r in HARD_RULES[:_VECTOR_RULES]]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_prefilter_exclusions_and_cost_match_the_classes(seed):
    refs, homes = random_instance(seed, n_ref=6, n_homes=25)
    policy = Policy()
    ph = PreparedHomes(tuple(homes), make_context(policy, homes))
    for ref in refs:
        groups = [ref.children] + ([(c,) for c in ref.children] if ref.size > 1 else [])
        for kids in groups:
            mask = prefilter(ph, ref, kids)
            expect: dict[str, int] = {}
            eligible = []
            for i, h in enumerate(homes):
                f = first_failure(ref, kids, h, policy)
                if f is None:
                    eligible.append(i)
                    assert mask[i], "pre-filter dropped an eligible home"
                else:
                    expect[f[0]] = expect.get(f[0], 0) + 1
            counts, elig = exclusion_counts(ph, ref, kids, policy)
            assert counts == expect
            assert list(elig) == eligible
            for c in kids:
                import numpy as np
                idx = np.arange(len(homes))
                cost = ranking_cost(ph, c, idx)[0]
                for i, h in enumerate(homes):
                    assert cost[i] == pair_points(c, h, ph.ctx.facts(c, h), ph.ctx)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_scan_finds_the_k_cheapest_eligible_homes(seed):
    import dataclasses

    from matching.candidates import Scan

    refs, homes = random_instance(seed, n_ref=6, n_homes=700, span_miles=80)
    # most homes broadly eligible, so the scan must look past its first chunks
    homes = [dataclasses.replace(h, free_places=3, age_min=0 if h.age_min < 16 else 16) for h in homes]
    policy = Policy()
    ph = PreparedHomes(tuple(homes), make_context(policy, homes))
    for ref in refs:
        for kids in [ref.children] + [(c,) for c in ref.children]:
            brute = sorted(sum(pair_points(c, h, ph.ctx.facts(c, h), ph.ctx) for c in kids)
                           for h in homes if first_failure(ref, kids, h, policy) is None)
            got = [cost for cost, _ in Scan(ph, ref, kids, policy).best(40)]
            assert got == brute[:40]
