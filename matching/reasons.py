"""Why a referral was left unplaced, judged on the FINAL plan (not on the model).

For each eligible home - for the whole group or, where a split is possible, a sub-group -
the reason is read off the returned plan: its places are all given to other referrals
(named), it has places left but fewer than the group needs, splitting is not allowed, the
places left cannot hold a complete split, or it has room but placing there costs more
than leaving the referral unplaced under the policy weights (or the solver stopped before
proving otherwise). Every statement is true of the plan it accompanies (tested).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from matching.candidates import child_ok, exclusion_counts
from matching.domain import HomeNotUsed, UnusedHome
from matching.model import MatchModel
from matching.rules.hard import HARD_RULES, RULES_BY_NAME
from matching.rules.soft import UNMATCHED

MAX_LISTED = 20
_RULE_ORDER = {r.name: i for i, r in enumerate(HARD_RULES)}


def summarise_exclusions(counts: Mapping[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "no homes excluded"
    parts = ", ".join(f"{n} {RULES_BY_NAME[name].label}" for name, n in
                      sorted(counts.items(), key=lambda kv: (-kv[1], _RULE_ORDER.get(kv[0], 99))))
    return f"{total} homes excluded: {parts}"


def plan_load(m: MatchModel, chosen: Mapping[int, list[int]]) -> tuple[np.ndarray, dict[int, list[str]]]:
    """(free places left per home after the plan, referral ids placed in each home)."""
    left = m.ph.free.copy()
    taken: dict[int, list[str]] = {}
    for r, cols in chosen.items():
        for j in cols:
            col = m.columns[j]
            left[col.home] -= len(col.children)
            taken.setdefault(col.home, []).append(m.referrals[r].id)
    return left, taken


def _split_fits(m: MatchModel, r: int, left: np.ndarray, budget: int = 20000) -> tuple[bool, int]:
    """Whether the places left can hold a complete split of referral r (distinct homes),
    and the cheapest such split's points (search capped at ``budget`` steps: (False, 0)
    when not found within it)."""
    ref = m.referrals[r]
    fams = [m.families[f] for f in m.ref_families[r] if m.families[f].split]
    best: list[int | None] = [None]
    steps = [0]

    def dfs(covered: frozenset[int], used: frozenset[int], cost: int) -> None:
        steps[0] += 1
        if steps[0] > budget:
            return
        if len(covered) == ref.size:
            b = best[0]
            if b is None or cost < b:
                best[0] = cost
            return
        k = min(set(range(ref.size)) - covered)
        for fam in fams:
            if k not in fam.children or covered & set(fam.children):
                continue
            room = left[fam.homes] >= len(fam.children)
            for pos in np.flatnonzero(room)[:8]:  # cheapest few per sub-group
                h = int(fam.homes[pos])
                if h not in used:
                    dfs(covered | set(fam.children), used | {h}, cost + int(fam.cost[pos]))

    dfs(frozenset(), frozenset(), 0)
    return best[0] is not None, (best[0] or 0) + m.split_cost[r]


def unmatched_reasons(m: MatchModel, r: int, chosen: Mapping[int, list[int]], proven: bool
                      ) -> tuple[tuple[str, ...], tuple[UnusedHome, ...]]:
    ref, policy, ph = m.referrals[r], m.policy, m.ph
    left, taken = plan_load(m, chosen)
    n = ref.size
    unm = UNMATCHED.points(ref, policy)
    who = "the child" if n == 1 else f"the {n} siblings together"
    reasons = [UNMATCHED.explain(ref, policy)]
    homes: dict[int, UnusedHome] = {}
    split_ok = n > 1 and policy.allow_split and ref.allow_split

    def note(h: int, reason: HomeNotUsed, kids: int, points: int | None, text: str) -> None:
        if h not in homes:
            homes[h] = UnusedHome(ph.homes[h].id, reason, int(left[h]), kids, tuple(taken.get(h, ())),
                                  points, text)

    whole = [m.families[f] for f in m.ref_families[r] if not m.families[f].split]
    counts = {k: 0 for k in HomeNotUsed}
    for fam in whole:
        for h, cost in zip(fam.homes.tolist(), fam.cost.tolist(), strict=True):
            if left[h] <= 0:
                why, text = HomeNotUsed.TAKEN, f"no place left: taken by {', '.join(taken.get(h, ()))}"
            elif left[h] < n:
                why = HomeNotUsed.SPLIT_NOT_ALLOWED if not split_ok else HomeNotUsed.TOO_FEW_PLACES
                text = f"{left[h]} place(s) left, fewer than the {n} siblings"
            elif cost >= unm or proven:
                why, text = HomeNotUsed.WORSE_THAN_UNPLACED, f"room left, but {cost} points >= {unm} unplaced"
            else:
                why, text = HomeNotUsed.NOT_PROVEN, "room left; the solver stopped before it could use it"
            counts[why] += 1
            note(h, why, n, cost, text)
    if n > 1:
        sub_homes: dict[int, tuple[int, int]] = {}  # home -> (most children it could take, cheapest cost)
        for f in m.ref_families[r]:
            fam = m.families[f]
            if fam.split:
                for h, cost in zip(fam.homes.tolist(), fam.cost.tolist(), strict=True):
                    k0, c0 = sub_homes.get(h, (0, cost))
                    sub_homes[h] = (max(k0, len(fam.children)), min(c0, cost))
        if not split_ok:
            idx = ph.open
            some = np.zeros(len(idx), dtype=bool)
            for c in ref.children:
                some |= child_ok(ph, c, policy, idx)
            for h in idx[some].tolist():
                if h not in homes:
                    counts[HomeNotUsed.SPLIT_NOT_ALLOWED] += 1
                    note(h, HomeNotUsed.SPLIT_NOT_ALLOWED, 1, None,
                         "could take some of the siblings, but the care plan or policy does not allow a split")
        else:
            fits, split_pts = _split_fits(m, r, left)
            for h, (k, cost) in sub_homes.items():
                if h in homes:
                    continue
                if left[h] <= 0:
                    why, text = HomeNotUsed.TAKEN, f"no place left: taken by {', '.join(taken.get(h, ()))}"
                elif not fits:
                    why = HomeNotUsed.SPLIT_INCOMPLETE
                    text = f"room for {min(k, int(left[h]))} of the siblings, but the places left cannot hold the rest"
                elif split_pts >= unm or proven:
                    why, text = HomeNotUsed.WORSE_THAN_UNPLACED, f"a split costs {split_pts} points >= {unm} unplaced"
                else:
                    why, text = HomeNotUsed.NOT_PROVEN, "a split fits; the solver stopped before it could use it"
                counts[why] += 1
                note(h, why, min(k, max(0, int(left[h]))), cost, text)
    if not homes:
        if len(ph.homes) == 0:
            reasons.append("No homes were given to the matching run")
        else:
            excl, _ = exclusion_counts(ph, ref, ref.children, policy)
            reasons.append(f"No home can take {who}: {summarise_exclusions(excl)}")
    else:
        parts = []
        if counts[HomeNotUsed.TAKEN]:
            ids = sorted({i for u in homes.values() if u.reason is HomeNotUsed.TAKEN for i in u.taken_by})
            shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
            parts.append(f"{counts[HomeNotUsed.TAKEN]} have no place left in this plan (taken by {shown})")
        if counts[HomeNotUsed.TOO_FEW_PLACES] or (counts[HomeNotUsed.SPLIT_NOT_ALLOWED] and n > 1):
            k = counts[HomeNotUsed.TOO_FEW_PLACES] + counts[HomeNotUsed.SPLIT_NOT_ALLOWED]
            parts.append(f"{k} have places left for only some of the {n} siblings")
        if counts[HomeNotUsed.SPLIT_INCOMPLETE]:
            parts.append(f"{counts[HomeNotUsed.SPLIT_INCOMPLETE]} have room for a sub-group, but the places "
                         "left cannot hold a split of the whole group")
        if counts[HomeNotUsed.WORSE_THAN_UNPLACED]:
            parts.append(f"{counts[HomeNotUsed.WORSE_THAN_UNPLACED]} have room but cost more than leaving the "
                         "referral unplaced under the policy weights")
        if counts[HomeNotUsed.NOT_PROVEN]:
            parts.append(f"{counts[HomeNotUsed.NOT_PROVEN]} have room, but the solver stopped (time limit) "
                         "before it could use them")
        scope = who if n == 1 or not split_ok else f"{who} or some of them"
        reasons.append(f"{len(homes)} eligible home(s) for {scope}: " + "; ".join(parts))
    if n > 1:
        if not split_ok:
            reasons.append("Splitting the siblings is not allowed by the care plan or the policy")
        elif not m.splittable[r]:
            reasons.append("No split is possible: at least one sibling has no eligible home "
                           f"within {policy.split_max_miles:g} miles of the family home")
    listed = sorted(homes.values(), key=lambda u: (u.points is None, u.points or 0, u.home_id))[:MAX_LISTED]
    return tuple(reasons), tuple(listed)
