"""Exhaustive exact solve of tiny instances, independent of the optimiser's model code.

Every option of every referral is enumerated with the rule CLASSES (first_failure) - not
placed, the whole group in one home, or any partition of the siblings into 2+ sub-groups in
distinct homes - scored with the validator's scorer, and the best capacity-feasible
combination placing at least as many children as the greedy baseline is found by
depth-first search with a simple bound.
"""

from __future__ import annotations

from collections.abc import Iterator

from matching import Home, Policy, Referral, greedy_nearest
from matching.rules.group import UNMATCHED
from matching.rules.hard import first_failure
from matching.rules.soft import make_context
from matching.validator import score_referral


def partitions(items: list[int]) -> Iterator[list[list[int]]]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for p in partitions(rest):
        for i in range(len(p)):
            yield p[:i] + [[first, *p[i]]] + p[i + 1 :]
        yield [[first], *p]


def options(ref: Referral, homes: list[Home], policy: Policy) -> list[tuple[int, int, dict[str, Home]]]:
    """(points, children placed, child id -> home) of every way to place ``ref`` (or not)."""
    ctx = make_context(policy, homes)
    out = [(UNMATCHED.points(ref, policy), 0, {})]
    for part in partitions(list(range(ref.size))):
        if len(part) > 1 and not (policy.allow_split and ref.allow_split):
            continue

        def assign(i: int, used: tuple[int, ...], part: list[list[int]] = part) -> Iterator[tuple[int, ...]]:
            if i == len(part):
                yield used
                return
            kids = tuple(ref.children[k] for k in part[i])
            for h, home in enumerate(homes):
                if h not in used and first_failure(ref, kids, home, policy) is None:
                    yield from assign(i + 1, (*used, h), part)

        for hs in assign(0, ()):
            placed = {ref.children[k].id: homes[h] for block, h in zip(part, hs, strict=True) for k in block}
            out.append((score_referral(ref, placed, ctx).points, ref.size, placed))
    return out


def exhaustive(
    refs: list[Referral], homes: list[Home], policy: Policy | None = None
) -> tuple[int, dict[str, str]]:
    """(optimal objective, child id -> home id), placing at least as many children as the greedy."""
    policy = policy or Policy()
    floor = len(greedy_nearest(refs, homes, policy).assignment.placements)
    opts = [sorted(options(r, homes, policy), key=lambda o: o[0]) for r in refs]
    rest_min = [0] * (len(refs) + 1)
    rest_max_placed = [0] * (len(refs) + 1)
    for i in range(len(refs) - 1, -1, -1):
        rest_min[i] = rest_min[i + 1] + opts[i][0][0]
        rest_max_placed[i] = rest_max_placed[i + 1] + refs[i].size
    best: list[object] = [None, {}]
    free = {h.id: h.free_places for h in homes}

    def dfs(i: int, cost: int, placed: int, pairs: dict[str, str]) -> None:
        if best[0] is not None and cost + rest_min[i] >= best[0]:  # type: ignore[operator]
            return
        if placed + rest_max_placed[i] < floor:
            return
        if i == len(refs):
            best[0], best[1] = cost, dict(pairs)
            return
        for pts, n, where in opts[i]:
            need: dict[str, int] = {}
            for home in where.values():
                need[home.id] = need.get(home.id, 0) + 1
            if any(free[h] < k for h, k in need.items()):
                continue
            for h, k in need.items():
                free[h] -= k
            dfs(i + 1, cost + pts, placed + n, {**pairs, **{c: h.id for c, h in where.items()}})
            for h, k in need.items():
                free[h] += k

    dfs(0, 0, 0, {})
    assert best[0] is not None
    return best[0], best[1]  # type: ignore[return-value]
