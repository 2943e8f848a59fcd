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
from tests.matching.strategies import instances, policies


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


@settings(max_examples=40, deadline=None)
@given(inst=instances(max_referrals=4, max_homes=8, max_siblings=4), policy=policies)
def test_full_vectorised_eligibility_and_cost_equal_the_classes(inst, policy):
    """child_ok/group_ok/batch_ok_cost decide and price every (group or sub-group, home) pair
    exactly as the rule and term classes do (so "every eligible pair" means what the rules say)."""
    import itertools

    import numpy as np

    from matching.candidates import batch_ok_cost, child_ok, group_ok

    refs, homes = inst
    ph = PreparedHomes(tuple(homes), make_context(policy, homes))
    idx = np.arange(len(homes))
    kids = tuple(c for r in refs for c in r.children)
    ok2, cost2, _ = batch_ok_cost(ph, kids, policy, idx)
    row = 0
    for ref in refs:
        oks = [child_ok(ph, c, policy, idx) for c in ref.children]
        for k, c in enumerate(ref.children):
            assert (ok2[row + k] == oks[k]).all()
            expect = [pair_points(c, h, ph.ctx.facts(c, h), ph.ctx) for h in homes]
            assert cost2[row + k].tolist() == expect
            assert ranking_cost(ph, c, idx)[0].tolist() == expect
        row += ref.size
        for size in range(1, ref.size + 1):
            for group in itertools.combinations(range(ref.size), size):
                mask = group_ok(ph, ref, size, policy, idx)
                for k in group:
                    mask &= oks[k]
                sub = tuple(ref.children[k] for k in group)
                truth = [first_failure(ref, sub, h, policy) is None for h in homes]
                assert mask.tolist() == truth, group
